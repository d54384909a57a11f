"""Activity statistics: figures per person counted by the database, within the viewer's data scope."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from crm_server.activity import services
from crm_server.core.errors import DomainError
from crm_server.core.types import utcnow
from crm_server.customers.models import OwnerChange
from crm_server.extensions import db
from tests.factories import make_branch, make_customer, make_department, make_followup, make_user

FIRST, LAST = dt.date(2026, 3, 2), dt.date(2026, 3, 4)
RANGE = "period=custom&date_from=2026-03-02&date_to=2026-03-04"


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A time in March 2026 in Shanghai (UTC+8), as stored (naive UTC)."""
    return dt.datetime(2026, 3, day, hour, minute) - dt.timedelta(hours=8)


def change(customer, kind, at, to_user=None, from_user=None):
    db.session.add(OwnerChange(customer=customer, kind=kind, at=at, to_user_id=to_user and to_user.id,
                               from_user_id=from_user and from_user.id))


@pytest.fixture
def team(app):
    branch = make_branch("上海总部")
    east, north = make_department("华东销售部", branch=branch), make_department("华北销售部", branch=branch)
    people = {
        "manager": make_user("sales_manager", display_name="经理张", department=east),
        "s1": make_user("sales", display_name="销售甲", department=east),
        "s2": make_user("sales", display_name="销售乙", department=east),
        "s3": make_user("sales", display_name="销售丙", department=north),
        "left": make_user("sales", display_name="已离职", department=east, is_active=False),
        "director": make_user("sales_director", display_name="总监王", department=east),
    }
    s1, s2, s3, manager = people["s1"], people["s2"], people["s3"], people["manager"]
    c1, c2, c3 = make_customer(s1), make_customer(s2), make_customer(s3)
    make_followup(c1, s1, kind="call", happened_at=local(2, 9))
    make_followup(c1, s1, kind="call", happened_at=local(3, 0, 30))   # 2 March 16:30 UTC: the 3rd locally
    make_followup(c1, s1, kind="visit", happened_at=local(3, 10))
    make_followup(c1, s1, kind="wechat", happened_at=local(4, 12))
    make_followup(c1, s1, kind="call", happened_at=local(1, 23, 59))  # before the range
    make_followup(c1, s1, kind="call", happened_at=local(5, 0, 0))    # after it
    make_followup(c2, s2, kind="call", happened_at=local(4, 15))
    make_followup(c1, manager, kind="visit", happened_at=local(2, 14))
    for hour in (9, 10, 11):
        make_followup(c3, s3, kind="call", happened_at=local(2, hour))
    change(c1, "created", local(2, 10), to_user=s1)
    change(make_customer(s1), "created", local(2, 11), to_user=s1)
    change(c2, "claimed", local(3, 9), to_user=s2)
    change(make_customer(None), "released", local(4, 18), from_user=s1)
    change(c3, "created", local(2, 9), to_user=s3)
    change(c1, "transferred", local(3, 9), to_user=s1, from_user=s2)  # not one of the counted moves
    # plans: open and past (counted now), done, on a deleted customer, still ahead
    make_followup(c1, s1, happened_at=local(1, 8), next_followup_at=utcnow() - dt.timedelta(days=1))
    make_followup(c1, s1, happened_at=local(1, 8), next_followup_at=utcnow() - dt.timedelta(days=2),
                  next_done_at=utcnow())
    make_followup(make_customer(s1, deleted_at=utcnow()), s1, happened_at=local(1, 9),
                  next_followup_at=utcnow() - dt.timedelta(days=1))
    make_followup(c1, s1, happened_at=local(1, 9), next_followup_at=utcnow() + dt.timedelta(days=1))
    make_followup(c3, s3, happened_at=local(1, 9), next_followup_at=utcnow() - dt.timedelta(days=1))
    db.session.commit()
    return people


def figures(**counts) -> dict[str, int]:
    return {metric: counts.get(metric, 0) for metric in services.ALL_METRICS}


S1 = figures(calls=2, visits=1, other=1, created=2, released=1, overdue=1)
S2 = figures(calls=1, claimed=1)
MANAGER = figures(visits=1)


def _report(viewer, grouping="person"):
    stmt = services.people_query(viewer)
    people = db.session.scalars(stmt).all()
    return services.build_report(viewer, people, stmt, FIRST, LAST, grouping)


def test_a_manager_sees_the_department(app, team):
    report = _report(team["manager"])
    rows = {row.user.display_name: row.total for row in report.rows}
    assert rows == {"经理张": MANAGER, "总监王": figures(), "销售甲": S1, "销售乙": S2}
    assert report.team and report.totals.total == figures(calls=3, visits=2, other=1, created=2, claimed=1,
                                                          released=1, overdue=1)


def test_a_salesperson_sees_only_their_own_row(app, team):
    report = _report(team["s1"])
    assert [(row.user.id, row.total) for row in report.rows] == [(team["s1"].id, S1)]
    assert not report.team and report.totals.total == S1


def test_a_director_sees_everyone_active(app, team):
    report = _report(team["director"])
    names = [row.user.display_name for row in report.rows]
    assert "销售丙" in names and "已离职" not in names
    assert report.totals.total["calls"] == 6 and report.totals.total["created"] == 3
    assert report.totals.total["overdue"] == 2


def test_buckets_per_day_follow_the_site_calendar(app, team):
    report = _report(team["manager"], "day")
    assert [b.label for b in report.buckets] == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert report.buckets[1].start == dt.datetime(2026, 3, 2, 16, 0)
    s1 = next(row for row in report.rows if row.user.id == team["s1"].id)
    assert [{k: v for k, v in b.items() if v} for b in s1.buckets] == [
        {"calls": 1, "created": 2}, {"calls": 1, "visits": 1}, {"other": 1, "released": 1}]
    assert s1.total == S1
    assert [b["calls"] for b in report.totals.buckets] == [1, 1, 1]


