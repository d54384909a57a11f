"""The customers report against hand-computed figures: the distribution by level, industry, region and source;
new and lost customers per month with rows at the Shanghai month boundary; the churn rate; customers without a
follow-up for 30/60/90 days; the public pool in and out; as a director, a manager and a salesperson; a person
outside the scope yields nothing; Excel export and chart PNGs."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from flask_babel import gettext
from openpyxl import load_workbook

from crm_server.core.types import utcnow
from crm_server.customers.models import OwnerChange
from crm_server.extensions import db
from tests.factories import dictionary_item, make_customer
from tests.reports.helpers_r1 import RANGE, build, clear_report_cache, kpi, local, make_team, rows


@pytest.fixture(autouse=True)
def fresh_cache(app):
    clear_report_cache(app)


def change(customer, kind, at, to_user=None, from_user=None):
    db.session.add(OwnerChange(customer=customer, kind=kind, at=at, to_user_id=to_user and to_user.id,
                               from_user_id=from_user and from_user.id))


def days_ago(n: int) -> dt.datetime:
    return utcnow() - dt.timedelta(days=n)


@pytest.fixture
def team(app):
    t = make_team()
    s1, s2, s3 = t["s1"], t["s2"], t["s3"]
    level = {x: dictionary_item("customer_level", label).id
             for x, label in (("A", "A（重点客户）"), ("B", "B（普通客户）"), ("C", "C（一般客户）"))}
    industry = {x: dictionary_item("customer_industry", x).id for x in ("制造业", "信息技术")}
    t["c1"] = make_customer(s1, level_id=level["A"], industry_id=industry["制造业"], province="上海",
                            source_id=dictionary_item("customer_source", "展会").id,
                            created_at=local(2026, 1, 31, 23, 30), last_followup_at=days_ago(10))   # January
    t["c2"] = make_customer(s1, level_id=level["B"], province="", created_at=local(2026, 2, 1, 0, 30),
                            last_followup_at=days_ago(45))                                           # February
    t["c3"] = make_customer(s2, level_id=level["A"], industry_id=industry["信息技术"], province="江苏",
                            created_at=local(2026, 2, 15))
    t["c3"].owner_since = days_ago(100)   # never followed up, owned for 100 days
    t["c4"] = make_customer(s3, level_id=level["C"], province="北京", created_at=local(2026, 3, 1),
                            last_followup_at=days_ago(65),
                            status_id=dictionary_item("customer_status", "流失客户").id)
    t["c7"] = make_customer(s1, level_id=level["B"], created_at=local(2025, 6, 1), last_followup_at=days_ago(95))
    pooled = make_customer(None, created_at=local(2026, 1, 5))          # new in January, now in the pool
    make_customer(s1, created_at=local(2026, 1, 10), deleted_at=utcnow())   # deleted: never counted
    make_customer(s2, created_at=local(2026, 4, 1, 0, 0))                   # after the period (held now)
    change(pooled, "released", local(2026, 3, 20), from_user=s1)
    change(pooled, "recycled", local(2026, 3, 31, 23, 59), from_user=s2)   # still March locally
    change(pooled, "released", local(2026, 2, 1, 0, 1), from_user=s3)      # 31 Jan 16:01 UTC: February
    change(pooled, "released", local(2025, 12, 31, 23, 59), from_user=s1)  # before the period
    change(t["c3"], "claimed", local(2026, 2, 28, 23, 59), to_user=s2)     # February
    change(t["c1"], "assigned", local(2026, 3, 2), to_user=s1)             # from the pool
    change(t["c1"], "assigned", local(2026, 3, 3), to_user=s1, from_user=s2)  # owner to owner: not the pool
    change(t["c1"], "transferred", local(2026, 3, 4), to_user=s1, from_user=s2)
    db.session.commit()
    return t


def test_director_sees_the_company(team):
    result = build("customers", team["director"])
    none = gettext("(none)")
    assert rows(result, "by_level") == [["A（重点客户）", 2, Decimal("33.3")], ["B（普通客户）", 2, Decimal("33.3")],
                                        ["C（一般客户）", 1, Decimal("16.7")], [none, 1, Decimal("16.7")]]
    assert result.table("by_level").total[1:] == [6, Decimal("100.0")]
    # "(none)" last: c2's "" and the NULL of c7 and of the customer created in April
    assert [r[:2] for r in rows(result, "by_region")] == [["上海", 1], ["北京", 1], ["江苏", 1], [none, 3]]
    assert [r[:2] for r in rows(result, "by_industry")] == [["信息技术", 1], ["制造业", 1], [none, 4]]
    assert [r[:2] for r in rows(result, "by_source")] == [["展会", 1], [none, 5]]

    assert rows(result, "new_lost") == [["2026-01", 2, 0, 2],   # c1 at 23:30 local on 31 Jan; the pooled one
                                        ["2026-02", 2, 1, 1],   # c2 at 00:30 on 1 Feb, c3; s3's release
                                        ["2026-03", 1, 2, -1]]  # c4; s1's release, s2's recycling at 23:59
    # churn: 3 lost ÷ (5 held now and created by 31 March + 3 lost)
    assert (kpi(result, "new"), kpi(result, "lost"), kpi(result, "churn")) == (5, 3, Decimal("37.5"))
    assert kpi(result, "held") == 6 and kpi(result, "marked_lost") == 1

    silence = {r[0]: r[1:] for r in rows(result, "silence")}
    assert silence["销售甲"] == [3, 2, 1, 1]     # c2 45 days, c7 95 days; c1 10 days
    assert silence["销售乙"] == [2, 1, 1, 1]     # c3: never, owned for 100 days; the April one is new
    assert silence["销售丙"] == [1, 1, 1, 0]     # c4 65 days
    assert result.table("silence").total[2:] == [4, 3, 2]
    assert kpi(result, "silent") == 4

    assert rows(result, "pool") == [["2026-01", 0, 0, 0, 0, 0, 0, 0],
                                    ["2026-02", 1, 0, 1, 1, 0, 1, 0],
                                    ["2026-03", 1, 1, 2, 0, 1, 1, 1]]


def test_manager_and_salesperson_see_less(team):
    manager = build("customers", team["manager"])
    assert rows(manager, "new_lost") == [["2026-01", 1, 0, 1], ["2026-02", 2, 0, 2], ["2026-03", 0, 2, -2]]
    assert kpi(manager, "churn") == Decimal("33.3")   # 2 ÷ (c1, c2, c3, c7 + 2)
    assert kpi(manager, "held") == 5 and kpi(manager, "marked_lost") == 0
    assert {r[0] for r in rows(manager, "silence")} == {"销售甲", "销售乙"}
    assert manager.table("pool").total[1:] == [1, 1, 2, 1, 1, 2, 0]
    seller = build("customers", team["s1"])
    assert rows(seller, "new_lost") == [["2026-01", 1, 0, 1], ["2026-02", 1, 0, 1], ["2026-03", 0, 1, -1]]
    assert {r[0]: r[1] for r in rows(seller, "by_level")} == {"A（重点客户）": 1, "B（普通客户）": 2}
    assert seller.table("pool").total[1:] == [1, 0, 1, 0, 1, 1, 0]


def test_a_person_outside_the_scope_yields_nothing(team):
    for viewer, other in (("manager", "s3"), ("s1", "s2")):
        result = build("customers", team[viewer], user_id=team[other].id)
        assert all(not t.rows or t.key in ("new_lost", "pool") for t in result.tables)
        assert result.table("new_lost").total[1:] == [0, 0, 0] and result.table("pool").total[1:] == [0] * 7
        assert kpi(result, "held") == 0 and kpi(result, "churn") is None
    within = build("customers", team["director"], department_id=team["north"].id)
    assert kpi(within, "held") == 1 and within.table("new_lost").total[1:] == [1, 1, 0]


def test_page_export_and_charts(client, login_as, team):
    login_as(team["director"])
    assert client.get(f"/reports/customers?{RANGE}").status_code == 200
    shown = build("customers", team["director"])
    book = load_workbook(io.BytesIO(client.get(f"/reports/customers/export.xlsx?{RANGE}").data))
    assert len(book.worksheets) == len(shown.tables)
    for table, sheet in zip(shown.tables, book.worksheets):
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert values[0] == [c.label for c in table.columns]
        expected = [list(r) for r in table.rows] + [list(table.total)]
        assert [[float(v) if isinstance(v, Decimal) else v for v in r] for r in expected] == values[1:]
    for chart in shown.charts:
        response = client.get(f"/reports/customers/charts/{chart.key}.png?{RANGE}")
        assert response.status_code == 200 and response.mimetype == "image/png", chart.key
        assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
