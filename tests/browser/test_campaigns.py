"""Campaigns in Chromium: a sales director creates a trade-show campaign with its cost, leads and a won deal
come from it, and its page shows the leads, cost per lead and ROI (and the list the same figures)."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.campaigns.models import Campaign
from crm_server.core.models import User
from crm_server.extensions import db
from tests.campaigns.helpers import campaign_opportunity, make_lead
from tests.factories import make_customer, make_user

from .test_flows import _in_db, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def team(live_app):
    def work():
        make_user("admin", username="admin", display_name="管理员")
        make_user("sales_director", username="lizong", display_name="李总监")
        make_user("sales", username="zhangwei", display_name="张伟")
    _in_db(live_app, work)


def _results_arrive(app, name):
    """Three leads (one converted, one in the pool) and a won 24,000 元 deal attributed to the campaign."""
    def work():
        campaign = db.session.scalar(select(Campaign).where(Campaign.name == name))
        zhang = db.session.scalar(select(User).where(User.username == "zhangwei"))
        make_lead(campaign, zhang, name="王经理", status="converted")
        make_lead(campaign, zhang, name="刘工")
        make_lead(campaign, None, name="陈总")
        customer = make_customer(zhang, name="昆山精密模具有限公司")
        campaign_opportunity(zhang, customer, campaign, "24000.00", stage="赢单")
        return campaign.id
    return _in_db(app, work)


def test_a_campaign_shows_its_leads_cost_per_lead_and_roi(page, live_app, team):
    sign_in(page, "lizong")
    page.click("#app-nav a[href$='/campaigns/']")
    page.click("#new-campaign")
    page.fill("#name", "2026苏州智能制造展")
    page.select_option("#kind_id", label="展会")
    start = dt.date.today() - dt.timedelta(days=30)
    page.fill("#start_date", start.isoformat())
    page.fill("#end_date", (start - dt.timedelta(days=1)).isoformat())
    page.fill("#budget", "10000")
    page.fill("#actual_cost", "9000")
    page.select_option("#status", "completed")
    page.click("#save-campaign")
    expect(page.locator("#end_date")).to_have_class("form-control is-invalid")   # end before start: refused
    page.fill("#end_date", (start + dt.timedelta(days=2)).isoformat())
    page.click("#save-campaign")
    expect(page.locator("#result-leads")).to_have_attribute("data-value", "0")
    expect(page.locator("#result-cost-per-lead")).to_have_text("—")
    expect(page.locator("#result-roi")).to_have_text("-100.0%")

    campaign_id = _results_arrive(live_app, "2026苏州智能制造展")
    page.reload()
    expect(page.locator("#result-leads")).to_have_text("3")
    expect(page.locator("#result-converted")).to_have_text("1")
    expect(page.locator("#result-conversion")).to_have_text("33.3%")
    expect(page.locator("#result-won-amount")).to_have_text("24,000.00")
    expect(page.locator("#result-cost-per-lead")).to_have_text("3,000.00")
    expect(page.locator("#result-roi")).to_have_text("166.7%")                  # (24000 - 9000) / 9000
    expect(page.locator("#campaign-leads tbody tr")).to_have_count(3)

    page.click("#campaign-actions a[href$='/campaigns/']")
    row = page.locator(f"#campaign-{campaign_id}")
    expect(row).to_have_attribute("data-leads", "3")
    expect(row).to_have_attribute("data-roi", "166.7")
