"""The forecast and quota pages through the test client: the figures each role sees, the quota grid (validation,
audit, scope), commits, the fiscal year setting, and a fixed number of queries whatever the number of people."""
from __future__ import annotations

import json
import re
from decimal import Decimal

from sqlalchemy import event, select

from crm_server.core.audit import AuditLog
from crm_server.extensions import db
from crm_server.forecast.models import Commit, Quota
from crm_server.forecast.periods import FiscalQuarter
from crm_server.opportunities.models import OPEN, WON

from .. import factories
from .helpers import make_opportunity, row_values, set_quota, team_with_figures

Q4 = {"year": 2026, "quarter": 4}


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def values(**figures):
    row = {name: "" for name in ("quota", "percent", "commit")}
    row.update({name: str(value) for name, value in figures.items()})
    return row


ZHANG = values(quota="300000.00", won="150000.50", percent="50.0", count=2, pipeline="233333.33",
               weighted="63333.33", expected="213333.83", best="383333.83")
LI = values(quota="80000.00", won="20000.00", percent="25.0", count=2, pipeline="15000.20", weighted="4950.07",
            expected="24950.07", commit="30000.00", best="35000.20")
CHEN = values(won="45000.00", count=1, pipeline="100000.00", weighted="60000.00", expected="105000.00",
              best="145000.00")
EAST = values(quota="380000.00", won="170000.50", percent="44.7", count=4, pipeline="248333.53",
              weighted="68283.40", expected="238283.90", commit="30000.00", best="418334.03")
COMPANY = values(quota="380000.00", won="215000.50", percent="56.6", count=5, pipeline="348333.53",
                 weighted="128283.40", expected="343283.90", commit="30000.00", best="563334.03")


def user_rows(page):
    return {int(i) for i in re.findall(r'id="forecast-user-(\d+)"', page)}


def test_director_sees_every_person_and_the_roll_ups(client, login_as):
    team = team_with_figures()
    login_as(team["director"])
    page = page_of(client.get("/forecast/", query_string=Q4))
    assert user_rows(page) == {team[k].id for k in ("director", "manager", "zhang", "li", "chen")}
    assert row_values(page, f"forecast-user-{team['zhang'].id}") == ZHANG
    assert row_values(page, f"forecast-user-{team['li'].id}") == LI
    assert row_values(page, f"forecast-user-{team['chen'].id}") == CHEN
    assert row_values(page, f"forecast-department-{team['east'].id}") == EAST
    assert row_values(page, f"forecast-branch-{team['shanghai'].id}") == EAST
    assert row_values(page, f"forecast-branch-{team['guangzhou'].id}") == CHEN
    assert row_values(page, "forecast-total") == COMPANY
    assert "150,000.50" in page and "563,334.03" in page


def test_manager_sees_their_department(client, login_as):
    team = team_with_figures()
    login_as(team["manager"])
    page = page_of(client.get("/forecast/", query_string=Q4))
    assert user_rows(page) == {team[k].id for k in ("manager", "zhang", "li")}
    assert row_values(page, f"forecast-user-{team['zhang'].id}") == ZHANG
    assert row_values(page, "forecast-total") == EAST
    assert row_values(page, f"forecast-branch-{team['guangzhou'].id}") is None


def test_salesperson_sees_only_their_own_row(client, login_as):
    team = team_with_figures()
    login_as(team["li"])
    page = page_of(client.get("/forecast/", query_string=Q4))
    assert user_rows(page) == {team["li"].id}
    assert row_values(page, f"forecast-user-{team['li'].id}") == LI
    assert "forecast-total" not in page and "张伟" not in page
    assert 'id="edit-quotas"' not in page


def test_default_is_the_current_fiscal_quarter_and_bad_arguments_fall_back_to_it(client, login_as):
    from crm_server.forecast.services import current_quarter
    login_as("sales")
    current = current_quarter()
    for query in ({}, {"year": "abc", "quarter": "9"}, {"year": 1800, "quarter": 1}):
        page = page_of(client.get("/forecast/", query_string=query))
        assert f'data-first="{current.first_day.isoformat()}"' in page
    page = page_of(client.get("/forecast/", query_string={"year": 2027, "quarter": 1}))
    assert 'data-first="2027-01-01" data-last="2027-03-31"' in page


