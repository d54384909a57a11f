"""交接: a departing user's customers (or those of disabled users) go to a colleague, with their open reminders."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import Select, and_, false, func, select, union, update
from sqlalchemy.orm import aliased, selectinload

from ..contacts.models import Contact
from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.types import utcnow
from ..customers.access import CustomerPermission, customer_condition, visible_customers
from ..customers.models import Customer
from ..customers.services import transfer_customers
from ..extensions import db
from ..followups.models import FollowUp
from ..reminders.models import Reminder
from .services import assignable_users, check_permission, chunks

# What reminders name as their entity: table names, as the audit log does (singular forms accepted too).
CUSTOMER_ENTITIES = ("customers", "customer")
FOLLOWUP_ENTITIES = ("followups", "followup")
CONTACT_ENTITIES = ("contacts", "contact")
PREVIEW_ROWS = 50


def departing_candidates(actor: User) -> list[tuple[User, int]]:
    """Users holding customers the actor can see, with how many: disabled users first, then by name."""
    counts = dict(db.session.execute(
        select(Customer.owner_id, func.count(Customer.id)).where(customer_condition(actor))
        .group_by(Customer.owner_id)).all())
    users = []
    for part in chunks(sorted(counts)):
        users.extend(db.session.scalars(select(User).where(User.id.in_(part))))
    users.sort(key=lambda u: (u.is_active, u.display_name, u.id))
    return [(user, counts[user.id]) for user in users]


def receiving_candidates(actor: User) -> list[User]:
    """Active users within the actor's customer data scope."""
    return assignable_users(actor)


def selection(actor: User, from_user: User | None, customer_ids: list[int] | None = None) -> Select:
    """A SELECT of the ids of the customers a hand-over moves: the departing user's customers the actor can see
    (all, or those among `customer_ids`); without a departing user, customers of disabled users."""
    stmt = visible_customers(actor, select(Customer.id))
    if from_user is not None:
        stmt = stmt.where(Customer.owner_id == from_user.id)
    else:
        stmt = stmt.where(_owner_disabled())
    if customer_ids is not None:
        stmt = stmt.where(Customer.id.in_(customer_ids))
    return stmt.correlate(None)  # used inside queries on customers: never bind to the outer row


def _open_reminders(customer_ids) -> Select:
    """Ids of the open reminders the customers' owners have about them, their contacts or their follow-ups."""
    open_ = Reminder.done_at.is_(None)
    about_customer = (select(Reminder.id).join(Customer, and_(Reminder.entity_type.in_(CUSTOMER_ENTITIES),
                                                              Reminder.entity_id == Customer.id))
                      .where(open_, Reminder.user_id == Customer.owner_id, Customer.id.in_(customer_ids)))
    about_followup = (select(Reminder.id).join(FollowUp, and_(Reminder.entity_type.in_(FOLLOWUP_ENTITIES),
                                                              Reminder.entity_id == FollowUp.id))
                      .join(Customer, FollowUp.customer_id == Customer.id)
                      .where(open_, Reminder.user_id == Customer.owner_id, Customer.id.in_(customer_ids)))
    about_contact = (select(Reminder.id).join(Contact, and_(Reminder.entity_type.in_(CONTACT_ENTITIES),
                                                            Reminder.entity_id == Contact.id))
                     .join(Customer, Contact.customer_id == Customer.id)
                     .where(open_, Reminder.user_id == Customer.owner_id, Customer.id.in_(customer_ids)))
    return union(about_customer, about_followup, about_contact)


@dataclass
class HandoverPreview:
    customers: int = 0
    contacts: int = 0
    planned_followups: int = 0
    reminders: int = 0
    rows: list[Customer] = field(default_factory=list)  # the first PREVIEW_ROWS customers


def _count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


def preview(actor: User, from_user: User | None, customer_ids: list[int] | None = None) -> HandoverPreview:
    """What a hand-over would move: customers, their contacts, open planned follow-ups, open reminders."""
    ids = selection(actor, from_user, customer_ids)
    result = HandoverPreview()
    result.customers = _count(ids)
    result.contacts = db.session.scalar(select(func.count(Contact.id)).where(
        Contact.customer_id.in_(ids), Contact.deleted_at.is_(None))) or 0
    result.planned_followups = db.session.scalar(select(func.count(FollowUp.id)).where(
        FollowUp.customer_id.in_(ids), FollowUp.next_followup_at.is_not(None),
        FollowUp.next_done_at.is_(None))) or 0
    result.reminders = _count(_open_reminders(ids))
    result.rows = list(db.session.scalars(
        select(Customer).options(selectinload(Customer.owner), selectinload(Customer.level))
        .where(Customer.id.in_(ids)).order_by(Customer.name, Customer.id).limit(PREVIEW_ROWS)))
    return result


