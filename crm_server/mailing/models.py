"""Mass e-mail: templates, send jobs with one row per recipient, and the addresses never to mail again."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin, User
from ..core.types import UTCDateTime, utcnow
from ..extensions import db

JOB_STATUSES = ("queued", "sending", "done", "cancelled")
RECIPIENT_STATUSES = ("pending", "sent", "failed", "bounced", "skipped")
SUPPRESSION_REASONS = ("unsubscribed", "bounced")


class MailTemplate(TimestampMixin, db.Model):
    """邮件模板: a plain-text subject and body with merge fields such as {{contact_name}}."""

    __tablename__ = "mail_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    subject: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    body: Mapped[str] = mapped_column(UnicodeText, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (Index("ix_mail_templates_name", "name", "id"),)

    def __str__(self) -> str:
        return self.name


class MailJob(db.Model):
    """One mass send: the subject and body as they were when queued, who sent it, and its progress."""

    __tablename__ = "mail_jobs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("mail_templates.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    body: Mapped[str] = mapped_column(UnicodeText, nullable=False)
    audience: Mapped[str | None] = mapped_column(Unicode(500))  # what the recipients were chosen by, for people
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # The site's address as the sender saw it: the job builds unsubscribe links outside any request.
    base_url: Mapped[str] = mapped_column(Unicode(300), nullable=False)
    status: Mapped[str] = mapped_column(Unicode(20), nullable=False, default="queued")
    total_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    bounced_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    sender: Mapped[User] = relationship()
    template: Mapped[MailTemplate | None] = relationship()

    __table_args__ = (
        Index("ix_mail_jobs_sender", "sender_id", "id"),
        Index("ix_mail_jobs_status", "status", "id"),
    )

    @property
    def pending_count(self) -> int:
        return self.total_count - self.sent_count - self.failed_count - self.bounced_count - self.skipped_count

    @property
    def finished_count(self) -> int:
        return self.total_count - self.pending_count

    def __str__(self) -> str:
        return self.subject


class MailRecipient(db.Model):
    """One address of a job: where it came from, its merge values (JSON), and what happened when it was sent."""

    __tablename__ = "mail_recipients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("mail_jobs.id", ondelete="CASCADE"), nullable=False)
    address: Mapped[str] = mapped_column(Unicode(120), nullable=False)
    name: Mapped[str | None] = mapped_column(Unicode(200))
    source_type: Mapped[str] = mapped_column(Unicode(20), nullable=False)  # contact / lead
    source_id: Mapped[int | None] = mapped_column(Integer)
    merge_values: Mapped[str] = mapped_column(UnicodeText, nullable=False, default="{}")
    unsubscribe_token: Mapped[str] = mapped_column(Unicode(64), nullable=False, index=True)
    status: Mapped[str] = mapped_column(Unicode(20), nullable=False, default="pending")
    error: Mapped[str | None] = mapped_column(Unicode(500))
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    job: Mapped[MailJob] = relationship()

    __table_args__ = (
        # the job's per-recipient table (and its status filter), its progress counts, and the sender's queue
        Index("ix_mail_recipients_job_status", "job_id", "status", "id"),
        Index("ix_mail_recipients_status", "status", "job_id", "id"),
    )


class MailSuppression(db.Model):
    """An address never to mail again: it unsubscribed, or the SMTP server refused it permanently (bounced)."""

    __tablename__ = "mail_suppressions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(Unicode(120), nullable=False, unique=True)
    reason: Mapped[str] = mapped_column(Unicode(20), nullable=False)
    detail: Mapped[str | None] = mapped_column(Unicode(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
