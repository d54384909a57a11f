"""The tiles a home dashboard is made of: what each shows (figures, a chart drawn on the server, or a short list of
links), who may choose it, and which built-in roles start with it. Every figure is computed by the database
through the viewer's data scope; "my" tiles narrow it further to the viewer's own records. Figures a report or a
domain already computes are taken from it (reports.sales, payments.receivables, followups, activity, approvals);
the rest are the grouped queries of home/figures.py."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..activity.services import (ActivityPermission, _followup_counts, _followup_metric, buckets_for, people_query,
                                 period_days, site_zone)
from ..approvals.services import waiting_count
from ..charts.cache import cached
from ..charts.render import COUNT, MONEY, PERCENT, Series, format_value
from ..contracts.access import CONTRACT
from ..core.models import User
from ..core.permissions import Scope
from ..customers.access import CUSTOMER
from ..extensions import db
from ..followups.services import plan_counts, plans_query
from ..forecast.access import ForecastPermission
from ..opportunities.access import OPPORTUNITY
from ..payments import receivables
from ..payments.access import PaymentPermission
from ..reports import customers as customers_report
from ..reports import money as money_report
from ..reports import sales
from ..reports.common import TOP, percent
from ..reports.filters import ReportFilters, scope_key
from ..reports.model import BAR, FUNNEL, GROUPED, HBAR, HSTACKED, LINE, Chart, Column, Table
from . import figures
from .figures import Month

KPI, CHART, LIST = "kpi", "chart", "list"
LIST_SIZE = 6  # rows of a list tile; the page behind its link has them all
MAX_TILES = 24  # more than there are: a guard against a form posted with one key many times


@dataclass(frozen=True)
class Figure:
    label: str
    value: object
    unit: str = COUNT
    hint: str | None = None


@dataclass(frozen=True)
class Item:
    label: str
    detail: str = ""
    endpoint: str | None = None
    args: tuple = ()  # (name, value) pairs for url_for
    overdue: bool = False


@dataclass
class TileData:
    """What a tile shows. Plain values only: it is cached and shared by everyone with the same scope."""

    figures: list[Figure] = field(default_factory=list)
    chart: Chart | None = None
    table: Table | None = None  # the chart's numbers, shown beside it
    items: list[Item] = field(default_factory=list)
    note: str | None = None


@dataclass(frozen=True)
class Tile:
    key: str
    title: object                  # lazy-translated
    kind: str                      # kpi / chart / list
    compute: Callable              # compute(viewer, today) -> TileData
    defaults: tuple = ()           # built-in roles whose dashboard starts with it
    order: int = 100               # its place among a role's defaults
    permission: str | None = None  # offered only to roles holding it
    team: str | None = None        # a record type: offered only when the viewer sees more than their own of it
    own: bool = False              # the viewer's own figures (cached per user)
    record_types: tuple = (OPPORTUNITY,)  # whose data scopes the figures follow (the cache key)
    link: str | None = None        # endpoint of the page with everything behind the tile
    link_args: tuple = ()          # its (name, value) arguments
    link_permission: str | None = None

    def available_to(self, user: User) -> bool:
        if self.permission and not user.can(self.permission):
            return False
        if self.team and user.role.scope_for(self.team) == Scope.OWN:
            return False
        return True

    def scope_key(self, user: User) -> tuple:
        return ("user", user.id) if self.own else scope_key(user, self.record_types)


TILES: dict[str, Tile] = {}


def register_tile(tile: Tile) -> Tile:
    TILES[tile.key] = tile
    return tile


# Roles without defaults of their own (the administrator, service staff, roles an administrator made) start with
# the set of the built-in role whose data scope is like theirs, less what they may not choose.
DEFAULT_BY_SCOPE = {Scope.ALL: "sales_director", Scope.OWN: "sales"}
FALLBACK_ROLE = "sales_manager"


def _money_text(value) -> str:
    return format_value(value, MONEY)


def _year_so_far(today: dt.date) -> ReportFilters:
    return ReportFilters(today.replace(month=1, day=1), today)


def _table(key: str, columns: list[Column], rows: list[list], total: list | None = None) -> Table:
    return Table(key, "", columns, rows, total)


# --- quotas --------------------------------------------------------------------------------------

def _quota_hint(won, quota) -> str:
    if quota is None:
        return _("No quota set; won %(won)s", won=_money_text(won))
    return _("Won %(won)s of %(quota)s", won=_money_text(won), quota=_money_text(quota))


def _attainment(viewer: User, today: dt.date, own: bool) -> TileData:
    a = figures.attainment(viewer, today, own)
    return TileData([
        Figure(_("This month"), percent(a.month_won, a.month_quota), PERCENT, _quota_hint(a.month_won, a.month_quota)),
        Figure(_("This quarter (%(quarter)s)", quarter=a.quarter_label), percent(a.quarter_won, a.quarter_quota),
               PERCENT, _quota_hint(a.quarter_won, a.quarter_quota)),
    ])


def my_quota(viewer: User, today: dt.date) -> TileData:
    return _attainment(viewer, today, own=True)


def team_quota(viewer: User, today: dt.date) -> TileData:
    return _attainment(viewer, today, own=False)


# --- follow-ups ----------------------------------------------------------------------------------

def my_followups(viewer: User, today: dt.date) -> TileData:
    """The viewer's planned next follow-ups due today and overdue (the follow-ups module's own lists)."""
    counts = plan_counts(viewer)
    zone = site_zone()
    items = []
    for which in ("overdue", "today"):
        if len(items) >= LIST_SIZE:
            break
        for plan in db.session.scalars(plans_query(viewer, which).limit(LIST_SIZE - len(items))):
            when = plan.next_followup_at.replace(tzinfo=dt.timezone.utc).astimezone(zone)
            detail = f"{when:%m-%d %H:%M}" + (f" · {plan.next_step}" if plan.next_step else "")
            items.append(Item(plan.customer.name, detail, "customers.detail", (("customer_id", plan.customer_id),),
                              overdue=which == "overdue"))
    return TileData([Figure(_("Overdue"), counts["overdue"]), Figure(_("Due today"), counts["today"])], items=items,
                    note=None if items else _("Nothing due. Well done."))


def team_followups_week(viewer: User, today: dt.date) -> TileData:
    """Calls, visits and other follow-ups of each person the activity statistics show the viewer (their team with
    the team permission), this week from Monday to today: the statistics' own grouped count, one query."""
    monday, last = period_days("week", today=today)
    week = buckets_for(monday, last, "person")
    people = people_query(viewer)
    names = dict(db.session.execute(people.with_only_columns(User.id, User.display_name)).all())
    counts: dict[int, dict[str, int]] = {}
    for user_id, kind, number in _followup_counts(lambda column: column.in_(
            people.order_by(None).with_only_columns(User.id)), week, (week[0].start, week[-1].end)):
        per = counts.setdefault(user_id, {"calls": 0, "visits": 0, "other": 0})
        per[_followup_metric(kind)] += int(number or 0)
    rows = []
    for user_id, per in counts.items():
        rows.append([names.get(user_id, ""), per["calls"], per["visits"], per["other"],
                     per["calls"] + per["visits"] + per["other"]])
    rows.sort(key=lambda r: (-r[4], r[0]))
    table = _table("team_followups_week", [Column(_("Salesperson")), Column(_("Calls"), COUNT),
                                           Column(_("Visits"), COUNT), Column(_("Other"), COUNT),
                                           Column(_("Total"), COUNT)], rows,
                   [_("Total"), *(sum(r[n] for r in rows) for n in range(1, 5))])
    shown = rows[:TOP]
    chart = Chart("team_followups_week", "", HSTACKED, [r[0] for r in shown],
                  [Series(_("Calls"), [r[1] for r in shown]), Series(_("Visits"), [r[2] for r in shown]),
                   Series(_("Other"), [r[3] for r in shown])], table.key, COUNT)
    return TileData([Figure(_("Follow-ups this week"), table.total[4])], chart, table,
                    note=None if rows else _("No follow-ups this week yet."))


