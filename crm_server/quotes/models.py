"""报价单: quotes with their lines and versions, and each role's maximum discount before approval is needed."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Unicode, UnicodeText, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contacts.models import Contact
from ..core.models import Role, TimestampMixin, User
from ..core.numbering import NumberCounter  # noqa: F401  (its table is part of the quotes migration)
from ..core.types import Money, Percent, Quantity, UTCDateTime
from ..customers.models import Customer
from ..extensions import db
from ..opportunities.models import Opportunity
from ..products.models import PriceList, Product

# Statuses. A draft is edited; submitting makes it pending approval (discount above the owner's role limit)
# or approved; an approved quote is marked sent; the customer accepts or rejects a sent one; approved and
# sent quotes past their validity date become expired.
DRAFT, PENDING, APPROVED, SENT, ACCEPTED, REJECTED, EXPIRED = (
    "draft", "pending", "approved", "sent", "accepted", "rejected", "expired")
STATUSES = (DRAFT, PENDING, APPROVED, SENT, ACCEPTED, REJECTED, EXPIRED)


class Quote(TimestampMixin, db.Model):
    """One version of a quote. Versions share the number; the shown number of version 2 on is "<number>-V2".
    Only the latest version (`is_latest`) changes; older ones are kept read-only."""

    __tablename__ = "quotes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(Unicode(30), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    is_latest: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    title: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    status: Mapped[str] = mapped_column(Unicode(10), nullable=False, default=DRAFT)
    quote_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[dt.date] = mapped_column(Date, nullable=False)
    price_list_id: Mapped[int | None] = mapped_column(ForeignKey("price_lists.id"))
    delivery_terms: Mapped[str | None] = mapped_column(Unicode(200))   # 交货期
    payment_terms: Mapped[str | None] = mapped_column(Unicode(200))    # 付款方式
    remarks: Mapped[str | None] = mapped_column(UnicodeText)
    overall_discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0.00"))
    # Totals, kept in step with the lines by the services (see calc.py for the rounding order).
    subtotal: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    discount_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    net_total: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    tax_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    total: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    max_discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0.00"))
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approval_comment: Mapped[str | None] = mapped_column(Unicode(500))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # accepted or rejected
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    customer: Mapped[Customer] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    price_list: Mapped[PriceList | None] = relationship()
    previous: Mapped[Quote | None] = relationship(remote_side=[id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    lines: Mapped[list[QuoteLine]] = relationship(back_populates="quote", cascade="all, delete-orphan",
                                                  order_by="QuoteLine.sort_order, QuoteLine.id")

    __table_args__ = (
        UniqueConstraint("number", "version", name="uq_quotes_number_version"),
        Index("ix_quotes_latest_date", "is_latest", "quote_date", "id"),
        Index("ix_quotes_owner", "owner_id", "is_latest", "quote_date", "id"),
        Index("ix_quotes_customer", "customer_id", "quote_date", "id"),
        Index("ix_quotes_opportunity", "opportunity_id", "quote_date", "id"),
        Index("ix_quotes_status", "status", "is_latest", "quote_date", "id"),
        Index("ix_quotes_expiry", "status", "valid_until"),
        Index("ix_quotes_previous", "previous_id"),
    )

    @property
    def display_number(self) -> str:
        return self.number if self.version == 1 else f"{self.number}-V{self.version}"

    def __str__(self) -> str:
        return f"{self.display_number} {self.title}"


class QuoteLine(db.Model):
    """A line of a quote: a product of the catalogue (product_id) or free text. `list_price` is the reference
    the effective discount is measured against (the price-list price of the product; a free line's own price)."""

    __tablename__ = "quote_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"), nullable=False, index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    description: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    specification: Mapped[str | None] = mapped_column(Unicode(200))
    unit: Mapped[str | None] = mapped_column(Unicode(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity, nullable=False, default=Decimal("1.00"))
    list_price: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("13.00"))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))  # after the line discount
    net_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))  # and the overall one
    tax_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    quote: Mapped[Quote] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()


class QuoteDiscountLimit(db.Model):
    """The largest effective discount (in %) a role's users may give without approval; no row: no limit."""

    __tablename__ = "quote_discount_limits"
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    max_discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False)

    role: Mapped[Role] = relationship()
