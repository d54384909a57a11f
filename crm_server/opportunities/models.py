"""The sales pipeline: pipelines and their stages, opportunities with product lines, contacts and competitors,
and every stage change (for the funnel, conversion and time spent in each stage)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.dictionaries import DictionaryItem
from ..core.models import TimestampMixin, User
from ..core.types import Money, Percent, Quantity, UTCDateTime, utcnow
from ..customers.models import Customer
from ..extensions import db

LIVE = ("id", "deleted_at", "owner_id")  # trailing index columns: the list's last sort key, then a live record
LIVE_ORDER = ("updated_at", *LIVE)       # ... after the list's default sort

# Stage kinds: an open stage keeps the opportunity in the pipeline; won and lost close it.
OPEN, WON, LOST = "open", "won", "lost"


class Pipeline(TimestampMixin, db.Model):
    """销售流程: e.g. 项目销售, 渠道分销; each has its own stages."""

    __tablename__ = "pipelines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(60), unique=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    stages: Mapped[list[Stage]] = relationship(back_populates="pipeline", order_by="Stage.sort_order, Stage.id")

    def __str__(self) -> str:
        return self.name


class Stage(TimestampMixin, db.Model):
    """销售阶段 of one pipeline, with the win probability an opportunity takes when it enters the stage."""

    __tablename__ = "stages"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"), nullable=False)
    name: Mapped[str] = mapped_column(Unicode(60), nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    probability: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0..100
    kind: Mapped[str] = mapped_column(Unicode(10), default=OPEN, nullable=False)  # open / won / lost
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages")

    __table_args__ = (Index("ix_stages_pipeline_order", "pipeline_id", "sort_order", "id"),)

    def __str__(self) -> str:
        return self.name


class Opportunity(TimestampMixin, db.Model):
    """商机 / 销售机会. `status` repeats the stage's kind so that lists and the forecast filter on one column."""

    __tablename__ = "opportunities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    name: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    amount_from_lines: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    expected_close_date: Mapped[dt.date | None] = mapped_column(Date)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"), nullable=False)
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"), nullable=False)
    stage_entered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # the furthest open or won stage it ever entered, in the pipeline's order (None: only ever in lost stages):
    # the funnel groups on it instead of reading every StageChange
    furthest_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    # when it first entered a won stage (kept if reopened): the average sales cycle reads it, not the StageChanges
    first_won_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    probability: Mapped[int] = mapped_column(Integer, default=0, nullable=False)  # 0..100, default: the stage's
    status: Mapped[str] = mapped_column(Unicode(10), default=OPEN, nullable=False)  # open / won / lost
    closed_on: Mapped[dt.date | None] = mapped_column(Date)  # the day it was won or lost (site time zone)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))  # 市场活动 it came from (issue 5)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    next_step: Mapped[str | None] = mapped_column(Unicode(500))
    loss_reason: Mapped[str | None] = mapped_column(Unicode(500))
    remarks: Mapped[str | None] = mapped_column(UnicodeText)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    pipeline: Mapped[Pipeline] = relationship()
    stage: Mapped[Stage] = relationship(foreign_keys=[stage_id])
    source: Mapped[DictionaryItem | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    lines: Mapped[list[OpportunityLine]] = relationship(
        back_populates="opportunity", cascade="all, delete-orphan", order_by="OpportunityLine.sort_order")

    # As for customers: each filter and sort has an index that counts by itself (the trailing id, deleted_at and
    # owner_id) and gives the list's order; an equality filter leads an index in the default order (updated_at),
    # and the updated_at index holds the range-filtered columns, so the list walks it reading only a page of rows.
    __table_args__ = (
        Index("ix_opportunities_owner_live", "owner_id", "deleted_at", "status", "id"),
        Index("ix_opportunities_customer", "customer_id", "deleted_at"),
        Index("ix_opportunities_updated", *LIVE_ORDER, "amount", "expected_close_date"),
        *(Index(f"ix_opportunities_{name}", column, *LIVE_ORDER) for name, column in (
            ("stage", "stage_id"), ("status", "status"), ("pipeline", "pipeline_id"))),
        *(Index(f"ix_opportunities_{name}", column, *LIVE) for name, column in (
            ("created", "created_at"), ("amount", "amount"), ("probability", "probability"))),
        # a close-month filter reads its rows from here and sorts them by updated_at without reading the table
        Index("ix_opportunities_close", "expected_close_date", *LIVE, "updated_at"),
        # the keyword search (name, or the customer's) counts from this index alone
        Index("ix_opportunities_name", "name", *LIVE, "customer_id"),
        # the kanban's column totals read this index alone
        Index("ix_opportunities_pipeline_stage", "pipeline_id", "stage_id", "deleted_at", "owner_id", "amount"),
        # The forecast's grouped sums read only these (covering: 4x faster at 300,000 rows); migration d4e5f6a7b8c9.
        Index("ix_opportunities_forecast_open", "status", "expected_close_date", "owner_id", "deleted_at", "amount",
              "probability"),
        Index("ix_opportunities_forecast_won", "status", "closed_on", "owner_id", "deleted_at", "amount"),
        # the sales report's won amount per customer industry reads this alone; migration f5e6f7a8b9c0
        Index("ix_opportunities_won_customer", "status", "closed_on", "customer_id", "owner_id", "deleted_at",
              "amount"),
        # the funnel (how far the opportunities of a period got) and the average sales cycle read these alone
        Index("ix_opportunities_funnel", "pipeline_id", "created_at", "furthest_stage_id", "status", "stage_id",
              "deleted_at", "owner_id", "amount"),
        Index("ix_opportunities_cycle", "pipeline_id", "status", "first_won_at", "deleted_at", "owner_id",
              "created_at"),
        # a campaign's results (opportunities, won amount, pipeline) read this alone; migration e1a2b3c4d5e6
        Index("ix_opportunities_campaign", "campaign_id", "status", "deleted_at", "amount"),
    )

    def __str__(self) -> str:
        return self.name


class OpportunityLine(db.Model):
    """A product line of an opportunity: from the catalogue (product_id) or free text."""

    __tablename__ = "opportunity_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False,
                                                index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    description: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Quantity, nullable=False, default=Decimal("1.00"))
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0.00"))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    opportunity: Mapped[Opportunity] = relationship(back_populates="lines")


