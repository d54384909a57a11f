"""市场活动 rules: create, edit and delete campaigns, link customers to them, the campaign list, and what other
domains ask of campaigns (the opportunity form's choices, the customer page, the mass-email audience)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, false, select, true

from ..contacts.models import Contact
from ..core import audit
from ..core.dictionaries import DictionaryItem
from ..core.errors import DomainError
from ..core.models import User
from ..core.money import to_fen
from ..core.search import contains
from ..core.types import utcnow
from ..core.validation import clean_text as _text
from ..customers.access import customer_condition, visible_customers
from ..customers.models import Customer
from ..extensions import db
from .access import CampaignPermission, campaign_condition, can_view
from .dictionaries import KIND
from .models import ACTIVE, CANCELLED, COMPLETED, PLANNED, STATUSES, Campaign, CampaignCustomer

audit.register_actions({
    "campaign.created": _l("Created a campaign"),
    "campaign.updated": _l("Edited a campaign"),
    "campaign.deleted": _l("Deleted a campaign"),
    "campaign.customers_linked": _l("Linked customers to a campaign"),
    "campaign.customer_unlinked": _l("Removed a customer from a campaign"),
})

STATUS_LABELS = {PLANNED: _l("Planned"), ACTIVE: _l("In progress"), COMPLETED: _l("Completed"),
                 CANCELLED: _l("Cancelled")}
MAX_AMOUNT = Decimal("9999999999999999.99")
MAX_LINK = 500  # customers linked in one request: far below SQL Server's 2,100 parameters
AUDIT_FIELDS = ("name", "kind", "start_date", "end_date", "budget", "actual_cost", "owner", "status", "description")
SORTS = {"updated_at": "desc", "start_date": "desc", "name": "asc"}
DEFAULT_SORT = "updated_at"


# --- values -----------------------------------------------------------------------------------

def _money(value, field: str) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter an amount in 元, e.g. 12000 or 12000.50."), field) from None
    if not number.is_finite():
        raise DomainError(_("Enter an amount in 元, e.g. 12000 or 12000.50."), field)
    if number < 0:
        raise DomainError(_("The amount cannot be negative."), field)
    if number > MAX_AMOUNT:
        raise DomainError(_("The amount is too large."), field)
    return to_fen(number)


def _kind(item_id: int | None, current_id: int | None) -> DictionaryItem | None:
    if not item_id:
        return None
    item = db.session.get(DictionaryItem, item_id)
    if item is None or item.kind != KIND:
        raise DomainError(_("Choose a value from the list."), "kind_id")
    if not item.is_active and item.id != current_id:
        raise DomainError(_("This value is no longer in use. Choose another."), "kind_id")
    return item


def _owner(actor: User, owner_id: int | None, current_owner_id: int | None) -> User:
    if not owner_id:
        return db.session.get(User, current_owner_id) if current_owner_id else actor
    if owner_id == current_owner_id:
        return db.session.get(User, owner_id)
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.is_active:
        raise DomainError(_("Choose an active user."), "owner_id")
    return owner


def _apply(actor: User, campaign: Campaign, fields: dict, creating: bool) -> None:
    campaign.name = _text(fields.get("name"), 200, "name", required=True)
    campaign.kind = _kind(fields.get("kind_id"), None if creating else campaign.kind_id)
    start, end = fields.get("start_date"), fields.get("end_date")
    if start is None:
        raise DomainError(_("Enter the start date."), "start_date")
    if end is not None and end < start:
        raise DomainError(_("The campaign cannot end before it starts."), "end_date")
    campaign.start_date, campaign.end_date = start, end
    campaign.budget = _money(fields.get("budget"), "budget")
    campaign.actual_cost = _money(fields.get("actual_cost"), "actual_cost")
    status = fields.get("status") or PLANNED
    if status not in STATUSES:
        raise DomainError(_("Choose a value from the list."), "status")
    campaign.status = status
    campaign.owner = _owner(actor, fields.get("owner_id"), None if creating else campaign.owner_id)
    campaign.description = _text(fields.get("description"), 4000, "description")


def _require_manage(actor: User) -> None:
    if not actor.can(CampaignPermission.MANAGE):
        raise DomainError(_("You may not manage campaigns."))


# --- create, edit, delete ---------------------------------------------------------------------

def create_campaign(actor: User, **fields) -> Campaign:
    _require_manage(actor)
    campaign = Campaign(created_by=actor, updated_by=actor)
    _apply(actor, campaign, fields, creating=True)
    db.session.add(campaign)
    db.session.flush()
    audit.record(actor, "campaign.created", campaign, audit.diff({}, audit.snapshot(campaign, AUDIT_FIELDS)))
    return campaign


def update_campaign(actor: User, campaign: Campaign, **fields) -> Campaign:
    _require_manage(actor)
    before = audit.snapshot(campaign, AUDIT_FIELDS)
    _apply(actor, campaign, fields, creating=False)
    changes = audit.diff(before, audit.snapshot(campaign, AUDIT_FIELDS))
    if changes:
        campaign.updated_by = actor
        audit.record(actor, "campaign.updated", campaign, changes)
    db.session.flush()
    return campaign


def delete_campaign(actor: User, campaign: Campaign) -> None:
    """Soft delete: leads and opportunities keep their campaign_id; the campaign leaves lists and choices."""
    _require_manage(actor)
    campaign.deleted_at = utcnow()
    campaign.updated_by = actor
    audit.record(actor, "campaign.deleted", campaign)
    db.session.flush()


# --- linked customers -------------------------------------------------------------------------

def link_customers(actor: User, campaign: Campaign, customer_ids: Iterable[int], note: str | None = None) -> int:
    """Link customers the actor may see to the campaign; any id the actor may not see refuses the whole request
    (nothing is linked). Returns how many were newly linked."""
    if not can_view(actor) or campaign.deleted_at is not None:
        raise DomainError(_("You may not change this campaign."))
    ids = sorted({int(i) for i in customer_ids if i})
    if not ids:
        raise DomainError(_("Choose at least one customer."), "customer_ids")
    if len(ids) > MAX_LINK:
        raise DomainError(_("Link at most %(n)d customers at once.", n=MAX_LINK), "customer_ids")
    note = _text(note, 200, "note")
    visible = set(db.session.scalars(visible_customers(actor, select(Customer.id)).where(Customer.id.in_(ids))))
    if visible != set(ids):
        raise DomainError(_("Some of these customers do not exist or are not yours to see. Nothing was linked."),
                          "customer_ids")
    present = set(db.session.scalars(select(CampaignCustomer.customer_id).where(
        CampaignCustomer.campaign_id == campaign.id, CampaignCustomer.customer_id.in_(ids))))
    new = [customer_id for customer_id in ids if customer_id not in present]
    now = utcnow()
    for customer_id in new:
        db.session.add(CampaignCustomer(campaign_id=campaign.id, customer_id=customer_id, note=note,
                                        added_by_id=actor.id, added_at=now))
    db.session.flush()
    if new:
        names = db.session.scalars(select(Customer.name).where(Customer.id.in_(new)).order_by(Customer.name))
        audit.record(actor, "campaign.customers_linked", campaign, {"customers": [None, "、".join(names)]})
    return len(new)


def link_filtered_customers(actor: User, campaign: Campaign, stmt: Select) -> int:
    """Link every customer of a customer list's filter (a select of Customer.id already scoped to the actor),
    up to MAX_LINK of them."""
    ids = list(db.session.scalars(stmt.limit(MAX_LINK)))
    if not ids:
        raise DomainError(_("No customer matches this filter."))
    return link_customers(actor, campaign, ids)


def unlink_customer(actor: User, campaign: Campaign, customer_id: int) -> None:
    """Remove a customer the actor may see from the campaign (DomainError when it is not linked or not visible)."""
    if not can_view(actor) or campaign.deleted_at is not None:
        raise DomainError(_("You may not change this campaign."))
    customer = db.session.scalar(visible_customers(actor).where(Customer.id == customer_id))
    link = db.session.get(CampaignCustomer, (campaign.id, customer_id)) if customer is not None else None
    if link is None:
        raise DomainError(_("This customer is not linked to the campaign."))
    db.session.delete(link)
    db.session.flush()
    audit.record(actor, "campaign.customer_unlinked", campaign, {"customers": [customer.name, None]})


def customers_to_link(user: User, campaign: Campaign, term: str, limit: int = 20) -> list[Customer]:
    """Customers the user may see, matching `term` (name, phone, contacts ...), not yet linked to the campaign."""
    from ..customers.services import keyword_condition
    stmt = visible_customers(user).where(~Customer.id.in_(
        select(CampaignCustomer.customer_id).where(CampaignCustomer.campaign_id == campaign.id)))
    condition = keyword_condition(term) if term else None
    if condition is not None:
        stmt = stmt.where(condition)
    return list(db.session.scalars(stmt.order_by(Customer.updated_at.desc(), Customer.id.desc()).limit(limit)))


def linked_customers(user: User, campaign: Campaign) -> Select:
    """(CampaignCustomer, Customer) rows of the campaign's customers that the user may see, newest link first."""
    return (select(CampaignCustomer, Customer).join(Customer, Customer.id == CampaignCustomer.customer_id)
            .where(CampaignCustomer.campaign_id == campaign.id, customer_condition(user))
            .order_by(CampaignCustomer.added_at.desc(), CampaignCustomer.customer_id.desc()))


