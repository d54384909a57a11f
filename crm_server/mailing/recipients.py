"""Who a mass e-mail goes to: contacts of customers the sender may see, leads the sender may see, or a
campaign's members; then the addresses that may be mailed (valid, once each, not unsubscribed or bounced)."""
from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..campaigns.access import campaign_condition, can_view as can_view_campaigns
from ..campaigns.models import Campaign, CampaignCustomer
from ..contacts.models import Contact
from ..core.models import User
from ..customers.access import customer_condition
from ..customers.models import Customer, CustomerTag
from ..extensions import db
from ..leads.access import lead_condition
from ..leads.models import Lead
from .models import MailSuppression

CHUNK = 500  # ids per IN (...): far below SQL Server's 2,100 parameters
ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
KINDS = ("contacts", "leads", "campaign")


@dataclass
class Audience:
    """What the sender chose: a kind and its filters (ids and codes from the form, not trusted)."""

    kind: str = "contacts"
    level_id: int | None = None
    industry_id: int | None = None
    tag_id: int | None = None
    decision_role: str | None = None
    contact_ids: list[int] = field(default_factory=list)
    lead_status: str | None = None
    lead_grade: str | None = None
    lead_source: str | None = None
    campaign_id: int | None = None


@dataclass
class Candidate:
    address: str | None
    name: str | None
    source_type: str
    source_id: int | None
    values: dict[str, str]


@dataclass
class Plan:
    """The recipients to mail, and how many were left out and why."""

    recipients: list[Candidate] = field(default_factory=list)
    suppressed: list[tuple[Candidate, str]] = field(default_factory=list)  # (candidate, unsubscribed/bounced)
    empty: int = 0
    invalid: int = 0
    duplicate: int = 0

    @property
    def skipped(self) -> int:
        return len(self.suppressed) + self.empty + self.invalid + self.duplicate


def normalise_address(value: str | None) -> str:
    return (value or "").strip().lower()


def is_valid_address(address: str) -> bool:
    return len(address) <= 120 and ADDRESS.match(address) is not None


def unsubscribe_token(address: str) -> str:
    """Unguessable, the same for an address in every job: an HMAC of it with the site's secret key."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, b"mailing-unsubscribe:" + address.encode("utf-8"), hashlib.sha256).hexdigest()[:48]


def _chunks(values: list[int]):
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


# --- sources ------------------------------------------------------------------------------------

def contact_candidates(user: User, audience: Audience, *conditions) -> list[Candidate]:
    """Live contacts of the customers `user` may see, matching the filters."""
    owner = aliased(User)
    stmt = (select(Contact.id, Contact.name, Contact.email, Customer.name, owner.display_name)
            .join(Customer, Contact.customer_id == Customer.id)
            .outerjoin(owner, Customer.owner_id == owner.id)
            .where(customer_condition(user), Contact.deleted_at.is_(None), *conditions))
    if audience.level_id is not None:
        stmt = stmt.where(Customer.level_id == audience.level_id)
    if audience.industry_id is not None:
        stmt = stmt.where(Customer.industry_id == audience.industry_id)
    if audience.tag_id is not None:
        stmt = stmt.where(Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag_id == audience.tag_id)))
    if audience.decision_role:
        stmt = stmt.where(Contact.decision_role == audience.decision_role)
    if audience.contact_ids:
        batches = [stmt.where(Contact.id.in_(chunk)) for chunk in _chunks(sorted(set(audience.contact_ids)))]
    else:
        batches = [stmt]
    rows = [row for batch in batches for row in db.session.execute(batch.order_by(Contact.id)).tuples()]
    return [Candidate(email, name, "contact", contact_id,
                      {"contact_name": name, "customer_name": customer_name, "company": customer_name,
                       "owner_name": owner_name or "", "lead_name": ""})
            for contact_id, name, email, customer_name, owner_name in rows]


def lead_candidates(user: User, audience: Audience, *conditions) -> list[Candidate]:
    """Live leads `user` may see, matching the filters."""
    owner = aliased(User)
    stmt = (select(Lead.id, Lead.name, Lead.email, Lead.company, owner.display_name)
            .outerjoin(owner, Lead.owner_id == owner.id).where(lead_condition(user), *conditions))
    if audience.lead_status:
        stmt = stmt.where(Lead.status == audience.lead_status)
    if audience.lead_grade:
        stmt = stmt.where(Lead.grade == audience.lead_grade)
    if audience.lead_source is not None:
        stmt = stmt.where(Lead.source_id == audience.lead_source)
    return [Candidate(email, name, "lead", lead_id,
                      {"lead_name": name, "contact_name": name, "customer_name": company or "",
                       "company": company or "", "owner_name": owner_name or ""})
            for lead_id, name, email, company, owner_name in db.session.execute(stmt.order_by(Lead.id)).tuples()]


def campaign_candidates(user: User, audience: Audience) -> list[Candidate]:
    """A campaign's members: contacts of its customers and its leads, as far as `user` may see them."""
    if audience.campaign_id is None or not can_view_campaigns(user):
        return []
    campaign_id = db.session.scalar(select(Campaign.id).where(campaign_condition(user),
                                                              Campaign.id == audience.campaign_id))
    if campaign_id is None:
        return []
    linked = select(CampaignCustomer.customer_id).where(CampaignCustomer.campaign_id == campaign_id)
    return (contact_candidates(user, Audience(), Customer.id.in_(linked))
            + lead_candidates(user, Audience(), Lead.campaign_id == campaign_id))


def campaign_choices(user: User) -> list[tuple[int, str]]:
    if not can_view_campaigns(user):
        return []
    return list(db.session.execute(select(Campaign.id, Campaign.name).where(campaign_condition(user))
                                   .order_by(Campaign.start_date.desc(), Campaign.id.desc()).limit(500)).tuples())


def candidates(user: User, audience: Audience) -> list[Candidate]:
    """Everyone the audience names that `user` may see (the caller adds {{my_name}})."""
    if audience.kind == "leads":
        found = lead_candidates(user, audience)
    elif audience.kind == "campaign":
        found = campaign_candidates(user, audience)
    else:
        found = contact_candidates(user, audience)
    for candidate in found:
        candidate.values["my_name"] = user.display_name
    return found


# --- who may be mailed --------------------------------------------------------------------------

def suppressed_reasons(addresses: list[str]) -> dict[str, str]:
    """{address: unsubscribed/bounced} of those addresses on the list never to mail again."""
    found: dict[str, str] = {}
    unique = sorted(set(addresses))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start:start + CHUNK]
        found.update(db.session.execute(
            select(MailSuppression.address, MailSuppression.reason)
            .where(MailSuppression.address.in_(chunk))).tuples().all())
    return found


def plan(user: User, audience: Audience) -> Plan:
    """The audience's candidates sorted into those to mail and those left out."""
    result = Plan()
    seen: set[str] = set()
    kept: list[Candidate] = []
    for candidate in candidates(user, audience):
        address = normalise_address(candidate.address)
        if not address:
            result.empty += 1
        elif not is_valid_address(address):
            result.invalid += 1
        elif address in seen:
            result.duplicate += 1
        else:
            seen.add(address)
            candidate.address = address
            kept.append(candidate)
    reasons = suppressed_reasons([c.address for c in kept])
    for candidate in kept:
        if candidate.address in reasons:
            result.suppressed.append((candidate, reasons[candidate.address]))
        else:
            result.recipients.append(candidate)
    return result
