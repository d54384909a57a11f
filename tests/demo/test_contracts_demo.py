"""Demo contracts and money: numbered by the pattern with the counter ahead of them, amounts from the lines, plans
summing to the fen, received and invoiced amounts equal to the payment and invoice rows, every aging bucket
holding debts, and approvals waiting for a manager and for the director."""
from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal

from sqlalchemy import select, true
from sqlalchemy.orm import selectinload

from crm_server.approvals.models import (APPROVED, PENDING, QUEUED, REJECTED, WAITING, ApprovalFlow, ApprovalRequest,
                                         ApprovalTask)
from crm_server.contracts import calc
from crm_server.contracts.models import EFFECTIVE_STATUSES, STATUSES, Contract
from crm_server.contracts.services import site_today
from crm_server.core.models import User
from crm_server.core.numbering import NumberCounter
from crm_server.demo import seed_demo
from crm_server.extensions import db
from crm_server.payments.models import CONFIRMED, ISSUED, Instalment, Invoice, Payment, PaymentAllocation
from crm_server.quotes.models import Quote
from crm_server.reminders.models import Reminder

ZERO = Decimal("0.00")
NUMBER = re.compile(r"HT(\d{4})(\d{2})-(\d{4})")


def test_contracts_and_money(app):
    """One seeding (it takes seconds), every check of the contracts, their plans, payments and invoices."""
    seeded = seed_demo()
    db.session.commit()
    _contracts_numbered_and_priced_from_their_lines(seeded)
    _plans_payments_and_invoices_add_up(seeded)
    _every_aging_bucket_holds_debts()
    _refunds_were_approved()


def test_approvals(app):
    seeded = seed_demo()
    db.session.commit()
    _approvals_went_through_the_flows()
    _waiting_for_a_manager_and_for_the_director(seeded)


def _by(rows, key):
    grouped = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


def _contracts_numbered_and_priced_from_their_lines(seeded):
    contracts = db.session.scalars(select(Contract).options(selectinload(Contract.lines))).all()
    assert len(contracts) == seeded["contracts"] >= 150
    assert {c.status for c in contracts} == set(STATUSES)
    assert len({c.number for c in contracts}) == len(contracts)
    counters = {(c.series, c.period): c.value for c in db.session.scalars(select(NumberCounter))}
    today = site_today()
    for contract in contracts:
        assert contract.revision == 0 and contract.revision_of_id is None
        year, month, seq = NUMBER.fullmatch(contract.number).groups()
        on = contract.sign_date or contract.created_at.date()
        assert (int(year), int(month)) in ((on.year, on.month), (contract.created_at.year, contract.created_at.month))
        # a contract made after the demo gets the next number of its month, never one of these
        assert counters[("contract", f"{year}{month}")] >= int(seq)
        assert contract.lines and contract.amount > 0
        assert contract.amount == calc.compute(contract.lines, contract.overall_discount_percent).total
        assert contract.start_date <= contract.end_date
        if contract.sign_date is not None:
            assert contract.sign_date <= today and contract.status not in ("draft", "pending")
        if contract.end_date < today and contract.sign_date is not None:
            assert contract.status in ("executed", "expired", "terminated")
        if contract.status == "executed":
            assert contract.received_amount >= contract.amount
    from_quotes = [c for c in contracts if c.quote_id is not None]
    assert len(from_quotes) >= 30
    for contract in from_quotes:
        quote = db.session.get(Quote, contract.quote_id)
        assert quote.status == "accepted" and contract.amount == quote.total
        assert contract.opportunity_id == quote.opportunity_id and contract.customer_id == quote.customer_id
        assert contract.owner_id == quote.opportunity.owner_id
    assert any(c.renewed_from_id is not None for c in contracts)


def _plans_payments_and_invoices_add_up(seeded):
    contracts = {c.id: c for c in db.session.scalars(select(Contract))}
    instalments = db.session.scalars(select(Instalment)).all()
    payments = db.session.scalars(select(Payment)).all()
    allocations = db.session.scalars(select(PaymentAllocation)).all()
    invoices = db.session.scalars(select(Invoice)).all()
    assert len(instalments) == seeded["payment_instalments"] and len(payments) == seeded["payments"] >= 200
    assert len(invoices) == seeded["invoices"] >= 150
    plans, paid, billed = _by(instalments, "contract_id"), _by(payments, "contract_id"), _by(invoices, "contract_id")
    matched = _by(allocations, "instalment_id")
    today = site_today()
    for contract_id, contract in contracts.items():
        plan = plans[contract_id]
        assert plan, contract.number
        assert sum((i.amount for i in plan), ZERO) == contract.amount, contract.number
        assert sorted(i.sequence for i in plan) == list(range(1, len(plan) + 1))
        for instalment in plan:
            assert (instalment.customer_id, instalment.owner_id) == (contract.customer_id, contract.owner_id)
            assert instalment.is_effective == (contract.status in EFFECTIVE_STATUSES)
            assert instalment.received_amount == sum((a.amount for a in matched[instalment.id]), ZERO)
            assert ZERO <= instalment.received_amount <= instalment.amount
            assert instalment.is_open == (instalment.amount > instalment.received_amount)
        confirmed = [p for p in paid[contract_id] if p.status == CONFIRMED]
        assert contract.received_amount == sum((p.amount for p in confirmed), ZERO), contract.number
        assert contract.invoiced_amount == sum((i.amount for i in billed[contract_id] if i.status == ISSUED), ZERO)
        for payment in paid[contract_id]:
            assert contract.sign_date <= payment.received_on <= today
            assert (payment.customer_id, payment.owner_id) == (contract.customer_id, contract.owner_id)
            assert payment.method and (payment.account or payment.method == "cash")
        for invoice in billed[contract_id]:
            assert invoice.invoice_type in ("normal", "special") and contract.sign_date <= invoice.issued_on <= today
    by_payment = _by(allocations, "payment_id")
    for payment in payments:
        assert payment.amount == sum((a.amount for a in by_payment[payment.id]), ZERO) + payment.unallocated_amount
    assert len({i.number for i in invoices}) == len(invoices)
    assert {"normal", "special"} == {i.invoice_type for i in invoices}
    assert any(i.status == "voided" for i in invoices) or len(invoices) < 300
    # some paid in part; most of the old instalments are paid
    assert any(ZERO < i.received_amount < i.amount for i in instalments)
    old = [i for i in instalments if i.is_effective and i.due_date < today - dt.timedelta(days=120)]
    assert sum(1 for i in old if not i.is_open) > 0.6 * len(old)


