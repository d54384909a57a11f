"""A sales director in Chromium: builds a category tree, adds products (one error shown beside its field first,
one with a picture), and finds them in the catalogue by keyword and by category."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.extensions import db
from crm_server.products.models import Product
from tests.factories import PASSWORD, make_branch, make_department, make_user

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _in_db(app, work):
    with app.app_context():
        result = work()
        db.session.commit()
        db.session.remove()
    return result


@pytest.fixture
def director(live_app):
    def work():
        department = make_department("销售管理部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        make_user("sales_director", username="zongjian", display_name="王总监", department=department)
    _in_db(live_app, work)
    return "zongjian"


def sign_in(page, username, password=PASSWORD):
    page.goto("/login")
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", password)
    page.click("#login-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/$"))


def select_by_text(select, text):
    """Choose the option showing `text` (sub-categories are indented with ideographic spaces)."""
    select.select_option(value=select.locator("option", has_text=text).first.get_attribute("value"))


def add_category(page, name, parent=None):
    form = page.locator("#category-form")
    form.locator("input[name=name]").fill(name)
    if parent:
        select_by_text(form.locator("select[name=parent_id]"), parent)
    form.locator("#add-category").click()
    expect(page.locator(".category-row .category-name", has_text=name)).to_be_visible()


def fill_product(page, code, name, category, price, specification="", unit="台"):
    form = page.locator("#product-form")
    form.locator("input[name=code]").fill(code)
    form.locator("input[name=name]").fill(name)
    select_by_text(form.locator("select[name=category_id]"), category)
    form.locator("input[name=specification]").fill(specification)
    form.locator("input[name=unit]").fill(unit)
    form.locator("input[name=list_price]").fill(price)


def test_director_builds_categories_adds_products_and_finds_them(page, live_app, director):
    sign_in(page, director)
    page.locator("#app-nav a[href='/products/']").click()
    expect(page).to_have_url(re.compile(r"/products/$"))
    expect(page.locator("#no-products")).to_be_visible()

    page.click("#manage-categories")
    add_category(page, "数控机床")
    add_category(page, "加工中心", parent="数控机床")
    add_category(page, "技术服务")

    page.goto("/products/new")
    fill_product(page, "vmc-850", "立式加工中心 VMC850", "加工中心", "-380000", "BT40 主轴 10000rpm")
    page.click("#save-product")
    expect(page.locator("input[name=list_price].is-invalid")).to_be_visible()  # the message sits beside it
    page.locator("#product-form input[name=list_price]").fill("380000")
    page.locator("#product-form input[name=picture]").set_input_files(
        files=[{"name": "vmc.png", "mimeType": "image/png", "buffer": PNG}])
    page.click("#save-product")
    expect(page.locator("#product-code")).to_have_text("VMC-850")
    expect(page.locator("#product-list-price")).to_have_text("380,000.00")
    expect(page.locator("#product-picture")).to_be_visible()

    page.goto("/products/new")
    fill_product(page, "SVC-AMC", "年度维保服务", "技术服务", "18000", "每年 2 次保养", unit="年")
    page.click("#save-product")
    expect(page.locator("#product-code")).to_have_text("SVC-AMC")

    page.goto("/products/")
    rows = page.locator("#product-list .product-row")
    expect(rows).to_have_count(2)
    page.fill("#filter-q", "bt40")
    page.click("#apply-filters")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-code", "VMC-850")

    page.goto("/products/")
    page.locator("#category-tree .category-link", has_text="数控机床").click()  # includes 加工中心
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-code", "VMC-850")
    page.locator("#category-tree .category-link", has_text="技术服务").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-code", "SVC-AMC")

    codes = _in_db(live_app, lambda: sorted(db.session.scalars(select(Product.code))))
    assert codes == ["SVC-AMC", "VMC-850"]
