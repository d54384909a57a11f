"""Marketing campaigns (市场活动) and the customers linked to them."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.dictionaries import DictionaryItem
from ..core.models import TimestampMixin, User
from ..core.types import Money, UTCDateTime, utcnow
from ..customers.models import Customer
from ..extensions import db

LIVE = ("id", "deleted_at", "owner_id")  # trailing index columns: the list's last sort key, then a live campaign
LIVE_ORDER = ("updated_at", *LIVE)       # ... after the list's default sort

PLANNED, ACTIVE, COMPLETED, CANCELLED = "planned", "active", "completed", "cancelled"
STATUSES = (PLANNED, ACTIVE, COMPLETED, CANCELLED)


class Campaign(TimestampMixin, db.Model):
    """市场活动: a trade show, seminar, online ad ...; its results are computed from leads and opportunities."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    kind_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    start_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    budget: Mapped[Decimal | None] = mapped_column(Money)
    actual_cost: Mapped[Decimal | None] = mapped_column(Money)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = mapped_column(Unicode(12), default=PLANNED, nullable=False)
    description: Mapped[str | None] = mapped_column(UnicodeText)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    kind: Mapped[DictionaryItem | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    # As for customers: every filter and sort has an index that gives its order and counts by itself.
    __table_args__ = (
        Index("ix_campaigns_owner_live", "owner_id", "deleted_at", "id"),
        Index("ix_campaigns_updated", *LIVE_ORDER, "start_date"),
        *(Index(f"ix_campaigns_{name}", column, *LIVE_ORDER, "start_date") for name, column in (
            ("status", "status"), ("kind", "kind_id"))),
        *(Index(f"ix_campaigns_{name}", column, *LIVE) for name, column in (
            ("start", "start_date"), ("name", "name"))),
    )

    def __str__(self) -> str:
        return self.name


class CampaignCustomer(db.Model):
    """A customer taking part in a campaign (invited, attended ...)."""

    __tablename__ = "campaign_customers"
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    note: Mapped[str | None] = mapped_column(Unicode(200))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    campaign: Mapped[Campaign] = relationship()
    customer: Mapped[Customer] = relationship()
    added_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_campaign_customers_customer", "customer_id", "campaign_id"),)
