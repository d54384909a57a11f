"""跟进记录 rules: logging, editing and deleting follow-ups, the planned next contacts, and the lists.

Who may read a follow-up is decided by its customer (customers.access). Logging one needs the right to edit
the customer (its owner, an editing collaborator, or someone whose data scope covers the owner). A follow-up
with a next date is a plan; the next follow-up of the customer completes the plans made before it. The
customer's last_followup_at and next_followup_at are kept in step by every write here.
"""
from __future__ import annotations

import bisect
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Iterable

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from ..contacts.models import Contact
from ..core import audit
from ..core.audit import diff, snapshot
from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import register_permission, scoped
from ..core.types import utcnow
from ..core.validation import clean_text as _text
from ..customers.access import CUSTOMER, can_edit, customer_condition, visible_customers
from ..customers.models import Customer
from ..extensions import db
from . import attachments
from . import daycounts  # noqa: F401  (keeps followup_day_counts in step with every follow-up flushed)
from .models import FollowUp

audit.register_actions({
    "followup.created": _l("Logged a follow-up"),
    "followup.updated": _l("Edited a follow-up"),
    "followup.deleted": _l("Deleted a follow-up"),
})


class FollowUpPermission:
    MANAGE = register_permission("followup.manage", _l("Edit and delete colleagues' follow-ups"),
                                 _l("Follow-ups"), default_roles=("sales_director", "sales_manager"))


KINDS = {
    "call": _l("Phone call"),
    "visit": _l("Visit"),
    "meeting": _l("Meeting"),
    "email": _l("E-mail message"),
    "wechat": _l("WeChat"),
    "other": _l("Other"),
}
KIND_ICONS = {"call": "bi-telephone", "visit": "bi-geo-alt", "meeting": "bi-people", "email": "bi-envelope",
              "wechat": "bi-wechat", "other": "bi-chat-dots"}
FUTURE_TOLERANCE = dt.timedelta(minutes=5)   # clocks differ a little; a follow-up cannot be logged ahead
AUTHOR_EDIT_WINDOW = dt.timedelta(hours=24)  # authors may correct their own follow-up for a day
CONTENT_MAX = 5000
# Relationships rather than ids, so the audit log shows names.
FOLLOWUP_FIELDS = ("kind", "happened_at", "contact", "content", "outcome", "next_step", "next_followup_at")


# --- the site's time zone (forms show and take local times; the database holds UTC) ------------------

def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)


def to_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A local time of the site (naive) or any aware time, as naive UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=site_zone())
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def to_local(value: dt.datetime | None) -> dt.datetime | None:
    """A naive UTC time as the site's naive local time (for form fields)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.timezone.utc).astimezone(site_zone()).replace(tzinfo=None)


def local_today() -> dt.date:
    return dt.datetime.now(site_zone()).date()


def day_start_utc(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the site's time zone, as naive UTC."""
    return to_utc(dt.datetime.combine(day, dt.time()))


def today_bounds() -> tuple[dt.datetime, dt.datetime]:
    """Today in the site's time zone as [start, end) in naive UTC: plans before it are overdue."""
    today = local_today()
    return day_start_utc(today), day_start_utc(today + dt.timedelta(days=1))


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    """Values given to the services are naive UTC (as stored) or aware."""
    if value is not None and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


# --- who may do what ------------------------------------------------------------------------------

def _visible(user: User, customer_id: int) -> bool:
    return db.session.scalar(visible_customers(user, select(Customer.id)).where(Customer.id == customer_id)) \
        is not None


def may_log(user: User, customer: Customer) -> bool:
    """The user sees the customer and may edit it: owner, editing collaborator, or owner in the user's scope
    (a read-only collaborator may read the follow-ups but not add to them)."""
    return _visible(user, customer.id) and can_edit(user, customer)


def manages(user: User, customer: Customer) -> bool:
    """A manager (permission followup.manage) who may edit the customer may change anyone's follow-ups on it."""
    return user.can(FollowUpPermission.MANAGE) and may_log(user, customer)


def may_edit(user: User, followup: FollowUp, now: dt.datetime | None = None) -> bool:
    """The author within 24 hours of logging it (while still seeing the customer), or a manager in scope."""
    if followup.user_id == user.id and followup.created_at >= (now or utcnow()) - AUTHOR_EDIT_WINDOW:
        return _visible(user, followup.customer_id)
    return manages(user, followup.customer)


def may_delete(user: User, followup: FollowUp) -> bool:
    """The author (while still seeing the customer), or a manager in scope."""
    if followup.user_id == user.id:
        return _visible(user, followup.customer_id)
    return manages(user, followup.customer)