def _every_aging_bucket_holds_debts():
    today = site_today()
    buckets = {"not due": ZERO, "1-30": ZERO, "31-60": ZERO, "61-90": ZERO, "90+": ZERO}
    for instalment in db.session.scalars(select(Instalment).where(Instalment.is_effective == true())):
        if not instalment.is_open:
            continue
        late = (today - instalment.due_date).days
        key = "not due" if late <= 0 else "1-30" if late <= 30 else "31-60" if late <= 60 else \
            "61-90" if late <= 90 else "90+"
        buckets[key] += instalment.amount - instalment.received_amount
    assert all(amount > 0 for amount in buckets.values()), buckets


def _refunds_were_approved():
    refunds = db.session.scalars(select(Payment).where(Payment.amount < 0)).all()
    assert 1 <= len(refunds) <= 2
    for refund in refunds:
        assert refund.status == CONFIRMED and refund.remarks
        request = db.session.scalar(select(ApprovalRequest).where(ApprovalRequest.document_type == "payment_refund",
                                                                  ApprovalRequest.document_id == refund.id))
        assert request.status == APPROVED and request.amount == -refund.amount
        assert [e.action for e in request.events] == ["submitted"] + ["approved"] * request.step_count
        assert request.decided_at <= refund.created_at


def _approvals_went_through_the_flows():
    flows = {f.name: f for f in db.session.scalars(select(ApprovalFlow))}
    assert {"contract", "quote_discount", "payment_refund"} <= {f.document_type for f in flows.values()}
    big = flows["合同审批（10万以上）"]
    assert [(s.position, s.approver_kind) for s in big.steps] == [(1, "manager"), (2, "user")]
    requests = db.session.scalars(select(ApprovalRequest).where(ApprovalRequest.document_type == "contract")).all()
    contracts = {c.id: c for c in db.session.scalars(select(Contract))}
    statuses = {r.status for r in requests}
    assert {APPROVED, PENDING, REJECTED} <= statuses
    for request in requests:
        contract = contracts[request.document_id]
        assert request.owner_id == request.submitted_by_id == contract.owner_id
        assert request.amount == contract.amount and contract.number in request.title
        owner = db.session.get(User, contract.owner_id)
        first = [t for t in request.tasks if t.position == 1]
        assert first and first[0].approver_id == owner.manager_id
        assert all(t.approver_id != owner.id for t in request.tasks)
        if request.status == APPROVED:
            assert contract.status in ("active", "executed", "expired", "terminated")
            assert contract.approved_at == request.decided_at >= request.submitted_at
            assert [e.action for e in request.events] == ["submitted"] + ["approved"] * request.step_count
        elif request.status == PENDING:
            assert contract.status == "pending"
            position = request.current_position
            assert {t.status for t in request.tasks if t.position == position} == {WAITING}
            assert {t.status for t in request.tasks if t.position > position} <= {QUEUED}
        else:
            assert contract.status == "rejected" and request.events[-1].action == "rejected"
            assert request.events[-1].comment
    # every effective contract of 100,000 or more was approved by its manager and the director
    for contract in contracts.values():
        if contract.status in EFFECTIVE_STATUSES and contract.amount >= 100000:
            mine = [r for r in requests if r.document_id == contract.id]
            assert [r.status for r in mine] == [APPROVED] and mine[0].flow_name == big.name


def _waiting_for_a_manager_and_for_the_director(seeded):
    director, manager = (db.session.scalar(select(User).where(User.username == name))
                         for name in seeded["sample_usernames"][:2])
    assert manager.title == "销售经理" and director.title == "销售总监"
    for user in (manager, director):
        tasks = db.session.scalars(select(ApprovalTask).where(ApprovalTask.approver_id == user.id,
                                                              ApprovalTask.status == WAITING)).all()
        assert tasks, user.title
        for task in tasks:
            assert task.request.status == PENDING and task.position == task.request.current_position
        reminders = db.session.scalars(select(Reminder).where(Reminder.user_id == user.id,
                                                              Reminder.kind == "approval_task")).all()
        assert {r.entity_id for r in reminders} >= {t.request_id for t in tasks}
