"""商机 rules: create and edit opportunities with product lines, contacts and competitors, move them between
stages (every move kept as a StageChange), delete them, and what other domains ask of them."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal, InvalidOperation
from typing import Iterable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, true

from ..contacts.models import Contact
from ..core import audit
from ..core.dictionaries import DictionaryItem
from ..core.errors import DomainError
from ..core.models import User
from ..core.money import line_amount, to_fen
from ..core.permissions import can_see_owner
from ..core.types import utcnow
from ..core.validation import clean_text as _text
from ..customers.access import get_customer as _customer_for
from ..customers.access import visible_customers
from ..customers.models import Customer
from ..extensions import db
from ..products.models import Product
from . import pipelines
from .access import OPPORTUNITY, OpportunityPermission, opportunity_condition
from .dictionaries import SOURCE
from .figures import average_cycle_days, conversion, conversion_of, funnel  # noqa: F401  (part of this API)
from .models import (LOST, OPEN, WON, Competitor, Opportunity, OpportunityCompetitor, OpportunityContact,
                     OpportunityLine, Stage, StageChange)

audit.register_actions({
    "opportunity.created": _l("Created an opportunity"),
    "opportunity.updated": _l("Edited an opportunity"),
    "opportunity.stage_changed": _l("Moved an opportunity to another stage"),
    "opportunity.deleted": _l("Deleted an opportunity"),
    "opportunity.quote_accepted": _l("Took an accepted quote's amount for an opportunity"),
})

STATUS_LABELS = {OPEN: _l("Open"), WON: _l("Won"), LOST: _l("Lost")}
MAX_AMOUNT = Decimal("9999999999999999.99")
MAX_LINES = 100
# What the edit history records: relationships, so the log shows names, not ids.
AUDIT_FIELDS = ("name", "customer", "amount", "amount_from_lines", "expected_close_date", "pipeline", "stage",
                "probability", "status", "closed_on", "source", "owner", "next_step", "loss_reason", "remarks")


# --- the site's day ---------------------------------------------------------------------------

def site_today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)).date()


# --- values -----------------------------------------------------------------------------------

def _decimal(value, field: str, minimum: Decimal = Decimal(0), maximum: Decimal = MAX_AMOUNT,
             required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise DomainError(_("This field is required."), field)
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field) from None
    if not number.is_finite() or number < minimum or number > maximum:
        raise DomainError(_("Enter a number from %(low)s to %(high)s.", low=minimum, high=maximum), field)
    return to_fen(number)


def _source(item_id: int | None, current_id: int | None) -> DictionaryItem | None:
    if not item_id:
        return None
    item = db.session.get(DictionaryItem, item_id)
    if item is None or item.kind != SOURCE:
        raise DomainError(_("Choose a value from the list."), "source_id")
    if not item.is_active and item.id != current_id:
        raise DomainError(_("This value is no longer in use. Choose another."), "source_id")
    return item


def _stage(pipeline_id: int | None, stage_id: int | None, current: Opportunity | None) -> Stage:
    pipeline = db.session.get(pipelines.Pipeline, pipeline_id) if pipeline_id else pipelines.default_pipeline()
    if pipeline is None or (not pipeline.is_active and (current is None or current.pipeline_id != pipeline.id)):
        raise DomainError(_("Choose an active pipeline."), "pipeline_id")
    if not stage_id:
        stage = pipelines.first_open_stage(pipeline.id)
        if stage is None:
            raise DomainError(_("This pipeline has no open stage."), "stage_id")
        return stage
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.pipeline_id != pipeline.id:
        raise DomainError(_("Choose a stage of the chosen pipeline."), "stage_id")
    if not stage.is_active and (current is None or current.stage_id != stage.id):
        raise DomainError(_("This stage is no longer in use. Choose another."), "stage_id")
    return stage


def _owner(actor: User, owner_id: int | None, current_owner_id: int | None) -> User:
    if not owner_id or owner_id == current_owner_id:
        return db.session.get(User, current_owner_id) if current_owner_id else actor
    if owner_id == actor.id:
        return actor
    if not actor.can(OpportunityPermission.TRANSFER):
        raise DomainError(_("You may not give opportunities to other users."), "owner_id")
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.is_active or not can_see_owner(actor, owner.id, OPPORTUNITY):
        raise DomainError(_("Choose an active user within your data scope."), "owner_id")
    return owner


def _lines(rows: Iterable[dict]) -> list[OpportunityLine]:
    """Product lines from plain values; a row without product and description is skipped."""
    lines: list[OpportunityLine] = []
    for row in rows or ():
        product_id = row.get("product_id") or None
        description = (row.get("description") or "").strip()
        if not product_id and not description:
            continue
        product = None
        if product_id:
            product = db.session.get(Product, int(product_id))
            if product is None:
                raise DomainError(_("Line %(n)d: choose a product from the catalogue.", n=len(lines) + 1), "lines")
        description = description or (product.name if product else "")
        if len(description) > 200:
            raise DomainError(_("Line %(n)d: at most 200 characters.", n=len(lines) + 1), "lines")
        try:
            quantity = _decimal(row.get("quantity"), "lines", Decimal("0.01"), Decimal("999999999"))
            price = row.get("unit_price")
            if price in (None, "") and product is not None:
                price = product.list_price
            unit_price = _decimal(price, "lines")
            discount = _decimal(row.get("discount_percent") or 0, "lines", Decimal(0), Decimal(100))
        except DomainError as exc:
            raise DomainError(_("Line %(n)d: %(error)s", n=len(lines) + 1, error=exc.message), "lines") from None
        lines.append(OpportunityLine(product_id=product.id if product else None, description=description,
                                     quantity=quantity, unit_price=unit_price, discount_percent=discount,
                                     amount=line_amount(quantity, unit_price, discount), sort_order=len(lines) + 1))
    if len(lines) > MAX_LINES:
        raise DomainError(_("At most %(n)d lines.", n=MAX_LINES), "lines")
    return lines


def _contact_ids(customer: Customer, contact_ids: Iterable[int]) -> list[int]:
    ids = sorted({int(i) for i in contact_ids or () if i})
    if not ids:
        return []
    found = set(db.session.scalars(select(Contact.id).where(Contact.id.in_(ids), Contact.customer_id == customer.id,
                                                            Contact.deleted_at.is_(None))))
    if found != set(ids):
        raise DomainError(_("Choose contacts of this customer."), "contact_ids")
    return ids


def _competitors(rows: Iterable[dict]) -> list[OpportunityCompetitor]:
    result: dict[int, OpportunityCompetitor] = {}
    for row in rows or ():
        competitor_id = row.get("competitor_id")
        if not competitor_id:
            continue
        if db.session.get(Competitor, int(competitor_id)) is None:
            raise DomainError(_("Choose a competitor from the list."), "competitors")
        offer = _decimal(row.get("offer_amount"), "competitors", required=False)
        position = _text(row.get("our_position"), 500, "competitors")
        result[int(competitor_id)] = OpportunityCompetitor(competitor_id=int(competitor_id), offer_amount=offer,
                                                           our_position=position)
    return list(result.values())


def _state(opportunity: Opportunity) -> dict:
    state = audit.snapshot(opportunity, AUDIT_FIELDS)
    if opportunity.campaign_id:  # the campaign's name, not its id (campaigns domain)
        from ..campaigns.models import Campaign
        state["campaign"] = str(db.session.get(Campaign, opportunity.campaign_id))
    state["lines"] = "; ".join(f"{line.description} × {line.quantity} = {line.amount}"
                               for line in opportunity.lines) or None
    return state


def _close_fields(opportunity: Opportunity, stage: Stage, loss_reason: str | None, closed_on: dt.date | None) -> None:
    """status mirrors the stage's kind; won/lost set the closing day; lost needs a reason."""
    opportunity.status = stage.kind
    if stage.kind == LOST:
        reason = loss_reason or opportunity.loss_reason
        if not reason:
            raise DomainError(_("Enter the reason the opportunity was lost."), "loss_reason")
        opportunity.loss_reason = reason
    else:
        opportunity.loss_reason = None
    if stage.kind in (WON, LOST):
        opportunity.closed_on = closed_on or opportunity.closed_on or site_today()
    else:
        opportunity.closed_on = None