# --- pipeline and won ----------------------------------------------------------------------------

def _pipeline(viewer: User, own: bool) -> TileData:
    rows = figures.pipeline_by_stage(viewer, own)
    table = _table("pipeline", [Column(_("Stage")), Column(_("Opportunities"), COUNT), Column(_("Amount"), MONEY)],
                   [[r.label, r.count, r.amount] for r in rows],
                   [_("Total"), sum(r.count for r in rows), sum((r.amount for r in rows), figures.ZERO)])
    chart = Chart("pipeline", "", BAR, [r.label for r in rows], [Series(_("Amount"), [r.amount for r in rows])],
                  table.key, MONEY)
    return TileData([Figure(_("Open opportunities"), table.total[1]), Figure(_("Amount"), table.total[2], MONEY)],
                    chart, table, note=None if rows else _("No open opportunities."))


def my_pipeline(viewer: User, today: dt.date) -> TileData:
    return _pipeline(viewer, own=True)


def team_pipeline(viewer: User, today: dt.date) -> TileData:
    return _pipeline(viewer, own=False)


def my_won(viewer: User, today: dt.date) -> TileData:
    won = figures.won_this_and_last_month(viewer, today, own=True)
    change = percent(won.amount - won.previous_amount, won.previous_amount)
    return TileData([
        Figure(_("Won this month"), won.amount, MONEY, _("%(count)d deals", count=won.count)),
        Figure(_("Last month"), won.previous_amount, MONEY, _("%(count)d deals", count=won.previous_count)),
        Figure(_("Change"), change, PERCENT),
    ])


