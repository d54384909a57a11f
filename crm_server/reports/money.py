"""合同与回款报表: signed against received per month, the receivables aging as of today, the collection of the
payment plan per month, and the customers owing the most overdue. Every figure is summed by the database over
contracts, payments, allocations and instalments whose (copied) owner is in the viewer's contract scope and the
report filters; money stays exact to the fen (Decimal, integer fen on SQLite).

Definitions (the README's "Contracts and money" section says the same):
- signed: the amount of the contracts in force (EFFECTIVE_STATUSES: active, executed, expired) by sign date; a
  revision row, a deleted contract and a draft, pending, rejected or terminated one do not count;
- received: confirmed payments by the day received; a confirmed refund is a negative payment, so "received" is
  net; pending, rejected or withdrawn refunds do not count;
- aging (as of today, whatever the date range): what each effective open instalment still lacks (amount −
  received), by days overdue: due today or later is not due; 1–30, 31–60, 61–90 and more than 90 days overdue
  (due yesterday is 1 day overdue);
- collection against the plan, per month M: planned is the amount of the effective instalments due in M; collected
  is what has been received against those very instalments so far (the confirmed payments matched to them, less
  approved refunds: the received amount the payments domain keeps on each instalment; an early payment counts, a
  payment of another month's instalment does not). The rate is collected ÷ planned.

Dates here are site dates (DATE columns), so no time zone is involved: the database groups by the date itself
(at most one row per day of the period, whatever the number of records; no engine date functions) and the days
are added into their months or aging buckets here. On SQLite this is several times faster than one SUM(CASE) per
month over every row."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, select, true, type_coerce

from ..activity.services import site_today
from ..charts.render import COUNT, DAYS, MONEY, PERCENT, Series
from ..contracts.access import CONTRACT
from ..contracts.models import EFFECTIVE_STATUSES, Contract
from ..core.types import Money
from ..customers.models import Customer
from ..extensions import db
from ..payments.models import CONFIRMED, Instalment, Payment
from .common import ZERO, money, percent
from .filters import ReportFilters, owner_condition
from .model import BAR, GROUPED, HBAR, Chart, Column, Kpi, Report, ReportResult, Table, register_report
from .periods import buckets, fold_days, label, span

TOP_OVERDUE = 10
AGING = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


def today() -> dt.date:
    """The site's today (a function of its own so that tests can fix it)."""
    return site_today()


def _scope(viewer, filters: ReportFilters, owner_column):
    return owner_condition(viewer, filters, owner_column, CONTRACT)


def _outstanding():
    return Instalment.amount - Instalment.received_amount


def _open_instalments(viewer, filters: ReportFilters):
    """Effective instalments with something outstanding, within the scope and filters (ix_*_aging)."""
    return and_(Instalment.is_effective == true(), Instalment.is_open == true(),
                _scope(viewer, filters, Instalment.owner_id))


def _month_labels(months) -> list[str]:
    return [label(bucket, "month") for bucket in months]


# --- per day, folded into months or aging buckets ------------------------------------------------

# --- signed against received ---------------------------------------------------------------------

