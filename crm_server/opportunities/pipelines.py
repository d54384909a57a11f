"""销售流程 and 销售阶段: administrators add, rename, reorder and deactivate stages of several pipelines."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true

from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.roles import register_reference_data
from ..extensions import db
from .models import LOST, OPEN, WON, Opportunity, Pipeline, Stage

audit.register_actions({
    "pipeline.created": _l("Created a pipeline"),
    "pipeline.updated": _l("Edited a pipeline"),
    "stage.created": _l("Added a pipeline stage"),
    "stage.updated": _l("Edited a pipeline stage"),
    "stage.moved": _l("Reordered a pipeline stage"),
})

KINDS = {OPEN: _l("Open"), WON: _l("Won"), LOST: _l("Lost")}
DEFAULT_PIPELINE = "项目销售"
# (name, probability, kind) of the default pipeline a new installation starts with
DEFAULT_STAGES = (("初步接洽", 10, OPEN), ("需求确认", 30, OPEN), ("方案报价", 50, OPEN), ("谈判审核", 70, OPEN),
                  ("赢单", 100, WON), ("输单", 0, LOST))


@register_reference_data
def ensure_default_pipeline() -> Pipeline | None:
    """A new installation's default pipeline with Chinese stages; nothing happens once any pipeline exists."""
    if db.session.scalar(select(func.count()).select_from(Pipeline)):
        return None
    pipeline = Pipeline(name=DEFAULT_PIPELINE, sort_order=10, is_active=True, is_default=True)
    db.session.add(pipeline)
    for order, (name, probability, kind) in enumerate(DEFAULT_STAGES, start=1):
        db.session.add(Stage(pipeline=pipeline, name=name, sort_order=order * 10, probability=probability, kind=kind))
    db.session.flush()
    return pipeline


def pipelines(include_inactive: bool = False) -> list[Pipeline]:
    stmt = select(Pipeline)
    if not include_inactive:
        stmt = stmt.where(Pipeline.is_active == true())
    return list(db.session.scalars(stmt.order_by(Pipeline.sort_order, Pipeline.id)))


def default_pipeline() -> Pipeline | None:
    """The default active pipeline, else the first active one."""
    return db.session.scalar(select(Pipeline).where(Pipeline.is_active == true())
                             .order_by(Pipeline.is_default.desc(), Pipeline.sort_order, Pipeline.id).limit(1))


def stages(pipeline_id: int, include_inactive: bool = False) -> list[Stage]:
    stmt = select(Stage).where(Stage.pipeline_id == pipeline_id)
    if not include_inactive:
        stmt = stmt.where(Stage.is_active == true())
    return list(db.session.scalars(stmt.order_by(Stage.sort_order, Stage.id)))


def first_open_stage(pipeline_id: int) -> Stage | None:
    return next((stage for stage in stages(pipeline_id) if stage.kind == OPEN), None)


def _name(value: str | None, field: str = "name") -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(_("This field is required."), field)
    if len(value) > 60:
        raise DomainError(_("At most %(n)d characters.", n=60), field)
    return value


def _probability(value, field: str = "probability") -> int:
    try:
        value = int(value)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number from 0 to 100."), field) from None
    if not 0 <= value <= 100:
        raise DomainError(_("Enter a whole number from 0 to 100."), field)
    return value


def _require_manage(actor: User) -> None:
    from .access import OpportunityPermission
    if not actor.can(OpportunityPermission.PIPELINES):
        raise DomainError(_("You may not manage pipelines."))


