"""Mass e-mail in Chromium: a send to 3 contacts whose progress bar reaches 3/3 while the page polls, all 3
delivered to a real SMTP server on localhost, then an unsubscribe link confirmed, and a second send skips it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from crm_server.core.jobs import run_job
from crm_server.extensions import db
from tests.factories import PASSWORD, make_contact, make_customer, make_department, make_user
from tests.mailing.helpers import SmtpServer, make_template, use_smtp

pytestmark = pytest.mark.browser


def _in_db(app, work):
    with app.app_context():
        result = work()
        db.session.commit()
        db.session.remove()
    return result


@pytest.fixture
def smtp(live_app, monkeypatch):
    with SmtpServer() as server:
        use_smtp(live_app, monkeypatch, server.port, rate=1)  # one message per run: the bar moves step by step
        yield server


@pytest.fixture
def team(live_app):
    def work():
        department = make_department("华东销售部")
        make_user("admin", username="admin", display_name="管理员", department=department)
        manager = make_user("sales_manager", username="wangjl", display_name="王经理", department=department)
        sales = make_user("sales", username="lixs", display_name="李销售", department=department)
        customer = make_customer(sales, "上海星辰电子有限公司")
        for name, address in (("张伟", "zhang.wei@xingchen.cn"), ("李娜", "li.na@xingchen.cn"),
                              ("陈静", "chen.jing@xingchen.cn")):
            make_contact(customer, name, email=address)
        return make_template(user=manager).id
    return _in_db(live_app, work)


def sign_in(page, username):
    page.goto("/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def send_with_template(page, template_id, expected_count, screenshot=None):
    page.goto("/mailing/new")
    page.select_option("#template_id", str(template_id))
    expect(page.locator("#subject")).to_have_value("{{contact_name}}，诚邀参加{{company}}专场发布会")
    page.click("#preview-button")
    expect(page.locator("#recipient-count")).to_have_attribute("data-count", str(expected_count))
    expect(page.locator("#preview-subject")).to_contain_text("诚邀参加上海星辰电子有限公司专场发布会")
    expect(page.locator("#audience-leads")).to_be_hidden()  # only the chosen kind's filters are shown
    if screenshot:
        page.screenshot(path=str(screenshot), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#send-button")
    expect(page).to_have_url(re.compile(r"/mailing/jobs/\d+$"))


def run_sender(app):
    with app.app_context():
        result = run_job("mailing.send")
        db.session.remove()
    return result


def test_mass_email_progress_delivery_and_unsubscribe(page, live_app, team, smtp, artifacts_dir):
    sign_in(page, "wangjl")
    page.click("a[href$='/mailing/']")
    page.click("#new-mailing")
    send_with_template(page, team, 3, artifacts_dir / "mailing-compose-preview.png")
    expect(page.locator("#progress-total")).to_have_text("3")
    expect(page.locator("#progress-finished")).to_have_text("0")

    assert run_sender(live_app) == "ran: sent 1"
    expect(page.locator("#progress-finished")).to_have_text("1")  # updated by polling, no reload
    expect(page.locator("#mail-progress")).to_have_attribute("value", "1")
    run_sender(live_app)
    run_sender(live_app)
    expect(page.locator("#progress-finished")).to_have_text("3")
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    expect(page.locator("tr.mail-recipient[data-status=sent]")).to_have_count(3)
    page.screenshot(path=str(artifacts_dir / "mailing-progress-done.png"), full_page=True)

    assert sorted(smtp.inbox.recipients) == ["chen.jing@xingchen.cn", "li.na@xingchen.cn", "zhang.wei@xingchen.cn"]
    message = smtp.inbox.to("li.na@xingchen.cn")[0]
    assert str(message["Subject"]) == "李娜，诚邀参加上海星辰电子有限公司专场发布会"
    link = re.search(r"(http://127\.0\.0\.1:\d+/mailing/unsubscribe/\w+)", message.get_content()).group(1)
    assert message["List-Unsubscribe"] == f"<{link}>"

    # the recipient opens the link in a browser without an account
    visitor = page.context.browser.new_context()
    try:
        outside = visitor.new_page()
        outside.goto(link)
        expect(outside.locator("#unsubscribe-form")).to_contain_text("li.na@xingchen.cn")
        outside.click("#unsubscribe-confirm")
        expect(outside.locator("#unsubscribed")).to_contain_text("li.na@xingchen.cn")
    finally:
        visitor.close()

    send_with_template(page, team, 2)
    for _ in range(3):
        run_sender(live_app)
    expect(page.locator("#job-status")).to_have_attribute("data-status", "done")
    expect(page.locator("tr.mail-recipient[data-status=sent]")).to_have_count(2)
    expect(page.locator("tr.mail-recipient[data-address='li.na@xingchen.cn']")).to_have_attribute(
        "data-status", "skipped")
    assert smtp.inbox.recipients.count("li.na@xingchen.cn") == 1
    assert len(smtp.inbox.messages) == 5