def permissions_for(user: User, followups: list[FollowUp]) -> dict[int, tuple[bool, bool]]:
    """{follow-up id: (may edit, may delete)} for follow-ups already read through the user's access, in one
    query (which of their customers the user manages) rather than one per row."""
    managed: set[int] = set()
    customer_ids = sorted({f.customer_id for f in followups})
    if customer_ids and user.can(FollowUpPermission.MANAGE):
        managed = set(db.session.scalars(
            visible_customers(user, select(Customer.id), editable=True).where(Customer.id.in_(customer_ids))))
    since = utcnow() - AUTHOR_EDIT_WINDOW
    result = {}
    for f in followups:
        author = f.user_id == user.id
        result[f.id] = ((author and f.created_at >= since) or f.customer_id in managed,
                        author or f.customer_id in managed)
    return result


# --- validation -----------------------------------------------------------------------------------

def _contact(customer: Customer, contact_id: int | None, keep_id: int | None = None) -> Contact | None:
    if not contact_id:
        return None
    contact = db.session.get(Contact, contact_id)
    live = contact is not None and (contact.deleted_at is None or contact.id == keep_id)
    if not live or contact.customer_id != customer.id:
        raise DomainError(_("Choose one of this customer's contacts."), "contact_id")
    return contact


def _opportunity_id(actor: User, customer: Customer, opportunity_id: int | None, keep_id: int | None) -> int | None:
    """One of the customer's open opportunities the actor may see (or the one the follow-up already names)."""
    from ..opportunities.services import opportunity_choices  # opportunities hang from customers, as follow-ups
    if not opportunity_id or opportunity_id == keep_id:
        return opportunity_id or None
    if opportunity_id not in dict(opportunity_choices(actor, customer.id)):
        raise DomainError(_("Choose one of this customer's open opportunities."), "opportunity_id")
    return opportunity_id


def _values(customer: Customer, *, contact_id, kind, happened_at, content, outcome, next_step,
            next_followup_at, keep_contact_id: int | None = None) -> dict:
    if kind not in KINDS:
        raise DomainError(_("Choose how you were in touch."), "kind")
    happened_at = _utc(happened_at)
    if happened_at is None:
        raise DomainError(_("This field is required."), "happened_at")
    if happened_at > utcnow() + FUTURE_TOLERANCE:
        raise DomainError(_("A follow-up cannot lie in the future: plan it as the next follow-up instead."),
                          "happened_at")
    next_followup_at = _utc(next_followup_at)
    if next_followup_at is not None and next_followup_at <= happened_at:
        raise DomainError(_("The next follow-up must come after this one."), "next_followup_at")
    return {
        "kind": kind,
        "happened_at": happened_at,
        "contact": _contact(customer, contact_id, keep_contact_id),
        "content": _text(content, CONTENT_MAX, "content", required=True),
        "outcome": _text(outcome, 500, "outcome"),
        "next_step": _text(next_step, 500, "next_step"),
        "next_followup_at": next_followup_at,
    }


# --- the customer's follow-up times and plans -----------------------------------------------------

def refresh_customer_times(customer: Customer) -> None:
    """last_followup_at: the latest follow-up; next_followup_at: the earliest plan still open."""
    customer.last_followup_at = db.session.scalar(
        select(func.max(FollowUp.happened_at)).where(FollowUp.customer_id == customer.id))
    customer.next_followup_at = db.session.scalar(
        select(func.min(FollowUp.next_followup_at))
        .where(FollowUp.customer_id == customer.id, FollowUp.next_done_at.is_(None),
               FollowUp.next_followup_at.is_not(None)))


def _complete_plans_before(followup: FollowUp) -> int:
    """Plans of the customer made by follow-ups that happened before this one are done: it is the contact
    they planned; and its own plan is done already if a follow-up happened after it. Returns how many of the
    earlier plans were completed."""
    plans = db.session.scalars(
        select(FollowUp).where(FollowUp.customer_id == followup.customer_id, FollowUp.id != followup.id,
                               FollowUp.next_done_at.is_(None), FollowUp.next_followup_at.is_not(None),
                               FollowUp.happened_at < followup.happened_at)).all()
    for plan in plans:
        plan.next_done_at = followup.happened_at
    if followup.next_followup_at is not None:
        # logged after the fact: a follow-up that happened later already was the planned next contact
        followup.next_done_at = db.session.scalar(
            select(func.min(FollowUp.happened_at))
            .where(FollowUp.customer_id == followup.customer_id, FollowUp.id != followup.id,
                   FollowUp.happened_at > followup.happened_at))
    return len(plans)