def team_won_by_person(viewer: User, today: dt.date) -> TileData:
    """Won this month per salesperson in the viewer's scope: the sales report's figures for this month."""
    month = Month.of(today)
    table = sales.won_by_owner(viewer, ReportFilters(month.first, month.last))[0]
    shown = table.rows[:TOP]
    chart = Chart("by_person", "", HBAR, [r[0] for r in shown], [Series(_("Won amount"), [r[2] for r in shown])],
                  table.key, MONEY)
    return TileData([Figure(_("Won this month"), table.total[2], MONEY,
                            _("%(count)d deals", count=table.total[1]))], chart, table,
                    note=None if table.rows else _("Nothing won this month yet."))


def company_won_by_month(viewer: User, today: dt.date) -> TileData:
    """Won amount per month this year against the same months a year earlier (the sales report's table)."""
    table = sales.won_by_month(viewer, _year_so_far(today))
    chart = Chart("by_month", "", LINE, [r[0] for r in table.rows],
                  [Series(_("This year"), [r[1] for r in table.rows]),
                   Series(_("A year earlier"), [r[2] for r in table.rows], comparison=True)], table.key, MONEY)
    return TileData([Figure(_("Won this year"), table.total[1], MONEY,
                            _("A year earlier: %(amount)s", amount=_money_text(table.total[2])))], chart, table)


def won_by_branch(viewer: User, today: dt.date) -> TileData:
    table = sales.won_by_owner(viewer, _year_so_far(today))[2]
    shown = table.rows[:TOP]
    chart = Chart("by_branch", "", BAR, [r[0] for r in shown], [Series(_("Won amount"), [r[2] for r in shown])],
                  table.key, MONEY)
    return TileData([], chart, table, note=None if table.rows else _("Nothing won this year yet."))


FUNNEL_DAYS = 90


def funnel(viewer: User, today: dt.date) -> TileData:
    """The sales funnel of the opportunities created in the last 90 days (the sales report's). A whole year's
    opportunities took 350 ms on the bench data, most of the director's dashboard; the report shows any period."""
    table = sales.funnel_table(viewer, ReportFilters(today - dt.timedelta(days=FUNNEL_DAYS - 1), today))
    if table is None:
        return TileData(note=_("There is no active pipeline."))
    table.title = ""
    chart = Chart("funnel", "", FUNNEL, [r[0] for r in table.rows],
                  [Series(_("Opportunities"), [r[1] for r in table.rows])], table.key, COUNT)
    return TileData([], chart, table)


# --- customers -----------------------------------------------------------------------------------

def my_new_customers(viewer: User, today: dt.date) -> TileData:
    this_month, last_month = figures.new_customers(viewer, today, own=True)
    return TileData([Figure(_("This month"), this_month), Figure(_("Last month"), last_month)])


def new_customers_by_month(viewer: User, today: dt.date) -> TileData:
    """New customers per month this year: the customers report's table (with the lost and the net beside)."""
    filters = _year_so_far(today)
    table = customers_report._new_and_lost(viewer, filters, buckets_for(filters.date_from, filters.date_to, "month"))
    chart = Chart("new_customers", "", BAR, [r[0] for r in table.rows],
                  [Series(_("New customers"), [r[1] for r in table.rows])], table.key, COUNT)
    return TileData([Figure(_("New customers this year"), table.total[1])], chart, table)


