"""回款 rules: the payment plan of a contract, payments matched to its instalments (oldest due first), refunds
through approval, invoices, and the contract hooks that keep the copied owner and the "effective" flag in step.

Every write locks the contract row first (SELECT ... FOR UPDATE; SQLite serialises writers anyway), so two
people recording money on one contract at once cannot lose an update of its received or invoiced figure."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, true, update

from ..approvals.registry import DocumentType, Fact, register_document_type
from ..contracts import hooks
from ..contracts.access import CONTRACT
from ..contracts.models import EFFECTIVE_STATUSES, TERMINATED, Contract
from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import can_see_owner
from ..core.types import utcnow
from ..core.validation import clean_text
from ..extensions import db
from ..reminders.services import local_date, register_kind, remind, site_zone
from .access import PaymentPermission, may_edit_plan
from .models import (CONFIRMED, INVOICE_TYPES, ISSUED, METHODS, PENDING, REJECTED, VOIDED, WITHDRAWN, Instalment,
                     Invoice, Payment, PaymentAllocation)

ZERO = Decimal("0.00")
FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999.99")
MAX_INSTALMENTS = 120
REFUND_TYPE = "payment_refund"

METHOD_LABELS = {
    "bank_transfer": _l("Bank transfer"), "cash": _l("Cash"), "cheque": _l("Cheque"),
    "acceptance_bill": _l("Bank acceptance bill"), "online": _l("Online payment"), "other": _l("Other method"),
}
INVOICE_TYPE_LABELS = {"normal": _l("Ordinary VAT invoice"), "special": _l("Special VAT invoice")}
PAYMENT_STATUS_LABELS = {CONFIRMED: _l("Confirmed"), PENDING: _l("Refund pending approval"),
                         REJECTED: _l("Refund rejected"), WITHDRAWN: _l("Refund withdrawn")}
INVOICE_STATUS_LABELS = {ISSUED: _l("Issued"), VOIDED: _l("Voided")}
# Statuses whose contracts take payments and invoices (a refund may also follow a termination).
REFUNDABLE_STATUSES = EFFECTIVE_STATUSES + (TERMINATED,)

audit.register_actions({
    "payment_plan.saved": _l("Saved a contract's payment plan"),
    "payment.recorded": _l("Recorded a payment"),
    "payment.corrected": _l("Corrected a payment"),
    "payment.deleted": _l("Deleted a payment"),
    "payment.refund_requested": _l("Requested a refund"),
    "payment.refund_approved": _l("A refund was approved"),
    "payment.refund_rejected": _l("A refund was rejected"),
    "payment.refund_withdrawn": _l("A refund was withdrawn"),
    "invoice.issued": _l("Issued an invoice"),
    "invoice.voided": _l("Voided an invoice"),
})
register_kind("payment_overdue", _l("Overdue payment"))
register_kind("payment_plan", _l("Payment plan"))


def site_today() -> dt.date:
    """Today in the site's time zone (the day overdue is counted from)."""
    return local_date(utcnow(), site_zone())


def yuan(value) -> str:
    return f"¥{Decimal(value):,.2f}"


