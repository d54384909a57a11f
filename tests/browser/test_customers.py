"""A salesperson in Chromium: creates a customer, is warned about a similar one, finds it by keyword."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from crm_server.customers.models import Customer
from crm_server.extensions import db
from tests.factories import PASSWORD, make_branch, make_department, make_user

pytestmark = pytest.mark.browser


def _in_db(app, work):
    """Run `work()` on the live server's database in a context of its own, commit, return its plain values."""
    with app.app_context():
        result = work()
        db.session.commit()
        db.session.remove()
    return result


def _customer_names(app) -> list[str]:
    return _in_db(app, lambda: sorted(db.session.scalars(select(Customer.name))))


@pytest.fixture
def salesperson(live_app):
    """李小丽 (xiaoli), a salesperson of 华东销售部; an administrator exists, so the setup page is closed."""
    def work():
        department = make_department("华东销售部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        make_user("sales", username="xiaoli", display_name="李小丽", department=department)
    _in_db(live_app, work)
    return "xiaoli"


def sign_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", password)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def test_salesperson_creates_a_customer_is_warned_of_a_similar_one_and_finds_it(
        page, live_app, salesperson, artifacts_dir):
    sign_in(page, salesperson)
    page.locator("#app-nav a[href='/customers/']").click()
    expect(page).to_have_url(re.compile(r"/customers/$"))
    expect(page.locator("#no-customers")).to_be_visible()

    # a new customer
    page.click("#new-customer")
    form = page.locator("#customer-form")
    form.locator("input[name=name]").fill("上海星河软件有限公司")
    form.locator("input[name=phone]").fill("021-6234 5678")
    form.locator("input[name=province]").fill("上海")
    form.locator("input[name=city]").fill("上海市")
    form.locator("input[name=tags]").fill("重点客户，展会")
    form.locator("select[name=level_id]").select_option(label="A（重点客户）")
    form.locator("#save-customer").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(".customer-title")).to_have_text("上海星河软件有限公司")
    expect(page.locator("#owner-name")).to_have_text("李小丽")
    expect(page.locator("#customer-tags")).to_contain_text("重点客户")
    expect(page.locator("#edit-history")).to_contain_text("李小丽")
    page.screenshot(path=str(artifacts_dir / "customer-detail.png"), full_page=True)

    # a similar one: the same company written another way, with the same phone
    page.goto("/customers/new")
    form = page.locator("#customer-form")
    form.locator("input[name=name]").fill("星河软件（上海）")
    form.locator("input[name=phone]").fill("+86 21 6234 5678")
    form.locator("#save-customer").click()
    warning = page.locator("#duplicate-warning")
    expect(warning).to_be_visible()
    expect(warning.locator(".duplicate-match")).to_have_count(1)
    expect(warning.locator(".duplicate-match")).to_contain_text("上海星河软件有限公司")
    expect(warning.locator(".duplicate-match")).to_contain_text("李小丽")
    expect(form.locator("input[name=name]")).to_have_value("星河软件（上海）")  # what was typed stays
    page.screenshot(path=str(artifacts_dir / "customer-duplicate-warning.png"), full_page=True)
    assert _customer_names(live_app) == ["上海星河软件有限公司"]  # nothing saved

    # the keyword search finds the customer by name and by phone however it is written
    page.locator("#app-nav a[href='/customers/']").click()
    page.fill("#filter-q", "星河")
    page.click("#apply-filters")
    rows = page.locator("#customers-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("上海星河软件有限公司")
    expect(rows.first).to_contain_text("A（重点客户）")
    page.screenshot(path=str(artifacts_dir / "customer-list-search.png"), full_page=True)
    page.fill("#filter-q", "62345678")
    page.click("#apply-filters")
    expect(rows).to_have_count(1)
    page.fill("#filter-q", "不存在的客户")
    page.click("#apply-filters")
    expect(page.locator("#no-customers")).to_be_visible()
    assert _in_db(live_app, lambda: db.session.scalar(select(func.count(Customer.id)))) == 1


def test_save_anyway_and_the_list_at_phone_width(page, live_app, salesperson, artifacts_dir):
    sign_in(page, salesperson)
    for name in ("北京华夏物流有限公司", "华夏物流（北京）"):
        page.goto("/customers/new")
        page.locator("#customer-form input[name=name]").fill(name)
        page.locator("#save-customer").click()
    expect(page.locator("#duplicate-warning")).to_be_visible()
    page.locator("#duplicate-warning input[name=confirm_duplicates]").check()
    page.locator("#save-customer").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    assert _customer_names(live_app) == ["北京华夏物流有限公司", "华夏物流（北京）"]

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/customers/")
    expect(page.locator("#customers-table tbody tr")).to_have_count(2)
    # the bulk form shows only the inputs of the chosen action (customers.js)
    expect(page.locator("#bulk-tags")).to_be_hidden()
    page.select_option("#bulk-action", "tag")
    expect(page.locator("#bulk-tags")).to_be_visible()
    page.click("#check-page")
    expect(page.locator("input.customer-tick:checked")).to_have_count(2)
    page.fill("#bulk-tags", "物流")
    page.click("#bulk-submit")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#customers-table .customer-tag", has_text="物流")).to_have_count(2)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "customer-list-phone.png"), full_page=True)
