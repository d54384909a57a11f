"""Reports and dashboards in Chromium: a salesperson, a sales manager and a sales director open every report and
their home dashboard; every chart image loads as a real picture, the figures differ by scope, and the Excel
export of a report holds the same numbers as the page's table."""
from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from crm_server.forecast.services import site_today
from crm_server.opportunities.models import WON
from crm_server.reports.model import REPORTS
from tests.factories import make_branch, make_customer, make_department, make_followup, make_user
from tests.forecast.helpers import make_opportunity, make_pipeline

from .test_flows import _in_db, sign_in
from .test_quotes import sign_out

pytestmark = pytest.mark.browser

# Won this year: 李芳 100,000.00 and 20,000.50 (华东一部, under 王经理); 张伟 30,000.25 (华南部).
WON_BY = {"lifang": Decimal("120000.50"), "wangjl": Decimal("120000.50"), "zhangwei": Decimal("30000.25"),
          "zhouzj": Decimal("150000.75")}


@pytest.fixture
def company(live_app):
    def work():
        branch = make_branch("上海总部")
        east = make_department("华东一部", branch=branch)
        south = make_department("华南部", branch=branch)
        make_user("admin", username="admin", display_name="管理员", department=east)
        director = make_user("sales_director", username="zhouzj", display_name="周总监", department=east)
        manager = make_user("sales_manager", username="wangjl", display_name="王经理", department=east,
                            manager=director)
        li = make_user("sales", username="lifang", display_name="李芳", department=east, manager=manager)
        zhang = make_user("sales", username="zhangwei", display_name="张伟", department=south, manager=director)
        make_pipeline()
        today = site_today()
        for owner, amount in ((li, "100000.00"), (li, "20000.50"), (zhang, "30000.25")):
            make_opportunity(owner, amount, WON, closed_on=today, customer=make_customer(owner))
        for owner in (li, zhang):
            make_followup(make_customer(owner), owner)
    _in_db(live_app, work)


def _charts_loaded(page) -> None:
    """Every chart image of the page (lazy ones made eager) has loaded as a picture of 640 CSS pixels."""
    page.evaluate("document.querySelectorAll('img.chart-image').forEach(i => { i.loading = 'eager'; })")
    loaded = "Array.from(document.querySelectorAll('img.chart-image')).every(i => i.complete && i.naturalWidth > 0)"
    for _ in range(100):  # wait_for_function would need 'unsafe-eval', which the security policy refuses
        if page.evaluate(loaded):
            break
        page.wait_for_timeout(100)
    widths = page.evaluate("Array.from(document.querySelectorAll('img.chart-image')).map(i => i.naturalWidth)")
    assert widths and all(w in (640, 1280) for w in widths), widths


@pytest.mark.parametrize("username", ["lifang", "wangjl", "zhouzj"])
def test_every_report_and_the_dashboard_by_role(page, live_app, company, username):
    sign_in(page, username)
    # the home dashboard: the role's tiles, with their charts drawn
    tiles = page.locator("#dashboard-tiles .dashboard-tile")
    expect(tiles.first).to_be_visible()
    assert 4 <= tiles.count() <= 8
    if page.locator("img.chart-image").count():
        _charts_loaded(page)
    page.goto("/reports/")
    keys = page.locator("#report-list .report-card").evaluate_all("cards => cards.map(c => c.dataset.report)")
    assert {"sales", "activity", "customers", "leads", "money"} <= set(keys) <= set(REPORTS)
    for key in keys:
        page.goto(f"/reports/{key}")
        expect(page.locator("#report-title")).to_have_attribute("data-report", key)
        _charts_loaded(page)
    page.goto("/reports/sales")
    won = page.locator('[data-kpi="won_amount"]').get_attribute("data-value")
    assert Decimal(won) == WON_BY[username]
    if username == "lifang":
        expect(page.locator("#table-by_person")).not_to_contain_text("张伟")
    sign_out(page)


def test_excel_export_matches_the_table(page, live_app, company):
    sign_in(page, "zhouzj")
    page.goto("/reports/sales")
    cells = page.locator("#table-by_person tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.dataset.value || c.textContent.trim()))")
    with page.expect_download() as info:
        page.click("#export-xlsx")
    book = load_workbook(io.BytesIO(open(info.value.path(), "rb").read()))
    sheet = next(s for s in book.worksheets if re.search("销售人员|salesperson", s.title, re.I))
    rows = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    exported = {r[0]: Decimal(str(r[2])).quantize(Decimal("0.01")) for r in rows if r[0] in ("李芳", "张伟")}
    shown = {r[0]: Decimal(r[2]) for r in cells}
    expected = {"李芳": Decimal("120000.50"), "张伟": Decimal("30000.25")}
    assert exported == {"李芳": shown["李芳"], "张伟": shown["张伟"]} == expected
