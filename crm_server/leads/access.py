"""Who may see and change which lead: the data scope of the owner, and the lead pool for those allowed.

Every list, detail, count and search of leads reads through `lead_condition` / `visible_leads`.
"""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, select

from ..core.models import User
from ..core.permissions import can_see_owner, register_permission, register_record_type, scope_condition
from ..extensions import db
from .models import Lead

LEAD = register_record_type("lead", _l("Leads"))

_SALES = ("sales_director", "sales_manager", "sales")
_MANAGERS = ("sales_director", "sales_manager")


class LeadPermission:
    CREATE = register_permission("lead.create", _l("Create leads"), _l("Leads"), default_roles=_SALES)
    POOL = register_permission("lead.pool", _l("See and claim leads in the lead pool"), _l("Leads"),
                               default_roles=_SALES)
    ASSIGN = register_permission("lead.assign", _l("Assign leads to salespeople"), _l("Leads"),
                                 default_roles=_MANAGERS)
    MERGE = register_permission("lead.merge", _l("Merge duplicate leads"), _l("Leads"), default_roles=_MANAGERS)
    ASSIGN_RULES = register_permission("lead.assign_rules", _l("Set up the lead assignment team"), _l("Leads"))


def lead_condition(user: User):
    """Live leads the user may see: owned by someone in the user's data scope, or in the pool for those holding
    `lead.pool`."""
    pool = Lead.owner_id.is_(None) if user.can(LeadPermission.POOL) else false()
    return Lead.deleted_at.is_(None) & (scope_condition(user, Lead.owner_id, LEAD) | pool)


def visible_leads(user: User, stmt: Select | None = None) -> Select:
    """`stmt` (default: select(Lead)) restricted to the leads `user` may see."""
    stmt = select(Lead) if stmt is None else stmt
    return stmt.where(lead_condition(user))


def can_edit(user: User, lead: Lead) -> bool:
    """Owned leads are edited by whoever's data scope holds the owner (the owner, their managers);
    pool leads by whoever may assign them (others claim them first)."""
    if lead.deleted_at is not None:
        return False
    if lead.owner_id is None:
        return user.can(LeadPermission.ASSIGN)
    return can_see_owner(user, lead.owner_id, LEAD)


def get_lead(user: User, lead_id: int, editable: bool = False) -> Lead:
    """The lead if `user` may see it (404 otherwise, so ids reveal nothing), and edit it (else 403)."""
    lead = db.session.scalar(visible_leads(user).where(Lead.id == lead_id))
    if lead is None:
        abort(404)
    if editable and not can_edit(user, lead):
        abort(403)
    return lead