def parse_amount(value, field: str, allow_zero: bool = False) -> Decimal:
    """A positive amount in yuan with at most two decimals (commas allowed), else DomainError on `field`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise DomainError(_("This field is required."), field)
    try:
        number = Decimal(str(value).strip().replace(",", "").replace("¥", ""))
    except InvalidOperation:
        raise DomainError(_("Enter an amount, e.g. 12500.00."), field) from None
    if not number.is_finite() or number > MAX_AMOUNT or number < 0 or (number == 0 and not allow_zero):
        raise DomainError(_("Enter an amount above 0."), field)
    if number != number.quantize(FEN):
        raise DomainError(_("At most two decimals."), field)
    return number.quantize(FEN)


def _lock(contract: Contract) -> Contract:
    """Re-read the contract row under an update lock (its money figures change in this transaction)."""
    db.session.refresh(contract, with_for_update=True)
    return contract


def _instalments(contract_id: int) -> list[Instalment]:
    return list(db.session.scalars(select(Instalment).where(Instalment.contract_id == contract_id)
                                   .order_by(Instalment.sequence, Instalment.id)))


def _is_effective(contract: Contract) -> bool:
    return contract.status in EFFECTIVE_STATUSES and contract.revision_of_id is None and contract.deleted_at is None


def _set_received(instalment: Instalment, delta: Decimal) -> None:
    instalment.received_amount = instalment.received_amount + delta
    instalment.is_open = instalment.received_amount < instalment.amount


# --- the payment plan ---------------------------------------------------------------------------

@dataclass
class InstalmentInput:
    due_date: dt.date | None
    amount: object
    remarks: str | None = None
    id: int | None = None


def plan_of(contract: Contract) -> list[Instalment]:
    return _instalments(contract.id)


def plan_total(contract_id: int) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(Instalment.amount), 0))
                             .where(Instalment.contract_id == contract_id)) or ZERO


def plan_difference(contract: Contract) -> Decimal:
    """Contract amount − the plan's total (0 when they agree; a plan with no instalments counts as agreeing)."""
    total, count = db.session.execute(select(func.coalesce(func.sum(Instalment.amount), 0), func.count(Instalment.id))
                                      .where(Instalment.contract_id == contract.id)).one()
    if not count:
        return ZERO
    return contract.amount - Decimal(total)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def split_plan(amount: Decimal, count: int, first_due: dt.date, every_months: int) -> list[InstalmentInput]:
    """`count` equal instalments of `amount`, `every_months` apart from `first_due`; each is the amount divided
    and cut to the fen, and the fen left over go on the last (100,000.00 / 3 = 33,333.33, 33,333.33, 33,333.34)."""
    if count < 1 or count > MAX_INSTALMENTS:
        raise DomainError(_("Enter a number of instalments from 1 to %(n)d.", n=MAX_INSTALMENTS), "split_count")
    if every_months < 0 or every_months > 60:
        raise DomainError(_("Enter a number of months from 0 to 60."), "split_months")
    fen = int((Decimal(amount) * 100).to_integral_value())
    share = fen // count
    rows = []
    for index in range(count):
        part = share if index < count - 1 else fen - share * (count - 1)
        rows.append(InstalmentInput(add_months(first_due, every_months * index), Decimal(part) / 100))
    return rows


def _plan_text(rows) -> str | None:
    return "; ".join(f"{row.due_date.isoformat()} {row.amount}" for row in rows) or None


