"""Who may see and change which customer: the data scope of the owner, or being a collaborator.

Every list, detail, search, export, count and chart of customers (and of what hangs from a customer:
contacts, follow-ups, attachments) reads through `visible_customers` / `customer_condition`.
"""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select, true

from ..core.models import User
from ..core.permissions import register_permission, register_record_type, scope_condition
from ..extensions import db
from .models import Customer, CustomerCollaborator

CUSTOMER = register_record_type("customer", _l("Customers"))

_SALES = ("sales_director", "sales_manager", "sales")
_MANAGERS = ("sales_director", "sales_manager")


class CustomerPermission:
    CREATE = register_permission("customer.create", _l("Create customers"), _l("Customers"),
                                 default_roles=_SALES + ("service",))
    DELETE = register_permission("customer.delete", _l("Delete customers (to the recycle bin)"), _l("Customers"),
                                 default_roles=_MANAGERS)
    EXPORT = register_permission("customer.export", _l("Export customers"), _l("Customers"),
                                 default_roles=_MANAGERS)
    TRANSFER = register_permission("customer.transfer", _l("Assign and transfer customers"), _l("Customers"),
                                   default_roles=_MANAGERS)
    MERGE = register_permission("customer.merge", _l("Merge duplicate customers"), _l("Customers"),
                                default_roles=_MANAGERS)
    HANDOVER = register_permission("customer.handover", _l("Hand over a departing user's customers"),
                                   _l("Customers"), default_roles=("sales_director",))
    RECYCLE_BIN = register_permission("customer.recycle_bin", _l("Restore customers from the recycle bin"),
                                      _l("Customers"))


def _collaborating(user: User, editable: bool):
    shared = select(CustomerCollaborator.customer_id).where(CustomerCollaborator.user_id == user.id)
    if editable:
        shared = shared.where(CustomerCollaborator.can_edit == true())
    return Customer.id.in_(shared)


def customer_condition(user: User, editable: bool = False):
    """Live, owned customers the user may see (or edit): in the owner's data scope, or shared with the user."""
    return (Customer.deleted_at.is_(None) & Customer.owner_id.is_not(None)
            & or_(scope_condition(user, Customer.owner_id, CUSTOMER), _collaborating(user, editable)))


def visible_customers(user: User, stmt: Select | None = None, editable: bool = False) -> Select:
    """`stmt` (default: select(Customer)) restricted to the customers `user` may see (or edit)."""
    stmt = select(Customer) if stmt is None else stmt
    return stmt.where(customer_condition(user, editable))


def visible_customer_ids(user: User) -> Select:
    return visible_customers(user, select(Customer.id))


def get_customer(user: User, customer_id: int, editable: bool = False) -> Customer:
    """The customer if `user` may see it (404 otherwise, so ids reveal nothing), and edit it (else 403)."""
    customer = db.session.scalar(visible_customers(user).where(Customer.id == customer_id))
    if customer is None:
        abort(404)
    if editable and not can_edit(user, customer):
        abort(403)
    return customer


def can_edit(user: User, customer: Customer) -> bool:
    if customer.owner_id == user.id:
        return True
    stmt = visible_customers(user, select(Customer.id), editable=True).where(Customer.id == customer.id)
    return db.session.scalar(stmt) is not None


def chosen_customer(user: User, customer_id: int | None) -> Customer:
    """The customer a form chose, if `user` may see it; DomainError beside `customer_id` otherwise."""
    from flask_babel import gettext as _

    from ..core.errors import DomainError
    customer = db.session.scalar(visible_customers(user).where(Customer.id == customer_id)) if customer_id else None
    if customer is None:
        raise DomainError(_("Choose a customer you may see."), "customer_id")
    return customer
