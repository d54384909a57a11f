"""销售预测报表: quota against won against expected per fiscal quarter, and per person over those quarters, with the
forecast page's own definitions (forecast/services.py):
- quota: the people's monthly quotas of the quarter's three calendar months;
- won: won opportunities closed (closed_on) in the quarter;
- expected: won + the weighted open pipeline, Σ amount × probability ÷ 100 of the open opportunities expected to
  close in the quarter, rounded to the fen once per person and quarter (roll-ups add the rounded figures, so
  the report's rows add up and agree with the forecast page).
The quarters shown are the fiscal quarters from the one holding the first day of the date range through the end of
the fiscal year holding its last day (the year's later quarters are what a forecast is for); each quarter counts
whole. People are those of the viewer's opportunity scope, narrowed by the person / department / branch filters."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select, type_coerce

from ..charts.render import MONEY, PERCENT, Series
from ..core.models import Department, User
from ..core.money import HUNDRED, to_fen
from ..core.types import Money
from ..extensions import db
from ..forecast.access import ForecastPermission
from ..forecast.models import Quota
from ..forecast.periods import FiscalQuarter, fiscal_start_month, quarter_of
from ..opportunities.access import OPPORTUNITY
from ..opportunities.models import OPEN, WON, Opportunity
from .common import ZERO, percent
from .filters import ReportFilters, owner_condition
from .model import GROUPED, Chart, Column, Kpi, Report, ReportResult, Table, register_report

MAX_QUARTERS = 20


def quarters_of(filters: ReportFilters, start: int) -> list[FiscalQuarter]:
    """The fiscal quarters from the one holding `date_from` to the last of the fiscal year holding `date_to`."""
    quarter = quarter_of(filters.date_from, start)
    last = FiscalQuarter(quarter_of(filters.date_to, start).year, 4, start)
    result = [quarter]
    while (quarter.year, quarter.quarter) < (last.year, last.quarter) and len(result) < MAX_QUARTERS:
        quarter = quarter.next()
        result.append(quarter)
    return result


def quarter_label(quarter: FiscalQuarter) -> str:
    return _("FY%(year)d Q%(quarter)d", year=quarter.year, quarter=quarter.quarter)


def _in_months(months) -> object:
    return or_(*(and_(Quota.year == year, Quota.month == month) for year, month in months))


def _money_sum(condition, value):
    """SUM(CASE WHEN condition THEN value END): NULL (None) when no row matches, exact money otherwise."""
    return type_coerce(func.sum(case((condition, value))), Money)


def _per_person(viewer, filters: ReportFilters, quarters: list[FiscalQuarter]) -> dict[int, dict]:
    """{user id: {"quota": [...], "won": [...], "weighted": [...]}} per quarter, in three grouped queries."""
    first, last = quarters[0].first_day, quarters[-1].last_day
    n = len(quarters)
    people: dict[int, dict] = {}

    def of(user_id: int) -> dict:
        return people.setdefault(user_id, {"quota": [None] * n, "won": [ZERO] * n, "weighted": [ZERO] * n})

    quota_stmt = (select(Quota.user_id, *[_money_sum(_in_months(q.months), Quota.amount) for q in quarters])
                  .where(_in_months([m for q in quarters for m in q.months]),
                         owner_condition(viewer, filters, Quota.user_id, OPPORTUNITY))
                  .group_by(Quota.user_id))
    for user_id, *amounts in db.session.execute(quota_stmt):
        of(user_id)["quota"] = list(amounts)

    closed = Opportunity.closed_on
    won_stmt = (select(Opportunity.owner_id,
                       *[_money_sum(and_(closed >= q.first_day, closed <= q.last_day), Opportunity.amount)
                         for q in quarters])
                .where(Opportunity.status == WON, closed >= first, closed <= last, Opportunity.deleted_at.is_(None),
                       owner_condition(viewer, filters, Opportunity.owner_id, OPPORTUNITY))
                .group_by(Opportunity.owner_id))
    for user_id, *amounts in db.session.execute(won_stmt):
        of(user_id)["won"] = [amount or ZERO for amount in amounts]

    # amount × probability summed in the database stays exact (integer fen × percent on SQLite), as on the
    # forecast page; it is divided by 100 and rounded once per person and quarter.
    expected = Opportunity.expected_close_date
    open_stmt = (select(Opportunity.owner_id,
                        *[_money_sum(and_(expected >= q.first_day, expected <= q.last_day),
                                     Opportunity.amount * Opportunity.probability) for q in quarters])
                 .where(Opportunity.status == OPEN, expected >= first, expected <= last,
                        Opportunity.deleted_at.is_(None),
                        owner_condition(viewer, filters, Opportunity.owner_id, OPPORTUNITY))
                 .group_by(Opportunity.owner_id))
    for user_id, *sums in db.session.execute(open_stmt):
        of(user_id)["weighted"] = [to_fen((value or ZERO) / HUNDRED) for value in sums]
    return people


def _add(values) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, ZERO) if present else None


def _figures(quota, won, weighted) -> list:
    expected = won + weighted
    return [quota, won, weighted, expected, percent(won, quota), percent(expected, quota)]


def _figure_columns() -> list[Column]:
    """The columns `_figures` fills."""
    return [Column(_("Quota"), MONEY), Column(_("Won"), MONEY), Column(_("Weighted pipeline"), MONEY),
            Column(_("Expected"), MONEY), Column(_("Attainment, won"), PERCENT),
            Column(_("Attainment, expected"), PERCENT)]


def _quarter_table(people: dict[int, dict], quarters: list[FiscalQuarter]) -> Table:
    rows = []
    for index, quarter in enumerate(quarters):
        quota = _add(p["quota"][index] for p in people.values())
        won = sum((p["won"][index] for p in people.values()), ZERO)
        weighted = sum((p["weighted"][index] for p in people.values()), ZERO)
        rows.append([quarter_label(quarter), f"{quarter.first_day.isoformat()} – {quarter.last_day.isoformat()}",
                     *_figures(quota, won, weighted)])
    total = _figures(_add(r[2] for r in rows), sum((r[3] for r in rows), ZERO), sum((r[4] for r in rows), ZERO))
    return Table("by_quarter", _("Quota, won and expected by fiscal quarter"),
                 [Column(_("Quarter")), Column(_("Dates")), *_figure_columns()], rows, [_("Total"), "", *total])


def _person_table(people: dict[int, dict], quarters: list[FiscalQuarter]) -> Table:
    names = {}
    if people:
        names = {row.id: (row.display_name, row.department or "") for row in db.session.execute(
            select(User.id, User.display_name, Department.name.label("department"))
            .outerjoin(Department, User.department_id == Department.id)
            .where(User.id.in_(list(people))))}
    rows = []
    for user_id, figures in people.items():
        name, department = names.get(user_id, ("", ""))
        rows.append([name, department, *_figures(_add(figures["quota"]), sum(figures["won"], ZERO),
                                                 sum(figures["weighted"], ZERO))])
    rows.sort(key=lambda r: (-r[5], -r[3], r[0]))
    total = _figures(_add(r[2] for r in rows), sum((r[3] for r in rows), ZERO), sum((r[4] for r in rows), ZERO))
    if quarters:
        title = _("By salesperson, %(first)s – %(last)s", first=quarter_label(quarters[0]),
                  last=quarter_label(quarters[-1]))
    else:
        title = _("By salesperson")
    return Table("by_person", title, [Column(_("Salesperson")), Column(_("Department")), *_figure_columns()],
                 rows, [_("Total"), "", *total])


def build(viewer, filters: ReportFilters) -> ReportResult:
    quarters = quarters_of(filters, fiscal_start_month())
    people = _per_person(viewer, filters, quarters)
    by_quarter = _quarter_table(people, quarters)
    by_person = _person_table(people, quarters)
    total = by_quarter.total
    kpis = [
        Kpi("quota", _("Quota"), total[2], MONEY),
        Kpi("won", _("Won"), total[3], MONEY),
        Kpi("expected", _("Expected"), total[5], MONEY, _("won + weighted open pipeline")),
        Kpi("attainment", _("Attainment, won"), total[6], PERCENT),
    ]
    chart = Chart("by_quarter", by_quarter.title, GROUPED, [r[0] for r in by_quarter.rows],
                  [Series(_("Quota"), [r[2] for r in by_quarter.rows]),
                   Series(_("Won"), [r[3] for r in by_quarter.rows]),
                   Series(_("Expected"), [r[5] for r in by_quarter.rows])], "by_quarter", MONEY)
    return ReportResult(kpis, [chart], [by_quarter, by_person])


REPORT = register_report(Report(
    "forecast", "forecast", _l("Forecast"),
    _l("Quota against won and expected (won plus the weighted open pipeline) per fiscal quarter and per person."),
    build, record_types=(OPPORTUNITY,), permission=ForecastPermission.VIEW, order=10))
