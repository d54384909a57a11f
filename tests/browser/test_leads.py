"""Leads in Chromium: a sales director enters a lead into the pool and assigns it; the salesperson logs a follow-up
and converts it into a customer, a contact and an opportunity."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.contacts.models import Contact
from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.followups.models import FollowUp
from crm_server.leads.models import Lead
from crm_server.opportunities.models import Opportunity
from tests.factories import make_user

from .test_flows import _in_db, sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def team(live_app):
    def work():
        make_user("admin", username="admin", display_name="管理员")
        make_user("sales_director", username="lizong", display_name="李总监")
        make_user("sales", username="zhangwei", display_name="张伟")
    _in_db(live_app, work)


def test_create_assign_follow_up_and_convert_a_lead(page, live_app, team):
    sign_in(page, "lizong")
    page.goto("/leads/")
    page.click("#new-lead")
    page.fill("#name", "刘经理")
    page.fill("#company", "苏州恒达机械有限公司")
    page.fill("#mobile", "13912345678")
    page.fill("#email", "liu@hengda.cn")
    page.fill("#budget", "120000")
    page.select_option("#assign", value="pool")
    page.fill("#requirement", "两条产线的设备管理系统")
    page.click("#save-lead")
    expect(page.locator("#owner-name")).to_be_visible()
    expect(page.locator("#lead-name")).to_contain_text("刘经理")
    page.select_option("#assign-form select", label="张伟")
    page.click("#assign-lead")
    expect(page.locator("#owner-name")).to_have_text("张伟")
    lead_id = int(page.url.rstrip("/").split("/")[-1])
    sign_out(page)

    sign_in(page, "zhangwei")
    page.goto("/leads/?mine=1")
    page.click(f"tr[data-lead-id='{lead_id}'] a")
    page.select_option("#lead-followup-form #kind", value="call")
    page.fill("#lead-followup-form #content", "电话沟通，客户下月考察")
    page.click("#save-lead-followup")
    expect(page.locator(".lead-followup-content")).to_have_text("电话沟通，客户下月考察")
    expect(page.locator("#lead-status")).to_have_attribute("data-status", "contacting")
    page.click("#convert-lead")
    page.check("#create_deal")
    page.fill("#opportunity_name", "恒达设备管理系统")
    page.click("#do-convert")
    expect(page.locator("#lead-status")).to_have_attribute("data-status", "converted")
    expect(page.locator("#converted-opportunity")).to_have_text("恒达设备管理系统")
    page.click("#converted-customer")
    expect(page.locator(f"#customer-source-leads [data-lead-id='{lead_id}']")).to_be_visible()

    def check():
        lead = db.session.get(Lead, lead_id)
        customer = db.session.get(Customer, lead.converted_customer_id)
        contact = db.session.get(Contact, lead.converted_contact_id)
        opportunity = db.session.get(Opportunity, lead.converted_opportunity_id)
        followups = db.session.scalars(select(FollowUp.content).where(FollowUp.customer_id == customer.id)).all()
        return (lead.status, customer.name, contact.name, contact.mobile, opportunity.name, str(opportunity.amount),
                followups)
    assert _in_db(live_app, check) == ("converted", "苏州恒达机械有限公司", "刘经理", "13912345678", "恒达设备管理系统",
                                       "120000.00", ["电话沟通，客户下月考察"])
