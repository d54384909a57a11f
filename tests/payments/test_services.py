"""Payment plans, payments, refunds and invoices through the services, with figures computed by hand."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crm_server.approvals import services as approvals
from crm_server.approvals.models import NAMED_USER, ApprovalCondition, ApprovalFlow, ApprovalStep
from crm_server.contracts import hooks
from crm_server.contracts.models import ACTIVE, DRAFT, PENDING as CONTRACT_PENDING, TERMINATED
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.extensions import db
from crm_server.payments import services
from crm_server.payments.models import CONFIRMED, PENDING, REJECTED, VOIDED, Instalment, Payment
from crm_server.payments.services import ExcessConfirmationNeeded, InstalmentInput
from crm_server.reminders.models import Reminder

from .helpers import make_contract, make_plan, make_team, pay


@pytest.fixture
def team(app, admin):
    team = make_team()
    db.session.commit()
    return team


def figures(instalments):
    return [(i.amount, i.received_amount, i.is_open) for i in instalments]


def actions(entity_type, entity_id):
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == entity_type,
                                                                 AuditLog.entity_id == entity_id)
                                   .order_by(AuditLog.id)))


# --- the plan -----------------------------------------------------------------------------------

def test_split_puts_the_remaining_fen_on_the_last_instalment():
    rows = services.split_plan(D("100000.00"), 3, dt.date(2026, 1, 31), 1)
    assert [row.amount for row in rows] == [D("33333.33"), D("33333.33"), D("33333.34")]
    # a month after 31 January is the end of February, then 31 March again
    assert [row.due_date for row in rows] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31)]
    rows = services.split_plan(D("0.05"), 3, dt.date(2026, 1, 1), 3)
    assert [row.amount for row in rows] == [D("0.01"), D("0.01"), D("0.03")]
    assert rows[2].due_date == dt.date(2026, 7, 1)


def test_plan_must_add_up_exactly_and_says_the_difference(team):
    contract = make_contract(team["seller"], team["customer"], amount="100000.00")
    with pytest.raises(DomainError) as error:
        make_plan(team["seller"], contract, [(dt.date(2026, 2, 1), "33333.33"), (dt.date(2026, 3, 1), "33333.33"),
                                             (dt.date(2026, 4, 1), "33333.33")])
    assert "¥0.01" in error.value.message and "¥99,999.99" in error.value.message
    plan = make_plan(team["seller"], contract, [(dt.date(2026, 4, 1), "33333.34"), (dt.date(2026, 2, 1), "33333.33"),
                                                (dt.date(2026, 3, 1), "33333.33")])
    # numbered by due date; customer, owner and "effective" copied from the active contract
    assert [(i.sequence, i.due_date, i.amount) for i in plan] == [
        (1, dt.date(2026, 2, 1), D("33333.33")), (2, dt.date(2026, 3, 1), D("33333.33")),
        (3, dt.date(2026, 4, 1), D("33333.34"))]
    assert {(i.customer_id, i.owner_id, i.is_effective, i.is_open) for i in plan} == {
        (team["customer"].id, team["seller"].id, True, True)}
    assert actions("contracts", contract.id) == ["payment_plan.saved"]
    assert services.plan_difference(contract) == 0


def test_a_received_instalment_cannot_be_removed_or_cut_below_what_it_received(team):
    contract = make_contract(team["seller"], team["customer"], amount="1000.00")
    first, second = make_plan(team["finance"], contract, [(dt.date(2026, 2, 1), "600.00"),
                                                          (dt.date(2026, 3, 1), "400.00")])
    pay(team["finance"], contract, "500.00")
    with pytest.raises(DomainError) as error:
        services.save_plan(team["finance"], contract, [InstalmentInput(dt.date(2026, 3, 1), "1000.00", id=second.id)])
    assert "¥500.00" in error.value.message
    with pytest.raises(DomainError) as error:
        services.save_plan(team["finance"], contract, [InstalmentInput(dt.date(2026, 2, 1), "400.00", id=first.id),
                                                       InstalmentInput(dt.date(2026, 3, 1), "600.00", id=second.id)])
    assert error.value.field == "rows-0-amount"
    # moving it and changing the second is fine; its money stays matched
    plan = services.save_plan(team["finance"], contract, [
        InstalmentInput(dt.date(2026, 2, 15), "500.00", id=first.id),
        InstalmentInput(dt.date(2026, 3, 1), "250.00", id=second.id), InstalmentInput(dt.date(2026, 4, 1), "250.00")])
    assert figures(plan) == [(D("500.00"), D("500.00"), False), (D("250.00"), D("0.00"), True),
                             (D("250.00"), D("0.00"), True)]


def test_a_salesperson_may_not_plan_another_salespersons_contract(team):
    contract = make_contract(team["other"], team["other_customer"], amount="10.00")
    with pytest.raises(DomainError):
        make_plan(team["seller"], contract, [(dt.date(2026, 2, 1), "10.00")])


# --- payments -----------------------------------------------------------------------------------

def test_partial_payments_fill_the_oldest_instalment_first(team):
    contract = make_contract(team["seller"], team["customer"], amount="100000.00")
    plan = make_plan(team["seller"], contract, [(dt.date(2026, 1, 31), "33333.33"), (dt.date(2026, 2, 28), "33333.33"),
                                                (dt.date(2026, 3, 31), "33333.34")])
    payment = pay(team["finance"], contract, "40000.00", method="cheque", account="招商银行 0755", reference="P-1")
    assert [a.amount for a in payment.allocations] == [D("33333.33"), D("6666.67")]
    assert figures(plan) == [(D("33333.33"), D("33333.33"), False), (D("33333.33"), D("6666.67"), True),
                             (D("33333.34"), D("0.00"), True)]
    assert contract.received_amount == D("40000.00") and payment.unallocated_amount == 0
    # a chosen instalment first, the rest oldest first
    second = pay(team["finance"], contract, "40000.00", instalment_id=plan[2].id)
    expected = [(plan[2].id, D("33333.34")), (plan[1].id, D("6666.66"))]
    assert [(a.instalment_id, a.amount) for a in second.allocations] == expected
    assert contract.received_amount == D("80000.00")
    assert [i.received_amount for i in plan] == [D("33333.33"), D("13333.33"), D("33333.34")]
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Instalment, plan[1].id).received_amount == D("13333.33")
    assert actions("payments", payment.id) == ["payment.recorded"]


def test_over_payment_needs_confirmation_and_the_excess_stays_unallocated(team):
    contract = make_contract(team["seller"], team["customer"], amount="1000.00")
    plan = make_plan(team["finance"], contract, [(dt.date(2026, 2, 1), "1000.00")])
    pay(team["finance"], contract, "900.00")
    with pytest.raises(ExcessConfirmationNeeded) as error:
        pay(team["finance"], contract, "150.00")
    assert error.value.outstanding == D("100.00") and error.value.excess == D("50.00")
    assert "¥100.00" in error.value.message and "¥50.00" in error.value.message
    payment = pay(team["finance"], contract, "150.00", confirm_excess=True)
    assert payment.unallocated_amount == D("50.00") and [a.amount for a in payment.allocations] == [D("100.00")]
    assert contract.received_amount == D("1050.00") and plan[0].is_open is False


def test_payment_before_the_plan_is_matched_when_the_plan_is_made(team):
    contract = make_contract(team["seller"], team["customer"], amount="300.00")
    payment = pay(team["finance"], contract, "120.00")
    assert payment.unallocated_amount == D("120.00")
    plan = make_plan(team["finance"], contract, [(dt.date(2026, 2, 1), "100.00"), (dt.date(2026, 3, 1), "200.00")])
    assert figures(plan) == [(D("100.00"), D("100.00"), False), (D("200.00"), D("20.00"), True)]
    assert payment.unallocated_amount == 0


def test_delete_and_correct_reverse_the_allocations(team):
    contract = make_contract(team["seller"], team["customer"], amount="300.00")
    plan = make_plan(team["finance"], contract, [(dt.date(2026, 2, 1), "100.00"), (dt.date(2026, 3, 1), "200.00")])
    first = pay(team["finance"], contract, "150.00")
    second = pay(team["finance"], contract, "100.00")
    services.update_payment(team["finance"], first, received_on=dt.date(2026, 2, 2), amount="50.00",
                            method="cash", account=None, reference=None, remarks="金额录错")
    # first's 100 + 50 are taken back and its 50 goes to the oldest open instalment; second keeps its 100 on 2
    assert contract.received_amount == D("150.00")
    assert [i.received_amount for i in plan] == [D("50.00"), D("100.00")]
    assert actions("payments", first.id) == ["payment.recorded", "payment.corrected"]
    services.delete_payment(team["finance"], second)
    assert contract.received_amount == D("50.00")
    assert figures(plan) == [(D("100.00"), D("50.00"), True), (D("200.00"), D("0.00"), True)]
    assert actions("payments", second.id) == ["payment.recorded", "payment.deleted"]
    db.session.commit()
    assert db.session.get(Payment, second.id) is None


def test_payments_only_for_approved_contracts_and_only_by_those_allowed(team):
    draft = make_contract(team["seller"], team["customer"], amount="100.00", status=DRAFT)
    with pytest.raises(DomainError):
        pay(team["finance"], draft, "10.00")
    contract = make_contract(team["seller"], team["customer"], amount="100.00")
    with pytest.raises(DomainError):
        pay(team["seller"], contract, "10.00")  # salespeople do not record money by default
    with pytest.raises(DomainError):
        pay(team["manager"], make_contract(team["other"], team["other_customer"]), "10.00")  # out of scope
    with pytest.raises(DomainError) as error:
        pay(team["finance"], contract, "10.001")
    assert error.value.field == "amount"
    assert pay(team["manager"], contract, "10.00").amount == D("10.00")


# --- refunds ------------------------------------------------------------------------------------

def refund(actor, contract, amount, **kw):
    return services.request_refund(actor, contract, received_on=dt.date(2026, 3, 5), amount=amount,
                                   method="bank_transfer", remarks="客户退货", **kw)


def refund_flow(approver, minimum="0"):
    flow = ApprovalFlow(document_type=services.REFUND_TYPE, name="退款审批", priority=10, is_active=True)
    flow.conditions = [ApprovalCondition(fact="amount", operator="gt", value=minimum)]
    flow.steps = [ApprovalStep(position=1, name="财务总监", approver_kind=NAMED_USER, user_id=approver.id)]
    db.session.add(flow)
    db.session.flush()
    return flow


def test_refund_without_a_flow_counts_at_once_newest_due_first(team):
    contract = make_contract(team["seller"], team["customer"], amount="300.00")
    plan = make_plan(team["finance"], contract, [(dt.date(2026, 2, 1), "100.00"), (dt.date(2026, 3, 1), "200.00")])
    pay(team["finance"], contract, "250.00")
    payment = refund(team["finance"], contract, "180.00")
    assert payment.status == CONFIRMED and payment.amount == D("-180.00")
    assert [a.amount for a in payment.allocations] == [D("-150.00"), D("-30.00")]
    assert figures(plan) == [(D("100.00"), D("70.00"), True), (D("200.00"), D("0.00"), True)]
    assert contract.received_amount == D("70.00")
    with pytest.raises(DomainError) as error:
        refund(team["finance"], contract, "70.01")
    assert "¥70.00" in error.value.message


def test_refund_of_an_over_payment_comes_from_the_excess_first(team):
    contract = make_contract(team["seller"], team["customer"], amount="100.00")
    plan = make_plan(team["finance"], contract, [(dt.date(2026, 2, 1), "100.00")])
    pay(team["finance"], contract, "130.00", confirm_excess=True)
    payment = refund(team["finance"], contract, "30.00")
    assert payment.unallocated_amount == D("-30.00") and payment.allocations == []
    assert plan[0].received_amount == D("100.00") and contract.received_amount == D("100.00")


def test_refund_waits_for_approval_and_counts_once_approved(team):
    approver = team["manager"]
    refund_flow(approver, minimum="100")
    contract = make_contract(team["seller"], team["customer"], amount="1000.00")
    plan = make_plan(team["finance"], contract, [(dt.date(2026, 2, 1), "400.00"), (dt.date(2026, 3, 1), "600.00")])
    pay(team["finance"], contract, "1000.00")
    small = refund(team["finance"], contract, "50.00")  # not above 100: no flow, counts at once
    assert small.status == CONFIRMED and contract.received_amount == D("950.00")
    payment = refund(team["finance"], contract, "700.00")
    assert payment.status == PENDING and contract.received_amount == D("950.00")
    assert [i.received_amount for i in plan] == [D("400.00"), D("550.00")]
    with pytest.raises(DomainError):  # 950 received, 700 already waiting
        refund(team["finance"], contract, "300.00")
    request = approvals.pending_request(services.REFUND_TYPE, payment.id)
    assert request is not None and request.amount == D("700.00")
    approvals.decide(approver, request, True, None)
    assert payment.status == CONFIRMED and contract.received_amount == D("250.00")
    # newest due first: 550 from the second instalment, 150 from the first
    assert [a.amount for a in payment.allocations] == [D("-550.00"), D("-150.00")]
    assert figures(plan) == [(D("400.00"), D("250.00"), True), (D("600.00"), D("0.00"), True)]
    assert actions("payments", payment.id) == ["payment.refund_requested", "payment.refund_approved"]


def test_a_rejected_refund_never_counts(team):
    refund_flow(team["manager"])
    contract = make_contract(team["seller"], team["customer"], amount="100.00")
    pay(team["finance"], contract, "100.00")
    payment = refund(team["finance"], contract, "40.00")
    with pytest.raises(DomainError):
        services.delete_payment(team["finance"], payment)  # waiting: withdraw first
    request = approvals.pending_request(services.REFUND_TYPE, payment.id)
    approvals.decide(team["manager"], request, False, "金额不对")
    assert payment.status == REJECTED and contract.received_amount == D("100.00")
    services.delete_payment(team["finance"], payment)
    assert contract.received_amount == D("100.00")


# --- invoices -----------------------------------------------------------------------------------

def invoice(actor, contract, number, amount, **kw):
    return services.issue_invoice(actor, contract, number=number, invoice_type=kw.pop("invoice_type", "special"),
                                  amount=amount, tax_rate="13", issued_on=dt.date(2026, 3, 1), **kw)


def test_invoices_keep_the_invoiced_amount_and_void_takes_it_back(team):
    contract = make_contract(team["seller"], team["customer"], amount="1000.00")
    first = invoice(team["finance"], contract, "04400001", "600.00")
    assert first.title == "上海华信智能科技有限公司" and contract.invoiced_amount == D("600.00")
    with pytest.raises(DomainError) as error:
        invoice(team["finance"], contract, "04400001", "100.00")
    assert error.value.field == "number"
    with pytest.raises(ExcessConfirmationNeeded) as error:
        invoice(team["finance"], contract, "04400002", "500.00")
    assert "¥400.00" in error.value.message and "¥100.00" in error.value.message
    second = invoice(team["finance"], contract, "04400002", "500.00", confirm_excess=True, title="华信（上海）")
    assert contract.invoiced_amount == D("1100.00") and second.title == "华信（上海）"
    services.void_invoice(team["finance"], first)
    assert first.status == VOIDED and first.voided_at is not None and contract.invoiced_amount == D("500.00")
    with pytest.raises(DomainError):
        services.void_invoice(team["finance"], first)
    with pytest.raises(DomainError):
        invoice(team["manager"], contract, "04400003", "1.00")  # invoices are finance's
    assert actions("invoices", first.id) == ["invoice.issued", "invoice.voided"]


# --- contract hooks -----------------------------------------------------------------------------

def test_hooks_keep_effective_flag_and_owner_in_step(team):
    contract = make_contract(team["seller"], team["customer"], amount="100.00", status=CONTRACT_PENDING)
    plan = make_plan(team["seller"], contract, [(dt.date(2026, 2, 1), "100.00")])
    assert plan[0].is_effective is False
    contract.status = ACTIVE
    hooks.status_changed(contract, CONTRACT_PENDING)
    assert plan[0].is_effective is True
    payment = pay(team["finance"], contract, "40.00")
    bill = invoice(team["finance"], contract, "05500001", "100.00")
    contract.owner_id = team["manager"].id
    db.session.flush()
    hooks.owner_changed(contract, team["seller"].id)
    db.session.expire_all()
    assert (plan[0].owner_id, payment.owner_id, bill.owner_id) == (team["manager"].id,) * 3
    contract.status = TERMINATED
    hooks.status_changed(contract, ACTIVE)
    assert db.session.get(Instalment, plan[0].id).is_effective is False


def test_revision_changing_the_amount_flags_the_plan(team):
    contract = make_contract(team["seller"], team["customer"], amount="100.00")
    make_plan(team["seller"], contract, [(dt.date(2026, 2, 1), "100.00")])
    contract.amount = D("120.00")
    db.session.flush()
    hooks.revision_applied(contract, D("100.00"))
    assert services.plan_difference(contract) == D("20.00")
    reminder = db.session.scalar(select(Reminder).where(Reminder.kind == "payment_plan"))
    assert reminder.user_id == team["seller"].id and contract.number in reminder.title