def _signed_received(viewer, filters: ReportFilters) -> Table:
    months = buckets(filters.date_from, filters.date_to, "month")
    day = Contract.sign_date
    signed = fold_days(db.session.execute(
        select(day, func.count(Contract.id), type_coerce(func.sum(Contract.amount), Money))
        .where(span(months, day, True), Contract.revision_of_id.is_(None), Contract.deleted_at.is_(None),
               Contract.status.in_(EFFECTIVE_STATUSES), _scope(viewer, filters, Contract.owner_id))
        .group_by(day)), months, 2)
    day = Payment.received_on
    refund = case((Payment.amount < 0, Payment.amount), else_=literal(0))
    received = fold_days(db.session.execute(
        select(day, type_coerce(func.sum(Payment.amount), Money), type_coerce(func.sum(refund), Money))
        .where(span(months, day, True), Payment.status == CONFIRMED, _scope(viewer, filters, Payment.owner_id))
        .group_by(day)), months, 2)
    rows = []
    for name, (count, amount), (net, refunds) in zip(_month_labels(months), signed, received):
        net, refunds = money(net), money(refunds)
        rows.append([name, int(count), money(amount), net - refunds, refunds, net])
    totals = [sum((row[i] for row in rows), ZERO if i > 1 else 0) for i in range(1, 6)]
    return Table("signed_received", _("Signed and received by month"),
                 [Column(_("Month")), Column(_("Contracts signed"), COUNT), Column(_("Signed amount"), MONEY),
                  Column(_("Payments received"), MONEY), Column(_("Refunds"), MONEY),
                  Column(_("Net received"), MONEY)],
                 rows, [_("Total"), *totals])


# --- aging ----------------------------------------------------------------------------------------

def aging_bucket(days_overdue: int) -> int:
    """The aging bucket (index into AGING) of an instalment `days_overdue` days past its due date: due today or
    later (0 or less) is not due; due yesterday is 1 day overdue."""
    if days_overdue <= 0:
        return 0
    if days_overdue <= 30:
        return 1
    if days_overdue <= 60:
        return 2
    if days_overdue <= 90:
        return 3
    return 4


def _aging(viewer, filters: ReportFilters, day: dt.date) -> Table:
    """Outstanding of the effective open instalments per due date (the aging index, no table lookups), put into
    the aging buckets by days overdue on `day`."""
    amounts, counts = [ZERO] * len(AGING), [0] * len(AGING)
    for due, outstanding, count in db.session.execute(
            select(Instalment.due_date, type_coerce(func.sum(_outstanding()), Money), func.count(Instalment.id))
            .where(_open_instalments(viewer, filters)).group_by(Instalment.due_date)):
        index = aging_bucket((day - due).days)
        amounts[index] += outstanding or ZERO
        counts[index] += count
    labels = {"not_due": _("Not yet due"), "days_1_30": _("1–30 days overdue"),
              "days_31_60": _("31–60 days overdue"), "days_61_90": _("61–90 days overdue"),
              "days_over_90": _("More than 90 days overdue")}
    total = sum(amounts, ZERO)
    rows = [[labels[name], counts[i], money(amounts[i]), percent(amounts[i], total)] for i, name in enumerate(AGING)]
    return Table("aging", _("Receivables aging on %(day)s", day=day.isoformat()),
                 [Column(_("Days overdue")), Column(_("Instalments"), COUNT), Column(_("Outstanding"), MONEY),
                  Column(_("Share %"), PERCENT)],
                 rows, [_("Total"), sum(counts), money(total), percent(total, total)])


# --- collection against the plan ------------------------------------------------------------------

def _collection(viewer, filters: ReportFilters) -> Table:
    """Per month: the instalments due in it (planned) and what has been received against them so far — the
    amounts the payments domain keeps on each instalment, read from the aging index without touching payments."""
    months = buckets(filters.date_from, filters.date_to, "month")
    due = Instalment.due_date
    figures = fold_days(db.session.execute(
        select(due, type_coerce(func.sum(Instalment.amount), Money),
               type_coerce(func.sum(Instalment.received_amount), Money))
        # both values of is_open: the aging index's range on due_date, for paid and open instalments alike
        .where(Instalment.is_effective == true(), Instalment.is_open.in_([True, False]),
               span(months, due, True), _scope(viewer, filters, Instalment.owner_id))
        .group_by(due)), months, 2)
    rows = []
    for name, (plan, received) in zip(_month_labels(months), figures):
        plan, received = money(plan), money(received)
        rows.append([name, plan, received, plan - received, percent(received, plan)])
    plan, received = (sum((row[i] for row in rows), ZERO) for i in (1, 2))
    return Table("collection", _("Collection against the payment plan"),
                 [Column(_("Month due")), Column(_("Planned"), MONEY), Column(_("Collected so far"), MONEY),
                  Column(_("Still owed"), MONEY), Column(_("Collection rate %"), PERCENT)],
                 rows, [_("Total"), plan, received, plan - received, percent(received, plan)])


