"""回款计划 / 回款 / 开票: a contract's instalments, the money received (refunds are negative payments that need
approval) matched to instalments, and the invoices issued. The customer and owner of the contract are repeated
on instalments, payments and invoices so that receivables and aging read one table within the viewer's scope."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Unicode
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..contracts.models import Contract
from ..core.models import TimestampMixin, User
from ..core.types import Money, Percent, UTCDateTime
from ..extensions import db

# Payment statuses: confirmed counts; a refund waits for approval (pending) and counts once approved
# (confirmed), or never (rejected / withdrawn).
CONFIRMED, PENDING, REJECTED, WITHDRAWN = "confirmed", "pending", "rejected", "withdrawn"
METHODS = ("bank_transfer", "cash", "cheque", "acceptance_bill", "online", "other")  # 银行转账 现金 支票 承兑汇票 ...
# Invoices: 普通发票 / 增值税专用发票; issued, or voided (作废, kept for the record, no longer counted).
INVOICE_TYPES = ("normal", "special")
ISSUED, VOIDED = "issued", "voided"


class Instalment(db.Model):
    """One instalment of a contract's payment plan. `received_amount` is what payments matched to it;
    `is_open` is true while something is outstanding (amount > received), which the aging index starts with."""

    __tablename__ = "payment_instalments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id", ondelete="CASCADE"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)  # 第 1 期, 第 2 期 ...
    due_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    received_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    is_open: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # false while the contract is not effective (draft, pending, rejected, terminated): not a receivable then
    is_effective: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    remarks: Mapped[str | None] = mapped_column(Unicode(200))
    overdue_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship()

    __table_args__ = (
        Index("ix_instalments_contract", "contract_id", "sequence"),
        # Covering indexes of receivables and aging (payments/receivables.py): bucket totals and overdue per
        # contract read ranges of due_date; per owner and per customer walk the index in owner/customer order.
        Index("ix_instalments_aging", "is_effective", "is_open", "due_date", "owner_id", "customer_id",
              "contract_id", "amount", "received_amount"),
        Index("ix_instalments_owner_aging", "owner_id", "is_effective", "is_open", "due_date", "customer_id",
              "amount", "received_amount"),
        Index("ix_instalments_customer", "customer_id", "is_effective", "is_open", "due_date", "owner_id",
              "amount", "received_amount"),
    )

    @property
    def outstanding_amount(self) -> Decimal:
        return self.amount - self.received_amount


class Payment(TimestampMixin, db.Model):
    """Money received against a contract (回款), or a refund (退款: a negative amount that needs approval)."""

    __tablename__ = "payments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)  # the contract's owner
    received_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # negative: a refund
    method: Mapped[str] = mapped_column(Unicode(20), nullable=False, default="bank_transfer")
    account: Mapped[str | None] = mapped_column(Unicode(100))    # 收款账户
    reference: Mapped[str | None] = mapped_column(Unicode(100))  # 流水号 / 票据号
    status: Mapped[str] = mapped_column(Unicode(10), nullable=False, default=CONFIRMED)
    unallocated_amount: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))  # 多收
    remarks: Mapped[str | None] = mapped_column(Unicode(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    contract: Mapped[Contract] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    allocations: Mapped[list[PaymentAllocation]] = relationship(back_populates="payment",
                                                                cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_payments_contract", "contract_id", "received_on", "id"),
        Index("ix_payments_received_on", "received_on", "id", "owner_id", "status"),
        Index("ix_payments_owner", "owner_id", "received_on", "id", "status"),
        Index("ix_payments_customer", "customer_id", "received_on", "id"),
        # the money report sums received per day from this index alone (owner, amount)
        Index("ix_payments_status", "status", "received_on", "id", "owner_id", "amount"),
        Index("ix_payments_method", "method", "received_on", "id", "owner_id", "status"),  # the list's method filter
    )


class PaymentAllocation(db.Model):
    """The part of a payment matched to one instalment (a refund's allocations are negative)."""

    __tablename__ = "payment_allocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    instalment_id: Mapped[int] = mapped_column(ForeignKey("payment_instalments.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    instalment: Mapped[Instalment] = relationship()


class Invoice(TimestampMixin, db.Model):
    """An invoice issued against a contract (开票)."""

    __tablename__ = "invoices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    number: Mapped[str] = mapped_column(Unicode(30), nullable=False, unique=True)  # the tax invoice's number
    invoice_type: Mapped[str] = mapped_column(Unicode(10), nullable=False, default="normal")
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    tax_rate: Mapped[Decimal | None] = mapped_column(Percent)
    issued_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(Unicode(10), nullable=False, default=ISSUED)
    title: Mapped[str | None] = mapped_column(Unicode(200))  # 发票抬头, defaults to the customer's name
    remarks: Mapped[str | None] = mapped_column(Unicode(500))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    voided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    contract: Mapped[Contract] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    __table_args__ = (
        Index("ix_invoices_contract", "contract_id", "issued_on", "id"),
        Index("ix_invoices_issued_on", "issued_on", "id", "owner_id"),
        Index("ix_invoices_owner", "owner_id", "issued_on", "id"),
        # the invoice list's filters, each in the list's order (issued_on, id) with the owner for the scope
        Index("ix_invoices_status", "status", "issued_on", "id", "owner_id"),
        Index("ix_invoices_customer", "customer_id", "issued_on", "id", "owner_id"),
        Index("ix_invoices_type", "invoice_type", "issued_on", "id", "owner_id"),
    )


# Receivables per contract sort the effective contracts by what is outstanding (amount − received): this index on
# the contracts table covers that list (filter, both figures, scope and customer) so no contract row is read.
Index("ix_contracts_receivable", Contract.status, Contract.revision_of_id, Contract.deleted_at, Contract.amount,
      Contract.received_amount, Contract.owner_id, Contract.customer_id, Contract.id)