# --- create and edit --------------------------------------------------------------------------

def _apply(actor: User, opportunity: Opportunity, customer: Customer, fields: dict, creating: bool) -> Stage:
    """Validate and set every field but the stage itself (returned for the caller to enter)."""
    opportunity.name = _text(fields.get("name"), 200, "name", required=True)
    opportunity.customer = customer
    opportunity.expected_close_date = fields.get("expected_close_date")
    stage = _stage(fields.get("pipeline_id"), fields.get("stage_id"),
                   None if creating else opportunity)
    probability = fields.get("probability")
    if probability in (None, ""):
        probability = stage.probability if (creating or stage.id != opportunity.stage_id) else opportunity.probability
    opportunity.probability = pipelines._probability(probability)
    opportunity.source = _source(fields.get("source_id"), None if creating else opportunity.source_id)
    if "campaign_id" in fields:  # the 市场活动 it came from (campaigns domain)
        from ..campaigns.services import check_campaign_id
        opportunity.campaign_id = check_campaign_id(fields.get("campaign_id"),
                                                    None if creating else opportunity.campaign_id)
    opportunity.owner = _owner(actor, fields.get("owner_id"), None if creating else opportunity.owner_id)
    opportunity.next_step = _text(fields.get("next_step"), 500, "next_step")
    opportunity.remarks = _text(fields.get("remarks"), 4000, "remarks")
    loss_reason = _text(fields.get("loss_reason"), 500, "loss_reason")
    if loss_reason is not None or stage.kind != LOST:
        opportunity.loss_reason = loss_reason
    lines = _lines(fields.get("lines") or ())
    opportunity.lines = lines
    from_lines = bool(fields.get("amount_from_lines"))
    if from_lines and not lines:
        raise DomainError(_("Add product lines, or enter the amount."), "amount")
    opportunity.amount_from_lines = from_lines
    if from_lines:
        opportunity.amount = to_fen(sum((line.amount for line in lines), Decimal(0)))
    else:
        opportunity.amount = _decimal(fields.get("amount"), "amount")
    opportunity.pipeline_id = stage.pipeline_id
    return stage


