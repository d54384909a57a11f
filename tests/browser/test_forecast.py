"""The forecast in Chromium: a sales manager sets a quota for one of their salespeople, sees it on the forecast
page with the open opportunity weighted, and sees the page change once that opportunity is won."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from crm_server.core.models import User
from crm_server.extensions import db
from crm_server.forecast.services import current_quarter, site_today
from crm_server.opportunities.models import WON, Opportunity
from crm_server.opportunities.services import change_stage
from tests.factories import make_branch, make_department, make_user
from tests.forecast.helpers import make_opportunity, make_pipeline

from .test_flows import _in_db, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def team(live_app):
    """华东销售一组: manager 王经理 and salesperson 张伟, whose 120,000 元 opportunity (50%) closes this quarter."""
    def work():
        department = make_department("华东销售一组", branch=make_branch("上海总部"))
        make_user("admin", username="admin", display_name="管理员", department=department)
        make_user("sales_manager", username="wangjl", display_name="王经理", department=department)
        zhang = make_user("sales", username="zhangwei", display_name="张伟", department=department)
        make_pipeline()
        quarter = current_quarter()
        close = min(quarter.last_day, site_today() + dt.timedelta(days=7))
        opportunity = make_opportunity(zhang, "120000", expected=close, probability=50)
        return {"zhang": zhang.id, "opportunity": opportunity.id, "fiscal_months": [
            (quarter.quarter - 1) * 3 + n for n in (1, 2, 3)], "quarter": (quarter.year, quarter.quarter)}
    return _in_db(live_app, work)


def _win(app, opportunity_id):
    """Marks the opportunity won in the live server's database through the opportunities service (its won stage:
    status won, closed today), as the manager."""
    def work():
        opportunity = db.session.get(Opportunity, opportunity_id)
        manager = db.session.scalar(select(User).where(User.username == "wangjl"))
        won = next(s for s in opportunity.pipeline.stages if s.kind == WON)
        change_stage(manager, opportunity, won.id)
    _in_db(app, work)


def test_quota_then_the_forecast_changes_when_the_opportunity_is_won(page, live_app, team):
    zhang = team["zhang"]
    sign_in(page, "wangjl")
    page.click("#app-nav a[href$='/forecast/quotas']")
    for n in team["fiscal_months"]:
        page.fill(f"#q_{zhang}_{n}", "100000")
    page.fill(f"#q_{zhang}_1" if 1 not in team["fiscal_months"] else f"#q_{zhang}_12", "-3")
    page.click("#quota-submit")
    expect(page.locator("#quota-grid .invalid-feedback")).to_have_count(1)  # a negative quota is refused
    page.fill(f"#q_{zhang}_1" if 1 not in team["fiscal_months"] else f"#q_{zhang}_12", "")
    page.click("#quota-submit")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#rollup-user-{zhang} .c-year")).to_have_text("300,000.00")

    page.click("#app-nav a[href$='/forecast/']")
    row = page.locator(f"#forecast-user-{zhang}")
    expect(row.locator(".c-quota")).to_have_text("300,000.00")
    expect(row.locator(".c-won")).to_have_text("0.00")
    expect(row.locator(".c-percent")).to_have_text("0.0%")
    expect(row.locator(".c-weighted")).to_have_text("60,000.00")
    expect(row.locator(".c-best")).to_have_text("120,000.00")

    _win(live_app, team["opportunity"])
    page.reload()
    expect(row.locator(".c-won")).to_have_text("120,000.00")
    expect(row.locator(".c-percent")).to_have_text("40.0%")
    expect(row.locator(".c-count")).to_have_text("0")
    expect(row.locator(".c-weighted")).to_have_text("0.00")
    expect(row.locator(".c-expected")).to_have_text("120,000.00")
    expect(page.locator("#forecast-total .c-won")).to_have_text("120,000.00")
    page.click(f"#forecast-user-{zhang} .c-won a")
    expect(page).to_have_url(re.compile(rf"/opportunities/\?owner={zhang}&status=won"))
