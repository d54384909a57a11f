"""A campaign's results against hand-computed figures: leads, conversions, opportunities, won amount, cost per
lead, cost per won deal and ROI, with blanks where a divisor is missing."""
from __future__ import annotations

from decimal import Decimal

from crm_server.campaigns.results import results_for, results_of
from crm_server.core.types import utcnow
from crm_server.extensions import db
from tests import factories
from tests.campaigns.helpers import campaign_opportunity, make_campaign, make_lead


def _setup():
    director = factories.make_user("sales_director")
    seller = factories.make_user("sales")
    customer = factories.make_customer(seller, name="上海精工机械有限公司")
    return director, seller, customer


def test_results_of_a_campaign_match_the_hand_computed_figures(app):
    director, seller, customer = _setup()
    campaign = make_campaign(director, actual_cost="10000.00")
    other = make_campaign(director, name="深圳高交会", actual_cost="5000.00")
    make_lead(campaign, seller, status="converted")
    make_lead(campaign, seller, status="qualified")
    make_lead(campaign, None, status="new")           # in the pool: still the campaign's lead
    make_lead(campaign, seller, status="converted", deleted=True)  # deleted: not counted
    make_lead(other, seller)                           # another campaign's
    campaign_opportunity(seller, customer, campaign, "30000.00", stage="赢单")
    campaign_opportunity(seller, customer, campaign, "12345.67", stage="赢单")
    campaign_opportunity(seller, customer, campaign, "50000.00")                 # open
    campaign_opportunity(seller, customer, campaign, "8000.00", stage="输单")   # lost
    gone = campaign_opportunity(seller, customer, campaign, "99999.00", stage="赢单")
    gone.deleted_at = utcnow()
    campaign_opportunity(seller, customer, other, "7000.00", stage="赢单")
    db.session.commit()

    r = results_of(campaign)
    assert (r.leads, r.converted_leads, r.opportunities, r.won_opportunities) == (3, 1, 4, 2)
    assert r.won_amount == Decimal("42345.67")
    assert r.pipeline_amount == Decimal("50000.00")
    assert r.conversion_rate == Decimal("33.3")            # 1 / 3
    assert r.cost_per_lead == Decimal("3333.33")           # 10000 / 3
    assert r.cost_per_won == Decimal("5000.00")            # 10000 / 2
    assert r.roi == Decimal("323.5")                       # (42345.67 - 10000) / 10000 = 323.4567 %

    both = results_for([campaign.id, other.id])
    assert both[other.id].leads == 1 and both[other.id].won_amount == Decimal("7000.00")
    assert both[other.id].roi == Decimal("40.0")            # (7000 - 5000) / 5000
    assert both[other.id].cost_per_lead == Decimal("5000.00")


def test_blanks_without_leads_or_cost_and_rounding_half_up(app):
    director, seller, customer = _setup()
    nothing = make_campaign(director, name="线上广告投放", actual_cost=None)
    r = results_of(nothing)
    assert (r.leads, r.opportunities, r.won_amount) == (0, 0, Decimal("0.00"))
    assert r.conversion_rate is None and r.cost_per_lead is None and r.cost_per_won is None and r.roi is None

    costly = make_campaign(director, name="客户答谢会", actual_cost="200.00")
    r = results_of(costly)
    assert r.cost_per_lead is None and r.cost_per_won is None
    assert r.roi == Decimal("-100.0")                      # spent 200, earned nothing

    for status in ("new", "new", "converted"):
        make_lead(costly, seller, status=status)
    campaign_opportunity(seller, customer, costly, "0.01", stage="赢单")
    db.session.commit()
    r = results_of(costly)
    assert r.cost_per_lead == Decimal("66.67")             # 66.666... rounded half up to the fen
    assert r.conversion_rate == Decimal("33.3")
    assert r.roi == Decimal("-100.0")                      # (0.01 - 200) / 200 = -99.995 % -> -100.0

    free = make_campaign(director, name="老客户转介绍", actual_cost="0")
    make_lead(free, seller)
    db.session.commit()
    r = results_of(free)
    assert r.cost_per_lead == Decimal("0.00") and r.roi is None  # no cost: ROI blank, a lead cost nothing


def test_results_for_a_page_is_one_statement(app):
    director, seller, customer = _setup()
    campaigns = [make_campaign(director, name=f"研讨会{i}") for i in range(5)]
    for campaign in campaigns:
        make_lead(campaign, seller)
        campaign_opportunity(seller, customer, campaign, "1000.00", stage="赢单")
    db.session.commit()
    ids = [c.id for c in campaigns]
    statements = []
    from sqlalchemy import event

    def count(*args):
        statements.append(args[2])
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = results_for(ids)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert all(found[i].leads == 1 and found[i].won_amount == Decimal("1000.00") for i in ids)
