"""Contract rules: creation from an accepted quote, a won opportunity or scratch with exact amounts, validation,
the lock on active contracts, approval routing, revisions applied through approval, expiry, renewal, termination,
transfer and deletion."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_server.approvals import services as approvals
from crm_server.contracts import hooks, services
from crm_server.contracts.models import (ACTIVE, APPLIED, DRAFT, EXECUTED, EXPIRED, PENDING, REJECTED, TERMINATED,
                                         Contract)
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.extensions import db
from crm_server.reminders.models import Reminder
from tests import factories
from tests.quotes.helpers import make_product

from .helpers import END, START, line, make_accepted_quote, make_active, make_contract, make_flow, make_opportunity


@pytest.fixture
def owner(app):
    return factories.make_user("sales", display_name="张三")


@pytest.fixture
def customer(owner):
    return factories.make_customer(owner, name="上海启明星科技有限公司")


@pytest.fixture
def recorded_hooks():
    """Record what the hooks the payments domain listens to are told, for the test's duration."""
    calls = []
    status = lambda contract, old: calls.append(("status", contract.id, old, contract.status))  # noqa: E731
    owner = lambda contract, old: calls.append(("owner", contract.id, old, contract.owner_id))  # noqa: E731
    applied = lambda contract, old: calls.append(("applied", contract.id, old, contract.amount))  # noqa: E731
    hooks.STATUS_HOOKS.append(status)
    hooks.OWNER_HOOKS.append(owner)
    hooks.APPLY_HOOKS.append(applied)
    yield calls
    hooks.STATUS_HOOKS.remove(status)
    hooks.OWNER_HOOKS.remove(owner)
    hooks.APPLY_HOOKS.remove(applied)


def actions_of(contract) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "contracts",
                                                                 AuditLog.entity_id == contract.id)
                                   .order_by(AuditLog.id)))


# --- creation ---------------------------------------------------------------------------------

def test_from_an_accepted_quote_takes_its_lines_and_total(owner, customer):
    contact = factories.make_contact(customer, name="李四")
    opportunity = make_opportunity(owner, customer, won=False)
    quote = make_accepted_quote(owner, customer, contact_id=contact.id, opportunity_id=opportunity.id,
                                payment_terms="预付30%，验收后付清")
    contract = services.create_contract(owner, quote_id=quote.id, start_date=START, end_date=END)
    # 3 × 1,000.00 at 13 % = 3,000.00 + 390.00; 1 × 1,999.99 at 6 % = 1,999.99 + 120.00 (119.9994 rounded)
    assert contract.amount == Decimal("5509.99") == quote.total
    assert (contract.customer_id, contract.contact_id, contract.opportunity_id, contract.quote_id) == (
        customer.id, contact.id, opportunity.id, quote.id)
    assert contract.payment_terms == "预付30%，验收后付清" and contract.title == quote.title
    assert [(ln.description, ln.quantity, ln.unit_price, ln.tax_rate, ln.amount) for ln in contract.lines] == [
        ("工业以太网交换机", Decimal("3.00"), Decimal("1000.00"), Decimal("13.00"), Decimal("3000.00")),
        ("软件授权", Decimal("1.00"), Decimal("1999.99"), Decimal("6.00"), Decimal("1999.99"))]
    assert contract.status == DRAFT and contract.owner_id == owner.id
    assert actions_of(contract) == ["contract.created"]


def test_the_quote_overall_discount_is_kept_to_the_fen(owner, customer):
    quote = make_accepted_quote(owner, customer, overall_discount_percent="5")
    contract = services.create_contract(owner, quote_id=quote.id, start_date=START, end_date=END)
    # nets 2,850.00 and 1,899.99 (1,899.9905); taxes 370.50 and 114.00 (113.9994)
    assert contract.amount == Decimal("5234.49") == quote.total
    assert contract.overall_discount_percent == Decimal("5.00")


