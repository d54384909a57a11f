"""The figures of the home dashboard's tiles that no report computes yet, each one grouped query through the
viewer's data scope (optionally narrowed to the viewer's own records). Months are the site's calendar months:
date columns compare with site days, timestamps with the site's midnights in UTC (reports.periods), so a customer
created at 00:30 on the 1st local time counts in that month whatever UTC says."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select, true, type_coerce

from ..core.models import User
from ..core.permissions import scope_condition
from ..core.types import Money
from ..customers.models import Customer
from ..customers.access import customer_condition
from ..extensions import db
from ..forecast.models import Quota
from ..forecast.periods import fiscal_start_month, quarter_of
from ..opportunities.access import OPPORTUNITY, opportunity_condition
from ..opportunities.models import OPEN, WON, Opportunity, Pipeline, Stage
from ..payments.access import owner_condition as money_condition
from ..payments.models import CONFIRMED, ISSUED, Instalment, Invoice, Payment
from ..reports.periods import buckets, count_per_bucket, span

ZERO = Decimal("0.00")


def _money(expr):
    return type_coerce(expr, Money)


def _amount(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Month:
    first: dt.date
    last: dt.date

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1]))

    def previous(self) -> Month:
        return Month.of(self.first - dt.timedelta(days=1))


def _own(condition, column, viewer: User, own: bool):
    return and_(condition, column == viewer.id) if own else condition


# --- quotas and won ------------------------------------------------------------------------------

@dataclass
class Attainment:
    month_quota: Decimal | None
    month_won: Decimal
    quarter_quota: Decimal | None
    quarter_won: Decimal
    quarter_label: str


def attainment(viewer: User, today: dt.date, own: bool) -> Attainment:
    """Quota (forecast quotas: calendar months) against won amount (closed_on) this calendar month and this fiscal
    quarter, for the viewer alone or everyone in their opportunity scope. Two queries."""
    quarter = quarter_of(today, fiscal_start_month())
    in_month = and_(Quota.year == today.year, Quota.month == today.month)
    in_quarter = or_(*(and_(Quota.year == y, Quota.month == m) for y, m in quarter.months))
    quota = db.session.execute(
        select(_money(func.sum(case((in_month, Quota.amount)))), _money(func.sum(Quota.amount)))
        .where(in_quarter, _own(scope_condition(viewer, Quota.user_id, OPPORTUNITY), Quota.user_id, viewer, own))
    ).one()
    month = Month.of(today)
    won = db.session.execute(
        select(_money(func.sum(case((Opportunity.closed_on >= month.first, Opportunity.amount), else_=0))),
               _money(func.sum(Opportunity.amount)))
        .where(Opportunity.status == WON, Opportunity.closed_on >= quarter.first_day,
               Opportunity.closed_on <= quarter.last_day,
               _own(opportunity_condition(viewer), Opportunity.owner_id, viewer, own))
    ).one()
    # the month lies inside the quarter (fiscal quarters are whole calendar months), so month.last needs no bound
    return Attainment(quota[0], _amount(won[0]), quota[1], _amount(won[1]), f"FY{quarter.year} Q{quarter.quarter}")


@dataclass
class WonCompare:
    amount: Decimal
    count: int
    previous_amount: Decimal
    previous_count: int


def won_this_and_last_month(viewer: User, today: dt.date, own: bool) -> WonCompare:
    """Won amount and deals this calendar month and last, by closed_on (the site day it was won)."""
    month = Month.of(today)
    before = month.previous()
    this = Opportunity.closed_on >= month.first
    row = db.session.execute(
        select(_money(func.sum(case((this, Opportunity.amount), else_=0))),
               func.sum(case((this, 1), else_=0)),
               _money(func.sum(case((this, 0), else_=Opportunity.amount))),
               func.sum(case((this, 0), else_=1)))
        .where(Opportunity.status == WON, Opportunity.closed_on >= before.first,
               Opportunity.closed_on <= month.last,
               _own(opportunity_condition(viewer), Opportunity.owner_id, viewer, own))
    ).one()
    return WonCompare(_amount(row[0]), int(row[1] or 0), _amount(row[2]), int(row[3] or 0))


@dataclass
class StageRow:
    label: str
    count: int
    amount: Decimal


def pipeline_by_stage(viewer: User, own: bool) -> list[StageRow]:
    """Open opportunities per stage (count and amount), in pipeline then stage order; the pipeline's name prefixes
    the stage when more than one pipeline has open opportunities. An opportunity's status is its stage's kind
    (opportunities.services), so the open ones are those in open stages: read from the pipeline/stage index alone
    (a status condition would read every row of a department's pipeline: 455 ms against 40 on the bench data)."""
    stages = db.session.execute(
        select(Stage.id, Stage.name, Pipeline.id, Pipeline.name)
        .join(Pipeline, Stage.pipeline_id == Pipeline.id).where(Stage.kind == OPEN)
        .order_by(Pipeline.sort_order, Pipeline.id, Stage.sort_order, Stage.id)).all()
    if not stages:
        return []
    found = db.session.execute(
        select(Opportunity.stage_id, func.count(Opportunity.id), _money(func.sum(Opportunity.amount)))
        .where(Opportunity.pipeline_id.in_(sorted({row[2] for row in stages})),
               Opportunity.stage_id.in_([row[0] for row in stages]),
               _own(opportunity_condition(viewer), Opportunity.owner_id, viewer, own))
        .group_by(Opportunity.stage_id)).all()
    figures = {stage_id: (int(count), _amount(amount)) for stage_id, count, amount in found}
    shown = [row for row in stages if row[0] in figures]
    several = len({row[2] for row in shown}) > 1
    return [StageRow(f"{pipeline} · {stage}" if several else stage, *figures[stage_id])
            for stage_id, stage, _pipeline_id, pipeline in shown]


# --- customers -----------------------------------------------------------------------------------

def new_customers(viewer: User, today: dt.date, own: bool) -> tuple[int, int]:
    """Live customers in the viewer's scope (or owned by the viewer) created this month and last month."""
    month = Month.of(today)
    periods = buckets(month.previous().first, month.last, "month")
    owner = Customer.owner_id == viewer.id if own else None
    row = db.session.execute(
        select(*count_per_bucket(Customer.created_at, periods))
        .where(customer_condition(viewer), span(periods, Customer.created_at),
               *([owner] if owner is not None else []))).one()
    return int(row[-1] or 0), int(row[0] or 0)


# --- contracts and money ---------------------------------------------------------------------------

def top_overdue_customers(viewer: User, today: dt.date, limit: int) -> list[tuple[int, str, Decimal]]:
    """(customer id, name, overdue) of the customers owing most past due on the effective instalments in the
    viewer's contract scope: one grouped pass over the overdue part of the aging index, then their names. (The
    money report's top overdue table is the same query, but its rows carry no customer id to link to.)"""
    overdue = func.sum(Instalment.amount - Instalment.received_amount)
    found = db.session.execute(
        select(Instalment.customer_id, _money(overdue))
        .where(Instalment.is_effective == true(), Instalment.is_open == true(), Instalment.due_date < today,
               money_condition(viewer, Instalment.owner_id))
        .group_by(Instalment.customer_id).order_by(overdue.desc(), Instalment.customer_id).limit(limit)).all()
    if not found:
        return []
    names = dict(db.session.execute(select(Customer.id, Customer.name)
                                    .where(Customer.id.in_([row[0] for row in found]))).all())
    return [(customer_id, names.get(customer_id, ""), _amount(amount)) for customer_id, amount in found]


def received_this_and_last_month(viewer: User, today: dt.date) -> tuple[Decimal, Decimal]:
    month = Month.of(today)
    before = month.previous()
    this = Payment.received_on >= month.first
    row = db.session.execute(
        select(_money(func.sum(case((this, Payment.amount), else_=0))),
               _money(func.sum(case((this, 0), else_=Payment.amount))))
        .where(Payment.status == CONFIRMED, Payment.received_on >= before.first, Payment.received_on <= month.last,
               money_condition(viewer, Payment.owner_id))).one()
    return _amount(row[0]), _amount(row[1])


def invoices_this_month(viewer: User, today: dt.date) -> tuple[int, Decimal]:
    """Invoices issued (not voided) this month: how many and their amount."""
    month = Month.of(today)
    row = db.session.execute(
        select(func.count(Invoice.id), _money(func.sum(Invoice.amount)))
        .where(Invoice.status == ISSUED, Invoice.issued_on >= month.first, Invoice.issued_on <= month.last,
               money_condition(viewer, Invoice.owner_id))).one()
    return int(row[0] or 0), _amount(row[1])
