"""The public web form: enquiries become scored leads with the website source; the honeypot, the rate limit, CSRF,
unknown and inactive addresses; and the administration pages (only for those allowed)."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from crm_server.core.audit import AuditLog
from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.leads import scoring, web_forms
from crm_server.leads.models import Lead
from crm_server.leads.web_forms import LeadWebForm, LeadWebFormSubmission

from .. import factories
from .test_scoring import only_rules

VISITOR = {"name": "陈先生", "company": "南京云帆信息技术有限公司", "mobile": "13912345678",
           "email": "chen@yunfan.example.com", "requirement": "想了解贵司的 CRM 私有化部署报价"}


def text(response) -> str:
    return response.get_data(as_text=True)


def lead_count() -> int:
    return db.session.scalar(select(func.count(Lead.id)))


def make_form(name: str = "官网咨询", **kw) -> LeadWebForm:
    kw.setdefault("fields", list(web_forms.DEFAULT_FIELDS))
    form = web_forms.create_form(None, name=name, **kw)
    db.session.commit()
    return form


def post(client, form: LeadWebForm, data: dict | None = None, ip: str = "203.0.113.7", **extra):
    return client.post(f"/leads/form/{form.token}", data={**VISITOR, **(data or {}), **extra},
                       environ_base={"REMOTE_ADDR": ip})


def test_an_enquiry_becomes_a_scored_lead_with_the_website_source(app, admin, client):
    only_rules((scoring.SOURCE, "官网表单", 10), (scoring.FILLED, "mobile", 10), (scoring.FILLED, "email", 5),
               (scoring.FILLED, "requirement", 10), (scoring.COMPANY_SIZE, "500+", 30))
    form = make_form(fields=["company", "mobile", "email", "company_size", "requirement"],
                     thank_you_text="谢谢，我们会在一个工作日内联系您。")
    page = text(client.get(f"/leads/form/{form.token}"))
    assert "官网咨询" in page and 'id="public-form"' in page
    assert 'name="company_size"' in page and 'name="budget"' not in page and 'name="website"' in page
    response = post(client, form, {"company_size": "500+"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/leads/form/{form.token}/thanks")
    assert "谢谢，我们会在一个工作日内联系您。" in text(client.get(response.headers["Location"]))
    lead = db.session.scalar(select(Lead))
    assert (lead.name, lead.company, lead.mobile, lead.email) == (
        "陈先生", "南京云帆信息技术有限公司", "13912345678", "chen@yunfan.example.com")
    assert lead.source.label == "官网表单" and lead.source.flag == "website"
    assert lead.web_form_id == form.id and lead.created_by_id is None
    assert (lead.score, lead.grade) == (65, "B")  # 10 + 10 + 5 + 10 + 30
    assert lead.owner_id is None  # no assignment team: the lead waits in the pool
    submission = db.session.scalar(select(LeadWebFormSubmission))
    assert (submission.lead_id, submission.ip, submission.outcome) == (lead.id, "203.0.113.7", "lead")


def test_fields_the_form_does_not_ask_for_are_ignored(app, admin, client):
    form = make_form(fields=["mobile"])
    assert post(client, form, {"budget": "999999"}).status_code == 302
    lead = db.session.scalar(select(Lead))
    assert lead.company is None and lead.email is None and lead.budget is None and lead.mobile == "13912345678"


def test_a_campaign_form_files_leads_under_the_campaign(app, admin, client):
    from tests.campaigns.helpers import make_campaign
    marketer = factories.make_user("admin")
    campaign = make_campaign(marketer, name="2026 秋季线上研讨会")
    form = make_form(campaign_id=campaign.id)
    assert post(client, form).status_code == 302
    assert db.session.scalar(select(Lead.campaign_id)) == campaign.id


def test_the_honeypot_thanks_a_bot_and_creates_nothing(app, admin, client):
    form = make_form()
    response = post(client, form, website="http://spam.example.com")
    assert response.status_code == 302 and response.headers["Location"].endswith("/thanks")
    assert lead_count() == 0
    assert db.session.scalar(select(LeadWebFormSubmission.outcome)) == "honeypot"


def test_one_address_may_send_five_enquiries_in_ten_minutes(app, admin, client):
    form = make_form()
    for n in range(web_forms.RATE_LIMIT):
        assert post(client, form, {"name": f"访客{n}", "mobile": f"1391234560{n}",
                                   "email": f"v{n}@example.com"}).status_code == 302
    refused = post(client, form, {"name": "访客9", "mobile": "13912345609", "email": "v9@example.com"})
    assert refused.status_code == 429
    assert 'id="public-form"' in text(refused) and "alert-danger" in text(refused)
    assert lead_count() == web_forms.RATE_LIMIT
    # another visitor is not held up, and the window passes
    assert post(client, form, {"name": "访客10", "mobile": "13912345610"}, ip="198.51.100.20").status_code == 302
    db.session.execute(LeadWebFormSubmission.__table__.update().values(
        created_at=utcnow() - web_forms.RATE_WINDOW - dt.timedelta(seconds=1)))
    db.session.commit()
    assert post(client, form, {"name": "访客11", "mobile": "13912345611"}).status_code == 302
    assert lead_count() == web_forms.RATE_LIMIT + 2


def test_the_limit_message_is_in_chinese_for_visitors(app, admin, client):
    form = make_form()
    for n in range(web_forms.RATE_LIMIT):
        post(client, form, {"name": f"访客{n}", "mobile": f"1391234560{n}", "email": f"v{n}@example.com"})
    refused = text(post(client, form, {"name": "访客9", "mobile": "13912345609"}))
    message = re.search(r'class="alert alert-danger[^"]*"[^>]*>(.*?)<', refused, re.S)
    assert message is not None and "5" in message.group(1) and "10" in message.group(1)


def test_a_visitor_must_leave_a_mobile_or_an_email(app, admin, client):
    form = make_form()
    response = post(client, form, {"mobile": "", "email": ""})
    assert response.status_code == 200 and lead_count() == 0
    page = text(response)
    assert re.search(r'id="mobile"[^>]*class="[^"]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*id="mobile"', page)
    assert post(client, form, {"mobile": "", "email": "only@example.com"}).status_code == 302
    response = post(client, form, {"name": "李四", "mobile": "123", "email": ""})
    assert response.status_code == 200 and lead_count() == 1  # the leads service refused the number, beside it
    assert "invalid-feedback" in text(response)


def test_unknown_inactive_and_replaced_addresses_answer_404(app, admin, client):
    form = make_form()
    old_token = form.token
    assert client.get("/leads/form/0123456789abcdef0123456789abcdef").status_code == 404
    web_forms.update_form(None, form, name=form.name, fields=form.field_list, is_active=False)
    db.session.commit()
    assert client.get(f"/leads/form/{form.token}").status_code == 404
    assert post(client, form).status_code == 404 and lead_count() == 0
    web_forms.update_form(None, form, name=form.name, fields=form.field_list, is_active=True)
    web_forms.regenerate_token(None, form)
    db.session.commit()
    assert form.token != old_token
    assert client.get(f"/leads/form/{old_token}").status_code == 404
    assert client.get(f"/leads/form/{form.token}").status_code == 200


def test_the_public_form_refuses_a_post_without_its_csrf_token(app, admin, client):
    form = make_form()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert post(client, form).status_code == 400
        assert lead_count() == 0
        # a visitor who opened the page (no sign-in) has the token and its cookie
        page = text(client.get(f"/leads/form/{form.token}"))
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert post(client, form, csrf_token=token).status_code == 302
        assert lead_count() == 1
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def test_the_public_form_is_not_framed_by_other_sites(app, admin, client):
    form = make_form()
    response = client.get(f"/leads/form/{form.token}")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


# --- administration -----------------------------------------------------------------------------

def test_the_administrator_creates_a_form_and_gets_its_link(client, login_as):
    admin = login_as("admin")
    page = text(client.get("/leads/web-forms/new"))
    assert 'id="web-form-form"' in page
    response = client.post("/leads/web-forms/new", data={
        "name": "官网-产品咨询", "fields": ["company", "mobile", "requirement"], "auto_assign": "y",
        "thank_you_text": "感谢咨询", "is_active": "y", "campaign_id": ""})
    assert response.status_code == 302
    form = db.session.scalar(select(LeadWebForm))
    assert (form.name, form.field_list, form.auto_assign, form.campaign_id) == (
        "官网-产品咨询", ["company", "mobile", "requirement"], True, None)
    assert re.fullmatch(r"[0-9a-f]{32}", form.token)
    page = text(client.get("/leads/web-forms"))
    assert f'http://localhost/leads/form/{form.token}' in page
    assert f'&lt;a href="http://localhost/leads/form/{form.token}"' in page  # the snippet for the website
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.actor_id == admin.id)) == "lead_web_form.created"


def test_a_form_must_ask_for_a_mobile_or_an_email(client, login_as):
    login_as("admin")
    response = client.post("/leads/web-forms/new", data={"name": "只要公司", "fields": ["company"], "is_active": "y"})
    assert response.status_code == 200 and "invalid-feedback" in text(response)
    assert db.session.scalar(select(func.count(LeadWebForm.id))) == 0


def test_editing_replacing_the_address_and_deleting(client, login_as):
    login_as("admin")
    form = make_form()
    token = form.token
    edit_page = text(client.get(f"/leads/web-forms/{form.id}/edit"))
    assert 'value="官网咨询"' in edit_page
    assert re.search(r'checked[^>]*value="mobile"|value="mobile"[^>]*checked', edit_page)
    assert client.post(f"/leads/web-forms/{form.id}/edit", data={
        "name": "官网咨询（新版）", "fields": ["email"], "campaign_id": ""}).status_code == 302
    db.session.refresh(form)
    assert (form.name, form.field_list, form.is_active, form.auto_assign) == ("官网咨询（新版）", ["email"], False, False)
    assert client.post(f"/leads/web-forms/{form.id}/token").status_code == 302
    db.session.refresh(form)
    assert form.token != token
    form.is_active = True
    db.session.commit()
    assert post(client, form).status_code == 302
    assert client.post(f"/leads/web-forms/{form.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count(LeadWebForm.id))) == 0
    assert db.session.scalar(select(Lead.web_form_id)) == form.id  # the lead stays, still naming its form


def test_a_salesperson_cannot_see_or_change_web_forms(client, login_as):
    form = make_form()
    login_as("sales")
    assert 'href="/leads/web-forms"' not in text(client.get("/"))
    assert client.get("/leads/web-forms").status_code == 403
    assert client.get("/leads/web-forms/new").status_code == 403
    assert client.post("/leads/web-forms/new", data={"name": "x", "fields": ["mobile"]}).status_code == 403
    assert client.post(f"/leads/web-forms/{form.id}/edit", data={"name": "x", "fields": ["mobile"]}).status_code == 403
    assert client.post(f"/leads/web-forms/{form.id}/token").status_code == 403
    assert client.post(f"/leads/web-forms/{form.id}/delete").status_code == 403
    token = form.token
    db.session.expire_all()
    form = db.session.get(LeadWebForm, form.id)
    assert (form.name, form.token) == ("官网咨询", token)
