"""Quotes in Chromium: a salesperson makes a quote above their discount limit (product found through the
lookup), submits it, the manager approves it from the reminder, the quote is sent and its PDF downloaded."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from crm_server.extensions import db
from crm_server.products.models import Product
from crm_server.quotes.models import Quote
from tests.factories import PASSWORD, make_branch, make_customer, make_department, make_user

pytestmark = pytest.mark.browser


def _in_db(app, work):
    with app.app_context():
        result = work()
        db.session.commit()
        db.session.remove()
    return result


@pytest.fixture
def sales_team(live_app):
    def work():
        department = make_department("华东销售部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        manager = make_user("sales_manager", username="wangjl", display_name="王经理", department=department)
        seller = make_user("sales", username="lifang", display_name="李芳", department=department, manager=manager)
        customer = make_customer(seller, "苏州恒润精密制造有限公司")
        db.session.add(Product(code="SW-2400", name="工业以太网交换机", specification="24口千兆", unit="台",
                               list_price=Decimal("2350.00"), tax_rate=Decimal("13.00")))
        return customer.id
    return _in_db(live_app, work)


def sign_in(page, username):
    page.goto("/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def sign_out(page):
    page.wait_for_load_state()  # Bootstrap's dropdown works once its script has run
    page.click("#user-menu")
    page.get_by_role("button", name=re.compile("退出|Sign out")).click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_quote_with_discount_approval_and_pdf(page, live_app, sales_team):
    customer_id = sales_team
    sign_in(page, "lifang")
    page.goto(f"/customers/{customer_id}")
    page.click("#add-quote")
    page.fill("#title", "产线网络改造报价")
    # The line editor: find the product through the lookup and put it in the first empty row.
    page.fill("#product-search", "交换机")
    page.click("#product-results .product-result")
    expect(page.locator('#line-row-0 [data-field="description"]')).to_have_value("工业以太网交换机")
    expect(page.locator('#line-row-0 [data-field="unit_price"]')).to_have_value("2350.00")
    page.fill('#line-row-0 [data-field="quantity"]', "10")
    page.fill('#line-row-0 [data-field="discount_percent"]', "15")  # above the salespeople's 10 %
    page.click("#save-quote")
    expect(page.locator("#quote-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#needs-approval")).to_be_visible()
    # 10 × 2,350 × 0.85 = 19,975.00 + 13 % = 22,571.75
    expect(page.locator("#quote-total")).to_have_attribute("data-total", "22571.75")
    expect(page.locator("#send-quote")).to_have_count(0)
    page.click("#submit-quote")
    expect(page.locator("#quote-status")).to_have_attribute("data-status", "pending")
    quote_url = page.url

    sign_out(page)
    sign_in(page, "wangjl")
    page.goto("/reminders/")
    page.get_by_role("link", name=re.compile("苏州恒润精密制造有限公司")).first.click()
    expect(page).to_have_url(quote_url)
    page.fill("#approval-form textarea[name=comment]", "重点客户，同意")
    page.click("#approve-quote")
    expect(page.locator("#quote-status")).to_have_attribute("data-status", "approved")

    sign_out(page)
    sign_in(page, "lifang")
    page.goto(quote_url)
    page.click("#send-quote")
    expect(page.locator("#quote-status")).to_have_attribute("data-status", "sent")
    with page.expect_download() as download_info:
        page.click("#download-pdf")
    download = download_info.value
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(open(download.path(), "rb").read())).pages)
    number = _in_db(live_app, lambda: db.session.scalar(select(Quote.number)))
    for expected in ("苏州恒润精密制造有限公司", "工业以太网交换机", "22,571.75", number):
        assert expected in text, expected
