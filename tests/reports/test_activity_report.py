"""The activity report (业绩考核) against hand-computed figures: follow-ups per person and month with rows at the
Shanghai month boundary, new customers, overdue plans and the ranking, as a director, a manager and a
salesperson; a person outside the viewer's scope yields nothing; the grouping; Excel export and chart PNGs."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from crm_server.core.types import utcnow
from crm_server.customers.models import OwnerChange
from crm_server.extensions import db
from tests.factories import make_customer, make_followup
from tests.reports.helpers_r1 import RANGE, build, clear_report_cache, kpi, local, make_team, rows

BEFORE = local(2025, 12, 1)  # the plans below happened before the period: only their plan counts


@pytest.fixture(autouse=True)
def fresh_cache(app):
    clear_report_cache(app)


def change(customer, kind, at, to_user=None, from_user=None):
    db.session.add(OwnerChange(customer=customer, kind=kind, at=at, to_user_id=to_user and to_user.id,
                               from_user_id=from_user and from_user.id))


@pytest.fixture
def team(app):
    t = make_team()
    s1, s2, s3, manager = t["s1"], t["s2"], t["s3"], t["manager"]
    c1, c2, c3 = make_customer(s1), make_customer(s2), make_customer(s3)
    make_followup(c1, s1, kind="call", happened_at=local(2026, 1, 31, 23, 30))   # 15:30 UTC: January
    make_followup(c1, s1, kind="call", happened_at=local(2026, 2, 1, 0, 30))     # 31 Jan 16:30 UTC: February
    make_followup(c1, s1, kind="visit", happened_at=local(2026, 2, 10))
    make_followup(c1, s1, kind="wechat", happened_at=local(2026, 3, 5))
    make_followup(c1, s1, kind="call", happened_at=local(2025, 12, 31, 23, 59))  # before the period
    make_followup(c1, s1, kind="call", happened_at=local(2026, 4, 1, 0, 0))      # after it
    make_followup(c2, s2, kind="call", happened_at=local(2026, 3, 31, 23, 59))   # still March
    make_followup(c2, s2, kind="visit", happened_at=local(2026, 1, 5))
    for hour in (9, 10, 11):
        make_followup(c3, s3, kind="call", happened_at=local(2026, 2, 2, hour))
    make_followup(c1, manager, kind="visit", happened_at=local(2026, 1, 20))
    change(c1, "created", local(2026, 1, 31, 23, 50), to_user=s1)               # January
    change(make_customer(s1), "created", local(2026, 2, 1, 0, 10), to_user=s1)  # February
    change(c2, "created", local(2026, 3, 3), to_user=s2)
    change(c3, "created", local(2026, 1, 10), to_user=s3)
    change(c2, "claimed", local(2026, 2, 14), to_user=s2)
    change(make_customer(None), "released", local(2026, 3, 20), from_user=s1)
    change(c1, "transferred", local(2026, 2, 3), to_user=s1, from_user=s2)       # not a counted move
    # plans: open and past due (counted), done, on a deleted customer, still ahead
    make_followup(c1, s1, happened_at=BEFORE, next_followup_at=utcnow() - dt.timedelta(days=1))
    make_followup(c1, s1, happened_at=BEFORE, next_followup_at=utcnow() - dt.timedelta(days=2),
                  next_done_at=utcnow())
    make_followup(make_customer(s1, deleted_at=utcnow()), s1, happened_at=BEFORE,
                  next_followup_at=utcnow() - dt.timedelta(days=1))
    make_followup(c1, s1, happened_at=BEFORE, next_followup_at=utcnow() + dt.timedelta(days=1))
    make_followup(c3, s3, happened_at=BEFORE, next_followup_at=utcnow() - dt.timedelta(days=3))
    db.session.commit()
    return t


#                 calls visits other total new claimed released overdue
S1 = ["销售甲", "华东销售部", 2, 1, 1, 4, 2, 0, 1, 1]
S2 = ["销售乙", "华东销售部", 1, 1, 0, 2, 1, 1, 0, 0]
S3 = ["销售丙", "华北销售部", 3, 0, 0, 3, 1, 0, 0, 1]
MANAGER = ["经理张", "华东销售部", 0, 1, 0, 1, 0, 0, 0, 0]
DIRECTOR = ["总监王", "华东销售部", 0, 0, 0, 0, 0, 0, 0, 0]


def test_director_sees_everyone_per_month(team):
    result = build("activity", team["director"])
    assert rows(result, "trend") == [
        ["2026-01", 1, 2, 0, 3, 2],   # s1's call at 23:30 local, s2's and the manager's visits; s1 and s3 created
        ["2026-02", 4, 1, 0, 5, 1],   # s1's call at 00:30 local on 1 Feb, s1's visit, s3's three calls
        ["2026-03", 1, 0, 1, 2, 1],   # s1's wechat, s2's call at 23:59 on 31 March
    ]
    assert result.table("trend").total[1:] == [6, 3, 1, 10, 4]
    ranking = rows(result, "ranking")
    assert [r[0] for r in ranking[:4]] == [1, 2, 3, 4]
    assert [r[1:] for r in ranking[:4]] == [S1, S3, S2, MANAGER]
    assert ranking[4][1:] == DIRECTOR and ranking[4][0] == 5   # zero rows rank equal, after everyone
    assert result.table("ranking").total[3:] == [6, 3, 1, 10, 4, 1, 1, 2]
    per_person = {r[0]: r[1:] for r in rows(result, "per_person")}
    assert per_person["销售甲"] == [1, 2, 1, 4] and per_person["销售丙"] == [0, 3, 0, 3]
    assert result.table("per_person").total[1:] == [3, 5, 2, 10]
    assert (kpi(result, "followups"), kpi(result, "calls"), kpi(result, "visits"), kpi(result, "created"),
            kpi(result, "overdue")) == (10, 6, 3, 4, 2)


def test_manager_sees_the_department_and_a_salesperson_only_themselves(team):
    manager = build("activity", team["manager"])
    assert [r[1:] for r in rows(manager, "ranking")][:3] == [S1, S2, MANAGER]
    assert {r[1] for r in rows(manager, "ranking")} == {"销售甲", "销售乙", "经理张", "总监王"}
    assert manager.table("trend").total[1:] == [3, 3, 1, 7, 3]
    assert kpi(manager, "overdue") == 1
    seller = build("activity", team["s1"])
    assert [r[1:] for r in rows(seller, "ranking")] == [S1]
    assert seller.table("trend").total[1:] == [2, 1, 1, 4, 2]
    assert (kpi(seller, "followups"), kpi(seller, "overdue")) == (4, 1)


def test_filters_narrow_within_the_scope_and_never_beyond(team):
    by_person = build("activity", team["manager"], user_id=team["s2"].id)
    assert [r[1:] for r in rows(by_person, "ranking")] == [S2]
    outside = build("activity", team["manager"], user_id=team["s3"].id)   # another department
    assert rows(outside, "ranking") == [] and outside.table("trend").total[1:] == [0, 0, 0, 0, 0]
    assert kpi(outside, "overdue") == 0
    seller = build("activity", team["s1"], user_id=team["s2"].id)
    assert rows(seller, "ranking") == [] and kpi(seller, "followups") == 0
    north = build("activity", team["director"], department_id=team["north"].id)
    assert [r[1:] for r in rows(north, "ranking")] == [S3]


def test_day_and_week_grouping_and_too_many_days(team):
    days = build("activity", team["director"], dt.date(2026, 1, 31), dt.date(2026, 2, 2), grouping="day")
    assert [r[:5] for r in rows(days, "trend")] == [
        ["01-31", 1, 0, 0, 1], ["02-01", 1, 0, 0, 1], ["02-02", 3, 0, 0, 3]]
    weeks = build("activity", team["director"], dt.date(2026, 1, 26), dt.date(2026, 2, 8), grouping="week")
    assert [r[:5] for r in rows(weeks, "trend")] == [["01-26", 2, 0, 0, 2], ["02-02", 3, 0, 0, 3]]
    quarter = build("activity", team["director"], grouping="day")   # 90 days: too many columns, so weeks
    assert len(rows(quarter, "trend")) == 14 and quarter.table("trend").total[4] == 10
    assert rows(quarter, "trend")[1][0] == "01-05"   # Monday 5 January: weekly buckets


def test_page_export_and_charts(client, login_as, team):
    login_as(team["manager"])
    page = client.get(f"/reports/activity?{RANGE}")
    assert page.status_code == 200 and "销售甲" in page.get_data(as_text=True)
    shown = build("activity", team["manager"])
    book = load_workbook(io.BytesIO(client.get(f"/reports/activity/export.xlsx?{RANGE}").data))
    for table, sheet in zip(shown.tables, book.worksheets):
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert values[0] == [c.label for c in table.columns]
        assert values[1:] == [list(r) for r in table.rows] + [list(table.total)]
    for chart in ("ranking", "trend"):
        response = client.get(f"/reports/activity/charts/{chart}.png?{RANGE}")
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_differ_by_scope_on_the_page(client, login_as, team):
    seen = {}
    for who in ("director", "manager", "s1"):
        login_as(team[who])
        clear_report_cache(client.application)
        html = client.get(f"/reports/activity?{RANGE}").get_data(as_text=True)
        seen[who] = 'data-kpi="followups" data-value="%d"' % {"director": 10, "manager": 7, "s1": 4}[who] in html
    assert seen == {"director": True, "manager": True, "s1": True}
