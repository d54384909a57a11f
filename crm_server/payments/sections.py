"""The payments sections of the contract's page (balance, plan, payments, invoices) and of the customer's page
(receivables), each scoped like the page it sits on."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..contracts.access import contract_condition
from ..contracts.models import EFFECTIVE_STATUSES, Contract
from ..extensions import db
from . import receivables, services
from .access import PaymentPermission, may_edit_plan
from .views import contract_url
from .models import CONFIRMED, ISSUED, Invoice, Payment

SECTION_SIZE = 20


def _common(user, contract) -> dict:
    return {"yuan": services.yuan, "methods": services.METHOD_LABELS,
            "payment_statuses": services.PAYMENT_STATUS_LABELS, "invoice_types": services.INVOICE_TYPE_LABELS,
            "invoice_statuses": services.INVOICE_STATUS_LABELS,
            "may_record": user.can(PaymentPermission.RECORD), "may_invoice": user.can(PaymentPermission.INVOICE),
            "may_edit_plan": may_edit_plan(user, contract) and contract.revision_of_id is None}


def balance_section(user, contract, _args) -> dict:
    unallocated = db.session.scalar(select(func.coalesce(func.sum(Payment.unallocated_amount), 0)).where(
        Payment.contract_id == contract.id, Payment.status == CONFIRMED)) or 0
    row = receivables.contract_rows([contract], services.site_today())[0]
    return {**_common(user, contract), "overdue": row.overdue, "next_due": row.next_due,
            "unallocated": Decimal(unallocated), "pending_refunds": services.pending_refunds(contract.id),
            "plan_difference": services.plan_difference(contract), "has_plan": row.has_plan}


def plan_section(user, contract, _args) -> dict:
    return {**_common(user, contract), "instalments": services.plan_of(contract), "today": services.site_today(),
            "plan_difference": services.plan_difference(contract)}


def payments_section(user, contract, _args) -> dict:
    condition = Payment.contract_id == contract.id
    total = db.session.scalar(select(func.count(Payment.id)).where(condition)) or 0
    payments = list(db.session.scalars(select(Payment).options(joinedload(Payment.recorded_by)).where(condition)
                                       .order_by(Payment.received_on.desc(), Payment.id.desc()).limit(SECTION_SIZE)))
    return {**_common(user, contract), "payments": payments, "payments_total": total}


def invoices_section(user, contract, _args) -> dict:
    condition = Invoice.contract_id == contract.id
    total = db.session.scalar(select(func.count(Invoice.id)).where(condition)) or 0
    invoices = list(db.session.scalars(select(Invoice).where(condition)
                                       .order_by(Invoice.issued_on.desc(), Invoice.id.desc()).limit(SECTION_SIZE)))
    return {**_common(user, contract), "invoices": invoices, "invoices_total": total, "ISSUED": ISSUED}


def customer_section(user, customer, _args) -> dict:
    """The customer's receivables within the user's contract scope: the sums, and the contracts with money
    outstanding (a salesperson sees their own contracts' figures)."""
    today = services.site_today()
    summary = receivables.customer_summary(user, customer.id, today)
    condition = (contract_condition(user) & Contract.status.in_(EFFECTIVE_STATUSES)
                 & (Contract.customer_id == customer.id))
    contracts = list(db.session.scalars(select(Contract).options(joinedload(Contract.owner)).where(condition)
                                        .order_by((Contract.amount - Contract.received_amount).desc(),
                                                  Contract.id.desc()).limit(10)))
    return {"summary": summary, "rows": receivables.contract_rows(contracts, today), "yuan": services.yuan,
            "contract_url": contract_url, "may_view_receivables": user.can(PaymentPermission.RECEIVABLES)}