def _reassign_reminders(customer_ids: list[int], to_user: User) -> int:
    """Give the owners' open reminders about these customers to the receiver. A reminder the receiver already has
    (same source) is closed instead, so nobody is reminded twice."""
    reminder_ids = list(db.session.scalars(select(_open_reminders(customer_ids).subquery().c[0])))
    if not reminder_ids:
        return 0
    moved = 0
    now = utcnow()
    for part in chunks(sorted(reminder_ids)):
        rows = db.session.execute(select(Reminder.id, Reminder.source_key).where(Reminder.id.in_(part))
                                  .order_by(Reminder.id)).all()
        keys = sorted({key for _id, key in rows})
        held = set()
        for key_part in chunks(keys):
            held.update(db.session.scalars(select(Reminder.source_key).where(Reminder.user_id == to_user.id,
                                                                             Reminder.source_key.in_(key_part))))
        clash = [rid for rid, key in rows if key in held]
        move = [rid for rid, key in rows if key not in held]
        if clash:
            db.session.execute(update(Reminder).where(Reminder.id.in_(clash)).values(done_at=now)
                               .execution_options(synchronize_session=False))
        if move:
            db.session.execute(update(Reminder).where(Reminder.id.in_(move)).values(user_id=to_user.id)
                               .execution_options(synchronize_session=False))
            moved += len(move)
    return moved


def hand_over(actor: User, to_user: User, from_user: User | None = None, customer_ids: list[int] | None = None,
              reason: str | None = None) -> tuple[int, int]:
    """Give a departing user's customers (all, or those in `customer_ids`) to `to_user`; without `from_user`,
    the chosen customers of disabled users. Their owners' open reminders about them go along. Writes the
    per-customer rows through transfer_customers (kind "handover") and one "customer.handover" summary.
    Returns (customers moved, reminders moved). Only flushes."""
    check_permission(actor, CustomerPermission.HANDOVER)
    if to_user is None or not to_user.is_active:
        raise DomainError(_("Choose an active user."), "to_user_id")
    if from_user is not None and from_user.id == to_user.id:
        raise DomainError(_("The receiving user must be someone else."), "to_user_id")
    if from_user is None and not customer_ids:
        raise DomainError(_("Choose at least one customer."))
    wanted = sorted(set(customer_ids)) if customer_ids is not None else None
    ids: list[int] = []
    for part in (chunks(wanted) if wanted is not None else [None]):
        ids.extend(db.session.scalars(selection(actor, from_user, part).order_by(Customer.id)))
    if wanted is not None and len(ids) != len(wanted):
        raise DomainError(_("Some of the chosen customers cannot be handed over by you."))
    if not ids:
        raise DomainError(_("There are no customers to hand over."))
    if reason is None or not reason.strip():
        reason = (_("Hand-over from %(name)s", name=from_user.display_name) if from_user is not None
                  else _("Hand-over of customers of disabled users"))
    moved = reminders = 0
    for part in chunks(ids):
        reminders += _reassign_reminders(part, to_user)
        customers = list(db.session.scalars(select(Customer).options(selectinload(Customer.owner))
                                            .where(Customer.id.in_(part)).order_by(Customer.id)))
        moved += transfer_customers(actor, customers, to_user, reason=reason.strip(), kind="handover")
    changes = {"to_user": [None, to_user.display_name], "customers": [None, moved], "reminders": [None, reminders],
               "reason": [None, reason.strip()]}
    if from_user is not None:
        audit.record(actor, "customer.handover", from_user, changes,
                     label=f"{from_user.display_name} → {to_user.display_name}")
    else:
        audit.record(actor, "customer.handover", to_user, changes,
                     label=f"{_('Disabled users')} → {to_user.display_name}")
    db.session.flush()
    return moved, reminders


def _owner_disabled():
    return Customer.owner_id.in_(select(User.id).where(User.is_active == false()))


def orphans_query(actor: User) -> Select:
    """Live customers the actor can see whose owner is disabled: they need a new owner."""
    owner = aliased(User)  # the scope's subqueries read users; an alias keeps them uncorrelated
    return (visible_customers(actor).join(owner, Customer.owner_id == owner.id)
            .where(owner.is_active == false())
            .options(selectinload(Customer.owner), selectinload(Customer.level))
            .order_by(owner.display_name, owner.id, Customer.name, Customer.id))


def orphan_count(actor: User) -> int:
    return db.session.scalar(visible_customers(actor, select(func.count(Customer.id))).where(_owner_disabled())) or 0
