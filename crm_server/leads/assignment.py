"""Who gets a lead: manual assignment, claiming from the lead pool, and round-robin among the assignment team."""
from __future__ import annotations

from typing import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true

from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import can_see_owner
from ..core.types import utcnow
from ..extensions import db
from .access import LEAD, LeadPermission
from .models import OPEN_STATUSES, Lead, LeadAssignee

audit.register_actions({
    "lead.assigned": _l("Assigned a lead"),
    "lead.claimed": _l("Claimed a lead from the lead pool"),
    "lead.auto_assigned": _l("Assigned a lead automatically (round robin)"),
    "lead_assignee.saved": _l("Changed the lead assignment team"),
    "lead_assignee.removed": _l("Removed a member of the lead assignment team"),
})


def _give(actor: User | None, lead: Lead, to_user: User, action: str) -> None:
    previous = lead.owner
    lead.owner = to_user
    lead.assigned_at = utcnow()
    if actor is not None:
        lead.updated_by = actor
    audit.record(actor, action, lead, {"owner": [previous.display_name if previous else None, to_user.display_name]})


def assign_leads(actor: User, leads: Iterable[Lead], to_user: User | None) -> int:
    """Give leads (from the pool or another salesperson) to an active user within the actor's data scope; needs
    `lead.assign`. Returns how many moved."""
    if not actor.can(LeadPermission.ASSIGN):
        raise DomainError(_("You may not assign leads."))
    if to_user is None or not to_user.is_active:
        raise DomainError(_("Choose an active user."), "to_user_id")
    if not can_see_owner(actor, to_user.id, LEAD):
        raise DomainError(_("Choose an active user within your data scope."), "to_user_id")
    moved = 0
    for lead in leads:
        if lead.deleted_at is not None or lead.owner_id == to_user.id or lead.status not in OPEN_STATUSES:
            continue
        _give(actor, lead, to_user, "lead.assigned")
        moved += 1
    db.session.flush()
    return moved


def claim_lead(actor: User, lead: Lead) -> Lead:
    """Take a lead from the lead pool (permission `lead.pool`). A conditional UPDATE, so two people claiming the
    same lead at once cannot both have it."""
    if not actor.can(LeadPermission.POOL):
        raise DomainError(_("You may not claim leads from the lead pool."))
    if lead.deleted_at is not None or lead.status not in OPEN_STATUSES:
        raise DomainError(_("This lead is closed."))
    now = utcnow()
    taken = db.session.execute(
        Lead.__table__.update().where(Lead.id == lead.id, Lead.owner_id.is_(None), Lead.deleted_at.is_(None))
        .values(owner_id=actor.id, assigned_at=now, updated_at=now, updated_by_id=actor.id)).rowcount
    if taken != 1:
        raise DomainError(_("Someone else has already taken this lead."))
    db.session.refresh(lead)
    audit.record(actor, "lead.claimed", lead, {"owner": [None, actor.display_name]})
    db.session.flush()
    return lead


# --- round robin -------------------------------------------------------------------------------

def _next_member(grade: str | None) -> LeadAssignee | None:
    """The active member of the team who has waited longest for a lead (never assigned first, then the earliest
    turn, then the lowest id); for an A-grade lead only members flagged `receives_a_grade`."""
    stmt = (select(LeadAssignee).join(User, User.id == LeadAssignee.user_id)
            .where(LeadAssignee.is_active == true(), User.is_active == true()))
    if grade == "A":
        stmt = stmt.where(LeadAssignee.receives_a_grade == true())
    members = list(db.session.scalars(stmt))
    if not members:
        return None
    return min(members, key=lambda m: (m.last_turn or 0, m.user_id))


def auto_assign(lead: Lead, actor: User | None = None) -> User | None:
    """Give a new lead to the next member of the assignment team (round robin); with no team, or no member who
    may take an A-grade lead, it stays in the lead pool. Returns the new owner or None."""
    member = _next_member(lead.grade)
    if member is None:
        return None
    member.last_assigned_at = utcnow()
    member.last_turn = (db.session.scalar(select(func.max(LeadAssignee.last_turn))) or 0) + 1
    _give(actor, lead, member.user, "lead.auto_assigned")
    db.session.flush()
    return member.user


def team() -> list[LeadAssignee]:
    return list(db.session.scalars(select(LeadAssignee).join(User, User.id == LeadAssignee.user_id)
                                   .order_by(User.display_name, LeadAssignee.user_id)))


def save_member(actor: User, user: User | None, receives_a_grade: bool, is_active: bool) -> LeadAssignee:
    """Add a user to the assignment team or change their flags (permission `lead.assign_rules`)."""
    if not actor.can(LeadPermission.ASSIGN_RULES):
        raise DomainError(_("You may not change the lead assignment team."))
    if user is None or not user.is_active:
        raise DomainError(_("Choose an active user."), "user_id")
    member = db.session.get(LeadAssignee, user.id)
    before = {} if member is None else {"receives_a_grade": member.receives_a_grade, "is_active": member.is_active}
    if member is None:
        member = LeadAssignee(user_id=user.id)
        member.user = user
        db.session.add(member)
    member.receives_a_grade = bool(receives_a_grade)
    member.is_active = bool(is_active)
    db.session.flush()
    after = {"receives_a_grade": member.receives_a_grade, "is_active": member.is_active}
    if before != after:
        audit.record(actor, "lead_assignee.saved", member, audit.diff(before, after), label=user.display_name)
    return member


def remove_member(actor: User, member: LeadAssignee) -> None:
    if not actor.can(LeadPermission.ASSIGN_RULES):
        raise DomainError(_("You may not change the lead assignment team."))
    audit.record(actor, "lead_assignee.removed", None, {"user": [member.user.display_name, None]},
                 label=member.user.display_name)
    db.session.delete(member)
    db.session.flush()
