"""销售报表: won amount by month (this period against the same months a year earlier), by salesperson,
department and branch, by product and by industry; the funnel with the conversion between stages; win rate,
average deal size and average sales cycle. Every figure reads won or lost opportunities through the viewer's
opportunity scope and the report filters; months are cut at the site's midnights (periods.py)."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, type_coerce

from ..charts.render import COUNT, DAYS, MONEY, PERCENT, Series
from ..core.types import Money
from ..core.models import Department, User
from ..customers.models import Customer
from ..extensions import db
from ..opportunities.access import OPPORTUNITY, opportunity_condition
from ..opportunities.figures import average_cycle_days, conversion_of, funnel
from ..opportunities.models import LOST, WON, Opportunity, OpportunityLine
from ..opportunities.pipelines import default_pipeline
from .common import TOP, branch_names, department_names, dictionary_labels, money, percent, user_names
from .filters import ReportFilters, narrowed, narrowing
from .model import BAR, DONUT, FUNNEL, HBAR, LINE, PIE, Chart, Column, Kpi, Report, ReportResult, Table, \
    register_report
from .periods import buckets, fold_days, label, shift_year


def _won(viewer, filters: ReportFilters, date_from=None, date_to=None) -> list:
    """Conditions of the won opportunities closed in the period within the viewer's scope and the filters."""
    return [Opportunity.status == WON, Opportunity.closed_on >= (date_from or filters.date_from),
            Opportunity.closed_on <= (date_to or filters.date_to), opportunity_condition(viewer),
            *narrowed(filters, Opportunity.owner_id)]


def won_by_month(viewer, filters: ReportFilters) -> Table:
    current = buckets(filters.date_from, filters.date_to, "month")
    before = buckets(shift_year(filters.date_from), shift_year(filters.date_to), "month")
    day = Opportunity.closed_on
    per_day = select(day, type_coerce(func.sum(Opportunity.amount), Money)).group_by(day)
    this_year = fold_days(db.session.execute(per_day.where(*_won(viewer, filters))), current, 1)
    last_year = fold_days(db.session.execute(per_day.where(*_won(viewer, filters, before[0].first, before[-1].last))),
                          before, 1)
    rows = []
    for bucket, (now,), (then,) in zip(current, this_year, last_year):
        now, then = money(now), money(then)
        change = percent(now - then, then)
        rows.append([label(bucket, "month"), now, then, change])
    total_now = sum((r[1] for r in rows), Decimal(0))
    total_then = sum((r[2] for r in rows), Decimal(0))
    return Table("by_month", _("Won amount by month"),
                 [Column(_("Month")), Column(_("This period"), MONEY), Column(_("A year earlier"), MONEY),
                  Column(_("Change %"), PERCENT)], rows,
                 [_("Total"), total_now, total_then, percent(total_now - total_then, total_then)])


def won_by_owner(viewer, filters: ReportFilters) -> tuple[Table, Table, Table]:
    """Won amount per salesperson, and from those rows per department and branch (the owner's now): one pass over
    the won index instead of three joined ones."""
    found = db.session.execute(select(Opportunity.owner_id, func.count(Opportunity.id), func.sum(Opportunity.amount))
                               .where(*_won(viewer, filters)).group_by(Opportunity.owner_id)).all()
    places = {user_id: (department_id, branch_id) for user_id, department_id, branch_id in db.session.execute(
        select(User.id, User.department_id, Department.branch_id)
        .outerjoin(Department, User.department_id == Department.id)
        .where(User.id.in_([row[0] for row in found])))} if found else {}
    per_department: dict = {}
    per_branch: dict = {}
    for owner_id, count, amount in found:
        department_id, branch_id = places.get(owner_id, (None, None))
        for totals, key in ((per_department, department_id), (per_branch, branch_id)):
            figures = totals.setdefault(key, [0, Decimal(0)])
            figures[0] += count
            figures[1] += Decimal(amount or 0)
    return (_table_of("by_person", _("Won amount by salesperson"), _("Salesperson"), found, user_names),
            _table_of("by_department", _("Won amount by department"), _("Department"),
                      [(key, n, amount) for key, (n, amount) in per_department.items()], department_names),
            _table_of("by_branch", _("Won amount by branch"), _("Branch"),
                      [(key, n, amount) for key, (n, amount) in per_branch.items()], branch_names))


def _table_of(table_key: str, title: str, key_label: str, found, names=None) -> Table:
    """The table of (key, won deals, won amount) rows: names for the keys, average deal size, largest first."""
    labels = names([row[0] for row in found]) if names else {}
    rows = []
    for key, count, amount in found:
        amount = money(amount)
        rows.append([labels.get(key, key) if key is not None else _("(none)"), int(count), amount,
                     money(amount / count) if count else None])
    rows.sort(key=lambda r: (-r[2], str(r[0])))
    total_count = sum(r[1] for r in rows)
    total_amount = sum((r[2] for r in rows), Decimal(0))
    return Table(table_key, title, [Column(key_label), Column(_("Won deals"), COUNT), Column(_("Won amount"), MONEY),
                                    Column(_("Average deal size"), MONEY)], rows,
                 [_("Total"), total_count, total_amount, money(total_amount / total_count) if total_count else None])