def save_plan(actor: User, contract: Contract, rows: list[InstalmentInput]) -> list[Instalment]:
    """Replace the contract's plan with `rows` (a row with the id of an existing instalment updates it and keeps
    what it received). The instalments must add up to the contract amount exactly; an instalment that received
    money can neither be removed nor be made smaller than what it received."""
    if not may_edit_plan(actor, contract) or not can_see_owner(actor, contract.owner_id, CONTRACT):
        raise DomainError(_("You may not change this contract's payment plan."))
    if contract.revision_of_id is not None or contract.deleted_at is not None:
        raise DomainError(_("This contract has no payment plan of its own."))
    if contract.status == TERMINATED:
        raise DomainError(_("The contract is terminated: its payment plan no longer changes."))
    if len(rows) > MAX_INSTALMENTS:
        raise DomainError(_("At most %(n)d instalments.", n=MAX_INSTALMENTS))
    _lock(contract)
    existing = {instalment.id: instalment for instalment in _instalments(contract.id)}
    before = _plan_text(existing.values())
    cleaned = []
    for index, row in enumerate(rows):
        field = f"rows-{index}"
        prefix = _("Instalment %(n)d: ", n=index + 1)
        if row.due_date is None:
            raise DomainError(prefix + _("Enter the due date."), f"{field}-due_date")
        try:
            amount = parse_amount(row.amount, f"{field}-amount")
        except DomainError as exc:
            raise DomainError(prefix + exc.message, exc.field) from None
        remarks = clean_text(row.remarks, 200, f"{field}-remarks")
        if row.id is not None and row.id not in existing:
            raise DomainError(prefix + _("This instalment is not part of the contract's plan."))
        cleaned.append((row.due_date, index, amount, remarks, row.id))
    total = sum((amount for _d, _i, amount, _r, _id in cleaned), ZERO)
    if total != contract.amount:
        raise DomainError(_("The instalments add up to %(total)s but the contract amount is %(amount)s: "
                            "a difference of %(diff)s.", total=yuan(total), amount=yuan(contract.amount),
                            diff=yuan(abs(contract.amount - total))), "rows")
    kept = {row_id for *_rest, row_id in cleaned if row_id is not None}
    for instalment in existing.values():
        if instalment.id not in kept and instalment.received_amount != 0:
            raise DomainError(_("Instalment %(n)d has received %(amount)s and cannot be removed.",
                                n=instalment.sequence, amount=yuan(instalment.received_amount)), "rows")
    for due_date, index, amount, _remarks, row_id in cleaned:
        if row_id is not None and amount < existing[row_id].received_amount:
            raise DomainError(_("Instalment %(n)d: it has received %(received)s; it cannot be less.",
                                n=index + 1, received=yuan(existing[row_id].received_amount)),
                              f"rows-{index}-amount")
    removed = [instalment for instalment in existing.values() if instalment.id not in kept]
    if removed:
        for allocation in db.session.scalars(select(PaymentAllocation).where(
                PaymentAllocation.instalment_id.in_([instalment.id for instalment in removed]))):
            db.session.delete(allocation)
        for instalment in removed:
            db.session.delete(instalment)
        db.session.flush()
    effective = _is_effective(contract)
    result = []
    for sequence, (due_date, _index, amount, remarks, row_id) in enumerate(sorted(cleaned, key=lambda r: r[:2]),
                                                                           start=1):
        instalment = existing[row_id] if row_id is not None else Instalment(
            contract_id=contract.id, received_amount=ZERO)
        if row_id is None:
            db.session.add(instalment)
        instalment.sequence, instalment.due_date, instalment.amount, instalment.remarks = (
            sequence, due_date, amount, remarks)
        instalment.customer_id, instalment.owner_id, instalment.is_effective = (
            contract.customer_id, contract.owner_id, effective)
        instalment.is_open = instalment.received_amount < instalment.amount
        if instalment.is_open:
            instalment.overdue_reminded_at = None if due_date >= site_today() else instalment.overdue_reminded_at
        result.append(instalment)
    db.session.flush()
    _apply_unallocated(contract, result)
    after = _plan_text(result)
    if before != after:
        audit.record(actor, "payment_plan.saved", contract, {"payment_plan": [before, after]})
    return result


# --- matching money to instalments --------------------------------------------------------------

def _allocate(payment: Payment, amount: Decimal, instalments: list[Instalment], first_id: int | None = None) -> None:
    """Match `amount` (positive) to the open instalments, oldest due first (the chosen one before them); what
    no instalment takes is added to the payment's unallocated amount."""
    open_ones = sorted((i for i in instalments if i.amount > i.received_amount),
                       key=lambda i: (i.id != first_id, i.due_date, i.sequence, i.id))
    current = {allocation.instalment_id: allocation for allocation in payment.allocations}
    left = amount
    for instalment in open_ones:
        if left <= 0:
            break
        take = min(left, instalment.amount - instalment.received_amount)
        if instalment.id in current:
            current[instalment.id].amount += take
        else:
            payment.allocations.append(PaymentAllocation(instalment=instalment, amount=take))
        _set_received(instalment, take)
        left -= take
    payment.unallocated_amount = payment.unallocated_amount + left