def _recheck_plans(customer: Customer) -> None:
    """After an edit or a deletion: a plan is done when a follow-up of the customer happened after it (the
    first such one, unless the one that completed it still does), and open again when none did."""
    rows = db.session.execute(
        select(FollowUp.id, FollowUp.happened_at, FollowUp.next_followup_at, FollowUp.next_done_at)
        .where(FollowUp.customer_id == customer.id).order_by(FollowUp.happened_at, FollowUp.id)).all()
    times = [row.happened_at for row in rows]
    known = set(times)
    for row in rows:
        if row.next_followup_at is None:
            continue
        first_later = bisect.bisect_right(times, row.happened_at)
        if first_later == len(times):
            wanted = None
        elif row.next_done_at is not None and row.next_done_at > row.happened_at and row.next_done_at in known:
            wanted = row.next_done_at
        else:
            wanted = times[first_later]
        if wanted != row.next_done_at:
            db.session.get(FollowUp, row.id).next_done_at = wanted


# --- writes ---------------------------------------------------------------------------------------

def _attachment_names(items) -> str:
    return ", ".join(item.filename for item in items)


def log_followup(actor: User, customer: Customer, *, contact_id: int | None = None, opportunity_id: int | None = None,
                 kind: str,
                 happened_at: dt.datetime, content: str, outcome: str | None = None, next_step: str | None = None,
                 next_followup_at: dt.datetime | None = None, files: Iterable | None = None) -> FollowUp:
    """Log a call, visit, meeting or message with a customer the actor may edit (times are naive UTC or
    aware). Completes the customer's earlier open plans, updates its last and next follow-up times, and
    stores `files` (objects with .filename and .stream) as attachments."""
    if not may_log(actor, customer):
        raise DomainError(_("You may not log follow-ups for this customer."))
    values = _values(customer, contact_id=contact_id, kind=kind, happened_at=happened_at, content=content,
                     outcome=outcome, next_step=next_step, next_followup_at=next_followup_at)
    uploads = attachments.check_uploads(files)
    values["opportunity_id"] = _opportunity_id(actor, customer, opportunity_id, None)
    followup = FollowUp(customer=customer, user=actor, **values)
    db.session.add(followup)
    db.session.flush()
    added = attachments.store(actor, followup, uploads)
    completed = _complete_plans_before(followup)
    db.session.flush()
    refresh_customer_times(customer)
    changes = {"customer": [None, customer.name], **diff({}, snapshot(followup, FOLLOWUP_FIELDS))}
    if added:
        changes["attachments"] = [None, _attachment_names(added)]
    if completed:
        changes["plans_completed"] = [None, completed]
    audit.record(actor, "followup.created", followup, changes)
    return followup


def update_followup(actor: User, followup: FollowUp, *, contact_id: int | None = None,
                    opportunity_id: int | None = None, kind: str,
                    happened_at: dt.datetime, content: str, outcome: str | None = None,
                    next_step: str | None = None, next_followup_at: dt.datetime | None = None,
                    files: Iterable | None = None, remove_attachment_ids: Iterable[int] = ()) -> FollowUp:
    """Edit a follow-up (its author within 24 hours, or a manager in scope): its fields, attachments to add
    and to remove. The customer's plans and follow-up times are worked out again."""
    if not may_edit(actor, followup):
        raise DomainError(_("You may no longer edit this follow-up."))
    customer = followup.customer
    values = _values(customer, contact_id=contact_id, kind=kind, happened_at=happened_at, content=content,
                     outcome=outcome, next_step=next_step, next_followup_at=next_followup_at,
                     keep_contact_id=followup.contact_id)
    values["opportunity_id"] = _opportunity_id(actor, customer, opportunity_id, followup.opportunity_id)
    remove = {int(i) for i in remove_attachment_ids or ()}
    removing = [a for a in followup.attachments if a.id in remove]
    uploads = attachments.check_uploads(files, existing=len(followup.attachments) - len(removing))
    before = snapshot(followup, FOLLOWUP_FIELDS)
    for key, value in values.items():
        setattr(followup, key, value)
    if removing:
        attachments.discard(removing)
        for attachment in removing:
            followup.attachments.remove(attachment)
    added = attachments.store(actor, followup, uploads)
    db.session.flush()
    _recheck_plans(customer)
    db.session.flush()
    refresh_customer_times(customer)
    changes = diff(before, snapshot(followup, FOLLOWUP_FIELDS))
    if removing or added:
        changes["attachments"] = [_attachment_names(removing) or None, _attachment_names(added) or None]
    if changes:
        audit.record(actor, "followup.updated", followup, changes)
    return followup