def test_a_quote_not_accepted_is_refused(owner, customer):
    quote = make_accepted_quote(owner, customer, accept=False)
    with pytest.raises(DomainError) as caught:
        services.create_contract(owner, quote_id=quote.id, start_date=START, end_date=END)
    assert caught.value.field == "quote_id"
    assert quote.display_number in caught.value.message


def test_from_a_won_opportunity_takes_its_lines(owner, customer):
    opportunity = make_opportunity(owner, customer)
    contract = services.create_contract(owner, opportunity_id=opportunity.id, start_date=START, end_date=END)
    # 2 × 1,000.00 + 13 % = 2,260.00; 500.00 less 10 % = 450.00 + 13 % = 508.50
    assert contract.amount == Decimal("2768.50")
    assert contract.opportunity_id == opportunity.id and contract.customer_id == customer.id
    assert contract.title == "智能工厂网络改造" and len(contract.lines) == 2


def test_an_open_opportunity_is_refused(owner, customer):
    opportunity = make_opportunity(owner, customer, won=False)
    with pytest.raises(DomainError) as caught:
        services.create_contract(owner, opportunity_id=opportunity.id, start_date=START, end_date=END)
    assert caught.value.field == "opportunity_id" and opportunity.name in caught.value.message


def test_scratch_lines_are_computed_exactly(owner, customer):
    product = make_product(price="33.33", tax_rate="13.00")
    contract = make_contract(owner, customer, lines=[
        line(product, quantity="3"),
        line(description="上门服务", quantity="2.5", unit_price="99.99", discount_percent="12.5", tax_rate="6")])
    # 99.99 (tax 12.9987 → 13.00); 2.5 × 99.99 × 87.5 % = 218.728125 → 218.73 (tax 13.1238 → 13.12)
    assert [ln.amount for ln in contract.lines] == [Decimal("99.99"), Decimal("218.73")]
    assert contract.amount == Decimal("344.84")


def test_an_amount_typed_in_without_lines(owner, customer):
    contract = make_contract(owner, customer, amount="0")
    assert contract.amount == Decimal("0.00")


@pytest.mark.parametrize("fields, field, _words", [
    ({"start_date": dt.date(2026, 5, 1), "end_date": dt.date(2026, 4, 30)}, "end_date", "before the start"),
    ({"amount": "-1"}, "amount", "from 0"),
    ({"amount": "10.005"}, "amount", "two decimals"),
    ({"amount": "abc"}, "amount", "number"),
    ({"amount": ""}, "amount", "required"),
    ({"title": "  "}, "title", "required"),
    ({"contract_type": "lease"}, "contract_type", "type"),
    ({"payment_days": "-5"}, "payment_days", "from 0"),
    ({"end_date": END, "start_date": None}, "start_date", "start date"),
])
def test_validation_messages(owner, customer, fields, field, _words):
    with pytest.raises(DomainError) as caught:
        make_contract(owner, customer, **fields)
    assert caught.value.field == field and caught.value.message  # (the words depend on the language)


def test_a_bad_line_is_named(owner, customer):
    with pytest.raises(DomainError) as caught:
        make_contract(owner, customer, lines=[line(description="服务", quantity="1", unit_price="10"),
                                              line(description="材料", quantity="0", unit_price="10")])
    assert caught.value.field == "lines-1-quantity" and "2" in caught.value.message


def test_finance_may_not_create(app, customer):
    finance = factories.make_user("finance")
    with pytest.raises(DomainError):
        make_contract(finance, customer)


def test_numbers_follow_the_pattern_and_sign_date(app, admin, owner, customer):
    first = make_contract(owner, customer, sign_date=dt.date(2026, 3, 5))
    second = make_contract(owner, customer, sign_date=dt.date(2026, 3, 20))
    assert (first.number, second.number) == ("HT202603-0001", "HT202603-0002")
    services.set_number_pattern(admin, "CT{yy}-{seq:05}")
    assert make_contract(owner, customer, sign_date=dt.date(2026, 7, 1)).number == "CT26-00001"
    with pytest.raises(DomainError):
        services.set_number_pattern(owner, "X{seq}")


# --- the lock, approval and revisions ---------------------------------------------------------