def campaign_leads(user: User, campaign_id: int) -> Select:
    """The campaign's leads that the user may see (select(Lead)), newest first."""
    from ..leads.access import lead_condition
    from ..leads.models import Lead
    return (select(Lead).where(Lead.campaign_id == campaign_id, lead_condition(user))
            .order_by(Lead.created_at.desc(), Lead.id.desc()))


def customer_campaigns(customer_id: int) -> list[CampaignCustomer]:
    """The live campaigns a customer took part in, newest first (for the customer page)."""
    from sqlalchemy.orm import selectinload
    stmt = (select(CampaignCustomer).join(Campaign, Campaign.id == CampaignCustomer.campaign_id)
            .where(CampaignCustomer.customer_id == customer_id, Campaign.deleted_at.is_(None))
            .order_by(Campaign.start_date.desc(), Campaign.id.desc())
            .options(selectinload(CampaignCustomer.campaign).selectinload(Campaign.kind)))
    return list(db.session.scalars(stmt))


# --- the list ---------------------------------------------------------------------------------

@dataclass
class CampaignFilters:
    q: str | None = None
    status: str | None = None
    kind_id: int | None = None
    owner_id: int | None = None
    date_from: dt.date | None = None  # campaigns starting on or after
    date_to: dt.date | None = None    # ... and on or before


