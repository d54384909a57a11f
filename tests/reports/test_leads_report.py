"""The leads and campaigns report against hand-computed figures: leads by source created in the period (rows at
the Shanghai month boundary), the conversion rate per source, per month and overall, campaign ROI; as a director,
a manager and a salesperson; a person outside the scope yields nothing; Excel export and chart PNGs."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from flask_babel import gettext
from openpyxl import load_workbook

from crm_server.extensions import db
from tests.campaigns.helpers import campaign_opportunity, make_campaign, make_lead
from tests.factories import dictionary_item, make_customer
from tests.reports.helpers_r1 import RANGE, build, clear_report_cache, kpi, local, make_team, rows


@pytest.fixture(autouse=True)
def fresh_cache(app):
    clear_report_cache(app)


@pytest.fixture
def team(app):
    t = make_team()
    s1, s2, s3, director = t["s1"], t["s2"], t["s3"], t["director"]
    fair = dictionary_item("lead_source", "展会").id
    web = dictionary_item("lead_source", "网络推广").id
    expo = make_campaign(director, name="2026上海工博会", actual_cost="10000.00", start_date=dt.date(2026, 2, 10))
    make_campaign(director, name="2025秋季展", actual_cost="8000.00", start_date=dt.date(2025, 11, 1))  # before
    make_campaign(director, name="线上广告", actual_cost=None, start_date=dt.date(2026, 3, 1))          # no cost
    make_lead(expo, s1, "converted", name="甲一", source_id=fair, created_at=local(2026, 1, 31, 23, 30))  # Jan
    make_lead(None, s1, "new", name="甲二", source_id=fair, created_at=local(2026, 2, 1, 0, 30))         # Feb
    make_lead(None, s2, "converted", name="乙一", source_id=web, created_at=local(2026, 2, 10))
    make_lead(None, s3, "invalid", name="丙一", source_id=fair, created_at=local(2026, 3, 3))
    make_lead(None, None, "new", name="池一", created_at=local(2026, 3, 31, 23, 59))                     # pool, Mar
    make_lead(None, s1, "converted", name="删除", deleted=True, created_at=local(2026, 1, 10))          # deleted
    make_lead(None, s1, "converted", name="去年", created_at=local(2025, 12, 31, 23, 59))              # December
    customer = make_customer(s1)
    campaign_opportunity(s1, customer, expo, "30000.00", stage="赢单")
    campaign_opportunity(s1, customer, expo, "5000.00")                                                  # open
    db.session.commit()
    return t


def test_director_sees_every_lead_and_the_campaigns(team):
    result = build("leads", team["director"])
    none = gettext("(none)")
    assert rows(result, "by_source") == [["展会", 3, 1, Decimal("33.3"), 1], ["网络推广", 1, 1, Decimal("100.0"), 0],
                                         [none, 1, 0, Decimal("0.0"), 0]]
    assert result.table("by_source").total[1:] == [5, 2, Decimal("40.0"), 1]
    assert rows(result, "by_month") == [["2026-01", 1, 1, Decimal("100.0")], ["2026-02", 2, 1, Decimal("50.0")],
                                        ["2026-03", 2, 0, Decimal("0.0")]]
    assert (kpi(result, "leads"), kpi(result, "converted"), kpi(result, "conversion")) == (5, 2, Decimal("40.0"))
    assert rows(result, "conversion") == [["网络推广", Decimal("100.0")], ["展会", Decimal("33.3")],
                                          [none, Decimal("0.0")]]
    campaigns = rows(result, "campaigns")
    assert [r[0] for r in campaigns] == ["2026上海工博会", "线上广告"]
    assert campaigns[0][1:] == ["2026-02-10", Decimal("10000.00"), 1, 1, 1, Decimal("30000.00"), Decimal("200.0")]
    assert campaigns[1][2] is None and campaigns[1][7] is None
    assert kpi(result, "roi") == Decimal("200.0")


def test_manager_and_salesperson_see_their_leads(team):
    manager = build("leads", team["manager"])
    assert manager.table("by_source").total[1:] == [3, 2, Decimal("66.7"), 0]   # s1's two and s2's one
    assert rows(manager, "by_month") == [["2026-01", 1, 1, Decimal("100.0")], ["2026-02", 2, 1, Decimal("50.0")],
                                         ["2026-03", 0, 0, None]]
    seller = build("leads", team["s1"])
    assert rows(seller, "by_source") == [["展会", 2, 1, Decimal("50.0"), 0]]
    assert kpi(seller, "conversion") == Decimal("50.0")
    # the campaigns are the company's: the same figures for everyone who may see campaigns
    assert rows(seller, "campaigns") == rows(build("leads", team["director"]), "campaigns")


def test_a_person_outside_the_scope_yields_nothing(team):
    outside = build("leads", team["manager"], user_id=team["s3"].id)
    assert rows(outside, "by_source") == [] and outside.table("by_month").total[1:] == [0, 0, None]
    assert kpi(outside, "conversion") is None
    assert build("leads", team["s1"], user_id=team["s2"].id).table("by_source").total[1] == 0
    north = build("leads", team["director"], department_id=team["north"].id)
    assert rows(north, "by_source") == [["展会", 1, 0, Decimal("0.0"), 1]]


def test_page_export_and_charts(client, login_as, team):
    login_as(team["director"])
    assert client.get(f"/reports/leads?{RANGE}").status_code == 200
    shown = build("leads", team["director"])
    book = load_workbook(io.BytesIO(client.get(f"/reports/leads/export.xlsx?{RANGE}").data))
    assert len(book.worksheets) == len(shown.tables)
    for table, sheet in zip(shown.tables, book.worksheets):
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        expected = [list(r) for r in table.rows] + ([list(table.total)] if table.total else [])
        assert values[0] == [c.label for c in table.columns]
        assert [[float(v) if isinstance(v, Decimal) else v for v in r] for r in expected] == values[1:]
    for chart in shown.charts:
        response = client.get(f"/reports/leads/charts/{chart.key}.png?{RANGE}")
        assert response.status_code == 200 and response.mimetype == "image/png", chart.key
        assert response.data[:8] == b"\x89PNG\r\n\x1a\n"
