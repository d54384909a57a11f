"""Who may see and change campaigns. Campaigns are the company's marketing, shown to every sales role
(`campaign.view`); only `campaign.manage` creates, edits and deletes them. What hangs from a campaign (its leads,
its customers) is shown through the scope of those records."""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..core.models import User
from ..core.permissions import register_permission
from ..extensions import db
from .models import Campaign

_SALES = ("sales_director", "sales_manager", "sales")
_MANAGERS = ("sales_director", "sales_manager")


class CampaignPermission:
    VIEW = register_permission("campaign.view", _l("See marketing campaigns and their results"), _l("Campaigns"),
                               default_roles=_SALES)
    MANAGE = register_permission("campaign.manage", _l("Create, edit and delete marketing campaigns"),
                                 _l("Campaigns"), default_roles=_MANAGERS)


def campaign_condition(user: User):
    """Live campaigns (every one, for a user holding campaign.view or campaign.manage)."""
    return Campaign.deleted_at.is_(None)


def can_view(user: User) -> bool:
    return user.can(CampaignPermission.VIEW) or user.can(CampaignPermission.MANAGE)


def can_manage(user: User) -> bool:
    return user.can(CampaignPermission.MANAGE)


def visible_campaigns(user: User, stmt: Select | None = None) -> Select:
    stmt = select(Campaign) if stmt is None else stmt
    return stmt.where(campaign_condition(user))


def get_campaign(user: User, campaign_id: int, editable: bool = False) -> Campaign:
    """The live campaign (404 otherwise, or without the right to see campaigns), and 403 to edit without
    campaign.manage."""
    if not can_view(user):
        abort(403)
    campaign = db.session.scalar(visible_campaigns(user).where(Campaign.id == campaign_id))
    if campaign is None:
        abort(404)
    if editable and not can_manage(user):
        abort(403)
    return campaign
