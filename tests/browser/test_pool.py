"""The public pool in Chromium: a salesperson releases a customer with a reason, a colleague claims it and finds it
among their customers; an administrator hands a disabled user's customers over to a colleague."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.customers.models import Customer, OwnerChange
from crm_server.extensions import db
from tests.factories import PASSWORD, make_branch, make_contact, make_customer, make_department, make_user

from .test_flows import _in_db, sign_in, sign_out

pytestmark = pytest.mark.browser


@pytest.fixture
def sales_team(live_app):
    """上海总部 / 华东销售部 with the administrator, two salespeople (张伟 owns a customer) and a departed one."""
    def work():
        department = make_department("华东销售部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        zhang = make_user("sales", username="zhangwei", display_name="张伟", department=department)
        make_user("sales", username="lina", display_name="李娜", department=department)
        gone = make_user("sales", username="liuyang", display_name="刘洋", department=department, is_active=False)
        customer = make_customer(zhang, "杭州云帆科技有限公司", city="杭州")
        make_contact(customer, "陈经理", mobile="13900001111")
        for name in ("苏州明远电子有限公司", "无锡恒通机械有限公司"):
            make_customer(gone, name)
        return customer.id
    return _in_db(live_app, work)


def _customer(app, name):
    def work():
        customer = db.session.scalar(select(Customer).where(Customer.name == name))
        return {"owner": customer.owner.username if customer.owner else None, "pool_id": customer.pool_id}
    return _in_db(app, work)


def test_released_by_one_salesperson_and_claimed_by_another(page, live_app, sales_team):
    customer_id = sales_team
    sign_in(page, "zhangwei")
    page.goto(f"/customers/{customer_id}")
    page.click("#action-release-to-pool")
    expect(page).to_have_url(re.compile(r"/pool/release\?customer_id="))
    expect(page.locator("#release-customers")).to_contain_text("杭州云帆科技有限公司")
    page.click("#release-submit")  # no reason: refused beside the field
    expect(page.locator("#release-form .invalid-feedback")).to_be_visible()
    page.fill("#release-form textarea[name=reason]", "客户预算冻结，明年再联系")
    page.click("#release-submit")
    expect(page.locator(".alert-success")).to_contain_text("杭州云帆科技有限公司")
    assert _customer(live_app, "杭州云帆科技有限公司")["owner"] is None
    sign_out(page)

    sign_in(page, "lina")
    page.click("#app-nav a[href$='/pool/']")
    expect(page).to_have_url(re.compile(r"/pool/$"))
    row = page.locator(f"#pool-customer-{customer_id}")
    expect(row).to_contain_text("杭州云帆科技有限公司")
    row.locator("a").first.click()  # the summary: the reason, but no phone numbers yet
    expect(page.locator("#release-reason")).to_have_text("客户预算冻结，明年再联系")
    expect(page.locator("body")).not_to_contain_text("13900001111")
    page.click("#claim-customer")
    expect(page).to_have_url(re.compile(rf"/customers/{customer_id}$"))
    expect(page.locator(".alert-success")).to_contain_text("杭州云帆科技有限公司")
    page.goto("/customers/")
    expect(page.locator("body")).to_contain_text("杭州云帆科技有限公司")
    assert _customer(live_app, "杭州云帆科技有限公司")["owner"] == "lina"

    def kinds():
        return [row.kind for row in db.session.scalars(select(OwnerChange).order_by(OwnerChange.id))]
    assert _in_db(live_app, kinds)[-2:] == ["released", "claimed"]


def test_checked_customers_are_claimed_from_the_list(page, live_app, sales_team):
    def release_all():
        from crm_server.core.models import User
        from crm_server.pool.services import release_customers
        gone = db.session.scalar(select(User).where(User.username == "liuyang"))
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        customers = db.session.scalars(select(Customer).where(Customer.owner_id == gone.id)).all()
        release_customers(admin, customers, "人员离职")
    _in_db(live_app, release_all)
    sign_in(page, "lina")
    page.goto("/pool/")
    expect(page.locator("#claim-checked")).to_be_disabled()
    page.check("#check-all")
    expect(page.locator("#claim-checked")).to_be_enabled()
    page.click("#claim-checked")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#pool-table")).to_have_count(0)
    assert _customer(live_app, "苏州明远电子有限公司")["owner"] == "lina"
    assert _customer(live_app, "无锡恒通机械有限公司")["owner"] == "lina"


def test_an_administrator_hands_over_a_disabled_users_customers(page, live_app, sales_team):
    sign_in(page, "admin", PASSWORD)
    page.click("#app-nav a[href$='/pool/handover']")
    expect(page).to_have_url(re.compile(r"/pool/handover$"))
    form = page.locator("#handover-form")
    departing = form.locator("select[name=from_user_id] option").nth(1)
    expect(departing).to_contain_text("刘洋")  # disabled users come first
    form.locator("select[name=from_user_id]").select_option(label=departing.inner_text())
    options = form.locator("select[name=to_user_id] option").all_inner_texts()
    form.locator("select[name=to_user_id]").select_option(label=next(o for o in options if o.startswith("李娜")))
    page.click("#handover-choose")
    expect(page.locator("#handover-table")).to_contain_text("苏州明远电子有限公司")
    page.click("#handover-all")
    expect(page.locator("#preview-customers")).to_have_text("2")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#handover-confirm")
    expect(page.locator(".alert-success")).to_contain_text("李娜")
    assert _customer(live_app, "苏州明远电子有限公司")["owner"] == "lina"
    assert _customer(live_app, "无锡恒通机械有限公司")["owner"] == "lina"
    page.goto("/pool/orphans")
    expect(page.locator(".empty-state")).to_be_visible()


def test_the_pool_pages_fit_a_phone(page, live_app, sales_team, artifacts_dir):
    def release():
        from crm_server.core.models import User
        from crm_server.pool.services import release_customers
        zhang = db.session.scalar(select(User).where(User.username == "zhangwei"))
        release_customers(zhang, db.session.scalars(select(Customer).where(Customer.owner_id == zhang.id)).all(),
                          "客户暂无需求")
    _in_db(live_app, release)
    sign_in(page, "lina")
    page.goto("/pool/")
    page.screenshot(path=str(artifacts_dir / "pool-list.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/pool/")
    expect(page.locator("#pool-table")).to_contain_text("杭州云帆科技有限公司")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(artifacts_dir / "phone-pool-list.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_out(page)
    sign_in(page, "admin")
    for path, name in (("/pool/settings", "pool-settings"), ("/pool/handover", "pool-handover"),
                       ("/pool/limits", "pool-limits")):
        page.goto(path)
        page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)
