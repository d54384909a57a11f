"""审批流: flows administrators define per document type (conditions choose a flow, ordered steps name the
approvers), and the approval requests documents go through (tasks per approver, a timeline of events)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Unicode
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Role, TimestampMixin, User
from ..core.types import Money, UTCDateTime, utcnow
from ..extensions import db

# Request statuses: pending until the last step approves (approved), a step rejects (rejected), or the
# submitter takes it back (withdrawn).
PENDING, APPROVED, REJECTED, WITHDRAWN = "pending", "approved", "rejected", "withdrawn"
# Task statuses: one task per approver of the current step; the first decision closes the step's other tasks.
# The approvers of later steps are resolved at submission and wait as "queued" until their step is reached.
WAITING, DONE_APPROVED, DONE_REJECTED, CANCELLED = "waiting", "approved", "rejected", "cancelled"
QUEUED = "queued"
# Approver kinds of a step.
NAMED_USER, MANAGER, DEPARTMENT_ROLE, BRANCH_ROLE = "user", "manager", "department_role", "branch_role"


class ApprovalFlow(TimestampMixin, db.Model):
    """One flow for one document type. When a document is submitted, the active flows of its type are tried in
    `priority` order and the first whose conditions all hold is used; no matching flow: no approval needed."""

    __tablename__ = "approval_flows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(Unicode(30), nullable=False)
    name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    priority: Mapped[int] = mapped_column(Integer, nullable=False, default=100)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    description: Mapped[str | None] = mapped_column(Unicode(500))

    conditions: Mapped[list[ApprovalCondition]] = relationship(
        back_populates="flow", cascade="all, delete-orphan", order_by="ApprovalCondition.id")
    steps: Mapped[list[ApprovalStep]] = relationship(
        back_populates="flow", cascade="all, delete-orphan", order_by="ApprovalStep.position")

    __table_args__ = (Index("ix_approval_flows_type", "document_type", "is_active", "priority", "id"),)

    def __str__(self) -> str:
        return self.name


class ApprovalCondition(db.Model):
    """One test on a fact of the document (the document type lists its facts: amount, discount_percent,
    credit_rating, payment_days ...), e.g. amount gt 100000. All conditions of a flow must hold."""

    __tablename__ = "approval_conditions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("approval_flows.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    fact: Mapped[str] = mapped_column(Unicode(30), nullable=False)
    operator: Mapped[str] = mapped_column(Unicode(10), nullable=False)  # gt, ge, lt, le, eq, ne
    value: Mapped[str] = mapped_column(Unicode(60), nullable=False)

    flow: Mapped[ApprovalFlow] = relationship(back_populates="conditions")


class ApprovalStep(db.Model):
    """An ordered step: who approves (any one of the approvers it resolves to decides for the step)."""

    __tablename__ = "approval_steps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[int] = mapped_column(ForeignKey("approval_flows.id", ondelete="CASCADE"), nullable=False,
                                         index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # 1, 2, 3 ...
    name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    approver_kind: Mapped[str] = mapped_column(Unicode(20), nullable=False)  # user / manager / ..._role
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    role_id: Mapped[int | None] = mapped_column(ForeignKey("roles.id"))

    flow: Mapped[ApprovalFlow] = relationship(back_populates="steps")
    user: Mapped[User | None] = relationship()
    role: Mapped[Role | None] = relationship()


class ApprovalRequest(db.Model):
    """One submission of one document. The document keeps its own status; this keeps the approval's."""

    __tablename__ = "approval_requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_type: Mapped[str] = mapped_column(Unicode(30), nullable=False)
    document_id: Mapped[int] = mapped_column(Integer, nullable=False)
    flow_id: Mapped[int | None] = mapped_column(ForeignKey("approval_flows.id", ondelete="SET NULL"))
    flow_name: Mapped[str] = mapped_column(Unicode(100), nullable=False)  # kept if the flow is later changed
    step_count: Mapped[int] = mapped_column(Integer, nullable=False)
    current_position: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(Unicode(10), nullable=False, default=PENDING)
    title: Mapped[str] = mapped_column(Unicode(200), nullable=False)  # e.g. "合同 HT202611-0001 某某公司"
    amount: Mapped[Decimal | None] = mapped_column(Money)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # the document's owner
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    flow: Mapped[ApprovalFlow | None] = relationship()
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    tasks: Mapped[list[ApprovalTask]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                     order_by="ApprovalTask.position, ApprovalTask.id")
    events: Mapped[list[ApprovalEvent]] = relationship(back_populates="request", cascade="all, delete-orphan",
                                                       order_by="ApprovalEvent.at, ApprovalEvent.id")

    __table_args__ = (
        Index("ix_approval_requests_document", "document_type", "document_id", "id"),
        Index("ix_approval_requests_submitter", "submitted_by_id", "status", "submitted_at", "id"),
        Index("ix_approval_requests_status", "status", "submitted_at", "id"),
    )

    def __str__(self) -> str:
        return self.title


class ApprovalTask(db.Model):
    """One approver's turn on one step of a request ("waiting for me" lists the waiting ones)."""

    __tablename__ = "approval_tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    step_name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    approver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = mapped_column(Unicode(10), nullable=False, default=WAITING)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[ApprovalRequest] = relationship(back_populates="tasks")
    approver: Mapped[User] = relationship()

    __table_args__ = (Index("ix_approval_tasks_approver", "approver_id", "status", "created_at", "id"),)


class ApprovalEvent(db.Model):
    """The timeline of a request: submitted, approved or rejected at a step (with the comment), withdrawn."""

    __tablename__ = "approval_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    position: Mapped[int | None] = mapped_column(Integer)  # the step, for approve/reject
    step_name: Mapped[str | None] = mapped_column(Unicode(100))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(Unicode(20), nullable=False)  # submitted/approved/rejected/withdrawn
    comment: Mapped[str | None] = mapped_column(Unicode(500))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    request: Mapped[ApprovalRequest] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
