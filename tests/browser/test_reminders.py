"""The reminder centre in Chromium: the bell's count, opening the centre, done and snooze, phone width."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.reminders.models import Reminder
from crm_server.reminders.services import remind
from tests.factories import PASSWORD, make_branch, make_customer, make_department, make_user

pytestmark = pytest.mark.browser


def _in_db(app, work):
    with app.app_context():
        result = work()
        db.session.commit()
        db.session.remove()
    return result


@pytest.fixture
def salesperson(live_app):
    """王芳 (sales) with two due reminders and one for next week; a colleague with one of their own."""
    def work():
        department = make_department("华东销售部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        user = make_user("sales", username="wangfang", display_name="王芳", department=department)
        other = make_user("sales", username="lilei", display_name="李雷", department=department)
        customer = make_customer(user, "上海甲科技有限公司")
        now = utcnow()
        ids = {
            "overdue": remind(user.id, "followup_due", "跟进 上海甲科技有限公司: 送报价单", now - dt.timedelta(days=2),
                              "followup:1", "customers", customer.id).id,
            "due": remind(user.id, "birthday", "张三 (上海甲科技有限公司) 生日", now - dt.timedelta(minutes=1),
                          "birthday:1:2026").id,
            "later": remind(user.id, "followup_due", "跟进 下周", now + dt.timedelta(days=5), "followup:2").id,
        }
        remind(other.id, "followup_due", "跟进 李雷的客户", now - dt.timedelta(days=1), "followup:3")
        return ids
    return _in_db(live_app, work)


def sign_in(page, username):
    page.goto("/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def _done_at(app, reminder_id):
    return _in_db(app, lambda: db.session.scalar(select(Reminder.done_at).where(Reminder.id == reminder_id)))


def test_the_bell_leads_to_the_centre_and_done_lowers_the_count(page, live_app, salesperson, artifacts_dir):
    sign_in(page, "wangfang")
    expect(page.locator("#reminder-count")).to_have_text("2")

    page.click("#reminder-bell")
    expect(page).to_have_url(re.compile(r"/reminders/$"))
    expect(page.locator("#tab-overdue")).to_have_class(re.compile(r"\bactive\b"))
    row = page.locator(f"#reminder-{salesperson['overdue']}")
    expect(row).to_contain_text("跟进 上海甲科技有限公司: 送报价单")
    expect(page.locator("#reminders-table")).not_to_contain_text("李雷的客户")
    page.screenshot(path=str(artifacts_dir / "reminders-overdue.png"), full_page=True)

    row.locator("button.reminder-done").click()
    expect(page.locator(".alert-success")).to_contain_text("送报价单")
    expect(page.locator("#reminder-count")).to_have_text("1")
    expect(page.locator(f"#reminder-{salesperson['overdue']}")).to_have_count(0)
    assert _done_at(live_app, salesperson["overdue"]) is not None

    # the one due today: snoozed until tomorrow through the dropdown, and the badge goes
    page.click("#tab-today")
    row = page.locator(f"#reminder-{salesperson['due']}")
    expect(row).to_contain_text("生日")
    page.wait_for_load_state()  # Bootstrap's dropdown works once its script has run
    row.locator("button.reminder-snooze").click()
    row.locator("button[name=until][value=tomorrow]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#reminder-count")).to_have_count(0)
    assert _done_at(live_app, salesperson["due"]) is None

    page.click("#tab-upcoming")
    expect(page.locator(f"#reminder-{salesperson['due']} .reminder-snoozed")).to_be_visible()
    expect(page.locator(f"#reminder-{salesperson['later']}")).to_contain_text("跟进 下周")


def test_mark_all_overdue_done_asks_first(page, live_app, salesperson):
    sign_in(page, "wangfang")
    page.goto("/reminders/?tab=overdue")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#overdue-done-form button[type=submit]")
    expect(page.locator("#reminders-empty")).to_be_visible()
    expect(page.locator("#reminder-count")).to_have_text("1")
    assert _done_at(live_app, salesperson["overdue"]) is not None


def test_the_centre_at_phone_width(page, live_app, salesperson, artifacts_dir):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "wangfang")
    expect(page.locator("#reminder-count")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto("/reminders/")
    expect(page.locator(f"#reminder-{salesperson['overdue']}")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "phone-reminders.png"), full_page=True)
