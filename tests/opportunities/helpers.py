"""Factories of the opportunities domain: the default pipeline's stages, and opportunities with a history."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, true

from crm_server.extensions import db
from crm_server.opportunities import services
from crm_server.opportunities.models import Pipeline, Stage, StageChange


def default_pipeline() -> Pipeline:
    return db.session.scalar(select(Pipeline).where(Pipeline.is_default == true()))


def stage(name: str, pipeline: Pipeline | None = None) -> Stage:
    pipeline = pipeline or default_pipeline()
    found = db.session.scalar(select(Stage).where(Stage.pipeline_id == pipeline.id, Stage.name == name))
    assert found is not None, f"no stage {name}"
    return found


def make_opportunity(owner, customer, name: str = "年度ERP升级项目", amount="100000.00", **fields):
    """An opportunity created through the service (so it has its first StageChange)."""
    fields.setdefault("stage_id", stage(fields.pop("stage", "初步接洽")).id)
    opportunity = services.create_opportunity(owner, customer, name=name, amount=Decimal(amount), **fields)
    db.session.flush()
    return opportunity


def backdate(opportunity, *moves: tuple[str, dt.datetime]) -> None:
    """Rewrite an opportunity's stage history: (stage name, when) pairs, the first being its creation."""
    for row in db.session.scalars(select(StageChange).where(StageChange.opportunity_id == opportunity.id)):
        db.session.delete(row)
    db.session.flush()
    previous = None
    for name, at in moves:
        target = stage(name, opportunity.pipeline)
        db.session.add(StageChange(opportunity_id=opportunity.id, from_stage_id=previous, to_stage_id=target.id,
                                   actor_id=opportunity.owner_id, at=at))
        previous = target.id
    last = stage(moves[-1][0], opportunity.pipeline)
    opportunity.stage_id, opportunity.status = last.id, last.kind
    # what the services keep from the history: the furthest open/won stage and the first entry into won
    entered = [(stage(name, opportunity.pipeline), when) for name, when in moves]
    reached = [target for target, _when in entered if target.kind != "lost"]
    opportunity.furthest_stage_id = max(reached, key=lambda s: (s.sort_order, s.id)).id if reached else None
    opportunity.first_won_at = next((when for target, when in entered if target.kind == "won"), None)
    opportunity.created_at = moves[0][1]
    # as the services keep it: the local (Shanghai) day it was won or lost
    opportunity.closed_on = (moves[-1][1] + dt.timedelta(hours=8)).date() if last.kind != "open" else None
    if last.kind == "lost" and not opportunity.loss_reason:
        opportunity.loss_reason = "价格偏高"
    db.session.flush()