def list_campaigns(user: User, filters: CampaignFilters, sort: str = DEFAULT_SORT,
                   direction: str | None = None) -> Select:
    """The live campaigns matching the filters, in the list's order (ending in the primary key)."""
    stmt = select(Campaign).where(campaign_condition(user))
    if filters.q:
        stmt = stmt.where(contains(Campaign.name, filters.q))
    if filters.status:
        stmt = stmt.where(Campaign.status == filters.status)
    if filters.kind_id:
        stmt = stmt.where(Campaign.kind_id == filters.kind_id)
    if filters.owner_id:
        stmt = stmt.where(Campaign.owner_id == filters.owner_id)
    if filters.date_from:
        stmt = stmt.where(Campaign.start_date >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(Campaign.start_date <= filters.date_to)
    sort = sort if sort in SORTS else DEFAULT_SORT
    descending = (direction or SORTS[sort]) == "desc"
    column = getattr(Campaign, sort)
    if descending:
        return stmt.order_by(column.desc(), Campaign.id.desc())
    return stmt.order_by(column.asc(), Campaign.id.asc())


def kind_choices(keep_id: int | None = None, blank: str | None = None) -> list[tuple]:
    from ..core.dictionaries import choices
    return choices(KIND, blank=blank, keep_id=keep_id)


def owner_choices() -> list[tuple[int, str]]:
    stmt = select(User.id, User.display_name).where(User.is_active == true())
    return [(row.id, row.display_name) for row in db.session.execute(stmt.order_by(User.display_name, User.id))]


# --- what other domains ask -------------------------------------------------------------------

def campaign_choices(keep_id: int | None = None) -> list[tuple[int, str]]:
    """(id, name) of the live campaigns not cancelled, newest first, for a select (opportunity, lead, mailing);
    `keep_id` keeps the campaign a record already names."""
    stmt = (select(Campaign.id, Campaign.name, Campaign.start_date)
            .where(Campaign.deleted_at.is_(None), Campaign.status != CANCELLED)
            .order_by(Campaign.start_date.desc(), Campaign.id.desc()))
    rows = [(row.id, f"{row.name}（{row.start_date:%Y-%m}）") for row in db.session.execute(stmt)]
    if keep_id and keep_id not in {value for value, _label in rows}:
        campaign = db.session.get(Campaign, keep_id)
        if campaign is not None:
            rows.append((campaign.id, campaign.name))
    return rows


def check_campaign_id(campaign_id: int | None, current_id: int | None = None, field: str = "campaign_id") -> int | None:
    """A campaign id a record may name: a live campaign not cancelled (or the one it already names)."""
    if not campaign_id:
        return None
    if campaign_id == current_id:
        return campaign_id
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None or campaign.deleted_at is not None or campaign.status == CANCELLED:
        raise DomainError(_("Choose a campaign from the list."), field)
    return campaign_id


@dataclass
class CampaignMembers:
    """A campaign's audience as `user` may see it: statements the caller runs (and may narrow further)."""

    contacts: Select  # select(Contact) of the linked customers the user may see, with an e-mail address
    leads: Select     # select(Lead) of the campaign's leads the user may see, with an e-mail address


def campaign_member_query(user: User, campaign_id: int) -> CampaignMembers:
    """The mass-email audience of a campaign: contacts (with an e-mail) of its linked customers the user may see,
    and its leads (with an e-mail) the user may see. A campaign that is deleted, or a user without the right to see
    campaigns, gives empty statements."""
    from ..leads.access import lead_condition
    from ..leads.models import Lead
    campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
    allowed = campaign is not None and campaign.deleted_at is None and can_view(user)
    linked = select(CampaignCustomer.customer_id).where(CampaignCustomer.campaign_id == campaign_id)
    contacts = (select(Contact).join(Customer, Customer.id == Contact.customer_id)
                .where(Contact.customer_id.in_(linked), Contact.deleted_at.is_(None), Contact.email.is_not(None),
                       Contact.email != "", customer_condition(user))
                .order_by(Contact.id))
    leads = (select(Lead).where(Lead.campaign_id == campaign_id, lead_condition(user), Lead.email.is_not(None),
                                Lead.email != "")
             .order_by(Lead.id))
    if not allowed:
        contacts, leads = contacts.where(false()), leads.where(false())
    return CampaignMembers(contacts=contacts, leads=leads)
