"""In Chromium: a salesperson opens a customer, adds a contact, logs follow-ups with next dates (one with a file)
and finds them in the customer's timeline and under their overdue and today's plans."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.extensions import db
from crm_server.followups import services
from crm_server.followups.models import FollowUp
from tests.factories import PASSWORD, make_customer, make_department, make_user

pytestmark = pytest.mark.browser

LOCAL = "%Y-%m-%dT%H:%M"


def _in_db(app, work):
    with app.app_context():
        result = work()
        db.session.commit()
        db.session.remove()
    return result


@pytest.fixture
def salesperson_with_customer(live_app):
    """The administrator (closing the setup page), and salesperson 李明 owning 上海华东贸易有限公司."""
    def work():
        department = make_department("销售一部")
        make_user("admin", username="admin", display_name="管理员", department=department)
        seller = make_user("sales", username="liming", display_name="李明", department=department)
        return make_customer(seller, "上海华东贸易有限公司", phone="021-62345678").id
    return _in_db(live_app, work)


def sign_in(page, username):
    page.goto("/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def local_times(app) -> dict[str, str]:
    """Form values in the site's time zone: three days ago, yesterday, and today's first minutes."""
    with app.app_context():
        today = services.local_today()
    midnight = dt.datetime.combine(today, dt.time())
    return {"three_days_ago": (midnight - dt.timedelta(days=3, hours=-10)).strftime(LOCAL),
            "yesterday": (midnight - dt.timedelta(days=1, hours=-9)).strftime(LOCAL),
            "today_start": midnight.strftime(LOCAL),
            "today_plan": (midnight + dt.timedelta(minutes=1)).strftime(LOCAL)}


def log_followup(page, *, happened_at, content, next_step, next_followup_at, contact=None, file=None):
    page.click("#log-followup")
    form = page.locator("#followup-quick-form form")
    expect(form).to_be_visible()
    form.locator("select[name=kind]").select_option("visit")
    form.locator("input[name=happened_at]").fill(happened_at)
    if contact:
        form.locator("select[name=contact_id]").select_option(label=contact)
    form.locator("textarea[name=content]").fill(content)
    form.locator("input[name=next_step]").fill(next_step)
    form.locator("input[name=next_followup_at]").fill(next_followup_at)
    if file:
        form.locator("input[name=files]").set_input_files(file)
    form.locator("button[type=submit]").click()


def test_salesperson_adds_a_contact_and_logs_follow_ups_with_plans(page, live_app, salesperson_with_customer,
                                                                   tmp_path, artifacts_dir):
    customer_id = salesperson_with_customer
    times = local_times(live_app)
    sign_in(page, "liming")

    page.goto(f"/customers/{customer_id}")
    expect(page.locator("#contacts .empty-state")).to_be_visible()
    page.click("#add-contact")
    expect(page).to_have_url(re.compile(rf"/contacts/new\?customer_id={customer_id}$"))
    contact_form = page.locator("#contact-form")
    contact_form.locator("input[name=name]").fill("张伟")
    contact_form.locator("input[name=title]").fill("采购经理")
    contact_form.locator("input[name=mobile]").fill("1380013800")  # one digit short
    contact_form.locator("#save-contact").click()
    expect(contact_form.locator("input[name=mobile] ~ .invalid-feedback")).to_be_visible()
    contact_form.locator("input[name=mobile]").fill("138 0013 8000")
    contact_form.locator("select[name=decision_role]").select_option("decision_maker")
    contact_form.locator("#save-contact").click()

    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}#contacts$"))
    contacts = page.locator("#customer-contacts")
    expect(contacts).to_contain_text("张伟")
    expect(contacts).to_contain_text("138 0013 8000")
    expect(contacts.locator(".badge")).to_have_count(1)  # the first contact is the primary one

    # a visit three days ago, planning the next contact for yesterday: logged late, so the plan is overdue
    quote = tmp_path / "报价单.pdf"
    quote.write_bytes(b"%PDF-1.4\n%%EOF\n")
    log_followup(page, happened_at=times["three_days_ago"], content="上门拜访，介绍新产品", next_step="寄样品",
                 next_followup_at=times["yesterday"], contact="张伟 · 采购经理", file=str(quote))
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}#followups$"))
    first = page.locator("#followup-timeline .timeline-item").first
    expect(first).to_contain_text("上门拜访，介绍新产品")
    expect(first).to_contain_text("寄样品")
    expect(first).to_contain_text("张伟")
    expect(first).to_contain_text("李明")
    expect(first.locator(".followup-attachments")).to_contain_text("报价单.pdf")
    expect(first.locator(".badge")).to_have_class(re.compile("text-bg-danger"))  # overdue

    page.goto("/followups/overdue")
    expect(page.locator("#plans-table")).to_contain_text("寄样品")
    expect(page.locator("#plans-table")).to_contain_text("上海华东贸易有限公司")
    page.goto("/followups/today")
    expect(page.locator("#plans-table")).to_have_count(0)

    # back on the customer's page: today's call completes that plan and sets one for today
    page.goto(f"/customers/{customer_id}")
    log_followup(page, happened_at=times["today_start"], content="电话确认样品已收到", next_step="发正式报价",
                 next_followup_at=times["today_plan"])
    items = page.locator("#followup-timeline .timeline-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("电话确认样品已收到")  # newest first
    expect(items.first.locator(".badge")).to_have_class(re.compile("text-bg-warning"))  # due today
    expect(items.nth(1).locator(".badge")).to_have_class(re.compile("text-bg-success"))  # done

    page.goto("/followups/today")
    expect(page.locator("#plans-table")).to_contain_text("发正式报价")
    expect(page.locator("#tab-today .badge")).to_have_text("1")
    page.goto("/followups/overdue")
    expect(page.locator("#plans-table")).to_have_count(0)

    # in the database: the first plan is done, the second open
    def plans_done():
        rows = db.session.execute(select(FollowUp.next_done_at).order_by(FollowUp.happened_at)).all()
        return [row.next_done_at is not None for row in rows]
    assert _in_db(live_app, plans_done) == [True, False]

    # the attachment downloads with its own name
    page.goto(f"/customers/{customer_id}")
    with page.expect_download() as download_info:
        page.locator(".followup-attachments a").first.click()
    assert download_info.value.suggested_filename == "报价单.pdf"

    # at phone width the timeline still reads
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/customers/{customer_id}#followups")
    expect(page.locator("#followup-timeline")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "phone-customer-followups.png"), full_page=True)
