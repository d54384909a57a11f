"""回收站: deleted customers, listed for administrators and restored; nothing is ever deleted for good here."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import scope_condition
from ..core.search import contains
from ..extensions import db
from .access import CUSTOMER, CustomerPermission
from .models import Customer
from .normalise import search_term

audit.register_actions({"customer.restored": _l("Restored a customer from the recycle bin")})

DELETED, MERGED = "deleted", "merged"
SHOW_CHOICES = {"": _l("All"), DELETED: _l("Deleted"), MERGED: _l("Merged")}
_CHUNK = 500  # ids per statement, far below SQL Server's 2,100 parameters
# Readable names of the keys the "customer.restored" audit rows hold.
AUDIT_FIELD_LABELS = {"deleted_at": _l("Deleted at"), "deleted_by": _l("Deleted by")}


def deleted_condition(user: User):
    """Deleted customers whose owner is in the user's data scope (those deleted from the pool: scope all)."""
    return Customer.deleted_at.is_not(None) & scope_condition(user, Customer.owner_id, CUSTOMER)


def recycle_bin_query(user: User, search: str | None = None, show: str = "") -> Select:
    """Rows of (Customer, name of the customer it was merged into or None), most recently deleted first."""
    merged_into = aliased(Customer)
    stmt = (select(Customer, merged_into.name.label("merged_into_name"))
            .outerjoin(merged_into, merged_into.id == Customer.merged_into_id)
            .options(joinedload(Customer.owner), joinedload(Customer.deleted_by))
            .where(deleted_condition(user)))
    if show == DELETED:
        stmt = stmt.where(Customer.merged_into_id.is_(None))
    elif show == MERGED:
        stmt = stmt.where(Customer.merged_into_id.is_not(None))
    if search and search.strip():
        stmt = stmt.where(or_(contains(Customer.name, search.strip()),
                              contains(Customer.search_text, search_term(search))))
    return stmt.order_by(Customer.deleted_at.desc(), Customer.id.desc())


def restore_customers(actor: User, customer_ids) -> list[Customer]:
    """Take customers out of the recycle bin (deleted_at and deleted_by cleared), each audited. They return
    to their owner, even a disabled one (who then needs a new owner), or to the pool they were in.
    Merged customers live on in the customer they were merged into and cannot come back. Only flushes."""
    if not actor.can(CustomerPermission.RECYCLE_BIN):
        raise DomainError(_("You may not restore customers."))
    ids = sorted({int(i) for i in customer_ids})
    if not ids:
        raise DomainError(_("Choose the customers to restore."))
    customers: list[Customer] = []
    for start in range(0, len(ids), _CHUNK):
        stmt = (select(Customer).options(joinedload(Customer.deleted_by))
                .where(deleted_condition(actor), Customer.id.in_(ids[start:start + _CHUNK]))
                .order_by(Customer.id))
        customers.extend(db.session.scalars(stmt))
    if not customers:
        raise DomainError(_("None of the chosen customers is in the recycle bin."))
    merged = [c.name for c in customers if c.merged_into_id is not None]
    if merged:
        raise DomainError(_("%(names)s was merged into another customer and cannot be restored.",
                            names="、".join(merged)))
    for customer in customers:
        deleted_by = customer.deleted_by
        changes = {"deleted_at": [customer.deleted_at, None],
                   "deleted_by": [deleted_by.display_name if deleted_by else None, None]}
        customer.deleted_at = None
        customer.deleted_by_id = None
        customer.updated_by_id = actor.id
        audit.record(actor, "customer.restored", customer, changes)
    db.session.flush()
    return customers