def test_no_matching_flow_makes_it_active_at_once(owner, customer, recorded_hooks):
    contract = make_contract(owner, customer)
    assert services.submit_contract(owner, contract) is None
    assert contract.status == ACTIVE and contract.approved_at is not None
    assert recorded_hooks == [("status", contract.id, DRAFT, ACTIVE)]
    assert actions_of(contract) == ["contract.created", "contract.submitted"]


def test_an_active_contract_is_locked(owner, customer):
    contract = make_active(owner, customer)
    with pytest.raises(DomainError):
        services.update_contract(owner, contract, title="改")
    with pytest.raises(DomainError):
        services.submit_contract(owner, contract)


def test_submission_needs_the_dates(owner, customer):
    contract = make_contract(owner, customer, start_date=None, end_date=None)
    with pytest.raises(DomainError) as caught:
        services.submit_contract(owner, contract)
    assert caught.value.field == "end_date"


def test_the_amount_condition_routes_to_the_manager(app, customer, owner, recorded_hooks):
    manager = factories.make_user("sales_manager", display_name="王经理")
    make_flow(approvers=[manager], conditions=[("amount", "gt", "50000")])
    small = make_contract(owner, customer, amount="50000.00")
    assert services.submit_contract(owner, small) is None and small.status == ACTIVE
    big = make_contract(owner, customer, amount="50000.01")
    request = services.submit_contract(owner, big)
    assert request is not None and big.status == PENDING
    assert request.tasks[0].approver_id == manager.id
    assert db.session.scalar(select(func.count(Reminder.id)).where(Reminder.user_id == manager.id)) == 1
    approvals.decide(manager, request, True, None)
    assert big.status == ACTIVE and big.approved_at is not None
    assert ("status", big.id, PENDING, ACTIVE) in recorded_hooks


def test_rejection_then_edit_and_resubmit(app, customer, owner):
    manager = factories.make_user("sales_manager")
    make_flow(approvers=[manager])
    contract = make_contract(owner, customer)
    request = services.submit_contract(owner, contract)
    with pytest.raises(DomainError):
        approvals.decide(manager, request, False, "")  # a rejection needs a comment
    approvals.decide(manager, request, False, "账期太长")
    assert contract.status == REJECTED
    services.update_contract(owner, contract, payment_days=30)
    request = services.submit_contract(owner, contract)
    assert contract.status == PENDING
    approvals.withdraw(owner, request)
    assert contract.status == DRAFT


def test_credit_rating_condition(app, owner):
    manager = factories.make_user("sales_manager")
    make_flow(approvers=[manager], conditions=[("customer_credit_rating", "lt", "A")])
    risky = factories.make_customer(owner, name="风险客户", credit_rating="B")
    good = factories.make_customer(owner, name="优质客户", credit_rating="AA")
    unrated = factories.make_customer(owner, name="未评级客户")
    assert services.submit_contract(owner, make_contract(owner, risky)) is not None
    assert services.submit_contract(owner, make_contract(owner, good)) is None
    assert services.submit_contract(owner, make_contract(owner, unrated)) is None


def test_payment_days_and_type_conditions(app, owner, customer):
    manager = factories.make_user("sales_manager")
    make_flow(approvers=[manager], conditions=[("payment_days", "gt", "90"), ("contract_type", "eq", "service")])
    assert services.submit_contract(owner, make_contract(owner, customer, payment_days=120,
                                                         contract_type="service")) is not None
    assert services.submit_contract(owner, make_contract(owner, customer, payment_days=120)) is None
    assert services.submit_contract(owner, make_contract(owner, customer, payment_days=60,
                                                         contract_type="service")) is None