def _unique_pipeline_name(name: str, exclude_id: int | None) -> None:
    stmt = select(Pipeline.id).where(func.lower(Pipeline.name) == name.lower())
    if exclude_id:
        stmt = stmt.where(Pipeline.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise DomainError(_("A pipeline of this name already exists."), "name")


def _make_default(pipeline: Pipeline) -> None:
    for other in db.session.scalars(select(Pipeline).where(Pipeline.is_default == true(), Pipeline.id != pipeline.id)):
        other.is_default = False
    pipeline.is_default = True


def create_pipeline(actor: User, name: str, is_default: bool = False, copy_stages_from: int | None = None) -> Pipeline:
    """Add a pipeline; it starts with the stages of the default pipeline (or of `copy_stages_from`)."""
    _require_manage(actor)
    name = _name(name)
    _unique_pipeline_name(name, None)
    last = db.session.scalar(select(func.max(Pipeline.sort_order))) or 0
    pipeline = Pipeline(name=name, sort_order=last + 10, is_active=True, is_default=False)
    db.session.add(pipeline)
    template = db.session.get(Pipeline, copy_stages_from) if copy_stages_from else default_pipeline()
    source = stages(template.id) if template is not None else []
    rows = [(s.name, s.probability, s.kind) for s in source] or list(DEFAULT_STAGES)
    for order, (stage_name, probability, kind) in enumerate(rows, start=1):
        db.session.add(Stage(pipeline=pipeline, name=stage_name, sort_order=order * 10, probability=probability,
                             kind=kind))
    if is_default:
        _make_default(pipeline)
    db.session.flush()
    audit.record(actor, "pipeline.created", pipeline, {"name": [None, name]})
    return pipeline


def update_pipeline(actor: User, pipeline: Pipeline, name: str, is_active: bool = True,
                    is_default: bool = False) -> Pipeline:
    """Rename, (de)activate or make default a pipeline; the default one stays active."""
    _require_manage(actor)
    name = _name(name)
    _unique_pipeline_name(name, pipeline.id)
    if is_default and not is_active:
        raise DomainError(_("The default pipeline must stay active."), "is_active")
    if pipeline.is_default and not is_default:
        raise DomainError(_("Make another pipeline the default instead."), "is_default")
    before = audit.snapshot(pipeline, ("name", "is_active", "is_default"))
    pipeline.name, pipeline.is_active = name, bool(is_active)
    if is_default:
        _make_default(pipeline)
    changes = audit.diff(before, audit.snapshot(pipeline, ("name", "is_active", "is_default")))
    db.session.flush()
    if changes:
        audit.record(actor, "pipeline.updated", pipeline, changes)
    return pipeline


def _stage_values(pipeline: Pipeline, name, probability, kind, exclude_id: int | None) -> tuple[str, int, str]:
    name = _name(name)
    probability = _probability(probability)
    if kind not in KINDS:
        raise DomainError(_("Choose a value from the list."), "kind")
    stmt = select(Stage.id).where(Stage.pipeline_id == pipeline.id, func.lower(Stage.name) == name.lower())
    if exclude_id:
        stmt = stmt.where(Stage.id != exclude_id)
    if db.session.scalar(stmt) is not None:
        raise DomainError(_("This pipeline already has a stage of this name."), "name")
    return name, probability, kind


def add_stage(actor: User, pipeline: Pipeline, name: str, probability, kind: str = OPEN) -> Stage:
    """Add a stage at the end of the open stages (before won/lost) of a pipeline."""
    _require_manage(actor)
    name, probability, kind = _stage_values(pipeline, name, probability, kind, None)
    existing = stages(pipeline.id, include_inactive=True)
    open_orders = [s.sort_order for s in existing if s.kind == OPEN]
    if kind == OPEN and open_orders:
        order = max(open_orders) + 1
        for later in existing:  # won/lost columns stay at the end
            if later.kind != OPEN and later.sort_order <= order:
                later.sort_order = order + 10
    else:
        order = max([s.sort_order for s in existing] or [0]) + 10
    stage = Stage(pipeline=pipeline, name=name, probability=probability, kind=kind, sort_order=order)
    db.session.add(stage)
    db.session.flush()
    _renumber(pipeline)
    audit.record(actor, "stage.created", stage, {"name": [None, name], "probability": [None, probability],
                                                 "kind": [None, kind]}, label=f"{pipeline.name} / {name}")
    return stage


def update_stage(actor: User, stage: Stage, name: str, probability, kind: str, is_active: bool = True) -> Stage:
    """Rename a stage, change its probability, kind or deactivate it (only when no live opportunity is in it).
    Opportunities already in the stage keep their own probability and status until they move."""
    _require_manage(actor)
    name, probability, kind = _stage_values(stage.pipeline, name, probability, kind, stage.id)
    if not is_active and stage.is_active:
        in_use = db.session.scalar(select(func.count()).select_from(Opportunity).where(
            Opportunity.stage_id == stage.id, Opportunity.deleted_at.is_(None)))
        if in_use:
            raise DomainError(_("%(n)d opportunities are in this stage: move them first.", n=in_use), "is_active")
    if kind != stage.kind:
        in_use = db.session.scalar(select(func.count()).select_from(Opportunity).where(
            Opportunity.stage_id == stage.id, Opportunity.deleted_at.is_(None)))
        if in_use:
            raise DomainError(_("Opportunities are in this stage: its kind cannot change."), "kind")
    fields = ("name", "probability", "kind", "is_active")
    before = audit.snapshot(stage, fields)
    stage.name, stage.probability, stage.kind, stage.is_active = name, probability, kind, bool(is_active)
    changes = audit.diff(before, audit.snapshot(stage, fields))
    db.session.flush()
    if changes:
        audit.record(actor, "stage.updated", stage, changes, label=f"{stage.pipeline.name} / {stage.name}")
    return stage


def _renumber(pipeline: Pipeline) -> None:
    for order, stage in enumerate(sorted(stages(pipeline.id, include_inactive=True),
                                         key=lambda s: (s.sort_order, s.id)), start=1):
        stage.sort_order = order * 10
    db.session.flush()


def move_stage(actor: User, stage: Stage, direction: str) -> Stage:
    """Move a stage one place up or down in its pipeline."""
    _require_manage(actor)
    ordered = sorted(stages(stage.pipeline_id, include_inactive=True), key=lambda s: (s.sort_order, s.id))
    index = ordered.index(stage)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        return stage
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for order, item in enumerate(ordered, start=1):
        item.sort_order = order * 10
    db.session.flush()
    audit.record(actor, "stage.moved", stage, {"sort_order": [index + 1, other + 1]},
                 label=f"{stage.pipeline.name} / {stage.name}")
    return stage