def delete_followup(actor: User, followup: FollowUp) -> None:
    """Delete a follow-up (its author, or a manager in scope) with its attachments; the plans it completed
    open again unless a later follow-up completes them, and the customer's times are worked out again."""
    if not may_delete(actor, followup):
        raise DomainError(_("You may not delete this follow-up."))
    customer = followup.customer
    state = {"customer": customer.name, **snapshot(followup, FOLLOWUP_FIELDS)}
    if followup.attachments:
        state["attachments"] = _attachment_names(followup.attachments)
    audit.record(actor, "followup.deleted", followup, {k: [v, None] for k, v in state.items() if v is not None})
    attachments.discard(followup.attachments)
    db.session.delete(followup)
    db.session.flush()
    _recheck_plans(customer)
    db.session.flush()
    refresh_customer_times(customer)


# --- reads ----------------------------------------------------------------------------------------

def _with_details(stmt: Select) -> Select:
    return stmt.options(joinedload(FollowUp.user), joinedload(FollowUp.contact),
                        selectinload(FollowUp.attachments))


def get_followup(user: User, followup_id: int) -> FollowUp:
    """A follow-up of a customer the user may see; 404 otherwise, so ids reveal nothing."""
    followup = db.session.scalar(_with_details(
        select(FollowUp).join(Customer, FollowUp.customer_id == Customer.id)
        .where(FollowUp.id == followup_id, customer_condition(user))
        .options(contains_eager(FollowUp.customer))))
    if followup is None:
        abort(404)
    return followup


def timeline(customer: Customer, limit: int) -> list[FollowUp]:
    """The customer's newest `limit` follow-ups (the caller has checked access to the customer)."""
    return list(db.session.scalars(_with_details(
        select(FollowUp).where(FollowUp.customer_id == customer.id)
        .order_by(FollowUp.happened_at.desc(), FollowUp.id.desc()).limit(limit))).unique())


def contact_timeline(contact: Contact, limit: int) -> list[FollowUp]:
    """The newest `limit` follow-ups with a contact (the caller has checked access to its customer)."""
    return list(db.session.scalars(_with_details(
        select(FollowUp).where(FollowUp.contact_id == contact.id)
        .order_by(FollowUp.happened_at.desc(), FollowUp.id.desc()).limit(limit))).unique())


@dataclass
class FollowUpFilters:
    user_id: int | None = None
    kind: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    customer_id: int | None = None
    contact_id: int | None = None


def followup_query(user: User, filters: FollowUpFilters) -> Select:
    """Follow-ups on the customers the user may see, newest first; dates are days in the site's time zone."""
    stmt = _with_details(select(FollowUp).join(Customer, FollowUp.customer_id == Customer.id)
                         .where(customer_condition(user)).options(contains_eager(FollowUp.customer)))
    if filters.user_id is not None:
        stmt = stmt.where(FollowUp.user_id == filters.user_id)
    if filters.kind in KINDS:
        stmt = stmt.where(FollowUp.kind == filters.kind)
    if filters.date_from is not None:
        stmt = stmt.where(FollowUp.happened_at >= day_start_utc(filters.date_from))
    if filters.date_to is not None:
        stmt = stmt.where(FollowUp.happened_at < day_start_utc(filters.date_to + dt.timedelta(days=1)))
    if filters.customer_id is not None:
        stmt = stmt.where(FollowUp.customer_id == filters.customer_id)
    if filters.contact_id is not None:
        stmt = stmt.where(FollowUp.contact_id == filters.contact_id)
    return stmt.order_by(FollowUp.happened_at.desc(), FollowUp.id.desc())


def author_choices(user: User) -> list[tuple[int, str]]:
    """The colleagues within the user's customer data scope, for the author filter."""
    stmt = scoped(select(User.id, User.display_name), user, User.id, CUSTOMER)
    return [(row.id, row.display_name) for row in db.session.execute(stmt.order_by(User.display_name, User.id))]


PLAN_LISTS = ("today", "overdue")


def plans_query(user: User, which: str) -> Select:
    """The user's own open plans on customers they own: due today (site time zone), or overdue (before today)."""
    start, end = today_bounds()
    stmt = (select(FollowUp).join(Customer, FollowUp.customer_id == Customer.id)
            .where(FollowUp.user_id == user.id, Customer.owner_id == user.id, customer_condition(user),
                   FollowUp.next_done_at.is_(None), FollowUp.next_followup_at.is_not(None))
            .options(contains_eager(FollowUp.customer), joinedload(FollowUp.contact)))
    if which == "today":
        stmt = stmt.where(FollowUp.next_followup_at >= start, FollowUp.next_followup_at < end)
    else:
        stmt = stmt.where(FollowUp.next_followup_at < start)
    return stmt.order_by(FollowUp.next_followup_at, FollowUp.id)


def plan_counts(user: User) -> dict[str, int]:
    return {which: db.session.scalar(select(func.count()).select_from(
        plans_query(user, which).order_by(None).subquery())) or 0 for which in PLAN_LISTS}
