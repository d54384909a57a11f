"""The public web form in Chromium: an administrator sets one up, an anonymous visitor sends an enquiry from it
(and is first told to leave a phone or an email), the sales manager finds the lead scored and graded and assigns it,
and the salesperson follows it up and converts it into a customer, a contact and an opportunity."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select

from crm_server.contacts.models import Contact
from crm_server.core.dictionaries import DictionaryItem
from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.followups.models import FollowUp
from crm_server.leads.models import Lead
from crm_server.opportunities.models import Opportunity
from crm_server.leads.scoring import LeadScoringRule
from tests.factories import make_branch, make_department, make_user

from .test_flows import _in_db, sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def marketing(live_app):
    """The administrator, the sales manager 王强, and scoring rules whose sum is easy to check by hand."""
    def work():
        department = make_department("华东销售部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        make_user("sales_manager", username="wangqiang", display_name="王强", department=department)
        make_user("sales", username="zhangwei", display_name="张伟", department=department)
        db.session.execute(delete(LeadScoringRule))
        website = db.session.scalar(select(DictionaryItem.id).where(DictionaryItem.kind == "lead_source",
                                                                    DictionaryItem.flag == "website"))
        db.session.add_all([LeadScoringRule(criterion="source", item_id=website, points=20),
                            LeadScoringRule(criterion="company_size", value="500+", points=30),
                            LeadScoringRule(criterion="filled", value="mobile", points=15),
                            LeadScoringRule(criterion="filled", value="requirement", points=20)])
    _in_db(live_app, work)


def _lead(app, name):
    def work():
        lead = db.session.scalar(select(Lead).where(Lead.name == name))
        return lead and {"id": lead.id, "score": lead.score, "grade": lead.grade, "source": lead.source.label,
                         "web_form_id": lead.web_form_id}
    return _in_db(app, work)


def test_an_enquiry_from_the_website_arrives_scored_and_graded(page, live_app, marketing):
    sign_in(page, "admin")
    page.goto("/leads/web-forms")
    page.click("#new-web-form")
    page.fill("#web-form-form input[name=name]", "官网-免费试用申请")
    page.check("#web-form-form input[name=fields][value=company_size]")
    page.fill("#web-form-form textarea[name=thank_you_text]", "感谢您的申请，我们的顾问会在一个工作日内联系您。")
    page.click("#web-form-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/leads/web-forms$"))
    url = page.locator(".web-form-url").first.input_value()
    assert re.search(r"/leads/form/[0-9a-f]{32}$", url)
    sign_out(page)

    # an anonymous visitor, coming from the company's website
    page.goto(url)
    expect(page.locator("h1")).to_have_text("官网-免费试用申请")
    expect(page.locator("#public-form input[name=website]")).to_be_hidden()  # the honeypot
    page.fill("#public-form input[name=name]", "周女士")
    page.fill("#public-form input[name=company]", "无锡华光精密制造有限公司")
    page.click("#public-form-submit")  # neither a mobile nor an email: told so beside the mobile
    expect(page.locator("#public-form input[name=mobile]")).to_have_class(re.compile("is-invalid"))
    assert _lead(live_app, "周女士") is None
    page.fill("#public-form input[name=mobile]", "13861234567")
    page.select_option("#public-form select[name=company_size]", "500+")
    page.fill("#public-form textarea[name=requirement]", "三个工厂的设备巡检与售后工单，约 200 个账号")
    page.click("#public-form-submit")
    expect(page.locator("#public-form-thanks")).to_have_text("感谢您的申请，我们的顾问会在一个工作日内联系您。")
    lead = _lead(live_app, "周女士")
    assert lead is not None and lead["source"] == "官网表单" and lead["web_form_id"] is not None
    assert (lead["score"], lead["grade"]) == (85, "A")  # 20 + 30 + 15 + 20

    sign_in(page, "wangqiang")
    page.goto("/leads/")
    row = page.locator(f"tr.lead-row[data-lead-id='{lead['id']}']")
    expect(row).to_contain_text("周女士")
    expect(row).to_contain_text("官网表单")
    expect(row.locator(".lead-grade")).to_have_text("A")
    expect(row).to_contain_text("85")
    page.select_option("#grade", "A")  # the list filters by grade
    page.locator("#grade").evaluate("el => el.form.requestSubmit()")
    expect(page).to_have_url(re.compile(r"grade=A"))
    expect(page.locator(f"tr.lead-row[data-lead-id='{lead['id']}']")).to_be_visible()

    # the manager assigns it from the pool; the salesperson follows it up and converts it
    row.locator("a").first.click()
    page.select_option("#assign-form select", label="张伟")
    page.click("#assign-lead")
    expect(page.locator("#owner-name")).to_have_text("张伟")
    sign_out(page)
    sign_in(page, "zhangwei")
    page.goto(f"/leads/{lead['id']}")
    page.select_option("#lead-followup-form #kind", value="call")
    page.fill("#lead-followup-form #content", "回电确认试用需求，约下周演示")
    page.click("#save-lead-followup")
    expect(page.locator(".lead-followup-content")).to_have_text("回电确认试用需求，约下周演示")
    page.click("#convert-lead")
    page.check("#create_deal")
    page.fill("#opportunity_name", "华光设备巡检与售后系统")
    page.fill("#amount", "260000")  # the enquiry named no budget
    page.click("#do-convert")
    expect(page.locator("#lead-status")).to_have_attribute("data-status", "converted")
    expect(page.locator("#converted-opportunity")).to_have_text("华光设备巡检与售后系统")

    def converted():
        found = db.session.get(Lead, lead["id"])
        customer = db.session.get(Customer, found.converted_customer_id)
        contact = db.session.get(Contact, found.converted_contact_id)
        opportunity = db.session.get(Opportunity, found.converted_opportunity_id)
        followups = db.session.scalars(select(FollowUp.content).where(FollowUp.customer_id == customer.id)).all()
        return (found.status, customer.name, customer.owner_id == found.owner_id, contact.name, contact.mobile,
                opportunity.name, str(opportunity.amount), followups)
    assert _in_db(live_app, converted) == ("converted", "无锡华光精密制造有限公司", True, "周女士", "13861234567",
                                           "华光设备巡检与售后系统", "260000.00", ["回电确认试用需求，约下周演示"])
