"""Factories for competitor tests: competitors and hand-made opportunities (pipeline, stages) that met them."""
from __future__ import annotations

import itertools
from decimal import Decimal

from crm_server.extensions import db
from crm_server.opportunities.models import (LOST, OPEN, WON, Competitor, Opportunity, OpportunityCompetitor,
                                             Pipeline, Stage)
from tests.factories import make_customer

_seq = itertools.count(1)


def make_competitor(name: str | None = None, **kw) -> Competitor:
    competitor = Competitor(name=name or f"竞品公司{next(_seq)}", **kw)
    db.session.add(competitor)
    db.session.flush()
    return competitor


def make_pipeline() -> dict[str, Stage]:
    """A pipeline with one stage of each kind: {"open": ..., "won": ..., "lost": ...}."""
    pipeline = Pipeline(name=f"项目销售{next(_seq)}", is_default=True)
    db.session.add(pipeline)
    stages = {kind: Stage(pipeline=pipeline, name=name, sort_order=order, probability=probability, kind=kind)
              for kind, name, order, probability in ((OPEN, "方案报价", 1, 50), (WON, "赢单", 2, 100),
                                                     (LOST, "输单", 3, 0))}
    db.session.add_all(stages.values())
    db.session.flush()
    return stages


def make_opportunity(owner, stage: Stage, amount="0", competitor: Competitor | None = None, offer=None,
                     position: str | None = None, **kw) -> Opportunity:
    customer = kw.pop("customer", None) or make_customer(owner)
    opportunity = Opportunity(customer=customer, name=kw.pop("name", f"商机{next(_seq)}"), amount=Decimal(str(amount)),
                              pipeline_id=stage.pipeline_id, stage=stage, status=stage.kind,
                              probability=stage.probability, owner=owner, **kw)
    db.session.add(opportunity)
    db.session.flush()
    if competitor is not None:
        db.session.add(OpportunityCompetitor(opportunity_id=opportunity.id, competitor_id=competitor.id,
                                             offer_amount=Decimal(str(offer)) if offer is not None else None,
                                             our_position=position))
        db.session.flush()
    return opportunity