def _by_industry(viewer, filters: ReportFilters) -> Table:
    """Won amount per industry of the customer: summed per customer first (the won index, no customer rows), then
    the few thousand customers looked up by id — joining first made SQLite walk every customer (450 ms)."""
    per_customer = (select(Opportunity.customer_id, func.count(Opportunity.id).label("n"),
                           func.sum(Opportunity.amount).label("amount"))
                    .where(*_won(viewer, filters)).group_by(Opportunity.customer_id).subquery("won_per_customer"))
    found = db.session.execute(
        select(Customer.industry_id, func.sum(per_customer.c.n), type_coerce(func.sum(per_customer.c.amount), Money))
        .select_from(per_customer).join(Customer, Customer.id == per_customer.c.customer_id)
        .group_by(Customer.industry_id)).all()
    return _table_of("by_industry", _("Won amount by industry"), _("Industry"), found, dictionary_labels)


def _by_product(viewer, filters: ReportFilters) -> Table:
    """Won amount by product line (a free-text line counts under its description)."""
    found = db.session.execute(
        select(OpportunityLine.description, func.sum(OpportunityLine.amount))
        .join(Opportunity, OpportunityLine.opportunity_id == Opportunity.id)
        .where(*_won(viewer, filters)).group_by(OpportunityLine.description)).all()
    rows = sorted(([name, money(amount)] for name, amount in found), key=lambda r: (-r[1], r[0]))
    return Table("by_product", _("Won amount by product"), [Column(_("Product")), Column(_("Won amount"), MONEY)],
                 rows, [_("Total"), sum((r[1] for r in rows), Decimal(0))])


def _win_rate(viewer, filters: ReportFilters) -> tuple[int, int]:
    closed = {status: count for status, count in db.session.execute(
        select(Opportunity.status, func.count(Opportunity.id))
        .where(Opportunity.status.in_((WON, LOST)), Opportunity.closed_on >= filters.date_from,
               Opportunity.closed_on <= filters.date_to, opportunity_condition(viewer),
               *narrowed(filters, Opportunity.owner_id))
        .group_by(Opportunity.status))}
    return int(closed.get(WON, 0)), int(closed.get(LOST, 0))


def funnel_table(viewer, filters: ReportFilters) -> Table | None:
    pipeline = default_pipeline()
    if pipeline is None:
        return None
    rows = funnel(viewer, pipeline.id, filters.date_from, filters.date_to,
                  extra=narrowing(filters, Opportunity.owner_id))
    rates = {c.to_stage.id: c.rate for c in conversion_of(rows)}
    title = _("Sales funnel: %(pipeline)s (opportunities created in the period)", pipeline=pipeline.name)
    return Table("funnel", title,
                 [Column(_("Stage")), Column(_("Opportunities"), COUNT), Column(_("Amount"), MONEY),
                  Column(_("Conversion from the stage before %"), PERCENT)],
                 [[row.stage.name, row.count, row.amount, rates.get(row.stage.id)] for row in rows
                  if row.stage.kind != LOST])


def build(viewer, filters: ReportFilters) -> ReportResult:
    by_month = won_by_month(viewer, filters)
    people, departments, branches = won_by_owner(viewer, filters)
    industries = _by_industry(viewer, filters)
    products = _by_product(viewer, filters)
    won, lost = _win_rate(viewer, filters)
    won_amount = by_month.total[1]
    cycle = average_cycle_days(viewer, None, filters.date_from, filters.date_to,
                               extra=narrowing(filters, Opportunity.owner_id))
    kpis = [
        Kpi("won_amount", _("Won amount"), won_amount, MONEY,
            _("A year earlier: %(amount)s", amount=f"¥{by_month.total[2]:,.2f}")),
        Kpi("won_count", _("Won deals"), people.total[1], COUNT),
        Kpi("win_rate", _("Win rate"), percent(won, won + lost), PERCENT,
            _("%(won)d won, %(lost)d lost", won=won, lost=lost)),
        Kpi("average_deal", _("Average deal size"), money(won_amount / won) if won else None, MONEY),
        Kpi("cycle", _("Average sales cycle"), cycle, DAYS, _("from creation to won")),
    ]
    tables = [by_month, people, departments, branches, products, industries]
    charts = [
        Chart("by_month", by_month.title, LINE, [r[0] for r in by_month.rows],
              [Series(_("This period"), [r[1] for r in by_month.rows]),
               Series(_("A year earlier"), [r[2] for r in by_month.rows], comparison=True)], "by_month", MONEY),
        Chart("by_person", people.title, HBAR, [r[0] for r in people.rows[:TOP]],
              [Series(_("Won amount"), [r[2] for r in people.rows[:TOP]])], "by_person", MONEY),
        Chart("by_department", departments.title, BAR, [r[0] for r in departments.rows[:TOP]],
              [Series(_("Won amount"), [r[2] for r in departments.rows[:TOP]])], "by_department", MONEY),
        Chart("by_branch", branches.title, BAR, [r[0] for r in branches.rows[:TOP]],
              [Series(_("Won amount"), [r[2] for r in branches.rows[:TOP]])], "by_branch", MONEY),
        Chart("by_product", products.title, PIE, [r[0] for r in products.rows],
              [Series(_("Won amount"), [r[1] for r in products.rows])], "by_product", MONEY),
        Chart("by_industry", industries.title, DONUT, [r[0] for r in industries.rows],
              [Series(_("Won amount"), [r[2] for r in industries.rows])], "by_industry", MONEY),
    ]
    funnel = funnel_table(viewer, filters)
    if funnel is not None:
        tables.append(funnel)
        charts.append(Chart("funnel", funnel.title, FUNNEL, [r[0] for r in funnel.rows],
                            [Series(_("Opportunities"), [r[1] for r in funnel.rows])], "funnel", COUNT))
    return ReportResult(kpis, charts, tables)


REPORT = register_report(Report(
    "sales", "sales", _l("Sales"), _l("Won amount by month, person, department, branch, product and industry; the "
                                      "funnel, win rate, average deal size and sales cycle."),
    build, record_types=(OPPORTUNITY,), order=10))