# --- the customers owing the most overdue ---------------------------------------------------------

def _top_overdue(viewer, filters: ReportFilters, day: dt.date) -> Table:
    overdue = type_coerce(func.sum(_outstanding()), Money)
    found = db.session.execute(
        select(Instalment.customer_id, overdue.label("overdue"), func.count(Instalment.id).label("count"),
               func.min(Instalment.due_date).label("oldest"))
        .where(_open_instalments(viewer, filters), Instalment.due_date < day)
        .group_by(Instalment.customer_id)
        .order_by(func.sum(_outstanding()).desc(), Instalment.customer_id)
        .limit(TOP_OVERDUE)).all()
    names = {}
    if found:
        names = dict(db.session.execute(select(Customer.id, Customer.name)
                                        .where(Customer.id.in_([row.customer_id for row in found]))).all())
    rows = [[names.get(row.customer_id, ""), money(row.overdue), int(row.count), row.oldest.isoformat(),
             (day - row.oldest).days] for row in found]
    return Table("top_overdue", _("Top %(n)d customers by overdue amount", n=TOP_OVERDUE),
                 [Column(_("Customer")), Column(_("Overdue"), MONEY), Column(_("Overdue instalments"), COUNT),
                  Column(_("Oldest due date")), Column(_("Days overdue (oldest)"), DAYS)], rows)


def build(viewer, filters: ReportFilters) -> ReportResult:
    day = today()
    signed = _signed_received(viewer, filters)
    aging = _aging(viewer, filters, day)
    collection = _collection(viewer, filters)
    top = _top_overdue(viewer, filters, day)
    outstanding = aging.total[2]
    overdue = outstanding - aging.rows[0][2]
    kpis = [
        Kpi("signed", _("Signed"), signed.total[2], MONEY,
            _("%(count)d contracts", count=signed.total[1])),
        Kpi("received", _("Net received"), signed.total[5], MONEY,
            _("Refunds: %(amount)s", amount=f"¥{signed.total[4]:,.2f}")),
        Kpi("collection_rate", _("Collection rate"), collection.total[4], PERCENT,
            _("Collected so far against the plan due in the period")),
        Kpi("outstanding", _("Receivables"), outstanding, MONEY, _("On %(day)s", day=day.isoformat())),
        Kpi("overdue", _("Overdue"), overdue, MONEY,
            _("%(percent)s%% of receivables", percent=percent(overdue, outstanding) or 0)),
    ]
    charts = [
        Chart("signed_received", signed.title, GROUPED, [r[0] for r in signed.rows],
              [Series(_("Signed amount"), [r[2] for r in signed.rows]),
               Series(_("Net received"), [r[5] for r in signed.rows])], "signed_received", MONEY),
        Chart("aging", aging.title, BAR, [r[0] for r in aging.rows],
              [Series(_("Outstanding"), [r[2] for r in aging.rows])], "aging", MONEY),
        Chart("collection", collection.title, GROUPED, [r[0] for r in collection.rows],
              [Series(_("Planned"), [r[1] for r in collection.rows]),
               Series(_("Collected so far"), [r[2] for r in collection.rows])], "collection", MONEY),
        Chart("top_overdue", top.title, HBAR, [r[0] for r in top.rows],
              [Series(_("Overdue"), [r[1] for r in top.rows])], "top_overdue", MONEY),
    ]
    return ReportResult(kpis, charts, [signed, aging, collection, top])


REPORT = register_report(Report(
    "money", "money", _l("Contracts and money"),
    _l("Signed against received per month, receivables aging, collection against the payment plan and the "
       "customers owing the most overdue."),
    build, record_types=(CONTRACT,), order=10))
