"""跟进记录: calls, visits, meetings and messages with a customer, and the files attached to them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contacts.models import Contact
from ..core.models import User
from ..core.types import UTCDateTime, utcnow
from ..customers.models import Customer
from ..extensions import db


class FollowUp(db.Model):
    __tablename__ = "followups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    # NO ACTION on purpose: customers -> contacts -> followups would be a second path (SQL Server error 1785).
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # the customer's opportunity this follow-up was about (issue 4); NO ACTION, opportunities are soft-deleted
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    kind: Mapped[str] = mapped_column(Unicode(20), nullable=False)  # call / visit / meeting / email / wechat / other
    happened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    content: Mapped[str] = mapped_column(UnicodeText, nullable=False)
    outcome: Mapped[str | None] = mapped_column(Unicode(500))
    next_step: Mapped[str | None] = mapped_column(Unicode(500))
    next_followup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # the planned next contact happened
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    customer: Mapped[Customer] = relationship()
    contact: Mapped[Contact | None] = relationship()
    user: Mapped[User] = relationship()
    attachments: Mapped[list[Attachment]] = relationship(back_populates="followup", cascade="all, delete-orphan",
                                                         order_by="Attachment.id")

    __table_args__ = (
        Index("ix_followups_customer_time", "customer_id", "happened_at", "id"),
        # kind too: the activity statistics (per user and kind over a period) read this index alone
        Index("ix_followups_user_time", "user_id", "happened_at", "kind"),
        # the customer too: the activity statistics count overdue plans per customer owner from this index alone
        Index("ix_followups_user_next", "user_id", "next_done_at", "next_followup_at", "customer_id"),
        # the follow-up list: newest first, and its kind filter
        Index("ix_followups_time", "happened_at", "id"),
        Index("ix_followups_kind_time", "kind", "happened_at"),
        # the hourly reminder job: open plans of every user coming due. The date leads: with next_done_at first,
        # SQLite took `next_done_at IS NULL` for a selective key and read every open plan of every customer
        # when logging one follow-up (benchmark: 10 -> 65 ms) and in the activity statistics.
        Index("ix_followups_open_plans", "next_followup_at", "next_done_at"),
        # an opportunity's follow-ups, newest first (with the time in the key SQLite does not walk ix_followups_time)
        Index("ix_followups_opportunity", "opportunity_id", "happened_at", "id"),
    )

    def __str__(self) -> str:
        return f"{self.customer.name if self.customer else ''} {self.happened_at:%Y-%m-%d}"


class Attachment(db.Model):
    """A file on a follow-up, stored under the data folder's uploads/ with a random name."""

    __tablename__ = "followup_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    followup_id: Mapped[int] = mapped_column(ForeignKey("followups.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    filename: Mapped[str] = mapped_column(Unicode(255), nullable=False)
    stored_name: Mapped[str] = mapped_column(Unicode(80), nullable=False, unique=True)
    content_type: Mapped[str] = mapped_column(Unicode(120), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    followup: Mapped[FollowUp] = relationship(back_populates="attachments")

    def __str__(self) -> str:
        return self.filename


class FollowUpDayCount(db.Model):
    """How many calls, visits and other follow-ups a user logged on one day of the site's calendar (the local date
    of happened_at in the [app] time zone): the activity report reads a period's counts from here instead of
    counting the follow-ups. Kept in step with every follow-up written through the ORM (followups.daycounts);
    bulk loads call daycounts.rebuild_day_counts()."""

    __tablename__ = "followup_day_counts"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    visits: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    other: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        # a period's counts of everyone in one index range, without the table
        Index("ix_followup_day_counts_day", "day", "user_id", "calls", "visits", "other"),
        # SQLite: the rows stored in primary-key order, so a user's days are read without a lookup per row
        {"sqlite_with_rowid": False},
    )


def activity_metric(kind: str) -> str:
    """The column of the activity statistics a follow-up of `kind` counts in: calls, visits, or other."""
    return "calls" if kind == "call" else "visits" if kind == "visit" else "other"