def test_the_page_runs_the_same_number_of_queries_for_3_or_30_people(client, login_as):
    team = team_with_figures()
    login_as(team["director"])

    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def queries():
        client.get("/forecast/", query_string=Q4)  # reloading the signed-in user after a commit: not counted
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            page = page_of(client.get("/forecast/", query_string=Q4))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(user_rows(page)), len(statements)

    people_small, small = queries()
    departments = [factories.make_department(f"新部门{n}", branch=team["guangzhou"]) for n in range(5)]
    for n in range(25):
        department = departments[n % 5]
        user = factories.make_user("sales", department=department)
        set_quota(user, 2026, 11, "1000")
        make_opportunity(user, "500", WON, closed_on=FiscalQuarter(2026, 4, 1).first_day)
        make_opportunity(user, "700", OPEN, expected=FiscalQuarter(2026, 4, 1).last_day, probability=20)
    db.session.commit()
    people_large, large = queries()
    assert (people_small, people_large) == (5, 30)
    assert large == small
    assert small <= 12


def test_links_lead_to_the_opportunity_list(client, login_as):
    team = team_with_figures()
    login_as(team["zhang"])
    page = page_of(client.get("/forecast/", query_string=Q4))
    row = re.search(rf'id="forecast-user-{team["zhang"].id}".*?</tr>', page, re.S).group(0)
    zhang = team["zhang"].id
    assert f'href="/opportunities/?owner={zhang}&amp;status=won"' in row
    assert f'href="/opportunities/?owner={zhang}&amp;status=open"' in row


# --- quotas ---------------------------------------------------------------------------------------

def _grid(user_id, **months):
    return {f"q_{user_id}_{m[1:]}": v for m, v in months.items()}


def test_manager_sets_quotas_for_their_people_in_one_go(client, login_as):
    team = team_with_figures()
    login_as(team["manager"])
    page = page_of(client.get("/forecast/quotas", query_string={"year": 2026}))
    listed = {int(i) for i in re.findall(r'id="quota-user-(\d+)"', page)}
    assert listed == {team["manager"].id, team["zhang"].id, team["li"].id}
    assert f'name="q_{team["zhang"].id}_10" type="text" value="100000.00"' in page
    form = {"year": "2026", **_grid(team["zhang"].id, m10="100000", m11="150,000.50", m12="", m9="50000"),
            **_grid(team["li"].id, m1="60000", m10="80000")}
    response = client.post("/forecast/quotas", data=form)
    assert response.status_code == 302
    quotas = {(q.user_id, q.month): q.amount for q in db.session.scalars(select(Quota))}
    zhang, li = team["zhang"].id, team["li"].id
    assert quotas == {(zhang, 9): Decimal("50000.00"), (zhang, 10): Decimal("100000.00"),
                      (zhang, 11): Decimal("150000.50"), (li, 1): Decimal("60000.00"),
                      (li, 10): Decimal("80000.00")}
    log = {r.entity_id: json.loads(r.changes)
           for r in db.session.scalars(select(AuditLog).where(AuditLog.action == "quota.updated"))}
    assert log == {zhang: {"2026-11": ["100000.00", "150000.50"], "2026-12": ["100000.00", None]},
                   li: {"2026-01": [None, "60000.00"]}}
    page = page_of(client.get("/forecast/quotas", query_string={"year": 2026}))
    # quarter and year roll-ups: 华东一组 Q1 60,000, Q3 50,000, Q4 100,000 + 150,000.50 + 80,000
    east = re.search(rf'id="rollup-department-{team["east"].id}".*?</tr>', page, re.S).group(0)
    assert re.findall(r'data-value="([^"]*)"', east) == ["60000.00", "", "50000.00", "330000.50", "440000.50"]
    assert re.search(r'id="rollup-total".*?</tr>', page, re.S).group(0).count("440,000.50") == 1


def test_invalid_amounts_are_shown_beside_their_cells_and_nothing_is_saved(client, login_as):
    team = team_with_figures()
    login_as(team["manager"])
    zhang = team["zhang"].id
    form = {"year": "2026", **_grid(zhang, m1="abc", m2="-5", m3="1.234", m4="1e20", m5="20000")}
    page = page_of(client.post("/forecast/quotas", data=form))
    assert "Enter an amount in yuan" in page and "cannot be negative" in page
    assert "at most two decimals" in page and "too large" in page
    assert page.count("is-invalid") == 4
    assert f'name="q_{zhang}_1" type="text" value="abc"' in page  # what was typed stays to be corrected
    assert db.session.scalar(select(Quota.id).where(Quota.month == 5)) is None
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "quota.updated")) is None


def test_invalid_amount_in_chinese(client, login_as):
    team = team_with_figures()
    manager = team["manager"]
    manager.language = "zh_CN"
    login_as(manager)
    page = page_of(client.post("/forecast/quotas", data={"year": "2026", f"q_{team['zhang'].id}_1": "-1"}))
    assert "is-invalid" in page


