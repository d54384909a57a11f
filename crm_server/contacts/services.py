"""联系人 rules: adding, editing and deleting a customer's contacts, its one primary contact, and the lists.

Who may read or change a contact is decided by its customer (customers.access); every write refreshes the
customer's search column, so that the customer keyword search finds contact names and phones.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass

from flask import abort, current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select, true
from sqlalchemy.orm import contains_eager

from ..core import audit
from ..core.audit import diff, snapshot
from ..core.errors import DomainError
from ..core.models import User
from ..core.search import contains
from ..core.types import utcnow
from ..core.validation import clean_text as _text
from ..customers import normalise
from ..customers.access import can_edit, customer_condition, visible_customers
from ..customers.models import Customer
from ..customers.search import refresh_keys
from ..extensions import db
from .models import Contact

audit.register_actions({
    "contact.created": _l("Added a contact"),
    "contact.updated": _l("Edited a contact"),
    "contact.deleted": _l("Deleted a contact"),
    "contact.primary_set": _l("Made a contact the primary contact"),
})

GENDERS = {"male": _l("Male"), "female": _l("Female")}
DECISION_ROLES = {
    "decision_maker": _l("Decision maker"),
    "influencer": _l("Influencer"),
    "user": _l("End user"),
    "purchaser": _l("Purchaser"),
    "other": _l("Other role"),
}

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^[0-9+\-() ]{5,40}$")
MAINLAND_MOBILE = re.compile(r"^(?:\+?86|0086)?1[3-9]\d{9}$")
OLDEST_BIRTHDAY = dt.date(1900, 1, 1)

# Relationships rather than ids, so the audit log shows names.
CONTACT_FIELDS = ("name", "title", "department", "mobile", "phone", "email", "wechat", "birthday", "gender",
                  "decision_role", "is_primary", "remarks")


# --- validation (the forms check the same, but imports and the CLI do not pass through forms) ------

def phone_problem(value: str) -> str | None:
    """Why `value` is not a phone number (digits, spaces, + - and parentheses, 5-40 characters), or None."""
    if not PHONE_PATTERN.match(value) or sum(c.isdigit() for c in value) < 5:
        return _("Use digits, spaces, + - and parentheses (5 to 40 characters).")
    return None


def mobile_problem(value: str) -> str | None:
    """A mainland mobile (11 digits starting 13-19, optionally +86) or any other phone number."""
    problem = phone_problem(value)
    if problem:
        return problem
    compact = re.sub(r"[\s\-()]", "", value)
    looks_mainland = compact.isdigit() and compact.startswith("1") and len(compact) >= 8
    if looks_mainland and not MAINLAND_MOBILE.match(compact):
        return _("A mainland mobile number has 11 digits and starts with 13 to 19.")
    return None


def _phone(value: str | None, field: str, mobile: bool = False) -> str | None:
    value = _text(unicodedata.normalize("NFKC", value or ""), 40, field)
    if value is None:
        return None
    problem = mobile_problem(value) if mobile else phone_problem(value)
    if problem:
        raise DomainError(problem, field)
    return value


def _email(value: str | None) -> str | None:
    value = _text(unicodedata.normalize("NFKC", value or ""), 120, "email")
    if value is not None and not EMAIL_PATTERN.match(value):
        raise DomainError(_("Enter a valid e-mail address."), "email")
    return value


def site_today() -> dt.date:
    zone = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
    return dt.datetime.now(zone).date()


def _birthday(value: dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if value > site_today():
        raise DomainError(_("The birthday cannot be in the future."), "birthday")
    if value < OLDEST_BIRTHDAY:
        raise DomainError(_("Enter a birthday after 1900."), "birthday")
    return value


def _choice(value: str | None, allowed: dict, field: str) -> str | None:
    if not value:
        return None
    if value not in allowed:
        raise DomainError(_("Choose one of the listed values."), field)
    return value


def _values(name, title, department, mobile, phone, email, wechat, birthday, gender, decision_role,
            remarks) -> dict:
    birthday = _birthday(birthday)
    mobile = _phone(mobile, "mobile", mobile=True)
    return {
        "name": _text(name, 60, "name", required=True),
        "title": _text(title, 60, "title"),
        "department": _text(department, 60, "department"),
        "mobile": mobile,
        "mobile_digits": normalise.phone_digits(mobile),
        "phone": _phone(phone, "phone"),
        "email": _email(email),
        "wechat": _text(wechat, 60, "wechat"),
        "birthday": birthday,
        "birthday_md": birthday.strftime("%m-%d") if birthday else None,
        "gender": _choice(gender, GENDERS, "gender"),
        "decision_role": _choice(decision_role, DECISION_ROLES, "decision_role"),
        "remarks": _text(remarks, 2000, "remarks"),
    }


def _require_edit(actor: User, customer: Customer) -> None:
    """The customer must be live, owned and editable by the actor (checked here too: imports and the API
    call services without the views' 404/403)."""
    visible = db.session.scalar(visible_customers(actor, select(Customer.id)).where(Customer.id == customer.id))
    if visible is None or not can_edit(actor, customer):
        raise DomainError(_("You may not change the contacts of this customer."))


def _label(contact: Contact, customer: Customer) -> str:
    return f"{contact.name} · {customer.name}"


def _live_contacts(customer_id: int, exclude_id: int | None = None):
    stmt = select(Contact).where(Contact.customer_id == customer_id, Contact.deleted_at.is_(None))
    if exclude_id is not None:
        stmt = stmt.where(Contact.id != exclude_id)
    return stmt


def _take_primary(contact: Contact) -> list[str]:
    """Make `contact` the customer's one primary contact; returns the names of those who were primary."""
    others = db.session.scalars(_live_contacts(contact.customer_id, contact.id)
                                .where(Contact.is_primary == true()).order_by(Contact.id)).all()
    for other in others:
        other.is_primary = False
    contact.is_primary = True
    return [other.name for other in others]


# --- writes ---------------------------------------------------------------------------------------

def create_contact(actor: User, customer: Customer, *, name: str, title: str | None = None,
                   department: str | None = None, mobile: str | None = None, phone: str | None = None,
                   email: str | None = None, wechat: str | None = None, birthday: dt.date | None = None,
                   gender: str | None = None, decision_role: str | None = None, is_primary: bool = False,
                   remarks: str | None = None) -> Contact:
    """Add a contact to a customer the actor may edit. The customer's first contact becomes its primary
    contact; `is_primary` moves the mark from the current one."""
    _require_edit(actor, customer)
    values = _values(name, title, department, mobile, phone, email, wechat, birthday, gender, decision_role,
                     remarks)
    has_primary = db.session.scalar(_live_contacts(customer.id).with_only_columns(Contact.id)
                                    .where(Contact.is_primary == true()).order_by(Contact.id).limit(1))
    contact = Contact(customer_id=customer.id, created_by_id=actor.id, is_primary=False, **values)
    contact.customer = customer
    db.session.add(contact)
    db.session.flush()
    if is_primary or has_primary is None:
        _take_primary(contact)
    db.session.flush()
    refresh_keys(customer)
    audit.record(actor, "contact.created", contact, diff({}, snapshot(contact, CONTACT_FIELDS)),
                 label=_label(contact, customer))
    return contact


def update_contact(actor: User, contact: Contact, *, name: str, title: str | None = None,
                   department: str | None = None, mobile: str | None = None, phone: str | None = None,
                   email: str | None = None, wechat: str | None = None, birthday: dt.date | None = None,
                   gender: str | None = None, decision_role: str | None = None, is_primary: bool | None = None,
                   remarks: str | None = None) -> Contact:
    """Edit a contact; `is_primary=True` makes it the primary contact, None leaves the mark as it is.
    The primary contact cannot simply be unmarked: another contact is made primary instead."""
    customer = contact.customer
    _require_edit(actor, customer)
    if contact.deleted_at is not None:
        raise DomainError(_("This contact has been deleted."))
    values = _values(name, title, department, mobile, phone, email, wechat, birthday, gender, decision_role,
                     remarks)
    if is_primary is False and contact.is_primary:
        raise DomainError(_("A customer always has one primary contact: make another contact primary instead."),
                          "is_primary")
    before = snapshot(contact, CONTACT_FIELDS)
    for key, value in values.items():
        setattr(contact, key, value)
    changes: dict = {}
    if is_primary and not contact.is_primary:
        previous = _take_primary(contact)
        if previous:
            changes["previous_primary"] = [", ".join(previous), None]
    db.session.flush()
    refresh_keys(customer)
    changes.update(diff(before, snapshot(contact, CONTACT_FIELDS)))
    if changes:
        audit.record(actor, "contact.updated", contact, changes, label=_label(contact, customer))
    return contact


def set_primary(actor: User, contact: Contact) -> Contact:
    """Make `contact` its customer's one primary contact."""
    customer = contact.customer
    _require_edit(actor, customer)
    if contact.deleted_at is not None:
        raise DomainError(_("This contact has been deleted."))
    if contact.is_primary:
        return contact
    previous = _take_primary(contact)
    db.session.flush()
    changes = {"is_primary": [False, True]}
    if previous:
        changes["previous_primary"] = [", ".join(previous), None]
    audit.record(actor, "contact.primary_set", contact, changes, label=_label(contact, customer))
    return contact


def delete_contact(actor: User, contact: Contact) -> None:
    """Delete a contact (kept with deleted_at, so past follow-ups still name it). When it was the primary
    contact, the customer's longest-standing remaining contact becomes primary."""
    customer = contact.customer
    _require_edit(actor, customer)
    if contact.deleted_at is not None:
        return
    was_primary = contact.is_primary
    before = snapshot(contact, CONTACT_FIELDS)
    contact.deleted_at = utcnow()
    contact.is_primary = False
    changes = {k: [v, None] for k, v in before.items() if v not in (None, False)}
    if was_primary:
        successor = db.session.scalar(_live_contacts(customer.id, contact.id).order_by(Contact.id).limit(1))
        if successor is not None:
            successor.is_primary = True
            changes["new_primary"] = [None, successor.name]
    db.session.flush()
    refresh_keys(customer)
    audit.record(actor, "contact.deleted", contact, changes, label=_label(contact, customer))


# --- reads ----------------------------------------------------------------------------------------

def get_contact(user: User, contact_id: int, editable: bool = False) -> Contact:
    """A live contact of a customer the user may see (404 otherwise), and edit when asked (else 403)."""
    contact = visible_contact(user, contact_id)
    if contact is None:
        abort(404)
    if editable and not can_edit(user, contact.customer):
        abort(403)
    return contact


def visible_contact(user: User, contact_id: int | None) -> Contact | None:
    """A live contact with that id if the user may see its customer, else None (for filters)."""
    if contact_id is None:
        return None
    return db.session.scalar(
        select(Contact).join(Customer, Contact.customer_id == Customer.id)
        .where(Contact.id == contact_id, Contact.deleted_at.is_(None), customer_condition(user))
        .options(contains_eager(Contact.customer)))


def contacts_of(customer: Customer, limit: int | None = None) -> list[Contact]:
    """The customer's live contacts, primary first. The caller has already checked access to the customer."""
    stmt = (_live_contacts(customer.id)
            .order_by(case((Contact.is_primary == true(), 0), else_=1), Contact.name, Contact.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def count_contacts(customer: Customer) -> int:
    return db.session.scalar(select(func.count(Contact.id)).where(Contact.customer_id == customer.id,
                                                                  Contact.deleted_at.is_(None))) or 0


def contact_choices(customer: Customer, keep_id: int | None = None) -> list[tuple[int, str]]:
    """(id, label) of the customer's live contacts for a select; `keep_id` keeps one deleted since."""
    rows = [(c.id, f"{c.name} · {c.title}" if c.title else c.name) for c in contacts_of(customer)]
    if keep_id and keep_id not in {cid for cid, _label in rows}:
        kept = db.session.get(Contact, keep_id)
        if kept is not None and kept.customer_id == customer.id:
            rows.append((kept.id, kept.name))
    return rows


SORTS = {
    "customer": _l("Customer"),
    "name": _l("Name"),
    "created": _l("Newest first"),
    "birthday": _l("Birthday"),
}


@dataclass
class ContactFilters:
    q: str | None = None
    decision_role: str | None = None
    birthday_this_month: bool = False
    customer_id: int | None = None
    sort: str = "customer"


FEW_CUSTOMERS = 1000  # a search matching at most this many customers reads their contacts by customer id


def contact_query(user: User, filters: ContactFilters) -> Select:
    """Live contacts of the customers the user may see, filtered and sorted (ordered to the primary key)."""
    stmt = (select(Contact).join(Customer, Contact.customer_id == Customer.id)
            .where(Contact.deleted_at.is_(None), customer_condition(user))
            .options(contains_eager(Contact.customer)))
    if filters.q:
        term = normalise.search_term(filters.q)
        conditions = [contains(func.lower(Contact.name), term), contains(Contact.mobile, term),
                      contains(Contact.phone, term), contains(func.lower(Customer.name), term)]
        digits = normalise.phone_digits(term)
        if digits and len(digits) >= 3:
            conditions.append(contains(Contact.mobile_digits, digits))
        stmt = stmt.where(or_(*conditions))
        # A match is always in its customer's search_text (which holds the contacts' names and phones, as digits
        # too): find those customers first through the keyword search's narrow index, then only their contacts.
        found = [contains(Customer.search_text, term)]
        if digits and len(digits) >= 3 and digits != term:
            found.append(contains(Customer.search_text, digits))
        customers = db.session.scalars(select(Customer.id).where(customer_condition(user), or_(*found))
                                       .limit(FEW_CUSTOMERS + 1)).all()
        if len(customers) <= FEW_CUSTOMERS:
            stmt = stmt.where(Contact.customer_id.in_(customers))
    if filters.decision_role in DECISION_ROLES:
        stmt = stmt.where(Contact.decision_role == filters.decision_role)
    if filters.birthday_this_month:
        stmt = stmt.where(Contact.birthday_md.like(f"{site_today().month:02d}-%"))
    if filters.customer_id is not None:
        stmt = stmt.where(Contact.customer_id == filters.customer_id)
    if filters.sort == "name":
        return stmt.order_by(Contact.name, Contact.id)
    if filters.sort == "created":
        return stmt.order_by(Contact.created_at.desc(), Contact.id.desc())
    if filters.sort == "birthday":
        return stmt.order_by(case((Contact.birthday_md.is_(None), 1), else_=0), Contact.birthday_md, Contact.id)
    return stmt.order_by(Customer.name, Customer.id, case((Contact.is_primary == true(), 0), else_=1),
                         Contact.name, Contact.id)


def visible_customer(user: User, customer_id: int | None) -> Customer | None:
    """The customer with that id if the user may see it, else None (for filters: an unknown id is ignored)."""
    if customer_id is None:
        return None
    return db.session.scalar(visible_customers(user).where(Customer.id == customer_id))


def editable_customers(user: User, term: str | None, limit: int = 20) -> list[Customer]:
    """Customers the user may edit whose name, phone or contacts match `term` (to pick one for a new record)."""
    stmt = visible_customers(user, editable=True)
    term = normalise.search_term(term or "")
    if term:
        stmt = stmt.where(contains(Customer.search_text, term))
    return list(db.session.scalars(stmt.order_by(Customer.name, Customer.id).limit(limit)))


def section_context(user: User, customer: Customer, args) -> dict:
    """What the customer page's contacts section shows: the first contacts, primary first, and how many."""
    shown = 50
    contacts = contacts_of(customer, limit=shown + 1)
    return {"contacts": contacts[:shown],
            "contacts_total": len(contacts) if len(contacts) <= shown else count_contacts(customer),
            "decision_roles": DECISION_ROLES, "genders": GENDERS}