def test_a_revision_goes_through_approval_and_keeps_the_id(app, customer, owner, recorded_hooks):
    manager = factories.make_user("sales_manager")
    contract = make_active(owner, customer, amount="80000.00")
    make_flow(approvers=[manager], conditions=[("amount", "gt", "50000")])
    revision = services.revise_contract(owner, contract)
    assert (revision.number, revision.revision, revision.revision_of_id, revision.status) == (
        contract.number, 1, contract.id, DRAFT)
    with pytest.raises(DomainError):
        services.revise_contract(owner, contract)  # one open revision at a time
    services.update_contract(owner, revision, amount="120000.00", end_date=dt.date(2027, 6, 30),
                             lines=[line(description="扩容服务", quantity="10", unit_price="10619.47")])
    # 106,194.70 + 13 % (13,805.311 → 13,805.31) = 120,000.01
    assert revision.amount == Decimal("120000.01")
    assert contract.amount == Decimal("80000.00") and contract.lines == []  # untouched until approved
    request = services.submit_contract(owner, revision)
    assert revision.status == PENDING and contract.status == ACTIVE
    approvals.decide(manager, request, True, "同意")
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.status == ACTIVE and contract.amount == Decimal("120000.01")
    assert contract.end_date == dt.date(2027, 6, 30) and [ln.description for ln in contract.lines] == ["扩容服务"]
    assert db.session.get(Contract, revision.id).status == APPLIED
    assert ("applied", contract.id, Decimal("80000.00"), Decimal("120000.01")) in recorded_hooks
    assert "contract.revision_applied" in actions_of(contract)
    # the revision row is not a contract of the lists
    assert db.session.scalar(select(func.count(Contract.id)).where(Contract.revision_of_id.is_(None))) == 1


def test_a_revision_without_flow_applies_at_once(owner, customer):
    contract = make_active(owner, customer)
    revision = services.revise_contract(owner, contract)
    services.update_contract(owner, revision, remarks="增加保密条款")
    assert services.submit_contract(owner, revision) is None
    assert revision.status == APPLIED and contract.remarks == "增加保密条款"
    services.revise_contract(owner, contract)  # the next revision may start


# --- execution, termination, expiry -----------------------------------------------------------

def test_execute_and_terminate(app, owner, customer, recorded_hooks):
    manager = factories.make_user("sales_director")
    done = make_active(owner, customer)
    services.execute_contract(owner, done)
    assert done.status == EXECUTED and done.closed_at is not None
    contract = make_active(owner, customer)
    with pytest.raises(DomainError):
        services.terminate_contract(owner, contract, "客户破产")  # salespeople may not terminate
    with pytest.raises(DomainError) as caught:
        services.terminate_contract(manager, contract, " ")
    assert caught.value.field == "reason"
    services.terminate_contract(manager, contract, "客户破产")
    assert contract.status == TERMINATED and contract.termination_reason == "客户破产"
    assert ("status", contract.id, ACTIVE, TERMINATED) in recorded_hooks


def test_expire_job(owner, customer, recorded_hooks):
    ending = make_active(owner, customer, end_date=dt.date(2026, 6, 30))
    later = make_active(owner, customer, end_date=dt.date(2026, 7, 1))
    draft = make_contract(owner, customer, end_date=dt.date(2026, 1, 31))
    assert services.expire_contracts(dt.date(2026, 7, 1)) == 1
    assert (ending.status, later.status, draft.status) == (EXPIRED, ACTIVE, DRAFT)
    assert ending.closed_at is not None and ("status", ending.id, ACTIVE, EXPIRED) in recorded_hooks
    assert services.expire_contracts(dt.date(2026, 7, 1)) == 0


# --- renewal ----------------------------------------------------------------------------------

def test_renewals_list_and_reminder_job(app, owner, customer):
    other = factories.make_user("sales")
    soon = make_active(owner, customer, end_date=dt.date(2026, 7, 30))
    edge = make_active(owner, customer, end_date=dt.date(2026, 7, 31))
    make_active(owner, customer, end_date=dt.date(2026, 8, 1))  # 31 days away
    make_active(other, factories.make_customer(other), end_date=dt.date(2026, 7, 15))  # not the owner's
    today = dt.date(2026, 7, 1)
    due = db.session.scalars(services.renewals_due(owner, today)).all()
    assert [c.id for c in due] == [soon.id, edge.id]
    assert services.remind_renewals(today) == 3
    reminders = db.session.scalars(select(Reminder).where(Reminder.user_id == owner.id)
                                   .order_by(Reminder.id)).all()
    assert [r.kind for r in reminders] == ["contract_renewal", "contract_renewal"]
    assert soon.number in reminders[0].title and soon.renewal_reminded_at is not None
    assert services.remind_renewals(today) == 0  # once per contract
    assert services.remind_renewals(dt.date(2026, 7, 2)) == 1  # the 31-day one is now within 30