def _unallocated_excess(contract_id: int, exclude_id: int | None = None) -> Decimal:
    stmt = select(func.coalesce(func.sum(Payment.unallocated_amount), 0)).where(
        Payment.contract_id == contract_id, Payment.status == CONFIRMED)
    if exclude_id is not None:
        stmt = stmt.where(Payment.id != exclude_id)
    return Decimal(db.session.scalar(stmt) or 0)


def _apply_unallocated(contract: Contract, instalments: list[Instalment]) -> None:
    """Money received beyond the plan (net of refunds taken from it) goes to instalments opened since: a plan
    made after the first payment, an instalment raised, a payment deleted."""
    net = _unallocated_excess(contract.id)
    if net <= 0 or not any(i.amount > i.received_amount for i in instalments):
        return
    payments = db.session.scalars(select(Payment).where(
        Payment.contract_id == contract.id, Payment.status == CONFIRMED, Payment.unallocated_amount > 0)
        .order_by(Payment.received_on, Payment.id))
    for payment in payments:
        if net <= 0:
            break
        before = payment.unallocated_amount
        available = min(before, net)
        payment.unallocated_amount = before - available
        _allocate(payment, available, instalments)
        used = before - payment.unallocated_amount
        net -= used
        if used < available:  # every instalment is settled
            break
    db.session.flush()


def _reverse(payment: Payment, instalments: list[Instalment]) -> None:
    by_id = {instalment.id: instalment for instalment in instalments}
    for allocation in list(payment.allocations):
        instalment = by_id.get(allocation.instalment_id) or allocation.instalment
        _set_received(instalment, -allocation.amount)
        payment.allocations.remove(allocation)
    payment.unallocated_amount = ZERO


def _add_received(contract: Contract, delta: Decimal) -> None:
    contract.received_amount = contract.received_amount + delta


# --- payments -----------------------------------------------------------------------------------

class ExcessConfirmationNeeded(DomainError):
    """The amount is above what the contract still has outstanding: the form asks to confirm it."""

    def __init__(self, message: str, outstanding: Decimal, excess: Decimal):
        super().__init__(message, "confirm_excess")
        self.outstanding = outstanding
        self.excess = excess


PAYMENT_FIELDS = ("received_on", "amount", "method", "account", "reference", "remarks")


def _payment_values(fields: dict) -> dict:
    received_on = fields.get("received_on")
    if not isinstance(received_on, dt.date):
        raise DomainError(_("Enter the date the money was received."), "received_on")
    if received_on > site_today() + dt.timedelta(days=1):
        raise DomainError(_("The date cannot be in the future."), "received_on")
    method = fields.get("method") or "bank_transfer"
    if method not in METHODS:
        raise DomainError(_("Choose a payment method."), "method")
    return {"received_on": received_on, "amount": parse_amount(fields.get("amount"), "amount"), "method": method,
            "account": clean_text(fields.get("account"), 100, "account"),
            "reference": clean_text(fields.get("reference"), 100, "reference"),
            "remarks": clean_text(fields.get("remarks"), 500, "remarks")}


def _check_may_record(actor: User, contract: Contract, statuses=EFFECTIVE_STATUSES) -> None:
    if not actor.can(PaymentPermission.RECORD) or not can_see_owner(actor, contract.owner_id, CONTRACT):
        raise DomainError(_("You may not record payments for this contract."))
    if contract.revision_of_id is not None or contract.deleted_at is not None or contract.status not in statuses:
        raise DomainError(_("Payments are recorded only for approved contracts."))


def _check_excess(contract: Contract, amount: Decimal, confirm: bool) -> None:
    outstanding = contract.amount - contract.received_amount
    if amount > outstanding and not confirm:
        excess = amount - max(outstanding, ZERO)
        raise ExcessConfirmationNeeded(
            _("The amount %(amount)s is more than the %(outstanding)s outstanding on the contract (%(excess)s "
              "more). Tick the box to record it anyway: the excess stays unallocated.", amount=yuan(amount),
              outstanding=yuan(max(outstanding, ZERO)), excess=yuan(excess)), outstanding, excess)


