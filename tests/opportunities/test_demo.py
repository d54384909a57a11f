"""The demo opportunities: what the services would have written (first stage change, status mirroring the stage,
reasons for lost deals, amounts from lines), a year of plausible dates, the same data every run."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

from sqlalchemy import func, select

from crm_server.core.types import utcnow
from crm_server.demo import seed_demo
from crm_server.extensions import db
from crm_server.opportunities.models import LOST, OPEN, WON, Opportunity, OpportunityCompetitor, StageChange
from tests.conftest import _clean_tables


def _seed() -> dict:
    result = seed_demo("small")
    db.session.commit()
    return result


def test_demo_opportunities_are_sound(app):
    result = _seed()
    opportunities = list(db.session.scalars(select(Opportunity).order_by(Opportunity.id)))
    assert result["opportunities"] == len(opportunities) >= 300
    assert result["opportunity_stage_changes"] == db.session.scalar(select(func.count()).select_from(StageChange))
    statuses = Counter(o.status for o in opportunities)
    assert statuses[OPEN] and statuses[WON] and statuses[LOST]
    now = utcnow()
    changes: dict[int, list[StageChange]] = {}
    for row in db.session.scalars(select(StageChange).order_by(StageChange.opportunity_id, StageChange.at)):
        changes.setdefault(row.opportunity_id, []).append(row)
    for o in opportunities:
        history = changes[o.id]
        assert history[0].from_stage_id is None and history[-1].to_stage_id == o.stage_id
        assert all(a.at <= b.at for a, b in zip(history, history[1:])) and history[-1].at <= now
        assert o.status == o.stage.kind and o.probability == o.stage.probability
        assert (o.closed_on is not None) == (o.status != OPEN)
        assert (o.loss_reason is not None) == (o.status == LOST)
        # the stored figures the funnel and the cycle read, as the services keep them
        reached = [row.to_stage for row in history if row.to_stage.kind != LOST]
        assert o.furthest_stage_id == max(reached, key=lambda s: (s.sort_order, s.id)).id
        assert o.first_won_at == next((row.at for row in history if row.to_stage.kind == WON), None)
        assert o.customer.owner_id == o.owner_id and o.lines
        if o.amount_from_lines:
            assert o.amount == sum((line.amount for line in o.lines), Decimal(0))
        assert "项目" in o.name or "协议" in o.name
    assert db.session.scalar(select(func.count()).select_from(OpportunityCompetitor)) > 0
    span = max(o.created_at for o in opportunities) - min(o.created_at for o in opportunities)
    assert span.days > 300


def test_same_opportunities_on_every_run(app):
    _seed()
    first = [(o.name, o.amount, o.status) for o in db.session.scalars(select(Opportunity).order_by(Opportunity.id))]
    _clean_tables()
    from crm_server.core.roles import ensure_reference_data
    ensure_reference_data()
    db.session.commit()
    _seed()
    again = [(o.name, o.amount, o.status) for o in db.session.scalars(select(Opportunity).order_by(Opportunity.id))]
    assert first == again
