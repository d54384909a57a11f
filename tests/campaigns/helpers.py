"""Factories of the campaigns domain: campaigns, their leads and their opportunities."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from crm_server.campaigns import services
from crm_server.extensions import db
from crm_server.leads.models import Lead
from tests import factories
from tests.opportunities.helpers import make_opportunity


def make_campaign(owner, name: str = "2026上海工博会", actual_cost: str | None = "10000.00", **fields):
    """A campaign created through the service (the owner must hold campaign.manage)."""
    fields.setdefault("start_date", dt.date(2026, 9, 20))
    fields.setdefault("kind_id", factories.dictionary_item("campaign_type", "展会").id)
    fields.setdefault("status", "completed")
    campaign = services.create_campaign(owner, name=name, actual_cost=actual_cost, **fields)
    db.session.flush()
    return campaign


def make_lead(campaign, owner=None, status: str = "new", deleted: bool = False, name: str = "王经理", **kw) -> Lead:
    lead = Lead(name=name, company=kw.pop("company", f"{name}的公司"), campaign_id=campaign.id if campaign else None,
                owner_id=owner.id if owner else None, status=status, name_key=name, search_text=name, **kw)
    if deleted:
        from crm_server.core.types import utcnow
        lead.deleted_at = utcnow()
    db.session.add(lead)
    db.session.flush()
    return lead


def campaign_opportunity(owner, customer, campaign, amount: str, stage: str = "初步接洽", **fields):
    """An opportunity of the campaign in a stage (赢单 won, 输单 lost, others open)."""
    if stage == "输单":
        fields.setdefault("loss_reason", "价格偏高")
    return make_opportunity(owner, customer, name=fields.pop("name", f"{campaign.name}商机"), amount=amount,
                            stage=stage, campaign_id=campaign.id, **fields)


def money(value: str) -> Decimal:
    return Decimal(value)