def test_the_renewal_period_is_a_setting(app, admin, owner, customer):
    contract = make_active(owner, customer, end_date=dt.date(2026, 9, 1))
    assert not db.session.scalars(services.renewals_due(owner, dt.date(2026, 7, 1))).all()
    services.set_renewal_days(admin, "62")
    assert db.session.scalars(services.renewals_due(owner, dt.date(2026, 7, 1))).all() == [contract]
    with pytest.raises(DomainError):
        services.set_renewal_days(admin, "0")
    with pytest.raises(DomainError):
        services.set_renewal_days(owner, "10")


def test_renew_makes_a_linked_draft_with_shifted_dates(owner, customer):
    contract = make_active(owner, customer, start_date=dt.date(2026, 3, 1), end_date=dt.date(2026, 8, 31),
                           lines=[line(description="运维服务", quantity="6", unit_price="1000", tax_rate="6")])
    new = services.renew_contract(owner, contract)
    assert new.renewed_from_id == contract.id and new.status == DRAFT and new.number != contract.number
    assert (new.start_date, new.end_date) == (dt.date(2026, 9, 1), dt.date(2027, 2, 28))
    assert new.amount == contract.amount == Decimal("6360.00") and new.customer_id == customer.id
    assert [ln.description for ln in new.lines] == ["运维服务"] and new.sign_date is None
    with pytest.raises(DomainError) as caught:
        services.renew_contract(owner, contract)
    assert new.number in caught.value.message
    with pytest.raises(DomainError):
        services.renew_contract(owner, new)  # a draft is not renewed


@pytest.mark.parametrize("start, end, new_start, new_end", [
    (dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1), dt.date(2027, 12, 31)),
    (dt.date(2026, 3, 1), dt.date(2026, 8, 31), dt.date(2026, 9, 1), dt.date(2027, 2, 28)),
    (dt.date(2026, 1, 31), dt.date(2026, 2, 27), dt.date(2026, 2, 28), dt.date(2026, 3, 27)),
    (dt.date(2026, 3, 10), dt.date(2026, 3, 19), dt.date(2026, 3, 20), dt.date(2026, 3, 29)),
    (dt.date(2026, 5, 15), dt.date(2027, 5, 14), dt.date(2027, 5, 15), dt.date(2028, 5, 14)),
])
def test_renewal_term(start, end, new_start, new_end):
    assert services.renewal_term(start, end) == (new_start, new_end)


# --- transfer and deletion --------------------------------------------------------------------

def test_transfer_calls_the_owner_hook(app, owner, customer, recorded_hooks):
    manager = factories.make_user("sales_director")
    colleague = factories.make_user("sales")
    contract = make_active(owner, customer)
    revision = services.revise_contract(owner, contract)
    services.transfer_owner(manager, contract, colleague.id)
    assert contract.owner_id == revision.owner_id == colleague.id
    assert ("owner", contract.id, owner.id, colleague.id) in recorded_hooks
    with pytest.raises(DomainError):
        services.transfer_owner(manager, contract, factories.make_user("finance").id)


def test_delete_a_draft_only(app, owner, customer):
    manager = factories.make_user("sales_director")
    draft = make_contract(owner, customer)
    with pytest.raises(DomainError):
        services.delete_contract(owner, draft)  # needs the delete permission
    services.delete_contract(manager, draft)
    assert draft.deleted_at is not None
    active = make_active(owner, customer)
    with pytest.raises(DomainError):
        services.delete_contract(manager, active)
    revision = services.revise_contract(owner, active)
    services.delete_contract(owner, revision)  # the editor discards a revision
    assert services.open_revision_of(active) is None