def _set_relations(opportunity: Opportunity, customer: Customer, fields: dict) -> None:
    contact_ids = _contact_ids(customer, fields.get("contact_ids") or ())
    competitors = _competitors(fields.get("competitors") or ())
    db.session.flush()
    current = {row.contact_id: row for row in db.session.scalars(
        select(OpportunityContact).where(OpportunityContact.opportunity_id == opportunity.id))}
    for contact_id, row in current.items():
        if contact_id not in contact_ids:
            db.session.delete(row)
    for contact_id in contact_ids:
        if contact_id not in current:
            db.session.add(OpportunityContact(opportunity_id=opportunity.id, contact_id=contact_id))
    for row in db.session.scalars(select(OpportunityCompetitor)
                                  .where(OpportunityCompetitor.opportunity_id == opportunity.id)):
        db.session.delete(row)
    db.session.flush()
    for row in competitors:
        row.opportunity_id = opportunity.id
        db.session.add(row)


def _relations_state(opportunity: Opportunity) -> dict:
    contacts = db.session.scalars(select(Contact.name).join(OpportunityContact, OpportunityContact.contact_id
                                                            == Contact.id)
                                  .where(OpportunityContact.opportunity_id == opportunity.id).order_by(Contact.name))
    competitors = db.session.execute(
        select(Competitor.name, OpportunityCompetitor.offer_amount, OpportunityCompetitor.our_position)
        .join(OpportunityCompetitor, OpportunityCompetitor.competitor_id == Competitor.id)
        .where(OpportunityCompetitor.opportunity_id == opportunity.id).order_by(Competitor.name))
    return {"contacts": ", ".join(contacts) or None,
            "competitors": "; ".join(f"{r.name} {r.offer_amount or ''} {r.our_position or ''}".strip()
                                     for r in competitors) or None}


def create_opportunity(actor: User, customer: Customer, **fields) -> Opportunity:
    """Add an opportunity for a customer the actor may see: the stage's probability unless one is given, the
    amount entered or summed from the product lines, and its first StageChange (created in that stage)."""
    if not actor.can(OpportunityPermission.CREATE):
        raise DomainError(_("You may not create opportunities."))
    now = utcnow()
    opportunity = Opportunity(created_by=actor, updated_by=actor, stage_entered_at=now, created_at=now)
    stage = _apply(actor, opportunity, customer, fields, creating=True)
    opportunity.stage = stage
    _reach(opportunity, stage, now)
    _close_fields(opportunity, stage, opportunity.loss_reason, fields.get("closed_on"))
    db.session.add(opportunity)
    db.session.flush()
    _set_relations(opportunity, customer, fields)
    db.session.add(StageChange(opportunity_id=opportunity.id, from_stage_id=None, to_stage_id=stage.id,
                               actor_id=actor.id, at=now))
    db.session.flush()
    changes = audit.diff({}, {**_state(opportunity), **_relations_state(opportunity)})
    audit.record(actor, "opportunity.created", opportunity, changes)
    return opportunity