def test_a_salesperson_cannot_set_quotas(client, login_as):
    team = team_with_figures()
    login_as(team["zhang"])
    assert client.get("/forecast/quotas").status_code == 403
    response = client.post("/forecast/quotas", data={"year": "2026", f"q_{team['zhang'].id}_10": "1"})
    assert response.status_code == 403
    assert db.session.scalar(select(Quota.amount).where(Quota.user_id == team["zhang"].id, Quota.month == 10)) \
        == Decimal("100000.00")


def test_a_manager_cannot_set_a_quota_outside_their_scope_by_posting_an_id(client, login_as):
    team = team_with_figures()
    login_as(team["manager"])
    chen, director = team["chen"].id, team["director"].id
    form = {"year": "2026", f"q_{chen}_10": "999", f"q_{director}_1": "999", f"q_{team['zhang'].id}_1": "5"}
    assert client.post("/forecast/quotas", data=form).status_code == 302
    assert db.session.scalar(select(Quota.id).where(Quota.user_id.in_([chen, director]))) is None
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "quota.updated")).all()
    assert [r.entity_id for r in log] == [team["zhang"].id]


def test_quota_grid_follows_a_fiscal_year_starting_in_april(client, login_as):
    team = team_with_figures()
    admin = factories.make_user("admin", language="en")
    login_as(admin)
    assert client.post("/forecast/settings", data={"start_month": "4"}).status_code == 302
    login_as(team["manager"])
    page = page_of(client.get("/forecast/quotas", query_string={"year": 2026}))
    assert "2026-04 – 2027-03" in page
    # fiscal month 12 of FY2026 is March 2027; fiscal month 7 is October 2026 (张伟's 100,000)
    assert f'name="q_{team["zhang"].id}_7" type="text" value="100000.00"' in page
    client.post("/forecast/quotas", data={"year": "2026", f"q_{team['zhang'].id}_12": "70000",
                                          f"q_{team['zhang'].id}_7": "100000"})
    assert db.session.scalar(select(Quota.amount).where(Quota.user_id == team["zhang"].id, Quota.year == 2027,
                                                        Quota.month == 3)) == Decimal("70000.00")
    forecast = page_of(client.get("/forecast/", query_string={"year": 2026, "quarter": 3}))
    assert row_values(forecast, f"forecast-user-{team['zhang'].id}")["quota"] == "300000.00"


def test_fiscal_year_setting_needs_the_settings_permission(client, login_as):
    team = team_with_figures()
    login_as(team["director"])
    assert client.get("/forecast/settings").status_code == 403
    assert client.post("/forecast/settings", data={"start_month": "7"}).status_code == 403
    login_as(factories.make_user("admin", language="en"))
    assert client.post("/forecast/settings", data={"start_month": "0"}).status_code == 200
    from crm_server.forecast.periods import fiscal_start_month
    assert fiscal_start_month() == 1


# --- commits --------------------------------------------------------------------------------------

def test_salesperson_enters_their_commit_and_sees_it(client, login_as):
    team = team_with_figures()
    zhang = team["zhang"]
    login_as(zhang)
    response = client.post("/forecast/commit", data={"year": 2026, "quarter": 4, "amount": "250,000.00"})
    assert response.status_code == 302 and "year=2026" in response.headers["Location"]
    page = page_of(client.get("/forecast/", query_string=Q4))
    assert row_values(page, f"forecast-user-{zhang.id}")["commit"] == "250000.00"
    assert re.search(r'name="amount"[^>]*value="250000.00"', page)
    bad = client.post("/forecast/commit", data={"year": 2026, "quarter": 4, "amount": "很多"}, follow_redirects=True)
    assert "Enter an amount in yuan" in page_of(bad)
    assert db.session.scalar(select(Commit.amount).where(Commit.user_id == zhang.id)) == Decimal("250000.00")
    client.post("/forecast/commit", data={"year": 2026, "quarter": 4, "amount": ""})
    assert db.session.scalar(select(Commit.id).where(Commit.user_id == zhang.id)) is None
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.actor_id == zhang.id)).all()
    assert actions.count("forecast.commit_updated") == 2


def test_service_staff_have_no_forecast(client, login_as):
    login_as("service")
    assert client.get("/forecast/").status_code == 403
    assert client.post("/forecast/commit", data={"year": 2026, "quarter": 4, "amount": "1"}).status_code == 403
    assert db.session.scalar(select(Commit.id)) is None