def record_payment(actor: User, contract: Contract, *, instalment_id: int | None = None, confirm_excess: bool = False,
                   **fields) -> Payment:
    """Record money received: matched to the open instalments oldest due first (or to `instalment_id` first);
    an amount above the contract's outstanding needs `confirm_excess`, and the excess stays unallocated."""
    unknown = set(fields) - set(PAYMENT_FIELDS)
    if unknown:
        raise TypeError(f"record_payment() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_may_record(actor, contract)
    values = _payment_values(fields)
    _lock(contract)
    instalments = _instalments(contract.id)
    if instalment_id is not None and instalment_id not in {i.id for i in instalments}:
        raise DomainError(_("Choose an instalment of this contract."), "instalment_id")
    _check_excess(contract, values["amount"], confirm_excess)
    payment = Payment(contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                      status=CONFIRMED, unallocated_amount=ZERO, recorded_by_id=actor.id, **values)
    db.session.add(payment)
    _allocate(payment, values["amount"], instalments, instalment_id)
    _add_received(contract, values["amount"])
    db.session.flush()
    audit.record(actor, "payment.recorded", payment, {
        "amount": [None, values["amount"]], "received_on": [None, values["received_on"]],
        "method": [None, values["method"]], "unallocated_amount": [None, payment.unallocated_amount]},
        label=_payment_label(contract, payment))
    return payment


def _payment_label(contract: Contract, payment: Payment) -> str:
    return f"{contract.number} {yuan(payment.amount)} {payment.received_on.isoformat()}"


def update_payment(actor: User, payment: Payment, *, instalment_id: int | None = None, confirm_excess: bool = False,
                   **fields) -> Payment:
    """Correct a confirmed payment: its allocations are reversed and the corrected amount matched again."""
    contract = payment.contract
    _check_may_record(actor, contract, REFUNDABLE_STATUSES)
    if payment.amount < 0 or payment.status != CONFIRMED:
        raise DomainError(_("Only a confirmed payment can be corrected; delete a refund and request it again."))
    values = _payment_values(fields)
    _lock(contract)
    instalments = _instalments(contract.id)
    if instalment_id is not None and instalment_id not in {i.id for i in instalments}:
        raise DomainError(_("Choose an instalment of this contract."), "instalment_id")
    before = audit.snapshot(payment, PAYMENT_FIELDS)
    # What the contract would have outstanding without this payment decides whether the new amount is too much.
    old_amount = payment.amount
    _add_received(contract, -old_amount)
    _check_excess(contract, values["amount"], confirm_excess)
    _reverse(payment, instalments)
    for name, value in values.items():
        setattr(payment, name, value)
    _allocate(payment, values["amount"], instalments, instalment_id)
    _add_received(contract, values["amount"])
    db.session.flush()
    _apply_unallocated(contract, instalments)
    changes = audit.diff(before, audit.snapshot(payment, PAYMENT_FIELDS))
    audit.record(actor, "payment.corrected", payment, changes, label=_payment_label(contract, payment))
    return payment


def delete_payment(actor: User, payment: Payment) -> None:
    """Delete a payment or a refund that is not waiting for approval: what it counted is taken back."""
    contract = payment.contract
    _check_may_record(actor, contract, REFUNDABLE_STATUSES)
    if payment.status == PENDING:
        raise DomainError(_("The refund is waiting for approval: withdraw the request first."))
    _lock(contract)
    instalments = _instalments(contract.id)
    label = _payment_label(contract, payment)
    changes = {"amount": [payment.amount, None], "received_on": [payment.received_on, None],
               "status": [payment.status, None]}
    if payment.status == CONFIRMED:
        _reverse(payment, instalments)
        _add_received(contract, -payment.amount)
    db.session.flush()
    audit.record(actor, "payment.deleted", payment, changes, label=label)
    db.session.delete(payment)
    db.session.flush()
    _apply_unallocated(contract, instalments)


# --- refunds ------------------------------------------------------------------------------------

def pending_refunds(contract_id: int) -> Decimal:
    return -Decimal(db.session.scalar(select(func.coalesce(func.sum(Payment.amount), 0)).where(
        Payment.contract_id == contract_id, Payment.status == PENDING)) or 0)


def request_refund(actor: User, contract: Contract, **fields) -> Payment:
    """A refund (退款) of `amount` (given positive): a negative payment, pending while the "payment_refund"
    approval flow runs and counted once approved; with no matching flow it counts at once."""
    from ..approvals import services as approvals
    unknown = set(fields) - set(PAYMENT_FIELDS)
    if unknown:
        raise TypeError(f"request_refund() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_may_record(actor, contract, REFUNDABLE_STATUSES)
    values = _payment_values(fields)
    _lock(contract)
    refundable = contract.received_amount - pending_refunds(contract.id)
    if values["amount"] > refundable:
        raise DomainError(_("At most %(amount)s can be refunded (received, less refunds waiting for approval).",
                            amount=yuan(max(refundable, ZERO))), "amount")
    values["amount"] = -values["amount"]
    payment = Payment(contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                      status=PENDING, unallocated_amount=ZERO, recorded_by_id=actor.id, **values)
    db.session.add(payment)
    db.session.flush()
    audit.record(actor, "payment.refund_requested", payment, {"amount": [None, payment.amount]},
                 label=_payment_label(contract, payment))
    request = approvals.submit(actor, REFUND_TYPE, payment)
    if request is None:
        _confirm_refund(actor, payment)
    return payment


def _confirm_refund(actor: User | None, payment: Payment) -> None:
    """The refund counts: it is first taken from money received beyond the plan, then from the instalments
    newest due first (they open again)."""
    contract = payment.contract
    _lock(contract)
    if contract.received_amount + payment.amount < 0:
        raise DomainError(_("The contract has not received enough to refund %(amount)s.",
                            amount=yuan(-payment.amount)))
    instalments = _instalments(contract.id)
    left = -payment.amount
    from_excess = min(left, max(_unallocated_excess(contract.id, payment.id), ZERO))
    left -= from_excess
    for instalment in sorted(instalments, key=lambda i: (i.due_date, i.sequence, i.id), reverse=True):
        if left <= 0:
            break
        take = min(left, instalment.received_amount)
        if take <= 0:
            continue
        payment.allocations.append(PaymentAllocation(instalment=instalment, amount=-take))
        _set_received(instalment, -take)
        left -= take
    payment.unallocated_amount = -(from_excess + left)
    payment.status = CONFIRMED
    _add_received(contract, payment.amount)
    db.session.flush()
    audit.record(actor, "payment.refund_approved", payment, {"status": [PENDING, CONFIRMED]},
                 label=_payment_label(contract, payment))


def _refund_ended(actor: User | None, payment: Payment, status: str, action: str, comment: str | None = None):
    if payment.status != PENDING:
        return
    payment.status = status
    db.session.flush()
    changes = {"status": [PENDING, status]}
    if comment:
        changes["comment"] = [None, comment]
    audit.record(actor, action, payment, changes, label=_payment_label(payment.contract, payment))


def _refund_approved(actor, payment: Payment) -> None:
    if payment.status == PENDING:
        _confirm_refund(actor, payment)


def _load_refund(payment_id: int) -> Payment | None:
    payment = db.session.get(Payment, payment_id)
    return payment if payment is not None and payment.amount < 0 else None


def _can_view_payment(user: User, payment: Payment) -> bool:
    return can_see_owner(user, payment.owner_id, CONTRACT)


register_document_type(DocumentType(
    code=REFUND_TYPE, label=_l("Payment refund"),
    facts={"amount": Fact(_l("Refund amount"), "money", lambda payment: -payment.amount),
           "method": Fact(_l("Payment method"), "choice", lambda payment: payment.method,
                          choices=tuple((code, METHOD_LABELS[code]) for code in METHODS))},
    load=_load_refund,
    title=lambda payment: _("Refund %(amount)s on contract %(number)s", amount=yuan(-payment.amount),
                            number=payment.contract.number),
    owner_id=lambda payment: payment.owner_id,
    url=lambda payment: url_for("payments.detail", payment_id=payment.id),
    can_view=_can_view_payment,
    amount=lambda payment: -payment.amount,
    on_approved=_refund_approved,
    on_rejected=lambda actor, payment, comment: _refund_ended(actor, payment, REJECTED, "payment.refund_rejected",
                                                              comment),
    on_withdrawn=lambda actor, payment: _refund_ended(actor, payment, WITHDRAWN, "payment.refund_withdrawn"),
))


# --- invoices -----------------------------------------------------------------------------------

INVOICE_FIELDS = ("number", "invoice_type", "amount", "tax_rate", "issued_on", "title", "remarks")


def _check_may_invoice(actor: User, contract: Contract) -> None:
    if not actor.can(PaymentPermission.INVOICE) or not can_see_owner(actor, contract.owner_id, CONTRACT):
        raise DomainError(_("You may not issue invoices for this contract."))
    if contract.revision_of_id is not None or contract.deleted_at is not None \
            or contract.status not in EFFECTIVE_STATUSES:
        raise DomainError(_("Invoices are issued only for approved contracts."))


def _tax_rate(value) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        rate = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        raise DomainError(_("Enter a number."), "tax_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(FEN):
        raise DomainError(_("Enter a rate from 0 to 100 with at most two decimals."), "tax_rate")
    return rate


def issue_invoice(actor: User, contract: Contract, *, confirm_excess: bool = False, **fields) -> Invoice:
    """An invoice against the contract; an amount above what is left to invoice needs `confirm_excess`."""
    unknown = set(fields) - set(INVOICE_FIELDS)
    if unknown:
        raise TypeError(f"issue_invoice() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_may_invoice(actor, contract)
    number = clean_text(fields.get("number"), 30, "number", required=True)
    invoice_type = fields.get("invoice_type") or "normal"
    if invoice_type not in INVOICE_TYPES:
        raise DomainError(_("Choose the invoice type."), "invoice_type")
    amount = parse_amount(fields.get("amount"), "amount")
    issued_on = fields.get("issued_on")
    if not isinstance(issued_on, dt.date):
        raise DomainError(_("Enter the date of issue."), "issued_on")
    title = clean_text(fields.get("title"), 200, "title") or contract.customer.name[:200]
    remarks = clean_text(fields.get("remarks"), 500, "remarks")
    tax_rate = _tax_rate(fields.get("tax_rate"))
    _lock(contract)
    if db.session.scalar(select(Invoice.id).where(Invoice.number == number)) is not None:
        raise DomainError(_("An invoice with this number already exists."), "number")
    left = contract.amount - contract.invoiced_amount
    if amount > left and not confirm_excess:
        raise ExcessConfirmationNeeded(
            _("The amount %(amount)s is more than the %(left)s left to invoice on the contract (%(excess)s more). "
              "Tick the box to issue it anyway.", amount=yuan(amount), left=yuan(max(left, ZERO)),
              excess=yuan(amount - max(left, ZERO))), left, amount - max(left, ZERO))
    invoice = Invoice(contract_id=contract.id, customer_id=contract.customer_id, owner_id=contract.owner_id,
                      number=number, invoice_type=invoice_type, amount=amount, tax_rate=tax_rate,
                      issued_on=issued_on, title=title, remarks=remarks, status=ISSUED, recorded_by_id=actor.id)
    db.session.add(invoice)
    contract.invoiced_amount = contract.invoiced_amount + amount
    db.session.flush()
    changes = {"number": [None, number], "amount": [None, amount], "invoice_type": [None, invoice_type]}
    audit.record(actor, "invoice.issued", invoice, changes, label=f"{contract.number} {number}")
    return invoice


def void_invoice(actor: User, invoice: Invoice) -> Invoice:
    """作废: the invoice is kept, marked voided, and no longer counts as invoiced."""
    contract = invoice.contract
    if not actor.can(PaymentPermission.INVOICE) or not can_see_owner(actor, contract.owner_id, CONTRACT):
        raise DomainError(_("You may not void invoices of this contract."))
    if invoice.status == VOIDED:
        raise DomainError(_("The invoice is already voided."))
    _lock(contract)
    invoice.status = VOIDED
    invoice.voided_at = utcnow()
    contract.invoiced_amount = contract.invoiced_amount - invoice.amount
    db.session.flush()
    audit.record(actor, "invoice.voided", invoice, {"status": [ISSUED, VOIDED]},
                 label=f"{contract.number} {invoice.number}")
    return invoice


# --- overdue reminders --------------------------------------------------------------------------

REMIND_BATCH = 2000


def remind_overdue(today: dt.date | None = None) -> int:
    """Remind the owner of each effective instalment that has become overdue (due before today, something
    still outstanding), once per instalment. Returns how many reminders were made."""
    today = today or site_today()
    rows = db.session.execute(
        select(Instalment, Contract.number).join(Contract, Instalment.contract_id == Contract.id)
        .where(Instalment.is_effective == true(), Instalment.is_open == true(),
               Instalment.due_date < today, Instalment.overdue_reminded_at.is_(None))
        .order_by(Instalment.due_date, Instalment.id).limit(REMIND_BATCH)).all()
    now = utcnow()
    count = 0
    for instalment, number in rows:
        title = _("Instalment %(n)d of %(amount)s is overdue — %(number)s", n=instalment.sequence,
                  amount=yuan(instalment.outstanding_amount), number=number)
        if remind(instalment.owner_id, "payment_overdue", title, now, f"payment-overdue:{instalment.id}",
                  "contracts", instalment.contract_id) is not None:
            count += 1
        instalment.overdue_reminded_at = now
    db.session.flush()
    return count


# --- contract hooks -----------------------------------------------------------------------------

@hooks.on_status_changed
def _status_changed(contract: Contract, old_status: str) -> None:
    db.session.execute(update(Instalment).where(Instalment.contract_id == contract.id)
                       .values(is_effective=_is_effective(contract)).execution_options(synchronize_session="fetch"))


@hooks.on_owner_changed
def _owner_changed(contract: Contract, old_owner_id: int) -> None:
    for model in (Instalment, Payment, Invoice):
        db.session.execute(update(model).where(model.contract_id == contract.id)
                           .values(owner_id=contract.owner_id).execution_options(synchronize_session="fetch"))


@hooks.on_revision_applied
def _revision_applied(contract: Contract, old_amount) -> None:
    for model in (Instalment, Payment, Invoice):
        db.session.execute(update(model).where(model.contract_id == contract.id,
                                               model.customer_id != contract.customer_id)
                           .values(customer_id=contract.customer_id).execution_options(synchronize_session="fetch"))
    if old_amount is not None and Decimal(old_amount) != contract.amount and plan_difference(contract) != 0:
        # The page shows the difference (plan_difference); the owner is told to adjust the plan.
        now = utcnow()
        remind(contract.owner_id, "payment_plan",
               _("The amount of contract %(number)s changed to %(amount)s: adjust its payment plan.",
                 number=contract.number, amount=yuan(contract.amount)),
               now, f"payment-plan:{contract.id}:{now:%Y%m%d%H%M%S%f}", "contracts", contract.id)