def update_opportunity(actor: User, opportunity: Opportunity, **fields) -> Opportunity:
    """Edit an opportunity (every field at once, as the form sends them); a new stage is a stage change."""
    before = {**_state(opportunity), **_relations_state(opportunity)}
    stage = _apply(actor, opportunity, opportunity.customer, fields, creating=False)
    if stage.id != opportunity.stage_id:
        given = fields.get("probability")
        _enter_stage(actor, opportunity, stage, opportunity.loss_reason, fields.get("closed_on"),
                     None if given in (None, "") else opportunity.probability)
    else:
        _close_fields(opportunity, stage, opportunity.loss_reason, fields.get("closed_on"))
    _set_relations(opportunity, opportunity.customer, fields)
    db.session.flush()
    db.session.expire(opportunity, ["lines"])
    changes = audit.diff(before, {**_state(opportunity), **_relations_state(opportunity)})
    if changes:
        opportunity.updated_by = actor
        audit.record(actor, "opportunity.updated", opportunity, changes)
    db.session.flush()
    return opportunity


# --- stages -----------------------------------------------------------------------------------

def _reach(opportunity: Opportunity, stage: Stage, now: dt.datetime) -> None:
    """Keep `furthest_stage_id` (what the funnel groups on): entering an open or won stage further in the
    pipeline's current order than the furthest one so far (or the first one) makes it the furthest; moving back
    or to a lost stage keeps it; a move to another pipeline starts over there. And `first_won_at` (the average
    cycle's end): the first entry into a won stage."""
    if stage.kind == WON and opportunity.first_won_at is None:
        opportunity.first_won_at = now
    with db.session.no_autoflush:
        furthest = db.session.get(Stage, opportunity.furthest_stage_id) if opportunity.furthest_stage_id else None
    if furthest is not None and furthest.pipeline_id != stage.pipeline_id:
        furthest = None
    if stage.kind != LOST and (furthest is None or (stage.sort_order, stage.id) > (furthest.sort_order, furthest.id)):
        furthest = stage
    opportunity.furthest_stage_id = furthest.id if furthest is not None else None


def _enter_stage(actor: User, opportunity: Opportunity, stage: Stage, loss_reason: str | None,
                 closed_on: dt.date | None, probability: int | None = None) -> StageChange:
    now = utcnow()
    previous_id = opportunity.stage_id
    opportunity.stage = stage
    opportunity.pipeline_id = stage.pipeline_id
    _reach(opportunity, stage, now)
    opportunity.stage_entered_at = now
    opportunity.probability = stage.probability if probability is None else probability
    _close_fields(opportunity, stage, loss_reason, closed_on)
    change = StageChange(opportunity_id=opportunity.id, from_stage_id=previous_id, to_stage_id=stage.id,
                         actor_id=actor.id, at=now)
    db.session.add(change)
    return change


def change_stage(actor: User, opportunity: Opportunity, stage_id: int | None, loss_reason: str | None = None,
                 closed_on: dt.date | None = None) -> StageChange | None:
    """Move an opportunity to another stage of its pipeline (the kanban's drag and drop, or the stage form): the
    stage's probability, status = the stage's kind, the closing day for won/lost, a reason for lost, and a
    StageChange row. Returns None when it already is in that stage."""
    stage = db.session.get(Stage, stage_id) if stage_id else None
    if stage is None or stage.pipeline_id != opportunity.pipeline_id or not stage.is_active:
        raise DomainError(_("Choose a stage of this opportunity's pipeline."), "stage_id")
    if stage.id == opportunity.stage_id:
        return None
    reason = _text(loss_reason, 500, "loss_reason")
    if stage.kind == LOST and not (reason or opportunity.loss_reason):
        raise DomainError(_("Enter the reason the opportunity was lost."), "loss_reason")
    before = audit.snapshot(opportunity, ("stage", "probability", "status", "closed_on", "loss_reason"))
    change = _enter_stage(actor, opportunity, stage, reason, closed_on)
    opportunity.updated_by = actor
    db.session.flush()
    audit.record(actor, "opportunity.stage_changed", opportunity, audit.diff(
        before, audit.snapshot(opportunity, ("stage", "probability", "status", "closed_on", "loss_reason"))))
    return change


