"""The quotes sections of the customer's and the opportunity's pages."""
from __future__ import annotations

from .access import QuotePermission
from .services import STATUS_LABELS, quotes_of

SECTION_SIZE = 10


def customer_section(user, customer, _args) -> dict:
    quotes, total = quotes_of(user, customer_id=customer.id, limit=SECTION_SIZE)
    return {"quotes": quotes, "quotes_total": total, "statuses": STATUS_LABELS,
            "new_quote_args": {"customer_id": customer.id}, "all_quotes_args": {"customer": customer.id},
            "may_create_quote": user.can(QuotePermission.EDIT)}


def opportunity_section(user, opportunity, _args) -> dict:
    quotes, total = quotes_of(user, opportunity_id=opportunity.id, limit=SECTION_SIZE)
    return {"quotes": quotes, "quotes_total": total, "statuses": STATUS_LABELS,
            "new_quote_args": {"opportunity_id": opportunity.id},
            "all_quotes_args": {"opportunity": opportunity.id},
            "may_create_quote": user.can(QuotePermission.EDIT) and opportunity.deleted_at is None}
