"""The demo campaigns: a year of them with costs in 元, customers taking part and opportunities attributed,
results that mean something, the same data every run."""
from __future__ import annotations

from sqlalchemy import func, select

from crm_server.campaigns.models import COMPLETED, PLANNED, Campaign, CampaignCustomer
from crm_server.campaigns.results import results_for
from crm_server.demo import seed_demo
from crm_server.extensions import db
from crm_server.opportunities.models import Opportunity
from tests.conftest import _clean_tables


def _snapshot() -> list:
    return [(c.name, c.start_date, c.actual_cost, c.status) for c in db.session.scalars(
        select(Campaign).order_by(Campaign.id))]


def test_demo_campaigns_are_sound_and_deterministic(app):
    result = seed_demo("small")
    db.session.commit()
    campaigns = list(db.session.scalars(select(Campaign).order_by(Campaign.id)))
    assert 8 <= result["campaigns"] == len(campaigns) <= 12
    assert {c.kind.label for c in campaigns} >= {"展会", "研讨会", "线上广告", "邮件营销", "客户答谢会"}
    assert {c.status for c in campaigns} >= {COMPLETED, PLANNED}
    assert all(c.end_date >= c.start_date and (c.actual_cost is None or c.actual_cost > 0) for c in campaigns)
    attributed = db.session.scalar(select(func.count()).select_from(Opportunity)
                                   .where(Opportunity.campaign_id.is_not(None)))
    assert attributed == result["campaign_opportunities"] > 10
    assert db.session.scalar(select(func.count()).select_from(CampaignCustomer)) == result["campaign_customers"] > 50
    results = results_for([c.id for c in campaigns])
    assert any(r.won_amount > 0 and r.roi is not None for r in results.values())
    first = _snapshot()
    _clean_tables()
    db.session.expunge_all()
    from crm_server.core.roles import ensure_reference_data
    ensure_reference_data()
    seed_demo("small")
    db.session.commit()
    assert _snapshot() == first