def test_bucket_boundaries(app):
    weeks = services.buckets_for(dt.date(2026, 2, 26), dt.date(2026, 3, 10), "week")
    assert [(b.first, b.last) for b in weeks] == [
        (dt.date(2026, 2, 26), dt.date(2026, 3, 1)), (dt.date(2026, 3, 2), dt.date(2026, 3, 8)),
        (dt.date(2026, 3, 9), dt.date(2026, 3, 10))]
    months = services.buckets_for(dt.date(2025, 12, 15), dt.date(2026, 2, 3), "month")
    assert [(b.first, b.last) for b in months] == [
        (dt.date(2025, 12, 15), dt.date(2025, 12, 31)), (dt.date(2026, 1, 1), dt.date(2026, 1, 31)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 3))]
    assert months[1].start == dt.datetime(2025, 12, 31, 16, 0) and months[1].end == dt.datetime(2026, 1, 31, 16, 0)
    assert len(services.buckets_for(dt.date(2026, 1, 1), dt.date(2026, 3, 3), "day")) == 62
    with pytest.raises(DomainError) as refused:
        services.buckets_for(dt.date(2026, 1, 1), dt.date(2026, 3, 4), "day")
    assert refused.value.field == "group"


def test_periods(app):
    wednesday = dt.date(2026, 11, 25)
    assert services.period_days("today", today=wednesday) == (wednesday, wednesday)
    assert services.period_days("week", today=wednesday) == (dt.date(2026, 11, 23), wednesday)
    assert services.period_days("month", today=wednesday) == (dt.date(2026, 11, 1), wednesday)
    assert services.period_days("custom", FIRST, LAST) == (FIRST, LAST)
    with pytest.raises(DomainError) as refused:
        services.period_days("custom", LAST, FIRST)
    assert refused.value.field == "date_to"
    with pytest.raises(DomainError):
        services.period_days("custom", None, LAST)


# --- the page -------------------------------------------------------------------------------------

def _row(html: str, row_id: str) -> dict[str, int] | None:
    match = re.search(rf'<tr[^>]*id="{row_id}".*?</tr>', html, re.S)
    if match is None:
        return None
    cells = re.findall(r'data-metric="(\w+)">(\d+)<', match.group(0))
    return {metric: int(n) for metric, n in cells}


def test_the_page_for_a_manager(client, login_as, team):
    login_as(team["manager"])
    html = client.get(f"/activity/?{RANGE}").get_data(as_text=True)
    assert _row(html, f"person-{team['s1'].id}") == S1
    assert _row(html, f"person-{team['s2'].id}") == S2
    assert _row(html, f"person-{team['manager'].id}") == MANAGER
    assert _row(html, f"person-{team['s3'].id}") is None and "销售丙" not in html
    assert "已离职" not in html
    assert _row(html, "activity-totals") == figures(calls=3, visits=2, other=1, created=2, claimed=1, released=1,
                                                    overdue=1)
    assert "2026-03-02" in html and "2026-03-04" in html


def test_the_page_for_a_salesperson(client, login_as, team):
    login_as(team["s1"])
    html = client.get(f"/activity/?{RANGE}&group=day").get_data(as_text=True)
    assert _row(html, f"person-{team['s1'].id}") == S1
    assert _row(html, f"person-{team['s2'].id}") is None and "销售乙" not in html
    assert 'id="activity-totals"' not in html
    buckets = re.findall(r'<tr class="activity-bucket" data-user="(\d+)" data-bucket="([\d-]+)"', html)
    assert buckets == [(str(team["s1"].id), day) for day in ("2026-03-02", "2026-03-03", "2026-03-04")]


def test_a_salesperson_cannot_widen_the_view(client, login_as, team):
    login_as(team["s2"])
    html = client.get(f"/activity/?{RANGE}&user={team['s1'].id}&page=2").get_data(as_text=True)
    assert _row(html, f"person-{team['s2'].id}") == S2
    assert "销售甲" not in html


def test_bad_filters_show_beside_the_field(client, login_as, team):
    login_as(team["manager"])
    html = client.get("/activity/?period=custom&date_from=2026-03-04&date_to=2026-03-02").get_data(as_text=True)
    assert "invalid-feedback" in html and 'id="activity-invalid"' in html and 'id="activity-table"' not in html
    html = client.get("/activity/?period=custom&date_from=2026-01-01&date_to=2026-12-31&group=day") \
        .get_data(as_text=True)
    assert re.search(r'name="group"[^>]*is-invalid|is-invalid[^>]*name="group"', html)
    html = client.get("/activity/?period=yesterday").get_data(as_text=True)
    assert 'id="activity-invalid"' in html


def test_default_period_is_this_month(client, login_as, team):
    user = login_as(team["s1"])
    make_followup(make_customer(user), user, kind="call", happened_at=utcnow() - dt.timedelta(minutes=5))
    db.session.commit()
    html = client.get("/activity/").get_data(as_text=True)
    assert _row(html, f"person-{user.id}")["calls"] >= 1
    html = client.get("/activity/?period=today").get_data(as_text=True)
    assert _row(html, f"person-{user.id}")["calls"] == 1


def test_the_team_permission_is_given_to_managers(app, team):
    assert services.has_team_view(team["manager"]) and services.has_team_view(team["director"])
    assert not services.has_team_view(team["s1"])
