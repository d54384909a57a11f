"""Who may see and change which quote: the data scope of its owner ("quote" record type). Every list, detail,
PDF, print view and section of quotes reads through `quote_condition`."""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..core.models import User
from ..core.permissions import register_permission, register_record_type, scope_condition
from ..extensions import db
from .models import Quote

QUOTE = register_record_type("quote", _l("Quotes"))

_SALES = ("sales_director", "sales_manager", "sales")


class QuotePermission:
    EDIT = register_permission("quote.edit", _l("Create and edit quotes"), _l("Quotes"), default_roles=_SALES)
    APPROVE = register_permission("quote.approve", _l("Approve quotes above the discount limit"), _l("Quotes"),
                                  default_roles=("sales_director", "sales_manager"))
    DISCOUNT_RULES = register_permission("quote.discount_rules", _l("Edit discount limits and quote numbering"),
                                         _l("Quotes"))


def quote_condition(user: User):
    """Quotes whose owner is in the user's data scope for quotes."""
    return scope_condition(user, Quote.owner_id, QUOTE)


def visible_quotes(user: User, stmt: Select | None = None) -> Select:
    stmt = select(Quote) if stmt is None else stmt
    return stmt.where(quote_condition(user))


def get_quote(user: User, quote_id: int, editable: bool = False) -> Quote:
    """The quote if `user` may see it (404 otherwise, so ids reveal nothing), and change it (else 403)."""
    quote = db.session.scalar(visible_quotes(user).where(Quote.id == quote_id))
    if quote is None:
        abort(404)
    if editable and not can_edit(user, quote):
        abort(403)
    return quote


def can_edit(user: User, quote: Quote) -> bool:
    """The owner, or a user with the edit permission whose scope covers the owner (get_quote checked it)."""
    return quote.owner_id == user.id or user.can(QuotePermission.EDIT)
