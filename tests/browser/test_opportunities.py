"""A salesperson in Chromium: creates an opportunity with product lines (the script fills prices and the total),
then drags it across stages on the kanban board, losing it at the end with a reason."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.extensions import db
from crm_server.opportunities.models import Opportunity, Stage, StageChange
from crm_server.products.models import Product
from tests.factories import make_branch, make_customer, make_department, make_user

from .test_customers import _in_db, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def salesperson(live_app):
    def work():
        department = make_department("华东销售部", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        rep = make_user("sales", username="xiaoli", display_name="李小丽", department=department)
        customer = make_customer(rep, name="苏州精密模具有限公司")
        db.session.add(Product(code="VMC-850", name="立式加工中心 VMC850", list_price=Decimal("380000.00")))
        return customer.id
    return _in_db(live_app, work)


def _stage_ids(app) -> dict[str, int]:
    return _in_db(app, lambda: {row.name: row.id for row in db.session.execute(select(Stage.name, Stage.id))})


def test_create_an_opportunity_with_lines_and_drag_it_across_stages(page, live_app, salesperson, artifacts_dir):
    sign_in(page, "xiaoli")
    page.goto(f"/opportunities/new?customer_id={salesperson}")
    form = page.locator("#opportunity-form")
    form.locator("input[name=name]").fill("精密模具2026年度设备更新项目")
    rows = form.locator("#line-rows .line-row")
    rows.nth(0).locator("select.line-product").select_option(label="VMC-850 立式加工中心 VMC850")
    expect(rows.nth(0).locator("input.line-price")).to_have_value("380000.00")  # the list price, by the script
    rows.nth(0).locator("input.line-quantity").fill("2")
    rows.nth(0).locator("input.line-discount").fill("5")
    page.click("#add-line")
    last = form.locator("#line-rows .line-row").last
    last.locator("input.line-description").fill("安装调试及培训")
    last.locator("input.line-price").fill("15000")
    form.locator("#amount_from_lines").check()
    expect(form.locator("#lines-total")).to_have_text("737,000.00")  # 2 × 380000 × 0.95 + 15000
    form.locator("#save-opportunity").click()
    expect(page).to_have_url(re.compile(r"/opportunities/\d+$"))
    expect(page.locator("#opportunity-amount")).to_have_attribute("data-amount", "737000.00")
    opportunity_id = int(page.url.rsplit("/", 1)[1])

    stages = _stage_ids(live_app)
    page.goto("/opportunities/kanban")
    card = f"#card-{opportunity_id}"
    expect(page.locator(f"#stage-{stages['初步接洽']} {card}")).to_be_visible()
    expect(page.locator("#funnel-table")).to_be_visible()  # the figures, fetched by the board's script
    page.drag_and_drop(card, f"#stage-{stages['方案报价']} .kanban-cards")
    expect(page.locator(f"#stage-{stages['方案报价']} {card}")).to_be_visible()
    expect(page.locator(f"#stage-{stages['方案报价']}")).to_have_attribute("data-amount", "737000.00")
    page.screenshot(path=str(artifacts_dir / "opportunities-kanban.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept("客户选择了进口品牌"))
    page.locator(f"#stage-{stages['输单']}").scroll_into_view_if_needed()
    page.drag_and_drop(card, f"#stage-{stages['输单']} .kanban-cards")
    expect(page.locator(f"#stage-{stages['输单']} {card}")).to_be_visible()

    def stored():
        opportunity = db.session.get(Opportunity, opportunity_id)
        path = [row.to_stage.name for row in db.session.scalars(
            select(StageChange).where(StageChange.opportunity_id == opportunity_id).order_by(StageChange.id))]
        return opportunity.status, opportunity.loss_reason, path
    assert _in_db(live_app, stored) == ("lost", "客户选择了进口品牌", ["初步接洽", "方案报价", "输单"])