# --- contracts and money ---------------------------------------------------------------------------

def _aging_totals(viewer: User, today: dt.date, owner_id: int | None = None) -> receivables.AgingRow:
    """The aging totals (payments.receivables), shared by the tiles that show them."""
    scope = ("user", viewer.id, owner_id) if owner_id else scope_key(viewer, (CONTRACT,))
    return cached(("home-aging", scope, today.isoformat()),
                  lambda: receivables.aging_by_owner(viewer, today, owner_id)[0])


def my_receivables(viewer: User, today: dt.date) -> TileData:
    """What the instalments of the viewer's own contracts still lack: overdue, and in all."""
    totals = _aging_totals(viewer, today, viewer.id)
    return TileData([Figure(_("Overdue"), totals.overdue, MONEY), Figure(_("Outstanding"), totals.total, MONEY)])


def receivables_totals(viewer: User, today: dt.date) -> TileData:
    totals = _aging_totals(viewer, today)
    share = percent(totals.overdue, totals.total)
    hint = _("%(share)s%% of what is outstanding", share=share) if share is not None else None
    return TileData([Figure(_("Outstanding"), totals.total, MONEY), Figure(_("Overdue"), totals.overdue, MONEY, hint)])


AGING_LABELS = (("not_due", _l("Not due")), ("days_1_30", _l("1–30 days")), ("days_31_60", _l("31–60 days")),
                ("days_61_90", _l("61–90 days")), ("days_over_90", _l("Over 90 days")))


def aging(viewer: User, today: dt.date) -> TileData:
    totals = _aging_totals(viewer, today)
    rows = [[str(label), getattr(totals, name)] for name, label in AGING_LABELS]
    table = _table("aging", [Column(_("Overdue by")), Column(_("Outstanding"), MONEY)], rows,
                   [_("Total"), totals.total])
    chart = Chart("aging", "", BAR, [r[0] for r in rows], [Series(_("Outstanding"), [r[1] for r in rows])],
                  table.key, MONEY)
    return TileData([], chart, table)


def top_overdue_customers(viewer: User, today: dt.date) -> TileData:
    """The customers owing most past due (payments.receivables orders its per-customer page by the oldest due date,
    not by the amount, so this is a query of its own)."""
    items = [Item(name, _money_text(amount), "customers.detail", (("customer_id", customer_id),), overdue=True)
             for customer_id, name, amount in figures.top_overdue_customers(viewer, today, LIST_SIZE)]
    return TileData(items=items, note=None if items else _("Nothing overdue."))


def received_this_month(viewer: User, today: dt.date) -> TileData:
    this_month, last_month = figures.received_this_and_last_month(viewer, today)
    return TileData([Figure(_("Received this month"), this_month, MONEY),
                     Figure(_("Last month"), last_month, MONEY)])


def invoices_this_month(viewer: User, today: dt.date) -> TileData:
    count, amount = figures.invoices_this_month(viewer, today)
    return TileData([Figure(_("Invoices issued this month"), count), Figure(_("Amount"), amount, MONEY)])


def signed_vs_received(viewer: User, today: dt.date) -> TileData:
    """Signed against (net) received per month this year: the money report's table (summed per day by the
    database, folded into months)."""
    report = money_report._signed_received(viewer, _year_so_far(today))
    rows = [[row[0], row[2], row[5]] for row in report.rows]
    signed, received = report.total[2], report.total[5]
    table = _table("signed_received", [Column(_("Month")), Column(_("Signed"), MONEY), Column(_("Received"), MONEY)],
                   rows, [_("Total"), signed, received])
    chart = Chart("signed_received", "", GROUPED, [r[0] for r in rows],
                  [Series(_("Signed"), [r[1] for r in rows]), Series(_("Received"), [r[2] for r in rows])],
                  table.key, MONEY)
    return TileData([Figure(_("Signed this year"), signed, MONEY), Figure(_("Received this year"), received, MONEY)],
                    chart, table)


# --- approvals -------------------------------------------------------------------------------------

def approvals_waiting(viewer: User, today: dt.date) -> TileData:
    return TileData([Figure(_("Waiting for my decision"), waiting_count(viewer))])


# --- the registry ----------------------------------------------------------------------------------

SALES, MANAGER, DIRECTOR, FINANCE = "sales", "sales_manager", "sales_director", "finance"
SALES_REPORT = (("key", sales.REPORT.key),)