def stage_history(opportunity: Opportunity) -> list[dict]:
    """Each stage the opportunity entered, who moved it, and how long it stayed (until now for the current one)."""
    rows = list(db.session.scalars(
        select(StageChange).where(StageChange.opportunity_id == opportunity.id)
        .order_by(StageChange.at, StageChange.id)))
    now = utcnow()
    history = []
    for index, row in enumerate(rows):
        left = rows[index + 1].at if index + 1 < len(rows) else None
        end = left or (now if opportunity.status == OPEN else row.at)
        history.append({"change": row, "left_at": left, "days": max(0.0, (end - row.at).total_seconds() / 86400)})
    return history


# --- delete, quotes and choices for other domains ---------------------------------------------

def delete_opportunity(actor: User, opportunity: Opportunity) -> None:
    """Soft delete (kept for the audit trail); needs the delete permission."""
    if not actor.can(OpportunityPermission.DELETE):
        raise DomainError(_("You may not delete opportunities."))
    if opportunity.deleted_at is not None:
        return
    now = utcnow()
    opportunity.deleted_at = now
    opportunity.updated_by = actor
    audit.record(actor, "opportunity.deleted", opportunity, {"deleted_at": [None, now]})
    db.session.flush()


def apply_accepted_quote(actor: User, opportunity: Opportunity, amount: Decimal) -> None:
    """An accepted quote's total becomes the opportunity's amount (entered, no longer summed from its lines)."""
    amount = _decimal(amount, "amount")
    before = audit.snapshot(opportunity, ("amount", "amount_from_lines"))
    opportunity.amount = amount
    opportunity.amount_from_lines = False
    opportunity.updated_by = actor
    changes = audit.diff(before, audit.snapshot(opportunity, ("amount", "amount_from_lines")))
    db.session.flush()
    if changes:
        audit.record(actor, "opportunity.quote_accepted", opportunity, changes)


def opportunity_choices(user: User, customer_id: int | None) -> list[tuple[int, str]]:
    """Open opportunities of a customer that the user may see, for a select (quotes, follow-ups)."""
    if not customer_id:
        return []
    stmt = (select(Opportunity.id, Opportunity.name).where(opportunity_condition(user),
                                                           Opportunity.customer_id == customer_id,
                                                           Opportunity.status == OPEN)
            .order_by(Opportunity.name, Opportunity.id))
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def customer_for(user: User, customer_id: int) -> Customer:
    """The customer an opportunity is created for (404 unless the user may see it)."""
    return _customer_for(user, customer_id)


def customers_matching(user: User, term: str, limit: int = 20) -> list[Customer]:
    """Customers the user may see whose name contains `term`, for picking the customer of a new opportunity."""
    from ..customers.services import keyword_condition
    stmt = visible_customers(user)
    condition = keyword_condition(term) if term else None
    if condition is not None:
        stmt = stmt.where(condition)
    return list(db.session.scalars(stmt.order_by(Customer.updated_at.desc(), Customer.id.desc()).limit(limit)))


def contact_choices(customer: Customer) -> list[tuple[int, str]]:
    stmt = select(Contact.id, Contact.name, Contact.title).where(Contact.customer_id == customer.id,
                                                                 Contact.deleted_at.is_(None))
    return [(row.id, f"{row.name} ({row.title})" if row.title else row.name)
            for row in db.session.execute(stmt.order_by(Contact.name, Contact.id))]


def competitor_choices() -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in db.session.execute(select(Competitor.id, Competitor.name)
                                                             .order_by(Competitor.name, Competitor.id))]


def product_choices(limit: int = 1000) -> list[tuple[int, str, Decimal]]:
    """Products on sale for the line selects: (id, "code name", list price)."""
    stmt = select(Product.id, Product.code, Product.name, Product.list_price).where(Product.is_on_sale == true())
    return [(row.id, f"{row.code} {row.name}", row.list_price) for row in db.session.execute(
        stmt.order_by(Product.name, Product.id).limit(limit))]


def owner_choices(user: User) -> list[tuple[int, str]]:
    from ..core.permissions import scope_condition
    stmt = select(User.id, User.display_name).where(scope_condition(user, User.id, OPPORTUNITY),
                                                    User.is_active == true())
    return [(row.id, row.display_name) for row in db.session.execute(stmt.order_by(User.display_name, User.id))]


def edit_history(opportunity: Opportunity, limit: int = 20) -> list[audit.AuditLog]:
    return list(db.session.scalars(
        select(audit.AuditLog).where(audit.AuditLog.entity_type == Opportunity.__tablename__,
                                     audit.AuditLog.entity_id == opportunity.id)
        .order_by(audit.AuditLog.at.desc(), audit.AuditLog.id.desc()).limit(limit)))
