"""Who may see which opportunity: the data scope of its owner ("opportunity" record type). Every list, detail,
kanban, export, chart and forecast of opportunities reads through `opportunity_condition`."""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..core.models import User
from ..core.permissions import can_see_owner, register_permission, register_record_type, scope_condition
from ..extensions import db
from .models import Opportunity

OPPORTUNITY = register_record_type("opportunity", _l("Opportunities"))

_SALES = ("sales_director", "sales_manager", "sales")
_MANAGERS = ("sales_director", "sales_manager")


class OpportunityPermission:
    CREATE = register_permission("opportunity.create", _l("Create opportunities"), _l("Opportunities"),
                                 default_roles=_SALES)
    DELETE = register_permission("opportunity.delete", _l("Delete opportunities"), _l("Opportunities"),
                                 default_roles=_MANAGERS)
    TRANSFER = register_permission("opportunity.transfer", _l("Give opportunities to other users"),
                                   _l("Opportunities"), default_roles=_MANAGERS)
    PIPELINES = register_permission("pipeline.manage", _l("Manage pipelines and stages"), _l("Opportunities"))


def opportunity_condition(user: User):
    """Live opportunities whose owner is in the user's data scope for opportunities."""
    return Opportunity.deleted_at.is_(None) & scope_condition(user, Opportunity.owner_id, OPPORTUNITY)


def visible_opportunities(user: User, stmt: Select | None = None) -> Select:
    """`stmt` (default: select(Opportunity)) restricted to the opportunities `user` may see."""
    stmt = select(Opportunity) if stmt is None else stmt
    return stmt.where(opportunity_condition(user))


def can_edit(user: User, opportunity: Opportunity) -> bool:
    """The owner may edit a live opportunity, and so may those who may create opportunities and whose data scope
    covers the owner (managers); roles that only read (finance, service) see without editing."""
    if opportunity.deleted_at is not None:
        return False
    if opportunity.owner_id == user.id:
        return True
    return user.can(OpportunityPermission.CREATE) and can_see_owner(user, opportunity.owner_id, OPPORTUNITY)


def get_opportunity(user: User, opportunity_id: int, editable: bool = False) -> Opportunity:
    """The opportunity if `user` may see it (404 otherwise, so ids reveal nothing), and edit it (else 403)."""
    opportunity = db.session.scalar(visible_opportunities(user).where(Opportunity.id == opportunity_id))
    if opportunity is None:
        abort(404)
    if editable and not can_edit(user, opportunity):
        abort(403)
    return opportunity