for _tile in (
    Tile("approvals_waiting", _l("Approvals waiting for me"), KPI, approvals_waiting, (MANAGER, DIRECTOR, FINANCE),
         5, own=True, record_types=(), link="approvals.index"),
    Tile("my_quota", _l("My quota attainment"), KPI, my_quota, (SALES,), 10, ForecastPermission.VIEW, own=True,
         link="forecast.index", link_permission=ForecastPermission.VIEW),
    Tile("team_quota", _l("Team quota attainment"), KPI, team_quota, (MANAGER,), 12, ForecastPermission.VIEW,
         team=OPPORTUNITY, link="forecast.index", link_permission=ForecastPermission.VIEW),
    Tile("my_followups", _l("My follow-ups due"), LIST, my_followups, (SALES, MANAGER), 20, own=True,
         record_types=(CUSTOMER,), link="followups.today"),
    Tile("my_pipeline", _l("My pipeline by stage"), CHART, my_pipeline, (SALES,), 30, own=True,
         link="opportunities.index"),
    Tile("team_won_by_person", _l("Team won this month by person"), CHART, team_won_by_person, (MANAGER,), 32,
         team=OPPORTUNITY, link="reports.show", link_args=SALES_REPORT),
    Tile("team_pipeline", _l("Team pipeline by stage"), CHART, team_pipeline, (MANAGER,), 34, team=OPPORTUNITY,
         link="opportunities.index"),
    Tile("team_followups_week", _l("Team follow-ups this week"), CHART, team_followups_week, (MANAGER,), 36,
         ActivityPermission.VIEW_TEAM, team=CUSTOMER, record_types=(CUSTOMER,), link="activity.index"),
    Tile("my_won", _l("My won this month"), KPI, my_won, (SALES,), 40, own=True, link="opportunities.index"),
    Tile("my_new_customers", _l("My new customers"), KPI, my_new_customers, (SALES,), 50, own=True,
         record_types=(CUSTOMER,), link="customers.index"),
    Tile("my_receivables", _l("My receivables"), KPI, my_receivables, (SALES,), 60, own=True,
         record_types=(CONTRACT,), link="contracts.index"),
    Tile("company_won_by_month", _l("Won by month, this year and last"), CHART, company_won_by_month, (DIRECTOR,),
         70, team=OPPORTUNITY, link="reports.show", link_args=SALES_REPORT),
    Tile("won_by_branch", _l("Won by branch this year"), CHART, won_by_branch, (DIRECTOR,), 72, team=OPPORTUNITY,
         link="reports.show", link_args=SALES_REPORT),
    Tile("funnel", _l("Sales funnel, last 90 days"), CHART, funnel, (DIRECTOR,), 74, team=OPPORTUNITY,
         link="opportunities.index"),
    Tile("new_customers_by_month", _l("New customers per month"), CHART, new_customers_by_month, (DIRECTOR,), 76,
         team=CUSTOMER, record_types=(CUSTOMER,), link="customers.index"),
    Tile("signed_vs_received", _l("Signed and received this year"), CHART, signed_vs_received, (DIRECTOR,), 78,
         team=CONTRACT, record_types=(CONTRACT,), link="contracts.index"),
    Tile("receivables_totals", _l("Receivables"), KPI, receivables_totals, (FINANCE,), 80,
         PaymentPermission.RECEIVABLES, record_types=(CONTRACT,), link="payments.receivables_index"),
    Tile("received_this_month", _l("Received this month"), KPI, received_this_month, (FINANCE,), 82,
         PaymentPermission.RECEIVABLES, record_types=(CONTRACT,), link="payments.index"),
    Tile("invoices_this_month", _l("Invoices this month"), KPI, invoices_this_month, (FINANCE,), 84,
         PaymentPermission.RECEIVABLES, record_types=(CONTRACT,), link="payments.invoices"),
    Tile("aging", _l("Receivables aging"), CHART, aging, (FINANCE,), 86, PaymentPermission.RECEIVABLES,
         record_types=(CONTRACT,), link="payments.aging"),
    Tile("top_overdue_customers", _l("Top overdue customers"), LIST, top_overdue_customers, (FINANCE,), 88,
         PaymentPermission.RECEIVABLES, record_types=(CONTRACT,), link="payments.receivables_customers"),
):
    register_tile(_tile)
