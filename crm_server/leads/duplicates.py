"""查重 for leads: similar leads, customers and contacts (the customers' normal forms), and merging two leads."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select, update

from ..contacts.models import Contact
from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.types import utcnow
from ..customers.access import customer_condition
from ..customers.duplicates import find_duplicates as find_customer_duplicates
from ..customers.models import Customer
from ..extensions import db
from .access import LeadPermission, can_edit, lead_condition
from .models import OPEN_STATUSES, Lead, LeadFollowUp

audit.register_actions({"lead.merged": _l("Merged duplicate leads")})

FIELDS = {"name": _l("Company"), "phone": _l("Phone"), "email": _l("E-mail")}
MAX_MATCHES = 10
MAX_GROUPS = 50
# What a merge copies from the lead merged away into the kept one where the kept one has nothing.
FILLED_FROM_OTHER = ("company", "title", "mobile", "phone", "email", "source_id", "campaign_id", "industry_id",
                     "company_size", "requirement", "budget", "province", "city", "address")


@dataclass
class Match:
    kind: str                   # "lead" / "customer" / "contact"
    id: int
    name: str
    owner_name: str | None      # None: in the lead pool / public pool
    fields: list[str] = field(default_factory=list)
    visible: bool = False       # whether the user may open it (else only the name and owner are shown)
    customer_id: int | None = None  # a contact's customer (a conversion may attach the lead to it)


def find_lead_duplicates(user: User, lead: Lead, exclude_id: int | None = None) -> list[Match]:
    """Live leads, customers and contacts that look like `lead` (normalised company name, phone digits,
    e-mail), on indexed equality only. `lead` needs its keys (services.refresh_keys)."""
    matches: list[Match] = []
    company_key = lead.name_key if lead.company else None
    keys = {"name": company_key, "phone": lead.phone_digits, "email": lead.email_key}
    columns = {"name": Lead.name_key, "phone": Lead.phone_digits, "email": Lead.email_key}
    conditions = [columns[f] == value for f, value in keys.items() if value]
    if conditions:
        stmt = (select(Lead.id, Lead.name, Lead.company, Lead.name_key, Lead.phone_digits, Lead.email_key,
                       User.display_name, case((lead_condition(user), 1), else_=0).label("visible"))
                .outerjoin(User, User.id == Lead.owner_id)
                .where(Lead.deleted_at.is_(None), or_(*conditions)))
        if exclude_id is not None:
            stmt = stmt.where(Lead.id != exclude_id)
        for row in db.session.execute(stmt.order_by(Lead.id.desc()).limit(MAX_MATCHES)):
            values = {"name": row.name_key, "phone": row.phone_digits, "email": row.email_key}
            hit = [f for f, value in keys.items() if value and values[f] == value]
            label = f"{row.name}（{row.company}）" if row.company else row.name
            matches.append(Match("lead", row.id, label, row.display_name, hit, bool(row.visible)))
    for found in find_customer_duplicates(user, name=lead.company, phone=lead.mobile or lead.phone,
                                          email=lead.email):
        matches.append(Match("customer", found.customer_id, found.name, found.owner_name,
                             [f for f in found.fields if f in FIELDS], found.visible, found.customer_id))
    if lead.phone_digits:
        stmt = (select(Contact.id, Contact.name, Contact.customer_id, Customer.name.label("customer_name"),
                       User.display_name, case((customer_condition(user), 1), else_=0).label("visible"))
                .join(Customer, Customer.id == Contact.customer_id)
                .outerjoin(User, User.id == Customer.owner_id)
                .where(Contact.mobile_digits == lead.phone_digits, Contact.deleted_at.is_(None),
                       Customer.deleted_at.is_(None)))
        for row in db.session.execute(stmt.order_by(Contact.id).limit(MAX_MATCHES)):
            matches.append(Match("contact", row.id, f"{row.name}（{row.customer_name}）", row.display_name,
                                 ["phone"], bool(row.visible), row.customer_id))
    return matches


def customer_candidates(user: User, lead: Lead) -> list[Match]:
    """Customers the user may see that the lead may belong to (for attaching a conversion to one)."""
    seen: dict[int, Match] = {}
    for match in find_lead_duplicates(user, lead, exclude_id=lead.id):
        if match.kind in ("customer", "contact") and match.visible and match.customer_id not in seen:
            name = match.name if match.kind == "customer" else db.session.get(Customer, match.customer_id).name
            seen[match.customer_id] = Match("customer", match.customer_id, name, match.owner_name, match.fields,
                                            True, match.customer_id)
    return list(seen.values())


# --- bulk dedup and merge -----------------------------------------------------------------------

def duplicate_groups(user: User) -> list[tuple[str, str, list[Lead]]]:
    """Groups of open leads the user may see that share a phone, an e-mail or a company: (field, value, leads)."""
    groups: list[tuple[str, str, list[Lead]]] = []
    seen_sets: set[frozenset[int]] = set()
    where = [lead_condition(user), Lead.status.in_(OPEN_STATUSES)]
    for name, column in (("phone", Lead.phone_digits), ("email", Lead.email_key), ("name", Lead.name_key)):
        stmt = select(column).where(*where, column.is_not(None), column != "")
        if name == "name":
            stmt = stmt.where(Lead.company.is_not(None))
        values = db.session.scalars(stmt.group_by(column).having(func.count() > 1).order_by(column)
                                    .limit(MAX_GROUPS)).all()
        for value in values:
            leads = list(db.session.scalars(select(Lead).where(*where, column == value).order_by(Lead.id)
                                            .limit(20)))
            ids = frozenset(lead.id for lead in leads)
            if len(leads) > 1 and ids not in seen_sets:
                seen_sets.add(ids)
                groups.append((name, value, leads))
        if len(groups) >= MAX_GROUPS:
            break
    return groups[:MAX_GROUPS]


def merge_leads(actor: User, keep: Lead, other: Lead) -> Lead:
    """Merge `other` into `keep`: its follow-ups move over, `keep`'s empty fields take its values, and `other`
    is closed (deleted, pointing at `keep`). Both must be open leads the actor may edit; needs `lead.merge`."""
    if not actor.can(LeadPermission.MERGE):
        raise DomainError(_("You may not merge leads."))
    if keep.id == other.id:
        raise DomainError(_("Choose two different leads."))
    for lead in (keep, other):
        if lead.deleted_at is not None or lead.status not in OPEN_STATUSES or not can_edit(actor, lead):
            raise DomainError(_("Only open leads you may edit can be merged."))
    moved = db.session.execute(update(LeadFollowUp).where(LeadFollowUp.lead_id == other.id)
                               .values(lead_id=keep.id)).rowcount
    filled = {}
    for name in FILLED_FROM_OTHER:
        if getattr(keep, name) in (None, "") and getattr(other, name) not in (None, ""):
            setattr(keep, name, getattr(other, name))
            filled[name] = [None, str(getattr(other, name))]
    if other.last_followup_at and (keep.last_followup_at is None or other.last_followup_at > keep.last_followup_at):
        keep.last_followup_at = other.last_followup_at
    from .services import _score, refresh_keys
    refresh_keys(keep)
    _score(keep)
    keep.updated_by = actor
    now = utcnow()
    other.deleted_at = now
    other.merged_into_id = keep.id
    other.updated_by = actor
    audit.record(actor, "lead.merged", keep, {"merged": [None, other.display_name], "followups": [None, moved],
                                              **filled})
    audit.record(actor, "lead.merged", other, {"merged_into": [None, keep.display_name]})
    db.session.flush()
    return keep