class OpportunityContact(db.Model):
    """The customer's contacts involved in an opportunity."""

    __tablename__ = "opportunity_contacts"
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), primary_key=True, index=True)


class StageChange(db.Model):
    """An opportunity entering a stage (the first row: created in it). Time in a stage = next row's `at` - `at`."""

    __tablename__ = "opportunity_stage_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), nullable=False)
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    from_stage: Mapped[Stage | None] = relationship(foreign_keys=[from_stage_id])
    to_stage: Mapped[Stage] = relationship(foreign_keys=[to_stage_id])
    actor: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_opportunity_stage_changes_opp", "opportunity_id", "at", "id"),
                      Index("ix_opportunity_stage_changes_to", "to_stage_id", "at"))


class Competitor(TimestampMixin, db.Model):
    """竞争对手: public to the whole company."""

    __tablename__ = "competitors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(200), unique=True, nullable=False)
    website: Mapped[str | None] = mapped_column(Unicode(200))
    strengths: Mapped[str | None] = mapped_column(UnicodeText)
    weaknesses: Mapped[str | None] = mapped_column(UnicodeText)
    products: Mapped[str | None] = mapped_column(UnicodeText)
    price_level: Mapped[str | None] = mapped_column(Unicode(20))  # low / medium / high
    notes: Mapped[str | None] = mapped_column(UnicodeText)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __str__(self) -> str:
        return self.name


class OpportunityCompetitor(db.Model):
    """A competitor met in an opportunity: their offer and where we stand against them."""

    __tablename__ = "opportunity_competitors"
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True)
    competitor_id: Mapped[int] = mapped_column(ForeignKey("competitors.id"), primary_key=True, index=True)
    offer_amount: Mapped[Decimal | None] = mapped_column(Money)
    our_position: Mapped[str | None] = mapped_column(Unicode(500))

    competitor: Mapped[Competitor] = relationship()
