"""客户 rules: create, edit, transfer, delete, tag and share customers, saved list views, and the scoped list."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from typing import Iterable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select, true
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..core import audit
from ..core.audit import diff, snapshot
from ..core.dictionaries import DictionaryItem
from ..core.errors import DomainError
from ..core.models import Department, User
from ..core.pagination import PAGE_SIZES, Page, Segment, empty_last_segments, paginate_ids, paginate_segments
from ..core.permissions import can_see_owner, scope_condition
from ..core.search import contains
from ..core.types import utcnow
from ..extensions import db
from . import normalise
from .access import CUSTOMER, CustomerPermission, customer_condition, visible_customers
from .access import can_edit as may_edit
from .dictionaries import INDUSTRY, LEVEL, SOURCE, STATUS
from .duplicates import DuplicateMatch, blocking_fields, find_duplicates
from .models import Customer, CustomerCollaborator, CustomerTag, OwnerChange, SavedView, Tag
from .search import refresh_keys
from ..core.validation import clean_text as _text

audit.register_actions({
    "customer.created": _l("Created a customer"),
    "customer.updated": _l("Edited a customer"),
    "customer.deleted": _l("Deleted a customer (to the recycle bin)"),
    "customer.transferred": _l("Transferred a customer"),
    "customer.assigned": _l("Assigned a customer"),
    "customer.claimed": _l("Claimed a customer from the public pool"),
    "customer.tagged": _l("Tagged a customer"),
    "customer.shared": _l("Shared a customer with a collaborator"),
    "customer.unshared": _l("Removed a collaborator from a customer"),
    "customer.exported": _l("Exported customers"),
    "customer_view.saved": _l("Saved a customer list view"),
    "customer_view.deleted": _l("Deleted a customer list view"),
})

KINDS = {"company": _l("Company"), "individual": _l("Individual")}
CREDIT_RATINGS = ("AAA", "AA", "A", "B", "C")
MAX_TAGS = 20
TAG_LENGTH = 40

PHONE_PATTERN = re.compile(r"^[0-9 +\-()]{5,40}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
CREDIT_CODE_PATTERN = re.compile(r"^[0-9A-Z]{18}$")

# What the edit history records: relationships, so the log shows dictionary labels and names, not ids.
AUDIT_FIELDS = ("name", "short_name", "kind", "industry", "source", "level", "status", "credit_rating", "province",
                "city", "district", "address", "phone", "email", "website", "credit_code", "remarks")
# Text fields of a customer with their maximum lengths (the model's column sizes).
TEXT_FIELDS = {"name": 200, "short_name": 100, "province": 30, "city": 30, "district": 30, "address": 200,
               "website": 200, "remarks": 4000}
DICTIONARY_FIELDS = {"industry_id": INDUSTRY, "source_id": SOURCE, "level_id": LEVEL, "status_id": STATUS}
EDITABLE_FIELDS = ("name", "short_name", "kind", "industry_id", "source_id", "level_id", "status_id",
                   "credit_rating", "province", "city", "district", "address", "phone", "email", "website",
                   "credit_code", "remarks", "tags")
# What transfer_customers writes for each kind of owner change (OwnerChange.kind); others are transfers.
TRANSFER_ACTIONS = {"assigned": "customer.assigned", "claimed": "customer.claimed"}


class DuplicateWarning(DomainError):
    """Similar customers exist (on fields that do not block): save again with confirm_duplicates=True."""

    def __init__(self, matches: list[DuplicateMatch]):
        super().__init__(_("Similar customers already exist. Check that this is a different customer, "
                           "then tick “Save anyway”."))
        self.matches = matches


# --- values -----------------------------------------------------------------------------------

def _phone(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if not PHONE_PATTERN.match(value):
        raise DomainError(_("Enter a phone number: digits, spaces, + - and brackets, 5 to 40 characters."),
                          "phone")
    return value


def _email(value: str | None) -> str | None:
    value = _text(value, 120, "email")
    if value and not EMAIL_PATTERN.match(value):
        raise DomainError(_("Enter a valid e-mail address."), "email")
    return value


def normalise_credit_code(value: str | None) -> str | None:
    """统一社会信用代码 as stored: half-width, without spaces, upper case (validity is checked separately)."""
    if not value:
        return None
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper() or None


def _credit_code(value: str | None) -> str | None:
    code = normalise_credit_code(value)
    if code and not CREDIT_CODE_PATTERN.match(code):
        raise DomainError(_("A unified social credit code has 18 letters and digits."), "credit_code")
    return code


def _dictionary(kind: str, item_id: int | None, field: str, current_id: int | None = None) -> DictionaryItem | None:
    """The chosen dictionary value; a deactivated one only if the record already holds it."""
    if not item_id:
        return None
    item = db.session.get(DictionaryItem, item_id)
    if item is None or item.kind != kind:
        raise DomainError(_("Choose a value from the list."), field)
    if not item.is_active and item.id != current_id:
        raise DomainError(_("This value is no longer in use. Choose another."), field)
    return item


def tag_names(names: Iterable[str] | str | None) -> list[str]:
    """Tags from a list or a comma-separated text (commas of either width): stripped, without repeats."""
    if names is None:
        return []
    if isinstance(names, str):
        names = re.split(r"[,，、;；]", names)
    result: list[str] = []
    seen: set[str] = set()
    for name in names:
        name = unicodedata.normalize("NFKC", name or "").strip()
        if not name or name.lower() in seen:
            continue
        if len(name) > TAG_LENGTH:
            raise DomainError(_("A tag has at most %(n)d characters.", n=TAG_LENGTH), "tags")
        seen.add(name.lower())
        result.append(name)
    if len(result) > MAX_TAGS:
        raise DomainError(_("At most %(n)d tags.", n=MAX_TAGS), "tags")
    return result


def _tags(names: list[str]) -> list[Tag]:
    """Tag rows for the names, creating those that do not exist (matched case-insensitively, as SQL Server does)."""
    if not names:
        return []
    existing = {tag.name.lower(): tag for tag in db.session.scalars(
        select(Tag).where(func.lower(Tag.name).in_([name.lower() for name in names])))}
    tags = []
    for name in names:
        tag = existing.get(name.lower())
        if tag is None:
            tag = Tag(name=name)
            db.session.add(tag)
            existing[name.lower()] = tag
        tags.append(tag)
    return tags


def _values(current: Customer | None, fields: dict) -> dict:
    """Validated attribute values for a customer from plain field values; raises DomainError on the field."""
    values: dict = {}
    for name, length in TEXT_FIELDS.items():
        values[name] = _text(fields.get(name), length, name, required=name == "name")
    kind = fields.get("kind") or "company"
    if kind not in KINDS:
        raise DomainError(_("Choose a value from the list."), "kind")
    values["kind"] = kind
    rating = (fields.get("credit_rating") or "").strip() or None
    if rating is not None and rating not in CREDIT_RATINGS:
        raise DomainError(_("Choose a value from the list."), "credit_rating")
    values["credit_rating"] = rating
    values["phone"] = _phone(fields.get("phone"))
    values["email"] = _email(fields.get("email"))
    values["credit_code"] = _credit_code(fields.get("credit_code"))
    for field, kind_code in DICTIONARY_FIELDS.items():
        current_id = getattr(current, field) if current is not None else None
        values[field[:-3]] = _dictionary(kind_code, fields.get(field), field, current_id)
    return values


def _state(customer: Customer) -> dict:
    state = snapshot(customer, AUDIT_FIELDS)
    state["tags"] = _tag_text(customer.tags)
    return state


def _tag_text(tags) -> str | None:
    return ", ".join(sorted(tag.name for tag in tags)) or None


def _owner_for(actor: User, owner_id: int | None, current_owner_id: int | None) -> User | None:
    """The owner asked for: oneself by default; another user only with the transfer permission and in scope."""
    if not owner_id or owner_id == current_owner_id:
        return None if current_owner_id is not None else actor
    if owner_id == actor.id:
        return actor
    if not actor.can(CustomerPermission.TRANSFER):
        raise DomainError(_("You may not give customers to other users."), "owner_id")
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.is_active or not can_see_owner(actor, owner.id, CUSTOMER):
        raise DomainError(_("Choose an active user within your data scope."), "owner_id")
    return owner


def _check_duplicates(actor: User, keys: dict, exclude_id: int | None, confirm: bool) -> None:
    """Refuse on a match in a blocking field; otherwise warn (DuplicateWarning) unless the user confirmed."""
    if not any(keys.values()):
        return
    matches = find_duplicates(actor, exclude_id=exclude_id, **keys)
    blocking = blocking_fields()
    for match in matches:
        hit = [f for f in match.fields if f in blocking]
        if hit:
            raise DomainError(_("Already used by the customer “%(name)s” (owner: %(owner)s).", name=match.name,
                                owner=match.owner_name or _("public pool")), hit[0])
    if matches and not confirm:
        raise DuplicateWarning(matches)


def _duplicate_keys(values: dict) -> dict:
    return {"name": values["name"], "phone": values["phone"], "email": values["email"],
            "credit_code": values["credit_code"]}


def _is_deal(status: DictionaryItem | None) -> bool:
    return status is not None and status.flag == "deal"


# --- create and edit --------------------------------------------------------------------------

def create_customer(actor: User, *, name: str, short_name: str | None = None, kind: str = "company",
                    industry_id: int | None = None, source_id: int | None = None, level_id: int | None = None,
                    status_id: int | None = None, credit_rating: str | None = None, province: str | None = None,
                    city: str | None = None, district: str | None = None, address: str | None = None,
                    phone: str | None = None, email: str | None = None, website: str | None = None,
                    credit_code: str | None = None, remarks: str | None = None,
                    tags: Iterable[str] | str | None = (), owner_id: int | None = None,
                    confirm_duplicates: bool = False) -> Customer:
    """Add a customer owned by the actor (or, with the transfer permission, by a user in the actor's scope).
    A match in a blocking duplicate-check field refuses; other matches raise DuplicateWarning unless confirmed."""
    fields = dict(name=name, short_name=short_name, kind=kind, industry_id=industry_id, source_id=source_id,
                  level_id=level_id, status_id=status_id, credit_rating=credit_rating, province=province,
                  city=city, district=district, address=address, phone=phone, email=email, website=website,
                  credit_code=credit_code, remarks=remarks)
    values = _values(None, fields)
    names = tag_names(tags)
    owner = _owner_for(actor, owner_id, None)
    _check_duplicates(actor, _duplicate_keys(values), None, confirm_duplicates)
    now = utcnow()
    customer = Customer(**values)
    customer.owner = owner
    customer.owner_since = now
    customer.created_by = actor
    customer.updated_by = actor
    if _is_deal(customer.status):
        customer.last_deal_at = now
    db.session.add(customer)
    customer.tags = _tags(names)
    refresh_keys(customer)
    db.session.flush()
    db.session.add(OwnerChange(customer=customer, kind="created", to_user_id=owner.id, actor_id=actor.id, at=now))
    changes = diff({}, _state(customer))
    changes["owner"] = [None, owner.display_name]
    audit.record(actor, "customer.created", customer, changes)
    db.session.flush()
    return customer


def update_customer(actor: User, customer: Customer, *, confirm_duplicates: bool = False,
                    owner_id: int | None = None, **fields) -> Customer:
    """Edit a customer: the same fields as create_customer (a field not passed keeps its value). The duplicate
    check runs on the name, phone, e-mail and credit code that changed; moving to a "deal" status sets
    last_deal_at; a new owner_id is a transfer (transfer permission, within scope)."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"update_customer() got unexpected fields: {', '.join(sorted(unknown))}")
    merged = {name: getattr(customer, name) for name in EDITABLE_FIELDS if name != "tags"}
    merged.update({k: v for k, v in fields.items() if k != "tags"})
    values = _values(customer, merged)
    names = tag_names(fields["tags"]) if "tags" in fields else [tag.name for tag in customer.tags]
    new_owner = _owner_for(actor, owner_id, customer.owner_id) if owner_id else None

    new_keys = _duplicate_keys(values)
    old_keys = {"name": customer.name_key, "phone": customer.phone_digits, "email": customer.email_key,
                "credit_code": customer.credit_code}
    normalised = {"name": normalise.name_key(new_keys["name"]), "phone": normalise.phone_digits(new_keys["phone"]),
                  "email": normalise.email_key(new_keys["email"]), "credit_code": new_keys["credit_code"]}
    changed = {f: new_keys[f] if normalised[f] != old_keys[f] else None for f in new_keys}
    _check_duplicates(actor, changed, customer.id, confirm_duplicates)

    before = _state(customer)
    was_deal = _is_deal(customer.status)
    for key, value in values.items():
        setattr(customer, key, value)
    customer.tags = _tags(names)
    if _is_deal(customer.status) and not was_deal:
        customer.last_deal_at = utcnow()
    refresh_keys(customer)
    changes = diff(before, _state(customer))
    if changes:
        customer.updated_by = actor
        db.session.flush()
        audit.record(actor, "customer.updated", customer, changes)
    if new_owner is not None and new_owner.id != customer.owner_id:
        _move_owner(actor, customer, new_owner, None, "transferred")
    db.session.flush()
    return customer


# --- owners -----------------------------------------------------------------------------------

def _move_owner(actor: User | None, customer: Customer, to_user: User, reason: str | None, kind: str) -> None:
    previous = customer.owner
    kind = "assigned" if previous is None and kind == "transferred" else kind
    now = utcnow()
    customer.owner = to_user
    customer.owner_since = now
    customer.pool_id = None
    customer.released_at = None
    customer.recycle_warned_at = None
    if actor is not None:
        customer.updated_by = actor
    db.session.add(OwnerChange(customer=customer, kind=kind, from_user_id=previous.id if previous else None,
                               to_user_id=to_user.id, actor_id=actor.id if actor else None, reason=reason, at=now))
    changes = {"owner": [previous.display_name if previous else None, to_user.display_name]}
    if reason:
        changes["reason"] = [None, reason]
    audit.record(actor, TRANSFER_ACTIONS.get(kind, "customer.transferred"), customer, changes)


def transfer_customers(actor: User | None, customers: Iterable[Customer], to_user: User | None,
                       reason: str | None = None, kind: str = "transferred") -> int:
    """Give customers to `to_user` (an active user within the actor's data scope), also out of the public pool
    (then the kind is "assigned"). Records an OwnerChange and an audit row per customer; returns how many moved.
    Who may call it (transfer permission, hand-over, claiming) is the caller's check."""
    if to_user is None or not to_user.is_active:
        raise DomainError(_("Choose an active user."), "to_user_id")
    if actor is not None and not can_see_owner(actor, to_user.id, CUSTOMER):
        raise DomainError(_("Choose an active user within your data scope."), "to_user_id")
    reason = _text(reason, 500, "reason")
    moved = 0
    for customer in customers:
        if customer.deleted_at is not None or customer.owner_id == to_user.id:
            continue
        _move_owner(actor, customer, to_user, reason, kind)
        moved += 1
    db.session.flush()
    return moved


# --- bulk changes -----------------------------------------------------------------------------

def delete_customers(actor: User, customers: Iterable[Customer]) -> int:
    """Move customers to the recycle bin (soft delete); needs the delete permission. Returns how many."""
    if not actor.can(CustomerPermission.DELETE):
        raise DomainError(_("You may not delete customers."))
    now = utcnow()
    count = 0
    for customer in customers:
        if customer.deleted_at is not None:
            continue
        customer.deleted_at = now
        customer.deleted_by = actor
        audit.record(actor, "customer.deleted", customer, {"deleted_at": [None, now]})
        count += 1
    db.session.flush()
    return count


def add_tags(actor: User, customers: Iterable[Customer], names: Iterable[str] | str) -> int:
    """Add tags to customers (those they already have stay); returns how many customers changed."""
    names = tag_names(names)
    if not names:
        raise DomainError(_("Enter at least one tag."), "tags")
    tags = _tags(names)
    count = 0
    for customer in customers:
        have = {tag.name.lower() for tag in customer.tags}
        missing = [tag for tag in tags if tag.name.lower() not in have]
        if not missing:
            continue
        before = _tag_text(customer.tags)
        customer.tags = list(customer.tags) + missing
        if len(customer.tags) > MAX_TAGS:
            raise DomainError(_("At most %(n)d tags.", n=MAX_TAGS), "tags")
        customer.updated_by = actor
        audit.record(actor, "customer.tagged", customer,
                     {"tags": [before, _tag_text(customer.tags)]})
        count += 1
    db.session.flush()
    return count


def set_level(actor: User, customers: Iterable[Customer], level_id: int | None) -> int:
    """Give customers a level (an active value of the level dictionary); returns how many changed."""
    level = _dictionary(LEVEL, level_id, "level_id")
    if level is None:
        raise DomainError(_("Choose a level."), "level_id")
    count = 0
    for customer in customers:
        if customer.level_id == level.id:
            continue
        before = customer.level.label if customer.level else None
        customer.level = level
        customer.updated_by = actor
        audit.record(actor, "customer.updated", customer, {"level": [before, level.label]})
        count += 1
    db.session.flush()
    return count


# --- collaborators ----------------------------------------------------------------------------

def _collaborator_label(user: User, can_edit: bool) -> str:
    return f"{user.display_name} ({_('may edit') if can_edit else _('read only')})"


def set_collaborator(actor: User, customer: Customer, user: User | None, can_edit: bool) -> CustomerCollaborator:
    """Share a customer with a colleague (协作人), read only or with edit rights; the owner and those who may
    edit the customer do it."""
    if not may_edit(actor, customer):
        raise DomainError(_("Only the owner and collaborators who may edit can share this customer."))
    if user is None or not user.is_active:
        raise DomainError(_("Choose an active user."), "user_id")
    if user.id == customer.owner_id:
        raise DomainError(_("This user is the owner."), "user_id")
    row = db.session.get(CustomerCollaborator, (customer.id, user.id))
    before = _collaborator_label(user, row.can_edit) if row is not None else None
    if row is None:
        row = CustomerCollaborator(customer=customer, user=user, can_edit=bool(can_edit))
        db.session.add(row)
    elif row.can_edit == bool(can_edit):
        return row
    row.can_edit = bool(can_edit)
    audit.record(actor, "customer.shared", customer,
                 {"collaborator": [before, _collaborator_label(user, bool(can_edit))]})
    db.session.flush()
    return row


def remove_collaborator(actor: User, customer: Customer, user: User) -> None:
    """Stop sharing a customer with a colleague (a collaborator may also remove themselves)."""
    if user.id != actor.id and not may_edit(actor, customer):
        raise DomainError(_("Only the owner and collaborators who may edit can share this customer."))
    row = db.session.get(CustomerCollaborator, (customer.id, user.id))
    if row is None:
        return
    audit.record(actor, "customer.unshared", customer,
                 {"collaborator": [_collaborator_label(user, row.can_edit), None]})
    db.session.delete(row)
    db.session.flush()


# --- the list ---------------------------------------------------------------------------------

QUICK_SCOPES = {"mine": _l("My customers"), "shared": _l("Shared with me"), "department": _l("My department")}
NEXT_FOLLOWUP = {"today": _l("Due today"), "overdue": _l("Overdue")}


@dataclass
class CustomerFilters:
    """What the customer list is narrowed by; dates are whole days in the site time zone."""

    q: str | None = None
    kind: str | None = None
    industry_id: int | None = None
    source_id: int | None = None
    level_id: int | None = None
    status_id: int | None = None
    credit_rating: str | None = None
    province: str | None = None
    city: str | None = None
    owner_id: int | None = None
    tag_id: int | None = None
    created_from: dt.date | None = None
    created_to: dt.date | None = None
    followup_from: dt.date | None = None
    followup_to: dt.date | None = None
    no_followup_days: int | None = None
    next_followup: str | None = None   # "today" / "overdue"
    scope: str | None = None           # "mine" / "shared" / "department"
    timezone: str | None = None        # default: the site's


def _site_timezone(filters: CustomerFilters) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(filters.timezone or current_app.config["CRM_SETTINGS"].timezone)


def _utc_start_of(day: dt.date, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    """Midnight of a day in the site's time zone, as the naive UTC the database stores."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(dt.timezone.utc).replace(tzinfo=None)


def _in_days(column, start: dt.date | None, end: dt.date | None, tz) -> list:
    conditions = []
    if start:
        conditions.append(column >= _utc_start_of(start, tz))
    if end:
        conditions.append(column < _utc_start_of(end + dt.timedelta(days=1), tz))
    return conditions


def _department_member_ids(department_id: int):
    tree = select(Department.id).where(Department.id == department_id).cte("my_dept_tree", recursive=True)
    tree = tree.union_all(select(Department.id).where(Department.parent_id == tree.c.id))
    return select(User.id).where(User.department_id.in_(select(tree.c.id)))


PHONE_TERM = re.compile(r"^[0-9 +\-()]+$")


def keyword_condition(q: str):
    """The keyword search: name, short name, phone, e-mail and contacts' names and phones (search_text); a term
    that looks like a phone number also matches by digits, however the number was written ("6234 5678" finds
    "021-62345678": search_text holds every phone as digits too)."""
    term = normalise.search_term(q)
    if not term:
        return None
    condition = contains(Customer.search_text, term)
    digits = normalise.phone_digits(term) if PHONE_TERM.match(term) else None
    if digits and len(digits) >= 4 and digits != term:
        condition = or_(condition, contains(Customer.search_text, digits))
    return condition


def _filter_conditions(user: User, filters: CustomerFilters) -> list:
    tz = _site_timezone(filters)
    conditions = []
    if filters.q:
        condition = keyword_condition(filters.q)
        if condition is not None:
            conditions.append(condition)
    for name in ("kind", "industry_id", "source_id", "level_id", "status_id", "credit_rating", "province", "city",
                 "owner_id"):
        value = getattr(filters, name)
        if value not in (None, ""):
            conditions.append(getattr(Customer, name) == value)
    if filters.tag_id:
        conditions.append(Customer.id.in_(select(CustomerTag.customer_id).where(CustomerTag.tag_id == filters.tag_id)))
    conditions += _in_days(Customer.created_at, filters.created_from, filters.created_to, tz)
    conditions += _in_days(Customer.last_followup_at, filters.followup_from, filters.followup_to, tz)
    if filters.no_followup_days is not None and filters.no_followup_days >= 0:
        cutoff = utcnow() - dt.timedelta(days=filters.no_followup_days)
        conditions.append(or_(Customer.last_followup_at < cutoff,
                              and_(Customer.last_followup_at.is_(None),
                                   func.coalesce(Customer.owner_since, Customer.created_at) < cutoff)))
    if filters.next_followup == "today":
        today = dt.datetime.now(tz).date()
        conditions += _in_days(Customer.next_followup_at, today, today, tz)
    elif filters.next_followup == "overdue":
        conditions.append(Customer.next_followup_at < utcnow())
    if filters.scope == "mine":
        conditions.append(Customer.owner_id == user.id)
    elif filters.scope == "shared":
        conditions.append(Customer.id.in_(
            select(CustomerCollaborator.customer_id).where(CustomerCollaborator.user_id == user.id)))
    elif filters.scope == "department":
        if user.department_id is not None:
            conditions.append(Customer.owner_id.in_(_department_member_ids(user.department_id)))
        else:
            conditions.append(Customer.owner_id == user.id)
    return conditions


# Sortable columns of the list: key -> how to order (dictionary values sort in their dictionary's order).
SORT_KEYS = ("name", "kind", "industry", "source", "level", "status", "credit_rating", "region", "address", "phone",
             "email", "credit_code", "owner", "created_at", "updated_at", "last_followup_at", "next_followup_at",
             "owner_since", "last_deal_at")
DEFAULT_SORT = ("updated_at", "desc")


DICTIONARY_SORTS = ("industry", "source", "level", "status")
NEVER_EMPTY_SORTS = ("name", "created_at", "updated_at", "kind")


def _null_last(column):
    # Engines disagree on where NULL sorts; empty values go last everywhere, whichever the direction.
    return case((column.is_(None), 1), else_=0)


def _sort_and_direction(sort: str, direction: str) -> tuple[str, bool]:
    if sort not in SORT_KEYS:
        sort, direction = DEFAULT_SORT
    return sort, direction == "desc"


def _loaded(stmt: Select) -> Select:
    return stmt.options(joinedload(Customer.owner), joinedload(Customer.level), joinedload(Customer.status),
                        joinedload(Customer.industry), joinedload(Customer.source), selectinload(Customer.tags))


def list_customers(user: User, filters: CustomerFilters | None = None, sort: str = DEFAULT_SORT[0],
                   direction: str = DEFAULT_SORT[1]) -> Select:
    """Every customer `user` may see, narrowed by `filters`, in the list's order (a whitelisted column, empty
    values last, Customer.id last), with owner, dictionary values and tags loaded: for exports and bulk actions.
    The list page reads one page of the same order with `customer_page`."""
    filters = filters or CustomerFilters()
    stmt = visible_customers(user).where(*_filter_conditions(user, filters))
    sort, descending = _sort_and_direction(sort, direction)

    def ordered(column):
        return column.desc() if descending else column.asc()

    if sort in DICTIONARY_SORTS:
        item = aliased(DictionaryItem)
        stmt = stmt.outerjoin(item, item.id == getattr(Customer, f"{sort}_id"))
        ordering = [_null_last(item.id), ordered(item.sort_order), ordered(item.label), ordered(item.id),
                    ordered(Customer.updated_at)]
    elif sort == "owner":
        owner = aliased(User)
        stmt = stmt.outerjoin(owner, owner.id == Customer.owner_id)
        ordering = [ordered(owner.display_name), ordered(owner.id)]
    elif sort in NEVER_EMPTY_SORTS:
        ordering = [ordered(getattr(Customer, sort)), *map(ordered, _within(sort))]
    else:
        column, extra = _nullable_sort(sort)
        ordering = [_null_last(column), ordered(column), *map(ordered, extra)]
    return _loaded(stmt.order_by(*ordering, ordered(Customer.id)))


def _within(sort: str) -> list:
    """What orders the rows of one value of the sort column (before the id): the default order where an index
    leads with the column and continues in it (see the indexes of Customer)."""
    if sort == "region":
        return [Customer.city]
    if sort in ("kind", "credit_rating", *DICTIONARY_SORTS):
        return [Customer.updated_at]
    return []


def _nullable_sort(sort: str) -> tuple:
    """The column whose empty values go last, and what orders rows within the same value."""
    column = Customer.province if sort == "region" else getattr(Customer, sort)
    return column, _within(sort)


def customer_page(user: User, filters: CustomerFilters | None = None, sort: str = DEFAULT_SORT[0],
                  direction: str = DEFAULT_SORT[1], page: int = 1, per_page: int = PAGE_SIZES[0]) -> Page:
    """One page of `list_customers`, read so that an index gives every sort its order on a large file: a sort
    with empty values, or in a dictionary's or the owners' order, is read as segments (the filled values, then
    the empty ones; one dictionary value or owner after another), counted in one grouped query."""
    filters = filters or CustomerFilters()
    sort, descending = _sort_and_direction(sort, direction)
    where = [customer_condition(user), *_filter_conditions(user, filters)]
    if filters.q and keyword_condition(filters.q) is not None:
        # LIKE '%term%' has no index, so one scan collects the matching ids: a rare term's few rows are then
        # ordered among themselves, instead of walking the whole file in list order to find them.
        ids = db.session.scalars(select(Customer.id).where(*where).limit(FEW_MATCHES + 1)).all()
        if len(ids) <= FEW_MATCHES:
            return paginate_ids(list_customers(user, filters, sort, direction), Customer.id, ids, page, per_page)

    def ordered(column):
        return column.desc() if descending else column.asc()

    if sort in NEVER_EMPTY_SORTS:
        count = db.session.scalar(select(func.count()).select_from(Customer).where(*where)) or 0
        then = [*map(ordered, _within(sort)), ordered(Customer.id)]
        segments = [Segment(None, [ordered(getattr(Customer, sort)), *then], count)]
    elif sort in DICTIONARY_SORTS or sort == "owner":
        column = Customer.owner_id if sort == "owner" else getattr(Customer, f"{sort}_id")
        counts = dict(db.session.execute(select(column, func.count()).where(*where).group_by(column)).all())
        if sort == "owner":
            order = select(User.id).order_by(User.display_name, User.id)
        else:
            order = select(DictionaryItem.id).order_by(DictionaryItem.sort_order, DictionaryItem.label,
                                                       DictionaryItem.id)
        keys = [key for key in db.session.scalars(order) if key in counts]
        if descending:
            keys.reverse()
        then = [*map(ordered, _within(sort)), ordered(Customer.id)]
        segments = [Segment(column == key, then, counts[key]) for key in keys]
        if None in counts:
            segments.append(Segment(column.is_(None), then, counts[None]))
    else:
        column, extra = _nullable_sort(sort)
        total, filled = db.session.execute(select(func.count(), func.count(column)).where(*where)).one()
        segments = empty_last_segments(column, ordered(column), [*map(ordered, extra), ordered(Customer.id)],
                                       total, filled)
    return paginate_segments(_loaded(select(Customer).where(*where)), segments, page, per_page,
                             whole=list_customers(user, filters, sort, direction))


FEW_MATCHES = 1000  # a keyword search matching at most this many customers reads them by id (SQL Server: < 2100)


def customers_by_ids(user: User, ids: Iterable[int], editable: bool = True) -> list[Customer]:
    """The customers among `ids` the user may see (or edit), in chunks that stay below SQL Server's limit."""
    ids = sorted({int(i) for i in ids})
    found: list[Customer] = []
    for start in range(0, len(ids), 1000):
        chunk = ids[start:start + 1000]
        found += db.session.scalars(visible_customers(user, editable=editable)
                                    .where(Customer.id.in_(chunk)).order_by(Customer.id)).unique().all()
    return found


def customers_matching(user: User, filters: CustomerFilters, editable: bool = True) -> list[Customer]:
    """Every customer the filters match that the user may see (or edit): a bulk action on "all matching"."""
    stmt = visible_customers(user, editable=editable).where(*_filter_conditions(user, filters))
    return list(db.session.scalars(stmt.order_by(Customer.id)).unique())


# --- choices for forms and filters --------------------------------------------------------------

def owner_choices(user: User, active_only: bool = True) -> list[tuple[int, str]]:
    """Users within the user's data scope for customers (those they may give customers to, or filter by)."""
    stmt = select(User.id, User.display_name, User.is_active).where(scope_condition(user, User.id, CUSTOMER))
    if active_only:
        stmt = stmt.where(User.is_active == true())
    rows = db.session.execute(stmt.order_by(User.display_name, User.id)).all()
    return [(row.id, row.display_name if row.is_active else f"{row.display_name} ({_('disabled')})")
            for row in rows]


def colleague_choices(exclude_ids: Iterable[int] = ()) -> list[tuple[int, str]]:
    """Active users a customer can be shared with (collaborators may sit in any department)."""
    stmt = select(User.id, User.display_name).where(User.is_active == true())
    excluded = [i for i in exclude_ids if i]
    if excluded:
        stmt = stmt.where(User.id.not_in(excluded))
    return [(row.id, row.display_name) for row in db.session.execute(stmt.order_by(User.display_name, User.id))]


def tag_choices() -> list[tuple[int, str]]:
    return [(row.id, row.name) for row in db.session.execute(select(Tag.id, Tag.name).order_by(Tag.name, Tag.id))]


def region_choices(user: User) -> tuple[list[str], list[str]]:
    """Provinces and cities of the customers the user may see, for the list's filters."""
    def distinct(column) -> list[str]:
        stmt = visible_customers(user, select(column)).where(column.is_not(None)).distinct().order_by(column)
        return [value for value in db.session.scalars(stmt.limit(500)) if value]
    return distinct(Customer.province), distinct(Customer.city)


def edit_history(customer: Customer, limit: int = 20) -> list[audit.AuditLog]:
    """The newest audit rows about a customer."""
    return list(db.session.scalars(
        select(audit.AuditLog).where(audit.AuditLog.entity_type == Customer.__tablename__,
                                     audit.AuditLog.entity_id == customer.id)
        .order_by(audit.AuditLog.at.desc(), audit.AuditLog.id.desc()).limit(limit)))


# --- saved views ------------------------------------------------------------------------------

def saved_views(user: User) -> list[SavedView]:
    stmt = select(SavedView).where(SavedView.user_id == user.id, SavedView.list_name == "customers")
    return list(db.session.scalars(stmt.order_by(SavedView.name, SavedView.id)))


def get_saved_view(user: User, view_id: int) -> SavedView | None:
    """One of the user's own saved views (None for another user's)."""
    return db.session.scalar(select(SavedView).where(SavedView.id == view_id, SavedView.user_id == user.id,
                                                     SavedView.list_name == "customers"))


def save_view(user: User, name: str, query: str, columns: Iterable[str] = ()) -> SavedView:
    """Save the list's query string and columns under a name (the user's own view of that name is replaced)."""
    name = _text(name, 60, "view_name", required=True)
    query = (query or "").strip().lstrip("?")
    if len(query) > 2000:
        raise DomainError(_("This list has too many filters to save."), "view_name")
    columns = ",".join(columns)[:500] or None
    view = db.session.scalar(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name,
                                                     SavedView.list_name == "customers"))
    before = {"query": view.query, "columns": view.columns} if view is not None else {}
    if view is None:
        view = SavedView(user_id=user.id, list_name="customers", name=name)
        db.session.add(view)
    view.query, view.columns = query, columns
    db.session.flush()
    audit.record(user, "customer_view.saved", view, diff(before, {"query": query, "columns": columns}), label=name)
    return view


def delete_view(user: User, view: SavedView) -> None:
    if view.user_id != user.id:
        raise DomainError(_("This is not your view."))
    audit.record(user, "customer_view.deleted", view, {"query": [view.query, None]}, label=view.name)
    db.session.delete(view)
    db.session.flush()
