"""Keeps a customer's normal forms (duplicate check) and its one search column in step with its contacts."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from . import normalise
from .models import Customer


def refresh_keys(customer: Customer) -> None:
    """Recompute name_key, phone_digits, email_key and search_text after the customer or a contact changed.
    Call it from every service that writes a customer or one of its contacts (it only sets attributes)."""
    from ..contacts.models import Contact  # contacts hang from customers; imported late to keep imports inward

    customer.name_key = normalise.name_key(customer.name)
    customer.phone_digits = normalise.phone_digits(customer.phone)
    customer.email_key = normalise.email_key(customer.email)
    rows = []
    if customer.id is not None:
        with db.session.no_autoflush:
            rows = db.session.execute(
                select(Contact.name, Contact.mobile, Contact.phone)
                .where(Contact.customer_id == customer.id, Contact.deleted_at.is_(None))
                .order_by(Contact.id)).all()
    customer.search_text = normalise.customer_search_text(customer.name, customer.short_name, customer.phone,
                                                          customer.email, rows)
