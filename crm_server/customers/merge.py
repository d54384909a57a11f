"""合并客户: fold a duplicate customer into the one kept, moving everything that hangs from it."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Table, UniqueConstraint, and_, delete, func, or_, select, true, update
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.audit import snapshot
from ..core.errors import DomainError
from ..core.models import User
from ..core.types import utcnow
from ..extensions import db
from ..core.search import contains
from .access import CustomerPermission, can_edit, visible_customers
from .duplicates import find_duplicates
from .models import Customer, CustomerCollaborator, OwnerChange
from .normalise import search_term
from .search import refresh_keys

audit.register_actions({"customer.merged": _l("Merged customers")})

# The fields a user picks from one side or the other; dictionary values by relationship, so the audit row
# and the comparison page show labels rather than ids.
MERGE_FIELDS = {
    "name": _l("Name"), "short_name": _l("Short name"), "kind": _l("Type"), "industry": _l("Industry"),
    "source": _l("Customer source"), "level": _l("Customer level"), "status": _l("Customer status"),
    "credit_rating": _l("Credit rating"), "province": _l("Province"), "city": _l("City"),
    "district": _l("District"), "address": _l("Address"), "phone": _l("Phone"), "email": _l("E-mail"),
    "website": _l("Website"), "credit_code": _l("Credit code"), "remarks": _l("Remarks"),
}
REQUIRED_FIELDS = {"name", "kind"}
# Fields whose two values may both be kept, one after the other.
COMBINABLE_FIELDS = {"remarks"}
KEEP, OTHER, BOTH = "keep", "other", "both"

# Readable names of the tables whose rows move; later modules add theirs with register_merge_label.
TABLE_LABELS: dict[str, object] = {
    "contacts": _l("Contacts"),
    "followups": _l("Follow-ups"),
    "customer_tags": _l("Tags"),
    "customer_collaborators": _l("Collaborators"),
    "customer_owner_changes": _l("Owner changes"),
}
# A page of ids per statement: far below SQL Server's 2,100 parameters.
_CHUNK = 500


def register_merge_label(table_name: str, label) -> None:
    """Name a table that references customers.id, for the merge page and its audit row."""
    TABLE_LABELS[table_name] = label


def table_label(table_name: str) -> str:
    return str(TABLE_LABELS.get(table_name, table_name))


def audit_field_labels() -> dict[str, object]:
    """Readable names of the keys the "customer.merged" audit rows hold, for pages that show the log."""
    labels: dict[str, object] = {"merged_customer": _l("Merged customer"), "merged_into": _l("Merged into"),
                                 "deleted_at": _l("Deleted at")}
    for table_name, label in TABLE_LABELS.items():
        labels[f"moved:{table_name}"] = _l("Moved: %(what)s", what=label)
    return labels


def customer_references() -> list[tuple[Table, Column]]:
    """Every (table, column) with a foreign key to customers.id, found in the metadata, so that tables of
    modules added later (opportunities, contracts, ...) move along without this module knowing them.
    customers.merged_into_id is history, not data of the customer, and stays."""
    customers = Customer.__table__
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is not customers.c.id:
                continue
            if table is customers and fk.parent.name == "merged_into_id":
                continue
            found.append((table, fk.parent))
    return found


def related_counts(customer_id: int) -> dict[str, int]:
    """How many rows of each referencing table point at the customer: what a merge would move."""
    counts = {}
    for table, column in customer_references():
        count = db.session.scalar(select(func.count()).select_from(table).where(column == customer_id)) or 0
        if count:
            counts[table.name] = counts.get(table.name, 0) + count
    return counts


def _unique_keys(table: Table, column: Column) -> list[list[Column]]:
    """The other columns of each unique key (primary key, unique constraint or index) that holds `column`:
    a row of the merged customer whose values there the kept customer already has would be a duplicate."""
    keys = []
    candidates = [list(table.primary_key.columns)]
    candidates += [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    candidates += [list(index.columns) for index in table.indexes if index.unique]
    for columns in candidates:
        if column in columns and len(columns) > 1:
            rest = [c for c in columns if c is not column]
            if rest not in keys:
                keys.append(rest)
    return keys


def _in(columns: list[Column], values: list[tuple]):
    if len(columns) == 1:
        return columns[0].in_([v[0] for v in values])
    return or_(*(and_(*(c == v for c, v in zip(columns, value))) for value in values))


def _drop_clashes(table: Table, column: Column, keep_id: int, other_id: int) -> None:
    """Delete the merged customer's rows that the kept one already has (the union of tags, say)."""
    for rest in _unique_keys(table, column):
        # Read both sides rather than DELETE ... WHERE EXISTS (same table): MariaDB refuses that (error 1093).
        kept = set(db.session.execute(select(*rest).where(column == keep_id)).tuples())
        if not kept:
            continue
        theirs = set(db.session.execute(select(*rest).where(column == other_id)).tuples())
        clashes = sorted(kept & theirs, key=repr)
        chunk = max(1, _CHUNK // len(rest))
        for start in range(0, len(clashes), chunk):
            db.session.execute(delete(table).where(column == other_id, _in(rest, clashes[start:start + chunk])))


def _merge_collaborators(keep: Customer, other: Customer) -> None:
    """Collaborators are a union where the right to edit wins; nobody collaborates on their own customer."""
    table = CustomerCollaborator.__table__
    # Read first: MariaDB refuses an UPDATE whose subquery reads the same table (error 1093).
    editors = list(db.session.scalars(select(table.c.user_id).where(
        table.c.customer_id == other.id, table.c.can_edit == true()).order_by(table.c.user_id)))
    for start in range(0, len(editors), _CHUNK):
        db.session.execute(update(table).where(table.c.customer_id == keep.id,
                                               table.c.user_id.in_(editors[start:start + _CHUNK]))
                           .values(can_edit=True))
    if keep.owner_id is not None:
        db.session.execute(delete(table).where(table.c.customer_id == other.id,
                                               table.c.user_id == keep.owner_id))


def _primary_contact_ids(customer_id: int) -> list[int]:
    from ..contacts.models import Contact  # contacts hang from customers; imported late to keep imports inward
    return list(db.session.scalars(select(Contact.id).where(
        Contact.customer_id == customer_id, Contact.is_primary == true(), Contact.deleted_at.is_(None))))


def _keep_one_primary_contact(customer_id: int, primary_ids: list[int]) -> None:
    """The kept customer's primary contact stays primary; the merged one's becomes an ordinary contact."""
    if not primary_ids:
        return
    from ..contacts.models import Contact
    db.session.execute(update(Contact).where(Contact.customer_id == customer_id, Contact.is_primary == true(),
                                             Contact.id.not_in(primary_ids)).values(is_primary=False))


def _latest(*values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _earliest(*values):
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _chosen_value(field: str, choice: str, keep: Customer, other: Customer):
    if choice == OTHER:
        return getattr(other, field)
    if choice == BOTH and field in COMBINABLE_FIELDS:
        parts = [getattr(keep, field), getattr(other, field)]
        return "\n\n".join(p for p in parts if p) or None
    return getattr(keep, field)


def default_choice(field: str, keep: Customer, other: Customer) -> str:
    """Keep the kept customer's value, unless it has none and the other customer has one."""
    return KEEP if getattr(keep, field) or not getattr(other, field) else OTHER


@dataclass
class MergeResult:
    kept: Customer
    merged: Customer
    moved: dict[str, int]        # table -> rows moved to the kept customer
    changes: dict                # field -> [before, after] on the kept customer


def check_mergeable(actor: User, keep: Customer, other: Customer) -> None:
    """Raise DomainError unless `actor` may merge `other` into `keep`."""
    if not actor.can(CustomerPermission.MERGE):
        raise DomainError(_("You may not merge customers."))
    if keep.id == other.id:
        raise DomainError(_("A customer cannot be merged with itself."))
    for customer in (keep, other):
        if customer.deleted_at is not None:
            raise DomainError(_("%(name)s has been deleted and cannot be merged.", name=customer.name))
        if not can_edit(actor, customer):
            raise DomainError(_("You may not edit %(name)s, so you cannot merge it.", name=customer.name))


def merge_customers(actor: User, keep: Customer, other: Customer,
                    choices: dict[str, str] | None = None) -> MergeResult:
    """Merge `other` into `keep`: `keep` takes the chosen value of each field (choices: field -> "keep",
    "other", or "both" for remarks; missing: see default_choice), every row referencing `other` moves to
    `keep` (tags and collaborators as a union), and `other` goes to the recycle bin marked as merged.
    Audited on both.
    Only flushes: the caller commits, so a failure leaves both customers as they were."""
    check_mergeable(actor, keep, other)
    choices = choices or {}
    before = snapshot(keep, MERGE_FIELDS)
    for field in MERGE_FIELDS:
        choice = choices.get(field) or default_choice(field, keep, other)
        if choice not in (KEEP, OTHER, BOTH):
            raise DomainError(_("Choose which value to keep."), field)
        value = _chosen_value(field, choice, keep, other)
        if field in REQUIRED_FIELDS and not value:
            raise DomainError(_("This field is required."), field)
        setattr(keep, field, value)
    keep.last_followup_at = _latest(keep.last_followup_at, other.last_followup_at)
    keep.next_followup_at = _earliest(keep.next_followup_at, other.next_followup_at)
    keep.last_deal_at = _latest(keep.last_deal_at, other.last_deal_at)
    keep.updated_by_id = actor.id
    db.session.flush()  # the chosen values are written before the bulk statements below run

    primary_ids = _primary_contact_ids(keep.id)
    _merge_collaborators(keep, other)
    moved: dict[str, int] = {}
    for table, column in customer_references():
        _drop_clashes(table, column, keep.id, other.id)
        result = db.session.execute(update(table).where(column == other.id).values({column.name: keep.id}))
        if result.rowcount:
            moved[table.name] = moved.get(table.name, 0) + result.rowcount
    _keep_one_primary_contact(keep.id, primary_ids)

    now = utcnow()
    if other.owner_id != keep.owner_id:
        db.session.add(OwnerChange(customer_id=keep.id, kind="merged", from_user_id=other.owner_id,
                                   to_user_id=keep.owner_id, actor_id=actor.id, reason=other.name[:500], at=now))
    db.session.execute(update(Customer).where(Customer.id == other.id).values(
        deleted_at=now, deleted_by_id=actor.id, merged_into_id=keep.id, updated_by_id=actor.id, updated_at=now))
    # The bulk statements bypassed the identity map: reload what they changed (nothing unflushed is lost).
    db.session.expire_all()
    refresh_keys(keep)
    db.session.flush()

    changes = audit.diff(before, snapshot(keep, MERGE_FIELDS))
    logged = dict(changes)
    logged["merged_customer"] = [None, f"{other.name} (#{other.id})"]
    for table_name, count in moved.items():
        logged[f"moved:{table_name}"] = [None, count]
    audit.record(actor, "customer.merged", keep, logged)
    audit.record(actor, "customer.merged", other,
                 {"merged_into": [None, f"{keep.name} (#{keep.id})"], "deleted_at": [None, now]})
    return MergeResult(keep, other, moved, changes)


def merge_candidates(actor: User, customer: Customer, search: str | None = None, limit: int = 20) -> list:
    """Customers `actor` may edit that `customer` could be merged with: its likely duplicates first, then
    those whose name or keywords contain `search`."""
    found: dict[int, Customer] = {}
    matches = find_duplicates(actor, customer.name, customer.phone, customer.email, customer.credit_code,
                              exclude_id=customer.id)
    ids = [m.customer_id for m in matches if m.visible]
    if ids:
        stmt = (visible_customers(actor, editable=True).options(joinedload(Customer.owner))
                .where(Customer.id.in_(ids)).order_by(Customer.id))
        by_id = {c.id: c for c in db.session.scalars(stmt)}
        found.update((i, by_id[i]) for i in ids if i in by_id)
    if search:
        term = search_term(search)
        stmt = (visible_customers(actor, editable=True).options(joinedload(Customer.owner))
                .where(Customer.id != customer.id,
                       or_(contains(Customer.name, search.strip()), contains(Customer.search_text, term)))
                .order_by(Customer.name, Customer.id).limit(limit))
        for candidate in db.session.scalars(stmt):
            found.setdefault(candidate.id, candidate)
    return list(found.values())[:limit]


__all__ = ["MERGE_FIELDS", "MergeResult", "audit_field_labels", "check_mergeable", "customer_references",
           "merge_candidates", "merge_customers", "register_merge_label", "related_counts", "table_label"]
