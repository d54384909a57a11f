"""自动提醒: what a user must not forget, made by jobs and modules, shown under the bell in the page shell."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from ..core.types import UTCDateTime, utcnow
from ..extensions import db


class Reminder(db.Model):
    __tablename__ = "reminders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(Unicode(30), nullable=False)  # followup_due / pool_recycle / birthday / ...
    title: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False)
    entity_type: Mapped[str | None] = mapped_column(Unicode(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    # What made it, e.g. "followup:42:next": the job runs daily and must not remind twice of one thing.
    source_key: Mapped[str] = mapped_column(Unicode(120), nullable=False)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    snoozed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    __table_args__ = (
        Index("uq_reminders_user_source", "user_id", "source_key", unique=True),
        Index("ix_reminders_open", "user_id", "done_at", "due_at"),
        # the jobs that read across users: the digest (not yet e-mailed) and closing finished plans
        Index("ix_reminders_pending", "done_at", "kind", "emailed_at"),
    )

    def __str__(self) -> str:
        return self.title
