"""Receivables per contract and per customer, and aging, on a fixed day, with figures computed by hand."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from crm_server.contracts.models import DRAFT, EXECUTED
from crm_server.extensions import db
from crm_server.payments import receivables
from crm_server.payments.receivables import ReceivableFilters
from tests import factories

from .helpers import make_contract, make_plan, make_team, pay

TODAY = dt.date(2026, 6, 30)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


@pytest.fixture
def book(app, admin):
    """Two salespeople's contracts:
    A (seller, customer 1, 25,500.00): instalments due 0, 1, 30, 31, 60, 61, 90, 91 days ago of 100, 200, 400,
      800, 1,600, 3,200, 6,400, 12,800; 300.00 received, matched to the oldest (the 91-day one: 12,500 left).
    B (seller, customer 1, executed, 1,000.00): 1,000 due in 10 days.
    C (other, customer 2, 5,000.00): 2,000 due 15 days ago, 3,000 due 45 days ago; 3,000 received (the oldest).
    D (seller, customer 1, draft, 9,999.00): a plan, but not effective: counted nowhere."""
    team = make_team()
    seller, other, finance = team["seller"], team["other"], team["finance"]
    a = make_contract(seller, team["customer"], amount="25500.00", sign_date=dt.date(2026, 1, 5))
    make_plan(finance, a, [(ago(days), amount) for days, amount in
                           ((0, "100"), (1, "200"), (30, "400"), (31, "800"), (60, "1600"), (61, "3200"),
                            (90, "6400"), (91, "12800"))])
    pay(finance, a, "300.00")
    b = make_contract(seller, team["customer"], amount="1000.00", status=EXECUTED, sign_date=dt.date(2026, 3, 1))
    make_plan(finance, b, [(TODAY + dt.timedelta(days=10), "1000")])
    c = make_contract(other, team["other_customer"], amount="5000.00", sign_date=dt.date(2026, 2, 1))
    make_plan(finance, c, [(ago(15), "2000"), (ago(45), "3000")])
    pay(finance, c, "3000.00")
    d = make_contract(seller, team["customer"], amount="9999.00", status=DRAFT)
    make_plan(seller, d, [(ago(5), "9999")])
    db.session.commit()
    return dict(team, a=a, b=b, c=c, d=d)


def test_aging_buckets_at_the_boundaries(book):
    totals, owners = receivables.aging_by_owner(book["finance"], TODAY)
    # A: not due 100 (due today); 1–30: 200 + 400; 31–60: 800 + 1,600; 61–90: 3,200 + 6,400; 90+: 12,800 − 300
    # B: not due 1,000.  C: 1–30: 2,000; 31–60: 3,000 − 3,000 = 0 (closed)
    seller = next(row for row in owners if row.key == book["seller"].id)
    other = next(row for row in owners if row.key == book["other"].id)
    assert (seller.not_due, seller.days_1_30, seller.days_31_60, seller.days_61_90, seller.days_over_90) == (
        D("1100.00"), D("600.00"), D("2400.00"), D("9600.00"), D("12500.00"))
    assert seller.total == D("26200.00") and seller.overdue == D("25100.00")
    assert (other.not_due, other.days_1_30, other.days_31_60, other.total) == (
        D("0.00"), D("2000.00"), D("0.00"), D("2000.00"))
    assert [row.key for row in owners] == [book["seller"].id, book["other"].id]  # most overdue first
    assert (totals.not_due, totals.days_1_30, totals.days_31_60, totals.days_61_90, totals.days_over_90,
            totals.total) == (D("1100.00"), D("2600.00"), D("2400.00"), D("9600.00"), D("12500.00"), D("28200.00"))


def test_aging_per_customer_pages_and_scope(book):
    totals, page = receivables.aging_by_customer(book["finance"], TODAY)
    assert page.total == 2 and [row.key for row in page.items] == [book["customer"].id, book["other_customer"].id]
    assert page.items[0].name == "上海华信智能科技有限公司" and page.items[0].total == D("26200.00")
    assert totals.total == D("28200.00")
    # the salesperson sees only their own; the manager their department (seller, not other)
    totals, owners = receivables.aging_by_owner(book["other"], TODAY)
    assert [row.key for row in owners] == [book["other"].id] and totals.total == D("2000.00")
    totals, page = receivables.aging_by_customer(book["manager"], TODAY)
    assert [row.key for row in page.items] == [book["customer"].id] and totals.total == D("26200.00")


def test_receivables_per_contract(book):
    page = receivables.contract_receivables(book["finance"], ReceivableFilters(), TODAY)
    # outstanding: A 25,200; C 2,000; B 1,000 (the draft D is not a receivable)
    assert [row.contract.id for row in page.items] == [book["a"].id, book["c"].id, book["b"].id]
    a, c, b = page.items
    assert (a.contract.amount, a.contract.received_amount, a.outstanding, a.overdue, a.next_due) == (
        D("25500.00"), D("300.00"), D("25200.00"), D("25100.00"), TODAY)
    assert (c.outstanding, c.overdue, c.next_due) == (D("2000.00"), D("2000.00"), None)
    assert (b.outstanding, b.overdue, b.next_due) == (D("1000.00"), D("0.00"), TODAY + dt.timedelta(days=10))
    overdue = receivables.contract_receivables(book["finance"], ReceivableFilters(sort="overdue"), TODAY)
    assert [row.contract.id for row in overdue.items] == [book["a"].id, book["c"].id]
    signed = receivables.contract_receivables(book["finance"], ReceivableFilters(sort="sign_date"), TODAY)
    assert [row.contract.id for row in signed.items] == [book["b"].id, book["c"].id, book["a"].id]
    only = receivables.contract_receivables(book["finance"], ReceivableFilters(overdue_only=True,
                                                                               owner_id=book["other"].id), TODAY)
    assert [row.contract.id for row in only.items] == [book["c"].id]
    mine = receivables.contract_receivables(book["seller"], ReceivableFilters(), TODAY)
    assert [row.contract.id for row in mine.items] == [book["a"].id, book["b"].id]
    by_customer = receivables.contract_receivables(book["finance"],
                                                   ReceivableFilters(customer_id=book["other_customer"].id), TODAY)
    assert [row.contract.id for row in by_customer.items] == [book["c"].id]


def test_receivables_per_customer(book):
    page = receivables.customer_receivables(book["finance"], ReceivableFilters(), TODAY)
    first, second = page.items
    # customer 1: A + B signed 26,500, received 300, outstanding 26,200, overdue 25,100
    assert (first.customer_id, first.contracts, first.signed, first.received, first.outstanding, first.overdue) == (
        book["customer"].id, 2, D("26500.00"), D("300.00"), D("26200.00"), D("25100.00"))
    assert (second.customer_id, second.signed, second.received, second.outstanding, second.overdue) == (
        book["other_customer"].id, D("5000.00"), D("3000.00"), D("2000.00"), D("2000.00"))
    # a third customer with nothing overdue comes after; "overdue only" leaves it out
    third_customer = factories.make_customer(book["seller"], name="杭州云帆科技有限公司")
    e = make_contract(book["seller"], third_customer, amount="50000.00")
    make_plan(book["finance"], e, [(TODAY + dt.timedelta(days=1), "50000")])
    db.session.commit()
    page = receivables.customer_receivables(book["finance"], ReceivableFilters(), TODAY)
    assert [row.customer_id for row in page.items] == [book["customer"].id, book["other_customer"].id,
                                                       third_customer.id]
    page = receivables.customer_receivables(book["finance"], ReceivableFilters(overdue_only=True), TODAY)
    assert page.total == 2
    summary = receivables.customer_summary(book["seller"], book["customer"].id, TODAY)
    assert (summary.signed, summary.outstanding, summary.overdue) == (D("26500.00"), D("26200.00"), D("25100.00"))
    assert receivables.customer_summary(book["other"], book["customer"].id, TODAY).signed == 0
