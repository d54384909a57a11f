"""线索: leads (possible deals not yet qualified), their follow-ups, and the round-robin assignment team."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contacts.models import Contact
from ..core.dictionaries import DictionaryItem
from ..core.models import TimestampMixin, User
from ..core.types import Money, UTCDateTime, utcnow
from ..customers.models import Customer
from ..extensions import db
from ..opportunities.models import Opportunity

LIVE = ("id", "deleted_at", "owner_id")  # trailing index columns: the list's last sort key, then a live lead
LIVE_ORDER = ("updated_at", *LIVE)       # ... after the list's default sort

NEW, CONTACTING, QUALIFIED, CONVERTED, INVALID = "new", "contacting", "qualified", "converted", "invalid"
STATUSES = (NEW, CONTACTING, QUALIFIED, CONVERTED, INVALID)
OPEN_STATUSES = (NEW, CONTACTING, QUALIFIED)
URGENCIES = ("low", "normal", "high")
GRADES = ("A", "B", "C", "D")
COMPANY_SIZES = ("1-20", "21-100", "101-500", "500+")


class Lead(TimestampMixin, db.Model):
    """线索. `owner_id` None means the lead sits in the lead pool; `deleted_at` set = deleted or merged away."""

    __tablename__ = "leads"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(60), nullable=False)  # the person
    company: Mapped[str | None] = mapped_column(Unicode(200))
    title: Mapped[str | None] = mapped_column(Unicode(60))
    mobile: Mapped[str | None] = mapped_column(Unicode(40))
    phone: Mapped[str | None] = mapped_column(Unicode(40))
    email: Mapped[str | None] = mapped_column(Unicode(120))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    company_size: Mapped[str | None] = mapped_column(Unicode(10))
    requirement: Mapped[str | None] = mapped_column(UnicodeText)
    budget: Mapped[Decimal | None] = mapped_column(Money)
    urgency: Mapped[str] = mapped_column(Unicode(10), default="normal", nullable=False)
    province: Mapped[str | None] = mapped_column(Unicode(30))
    city: Mapped[str | None] = mapped_column(Unicode(30))
    address: Mapped[str | None] = mapped_column(Unicode(200))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(Unicode(12), default=NEW, nullable=False)
    invalid_reason: Mapped[str | None] = mapped_column(Unicode(500))
    score: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    grade: Mapped[str | None] = mapped_column(Unicode(1))  # A/B/C/D, None until scored

    # Kept by the services for the duplicate check and the keyword search (see customers.normalise):
    # name_key is the company's key (the customer check's), or the person's name when there is no company.
    name_key: Mapped[str] = mapped_column(Unicode(200), nullable=False, default="", index=True)
    phone_digits: Mapped[str | None] = mapped_column(Unicode(40), index=True)  # the mobile's, else the phone's
    email_key: Mapped[str | None] = mapped_column(Unicode(120), index=True)
    search_text: Mapped[str] = mapped_column(UnicodeText, nullable=False, default="")

    web_form_id: Mapped[int | None] = mapped_column(Integer)  # lead_web_forms.id (a later migration: no FK)
    converted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    converted_customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    converted_contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    converted_opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    converted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_followup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))

    source: Mapped[DictionaryItem | None] = relationship(foreign_keys=[source_id])
    industry: Mapped[DictionaryItem | None] = relationship(foreign_keys=[industry_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    converted_by: Mapped[User | None] = relationship(foreign_keys=[converted_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    # no relationship to Campaign: the campaigns domain imports this module (see services.campaign_name)
    converted_customer: Mapped[Customer | None] = relationship(foreign_keys=[converted_customer_id])
    converted_contact: Mapped[Contact | None] = relationship(foreign_keys=[converted_contact_id])
    converted_opportunity: Mapped[Opportunity | None] = relationship(foreign_keys=[converted_opportunity_id])

    # As for customers (benchmark: 200,000 leads): every filter and sort has an index that gives its order and
    # its count by itself; equality filters lead an index in the default order (updated_at); sorts with empty
    # values (grade, company, last follow-up) are read as segments.
    __table_args__ = (
        # an owner's (or the pool's) leads in the default order; a salesperson's scope (own leads OR the pool)
        # is counted from it alone, whatever the filter or the sort's empty values
        Index("ix_leads_owner_live", "owner_id", *LIVE_ORDER[:3], "status", "grade", "source_id", "campaign_id",
              "last_followup_at", "company"),
        Index("ix_leads_live_updated", *LIVE_ORDER, "created_at"),
        *(Index(f"ix_leads_live_{name}", column, *LIVE_ORDER) for name, column in (
            ("status", "status"), ("grade", "grade"), ("source", "source_id"), ("campaign", "campaign_id"))),
        *(Index(f"ix_leads_live_{name}", column, *LIVE) for name, column in (
            ("created", "created_at"), ("name", "name"), ("company", "company"), ("score", "score"),
            ("last_followup", "last_followup_at"))),
        # a campaign's results: its leads and converted leads, counted from this index alone
        Index("ix_leads_campaign_status", "campaign_id", "status", "deleted_at"),
        Index("ix_leads_converted_customer", "converted_customer_id", "deleted_at"),
        Index("ix_leads_web_form", "web_form_id", "created_at"),
        # the keyword search (LIKE '%term%'), SQLite only (see ix_customers_search)
        Index("ix_leads_search", "search_text", "deleted_at", "owner_id").ddl_if(dialect="sqlite"),
    )

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    @property
    def is_open(self) -> bool:
        return self.deleted_at is None and self.status in OPEN_STATUSES

    @property
    def display_name(self) -> str:
        return f"{self.name}（{self.company}）" if self.company else self.name

    def __str__(self) -> str:
        return self.display_name


class LeadFollowUp(db.Model):
    """A call, visit, meeting or message with a lead (the kinds of customer follow-ups)."""

    __tablename__ = "lead_followups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    kind: Mapped[str] = mapped_column(Unicode(20), nullable=False)
    happened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    content: Mapped[str] = mapped_column(UnicodeText, nullable=False)
    outcome: Mapped[str | None] = mapped_column(Unicode(500))
    next_step: Mapped[str | None] = mapped_column(Unicode(500))
    next_followup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    lead: Mapped[Lead] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        Index("ix_lead_followups_lead_time", "lead_id", "happened_at", "id"),
        Index("ix_lead_followups_user_time", "user_id", "happened_at", "kind"),
    )

    def __str__(self) -> str:
        return f"{self.lead.name if self.lead else ''} {self.happened_at:%Y-%m-%d}"


class LeadAssignee(db.Model):
    """A member of the round-robin assignment team: new leads go to active members in turn; A-grade leads only
    to members flagged `receives_a_grade` (资深销售)."""

    __tablename__ = "lead_assignees"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    receives_a_grade: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # whose turn it is: the team's highest turn + 1 at each assignment (times may tie within a second on MariaDB)
    last_turn: Mapped[int | None] = mapped_column(Integer)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    user: Mapped[User] = relationship()

    def __str__(self) -> str:
        return str(self.user)
