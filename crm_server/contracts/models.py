"""合同: contracts with their product lines, the signed scan and other files, the templates they print from,
and the revisions that change an approved contract only through approval again."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Unicode, UnicodeText, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contacts.models import Contact
from ..core.models import TimestampMixin, User
from ..core.types import Money, Percent, Quantity, UTCDateTime, utcnow
from ..customers.models import Customer
from ..extensions import db
from ..opportunities.models import Opportunity
from ..products.models import Product
from ..quotes.models import Quote

# Statuses. A draft (or a rejected contract, after changes) is submitted: a matching approval flow makes it
# pending, otherwise it is active at once; approval makes it active, rejection rejected. An active contract is
# executed (履行完毕) when done, expired after its end date, or terminated early. Only drafts and rejected
# contracts are edited; an active one changes through a revision.
DRAFT, PENDING, ACTIVE, REJECTED, EXECUTED, EXPIRED, TERMINATED = (
    "draft", "pending", "active", "rejected", "executed", "expired", "terminated")
STATUSES = (DRAFT, PENDING, ACTIVE, REJECTED, EXECUTED, EXPIRED, TERMINATED)
APPLIED = "applied"  # a revision row whose approved terms were copied onto its contract
# Contracts whose money counts in receivables: approved and not cancelled.
EFFECTIVE_STATUSES = (ACTIVE, EXECUTED, EXPIRED)
TYPES = ("sales", "service", "framework", "other")  # 销售合同 / 服务合同 / 框架协议 / 其他

LIVE = ("id", "deleted_at", "owner_id")  # trailing index columns, as on the other lists


class Contract(TimestampMixin, db.Model):
    """One contract. A revision of an active contract is a row of its own (`revision_of_id` set, not shown in
    lists) holding the proposed terms; approving it copies them onto the contract, which keeps its id, plan
    and payments. `received_amount` and `invoiced_amount` are kept in step by the payments domain."""

    __tablename__ = "contracts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(Unicode(30), nullable=False)
    # 0 on the contract itself; 1, 2 ... on the revision rows proposing changes to it (they repeat its number)
    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    revision_of_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    renewed_from_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))  # 签约人 on the customer's side
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    quote_id: Mapped[int | None] = mapped_column(ForeignKey("quotes.id"))
    template_id: Mapped[int | None] = mapped_column(ForeignKey("contract_templates.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    contract_type: Mapped[str] = mapped_column(Unicode(20), nullable=False, default="sales")
    # Tax included. With lines, the lines' total (see contracts/calc.py: the quote's convention, its overall
    # discount spread over the lines); without lines, entered.
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    overall_discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0.00"))
    sign_date: Mapped[dt.date | None] = mapped_column(Date)
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    payment_terms: Mapped[str | None] = mapped_column(Unicode(200))  # 付款方式, printed
    payment_days: Mapped[int | None] = mapped_column(Integer)  # 账期 in days, an approval condition
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = mapped_column(Unicode(12), nullable=False, default=DRAFT)
    remarks: Mapped[str | None] = mapped_column(UnicodeText)
    termination_reason: Mapped[str | None] = mapped_column(Unicode(500))
    # Money received and invoiced so far (payments and invoices keep them in step, in the same transaction).
    received_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    invoiced_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # executed, expired or terminated
    renewal_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    contact: Mapped[Contact | None] = relationship()
    opportunity: Mapped[Opportunity | None] = relationship()
    quote: Mapped[Quote | None] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    template: Mapped[ContractTemplate | None] = relationship()
    revision_of: Mapped[Contract | None] = relationship(remote_side=[id], foreign_keys=[revision_of_id])
    renewed_from: Mapped[Contract | None] = relationship(remote_side=[id], foreign_keys=[renewed_from_id])
    lines: Mapped[list[ContractLine]] = relationship(back_populates="contract", cascade="all, delete-orphan",
                                                     order_by="ContractLine.sort_order, ContractLine.id")
    attachments: Mapped[list[ContractAttachment]] = relationship(
        back_populates="contract", cascade="all, delete-orphan", order_by="ContractAttachment.id")

    __table_args__ = (
        UniqueConstraint("number", "revision", name="uq_contracts_number_revision"),
        # the money report sums signed amounts per sign date from this index alone (status, amount)
        Index("ix_contracts_sign_date", "revision_of_id", "sign_date", *LIVE, "status", "amount"),
        Index("ix_contracts_updated", "revision_of_id", "updated_at", *LIVE),
        Index("ix_contracts_owner", "owner_id", "revision_of_id", "deleted_at", "status", "id"),
        Index("ix_contracts_customer", "customer_id", "revision_of_id", "deleted_at", "id"),
        Index("ix_contracts_status", "status", "revision_of_id", "updated_at", *LIVE),
        Index("ix_contracts_end_date", "status", "end_date", *LIVE),
        Index("ix_contracts_end", "revision_of_id", "end_date", *LIVE),  # the list sorted by end date
        Index("ix_contracts_amount", "revision_of_id", "amount", *LIVE),
        Index("ix_contracts_type", "contract_type", "revision_of_id", "updated_at", *LIVE),
        Index("ix_contracts_number", "revision_of_id", "number", *LIVE),
        Index("ix_contracts_opportunity", "opportunity_id"),
        Index("ix_contracts_quote", "quote_id"),
        Index("ix_contracts_revision_of", "revision_of_id", "id"),
        Index("ix_contracts_renewed_from", "renewed_from_id"),
    )

    @property
    def outstanding_amount(self) -> Decimal:
        return self.amount - self.received_amount

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class ContractLine(db.Model):
    """A product line carried over from the quote or opportunity, or typed in; `amount` after the discount."""

    __tablename__ = "contract_lines"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), index=True)
    description: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    specification: Mapped[str | None] = mapped_column(Unicode(200))
    unit: Mapped[str | None] = mapped_column(Unicode(20))
    quantity: Mapped[Decimal] = mapped_column(Quantity, nullable=False, default=Decimal("1.00"))
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0.00"))
    tax_rate: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("13.00"))
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    sort_order: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    contract: Mapped[Contract] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()


class ContractAttachment(db.Model):
    """A file kept with a contract (the signed scan, annexes), stored under the data folder."""

    __tablename__ = "contract_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    filename: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    content_type: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    is_signed_scan: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    contract: Mapped[Contract] = relationship(back_populates="attachments")


class ContractTemplate(TimestampMixin, db.Model):
    """合同模板: the text a contract prints from, with merge fields such as {{客户名称}} and {{金额大写}}."""

    __tablename__ = "contract_templates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(100), nullable=False, unique=True)
    contract_type: Mapped[str | None] = mapped_column(Unicode(20))  # None: for every type
    body: Mapped[str] = mapped_column(UnicodeText, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
