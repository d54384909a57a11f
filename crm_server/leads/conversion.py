"""转化: one step turns a lead into a customer (new, or one found by the duplicate check), a contact and
optionally an opportunity, carrying over its follow-ups and source."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, true, update

from ..contacts.services import create_contact
from ..core import audit
from ..core.dictionaries import DictionaryItem
from ..core.errors import DomainError
from ..core.models import User
from ..core.types import utcnow
from ..customers.access import CustomerPermission
from ..customers.dictionaries import SOURCE as CUSTOMER_SOURCE
from ..customers.models import Customer
from ..customers.services import create_customer
from ..extensions import db
from ..followups.services import log_followup
from ..opportunities.dictionaries import SOURCE as OPPORTUNITY_SOURCE
from ..opportunities.models import Opportunity
from ..opportunities.services import create_opportunity
from .access import can_edit
from .models import CONVERTED, OPEN_STATUSES, Lead, LeadFollowUp

audit.register_actions({"lead.converted": _l("Converted a lead")})


def _same_label(kind: str, item: DictionaryItem | None) -> int | None:
    """The value of another dictionary with the same label as `item` (展会 is 展会 in every source list)."""
    if item is None:
        return None
    return db.session.scalar(select(DictionaryItem.id).where(DictionaryItem.kind == kind,
                                                             DictionaryItem.label == item.label,
                                                             DictionaryItem.is_active == true())
                             .order_by(DictionaryItem.id).limit(1))


def _prefixed(exc: DomainError, prefix: str) -> DomainError:
    """A rule broken by another domain's service, named after the conversion form's field."""
    return DomainError(exc.message, f"{prefix}{exc.field}" if exc.field else None)


def convert_lead(actor: User, lead: Lead, *, customer_id: int | None = None, customer_name: str | None = None,
                 contact_name: str | None = None, create_deal: bool = False, opportunity_name: str | None = None,
                 amount: Decimal | str | None = None, pipeline_id: int | None = None, stage_id: int | None = None,
                 expected_close_date: dt.date | None = None) -> Lead:
    """Convert an open lead the actor may edit: into a new customer (named `customer_name`, else the lead's
    company or person), or attached to the existing customer `customer_id` the actor may edit; a contact (the
    lead's person) and, with `create_deal`, an opportunity (its campaign carried over). The lead's follow-ups
    become customer follow-ups by their authors. The lead is kept, marked converted and linked to what it became.
    A conditional UPDATE on the status first, so of two conversions at once only one goes through."""
    if not can_edit(actor, lead) or lead.owner_id is None and not actor.can(CustomerPermission.CREATE):
        raise DomainError(_("You may not convert this lead."))
    if lead.status not in OPEN_STATUSES or lead.deleted_at is not None:
        raise DomainError(_("This lead has already been converted or closed."))
    before_status = lead.status
    now = utcnow()
    taken = db.session.execute(
        update(Lead).where(Lead.id == lead.id, Lead.status.in_(OPEN_STATUSES), Lead.deleted_at.is_(None))
        .values(status=CONVERTED, converted_at=now, converted_by_id=actor.id, updated_at=now,
                updated_by_id=actor.id)
        .execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise DomainError(_("This lead has already been converted or closed."))
    db.session.refresh(lead)

    if customer_id:
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise DomainError(_("Choose a customer you may edit."), "customer_id")
        from ..customers.access import can_edit as may_edit_customer
        from ..customers.access import customer_condition
        visible = db.session.scalar(select(Customer.id).where(Customer.id == customer_id,
                                                              customer_condition(actor)))
        if visible is None or not may_edit_customer(actor, customer):
            raise DomainError(_("Choose a customer you may edit."), "customer_id")
    else:
        owner_id = lead.owner_id if (lead.owner_id and lead.owner_id != actor.id
                                     and actor.can(CustomerPermission.TRANSFER)) else None
        try:
            customer = create_customer(
                actor, name=customer_name or lead.company or lead.name,
                kind="company" if lead.company or customer_name else "individual",
                industry_id=lead.industry_id, source_id=_same_label(CUSTOMER_SOURCE, lead.source),
                province=lead.province, city=lead.city, address=lead.address, phone=lead.phone, email=lead.email,
                remarks=lead.requirement, owner_id=owner_id, confirm_duplicates=True)
        except DomainError as exc:
            raise _prefixed(exc, "customer_") from None
    try:
        contact = create_contact(actor, customer, name=contact_name or lead.name, title=lead.title,
                                 mobile=lead.mobile, phone=lead.phone, email=lead.email)
    except DomainError as exc:
        raise _prefixed(exc, "contact_") from None

    opportunity = None
    if create_deal:
        try:
            opportunity = create_opportunity(
                actor, customer, name=opportunity_name or _("%(company)s: %(need)s", company=customer.name,
                                                            need=(lead.requirement or _("new deal"))[:60]),
                amount=amount if amount not in (None, "") else lead.budget, pipeline_id=pipeline_id,
                stage_id=stage_id, expected_close_date=expected_close_date,
                source_id=_same_label(OPPORTUNITY_SOURCE, lead.source), contact_ids=[contact.id])
        except DomainError as exc:
            raise _prefixed(exc, "opportunity_") from None
        if hasattr(Opportunity, "campaign_id") and lead.campaign_id:
            opportunity.campaign_id = lead.campaign_id

    carried = 0
    for item in db.session.scalars(select(LeadFollowUp).where(LeadFollowUp.lead_id == lead.id)
                                   .order_by(LeadFollowUp.happened_at, LeadFollowUp.id)):
        followup = log_followup(actor, customer, contact_id=contact.id, kind=item.kind,
                                happened_at=min(item.happened_at, now), content=item.content,
                                outcome=item.outcome, next_step=item.next_step,
                                opportunity_id=opportunity.id if opportunity is not None else None)
        followup.user_id = item.user_id  # the colleague who had the conversation, not who converted
        carried += 1

    lead.converted_customer_id = customer.id
    lead.converted_contact_id = contact.id
    lead.converted_opportunity_id = opportunity.id if opportunity is not None else None
    changes = {"status": [before_status, CONVERTED], "customer": [None, customer.name],
               "contact": [None, contact.name], "followups": [None, carried]}
    if opportunity is not None:
        changes["opportunity"] = [None, opportunity.name]
    audit.record(actor, "lead.converted", lead, changes)
    db.session.flush()
    return lead
