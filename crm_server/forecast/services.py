"""Quotas, commits, the fiscal year setting, and the forecast of a quarter computed with a few grouped queries."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import and_, delete, func, or_, select, type_coerce
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Department, User
from ..core.money import HUNDRED, to_fen
from ..core.permissions import Permission, scope_condition
from ..core.roles import ADMIN
from ..core.site_settings import set_setting
from ..core.types import Money, utcnow
from ..extensions import db
from ..opportunities.access import OPPORTUNITY, opportunity_condition
from ..opportunities.models import OPEN, WON, Opportunity
from .access import ForecastPermission
from .models import Commit, Quota
from .periods import FISCAL_START_KEY, FiscalQuarter, fiscal_start_month, fiscal_year_months, quarter_of

ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("999999999999.99")  # a trillion 元: far above any quota, far below NUMERIC(18, 2)


def _check(actor: User | None, permission: str) -> None:
    if actor is not None and not actor.can(permission):
        raise DomainError(_("You do not have permission to do this."))


def site_today() -> dt.date:
    zone = current_app.config["CRM_SETTINGS"].timezone if has_app_context() else "Asia/Shanghai"
    return utcnow().replace(tzinfo=dt.timezone.utc).astimezone(zoneinfo.ZoneInfo(zone)).date()


def current_quarter() -> FiscalQuarter:
    return quarter_of(site_today(), fiscal_start_month())


def check_amount(amount: Decimal | None, field_name: str | None = None) -> Decimal | None:
    """A quota or commit: blank, or 0 to a trillion 元 with at most two decimals."""
    if amount is None:
        return None
    if amount < 0:
        raise DomainError(_("The amount cannot be negative."), field_name)
    if amount > MAX_AMOUNT:
        raise DomainError(_("The amount is too large."), field_name)
    if amount != amount.quantize(Decimal("0.01")):
        raise DomainError(_("An amount has at most two decimals (fen)."), field_name)
    return amount.quantize(Decimal("0.01"))


# --- fiscal year setting ---------------------------------------------------------------------------

def set_fiscal_start_month(actor: User | None, month: int) -> bool:
    """The calendar month the fiscal year starts in (1-12); an administrator's setting. Audited."""
    _check(actor, Permission.ADMIN_DICTIONARIES)
    if month not in range(1, 13):
        raise DomainError(_("Choose a month from 1 to 12."), "start_month")
    before = fiscal_start_month()
    if before == month:
        return False
    set_setting(FISCAL_START_KEY, str(month))
    audit.record(actor, "forecast.settings_updated", None, {FISCAL_START_KEY: [before, month]},
                 label=_("Fiscal year"))
    return True


# --- people ---------------------------------------------------------------------------------------

def _carries_quota(user: User) -> bool:
    """People who sell: active, allowed to see the forecast, not the system administrator."""
    return user.is_active and user.role.code != ADMIN and user.can(ForecastPermission.VIEW)


def people_in_scope(viewer: User) -> list[User]:
    """Every user whose opportunities `viewer` may see (themself only for a salesperson), with department and
    branch loaded: one query, whatever their number."""
    stmt = (select(User).options(joinedload(User.department).joinedload(Department.branch))
            .where(scope_condition(viewer, User.id, OPPORTUNITY)).order_by(User.display_name, User.id))
    return list(db.session.scalars(stmt).unique())


def _scope_ids(viewer: User) -> set[int]:
    return set(db.session.scalars(select(User.id).where(scope_condition(viewer, User.id, OPPORTUNITY))))


# --- quotas ---------------------------------------------------------------------------------------

def _months_condition(column_year, column_month, months: list[tuple[int, int]]):
    return or_(*(and_(column_year == year, column_month == month) for year, month in months))


def quotas_of_year(viewer: User, year: int) -> dict[int, dict[tuple[int, int], Decimal]]:
    """{user id: {(calendar year, month): amount}} for fiscal year `year`, for the people in `viewer`'s scope."""
    months = fiscal_year_months(year, fiscal_start_month())
    stmt = (select(Quota.user_id, Quota.year, Quota.month, Quota.amount)
            .where(_months_condition(Quota.year, Quota.month, months),
                   scope_condition(viewer, Quota.user_id, OPPORTUNITY)))
    result: dict[int, dict[tuple[int, int], Decimal]] = {}
    for user_id, cal_year, cal_month, amount in db.session.execute(stmt):
        result.setdefault(user_id, {})[(cal_year, cal_month)] = amount
    return result


def quota_people(viewer: User, year: int, quotas: dict[int, dict] | None = None) -> list[User]:
    """Who the quota grid lists: the selling people in scope, and anyone else with a quota in that year."""
    quotas = quotas_of_year(viewer, year) if quotas is None else quotas
    return [u for u in people_in_scope(viewer) if _carries_quota(u) or u.id in quotas]


def set_quotas(actor: User, year: int, amounts: dict[int, dict[tuple[int, int], Decimal | None]]) -> int:
    """Set the monthly quotas of fiscal year `year`: {user id: {(calendar year, month): amount or None}}.
    None removes a quota. Only people in the actor's data scope; one audit row per person changed.
    Returns how many people's quotas changed."""
    _check(actor, ForecastPermission.MANAGE_QUOTAS)
    months = fiscal_year_months(year, fiscal_start_month())
    allowed = _scope_ids(actor)
    if any(user_id not in allowed for user_id in amounts):
        raise DomainError(_("You may only set the quotas of people in your data scope."))
    for per_month in amounts.values():
        if any(month not in months for month in per_month):
            raise DomainError(_("That month is not in fiscal year %(year)d.", year=year))
        for amount in per_month.values():
            check_amount(amount)
    existing: dict[tuple[int, int, int], Quota] = {
        (q.user_id, q.year, q.month): q for q in db.session.scalars(
            select(Quota).where(_months_condition(Quota.year, Quota.month, months),
                                scope_condition(actor, Quota.user_id, OPPORTUNITY)))}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(amounts)))
                                                 .execution_options(literal_execute=True))} if amounts else {}
    changed = 0
    for user_id in sorted(amounts):
        changes = {}
        for (cal_year, cal_month), amount in sorted(amounts[user_id].items()):
            row = existing.get((user_id, cal_year, cal_month))
            before = row.amount if row is not None else None
            if before == amount:
                continue
            changes[f"{cal_year}-{cal_month:02d}"] = [before, amount]
            if amount is None:
                db.session.delete(row)
            elif row is None:
                db.session.add(Quota(user_id=user_id, year=cal_year, month=cal_month, amount=amount,
                                     updated_by_id=actor.id if actor else None))
            else:
                row.amount = amount
                row.updated_by_id = actor.id if actor else None
        if changes:
            changed += 1
            audit.record(actor, "quota.updated", users[user_id], changes,
                         label=f"{users[user_id].display_name} FY{year}")
    db.session.flush()
    return changed


# --- commits --------------------------------------------------------------------------------------

def commit_of(user: User, quarter: FiscalQuarter) -> Decimal | None:
    return db.session.scalar(select(Commit.amount).where(Commit.user_id == user.id, Commit.year == quarter.year,
                                                         Commit.quarter == quarter.quarter))


def set_commit(actor: User, quarter: FiscalQuarter, amount: Decimal | None) -> bool:
    """The actor's own commit (承诺) for a fiscal quarter; None removes it. Audited."""
    _check(actor, ForecastPermission.VIEW)
    amount = check_amount(amount, "amount")
    row = db.session.scalar(select(Commit).where(Commit.user_id == actor.id, Commit.year == quarter.year,
                                                 Commit.quarter == quarter.quarter))
    before = row.amount if row is not None else None
    if before == amount:
        return False
    if amount is None:
        db.session.execute(delete(Commit).where(Commit.id == row.id))
    elif row is None:
        db.session.add(Commit(user_id=actor.id, year=quarter.year, quarter=quarter.quarter, amount=amount))
    else:
        row.amount = amount
    db.session.flush()
    audit.record(actor, "forecast.commit_updated", actor, {f"commit FY{quarter.year} Q{quarter.quarter}":
                                                           [before, amount]},
                 label=f"{actor.display_name} FY{quarter.year} Q{quarter.quarter}")
    return True


# --- the forecast -------------------------------------------------------------------------------

@dataclass
class Figures:
    """One row of the forecast. `weighted` is Σ amount × probability / 100 of the open pipeline, exact and rounded
    to fen once per person; roll-ups add the people's rounded figures, so every column adds up on the page."""

    quota: Decimal | None = None
    won: Decimal = ZERO
    open_count: int = 0
    open_amount: Decimal = ZERO
    weighted: Decimal = ZERO
    commit: Decimal | None = None

    @property
    def expected(self) -> Decimal:
        return self.won + self.weighted

    @property
    def best_case(self) -> Decimal:
        return self.won + self.open_amount

    @property
    def quota_percent(self) -> Decimal | None:
        """Won as a percentage of the quota, one decimal; None when there is no quota (or it is 0)."""
        if not self.quota:
            return None
        return (self.won * HUNDRED / self.quota).quantize(Decimal("0.1"))

    def add(self, other: Figures) -> None:
        if other.quota is not None:
            self.quota = (self.quota or ZERO) + other.quota
        if other.commit is not None:
            self.commit = (self.commit or ZERO) + other.commit
        self.won += other.won
        self.open_count += other.open_count
        self.open_amount += other.open_amount
        self.weighted += other.weighted

    @property
    def is_empty(self) -> bool:
        return (self.quota is None and self.commit is None and not self.won and not self.open_count)


@dataclass
class PersonRow:
    user: User
    figures: Figures


@dataclass
class DepartmentGroup:
    department: Department | None
    depth: int
    people: list[PersonRow] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)  # its people and those of its sub-departments


@dataclass
class BranchGroup:
    branch: object | None
    departments: list[DepartmentGroup] = field(default_factory=list)
    total: Figures = field(default_factory=Figures)


@dataclass
class Forecast:
    quarter: FiscalQuarter
    branches: list[BranchGroup]
    total: Figures
    people_count: int


def _figures_by_user(viewer: User, quarter: FiscalQuarter) -> dict[int, Figures]:
    """Four grouped queries: quotas, won, open pipeline and commits of the quarter, per person in scope."""
    figures: dict[int, Figures] = {}

    def of(user_id: int) -> Figures:
        return figures.setdefault(user_id, Figures())

    quota_stmt = (select(Quota.user_id, func.sum(Quota.amount))
                  .where(_months_condition(Quota.year, Quota.month, quarter.months),
                         scope_condition(viewer, Quota.user_id, OPPORTUNITY))
                  .group_by(Quota.user_id))
    for user_id, amount in db.session.execute(quota_stmt):
        of(user_id).quota = amount

    won_stmt = (select(Opportunity.owner_id, func.sum(Opportunity.amount))
                .where(Opportunity.status == WON, Opportunity.closed_on >= quarter.first_day,
                       Opportunity.closed_on <= quarter.last_day, opportunity_condition(viewer))
                .group_by(Opportunity.owner_id))
    for user_id, amount in db.session.execute(won_stmt):
        of(user_id).won = amount or ZERO

    # amount × probability summed in the database stays exact: integer fen on SQLite, NUMERIC elsewhere.
    weighted_sum = type_coerce(func.sum(Opportunity.amount * Opportunity.probability), Money)
    open_stmt = (select(Opportunity.owner_id, func.count(), func.sum(Opportunity.amount), weighted_sum)
                 .where(Opportunity.status == OPEN, Opportunity.expected_close_date >= quarter.first_day,
                        Opportunity.expected_close_date <= quarter.last_day, opportunity_condition(viewer))
                 .group_by(Opportunity.owner_id))
    for user_id, count, amount, weighted in db.session.execute(open_stmt):
        row = of(user_id)
        row.open_count, row.open_amount = count, amount or ZERO
        row.weighted = to_fen((weighted or ZERO) / HUNDRED)

    commit_stmt = (select(Commit.user_id, Commit.amount)
                   .where(Commit.year == quarter.year, Commit.quarter == quarter.quarter,
                          scope_condition(viewer, Commit.user_id, OPPORTUNITY)))
    for user_id, amount in db.session.execute(commit_stmt):
        of(user_id).commit = amount
    return figures


def _department_order(departments: list[Department]) -> list[tuple[Department, int, list[int]]]:
    """Departments depth first by sort order, each with its depth and the ids of its ancestors."""
    children: dict[int | None, list[Department]] = {}
    ids = {d.id for d in departments}
    for d in departments:
        children.setdefault(d.parent_id if d.parent_id in ids else None, []).append(d)
    result = []

    def walk(parent_id, depth, ancestors):
        for d in sorted(children.get(parent_id, []), key=lambda d: (d.sort_order, d.id)):
            result.append((d, depth, ancestors))
            walk(d.id, depth + 1, ancestors + [d.id])

    walk(None, 0, [])
    return result


def group_people(people: list[User], values: dict, factory=None) -> tuple[list[BranchGroup], object]:
    """People in branch → department order with roll-ups: `values[user id]` (else `factory()`) is each person's
    row; totals are made with `factory()` and `.add(row)`. A department's total includes its sub-departments.
    One query (the departments), whatever the number of people."""
    factory = factory or Figures
    all_departments = list(db.session.scalars(
        select(Department).options(joinedload(Department.branch)).order_by(Department.id)))
    ordered = _department_order(all_departments)
    by_department: dict[int | None, list[PersonRow]] = {}
    for user in people:
        by_department.setdefault(user.department_id, []).append(PersonRow(user, values.get(user.id) or factory()))
    groups = {d.id: DepartmentGroup(d, depth, total=factory()) for d, depth, _a in ordered}
    shown: set[int] = set()  # departments with people in them or below them
    branches: dict[int, BranchGroup] = {}

    def branch_of(department: Department) -> BranchGroup:
        return branches.setdefault(department.branch_id, BranchGroup(department.branch, total=factory()))

    for d, _depth, ancestors in ordered:
        for row in by_department.get(d.id, []):
            groups[d.id].people.append(row)
            for department_id in [*ancestors, d.id]:
                groups[department_id].total.add(row.figures)
                shown.add(department_id)
            branch_of(d).total.add(row.figures)
    for d, _depth, _ancestors in ordered:
        if d.id in shown:
            branch_of(d).departments.append(groups[d.id])
    result = sorted(branches.values(), key=lambda b: (b.branch.sort_order, b.branch.id))
    loose = by_department.get(None, [])
    if loose:  # people in no department: one group of their own, after the branches
        group = DepartmentGroup(None, 0, loose, total=factory())
        nobody = BranchGroup(None, [group], total=factory())
        for row in loose:
            group.total.add(row.figures)
            nobody.total.add(row.figures)
        result.append(nobody)
    total = factory()
    for branch in result:
        total.add(branch.total)
    return result, total


def forecast(viewer: User, quarter: FiscalQuarter) -> Forecast:
    """The forecast of a fiscal quarter for what `viewer` may see: a row per person, department and branch
    totals and the total. A fixed number of queries, whatever the number of people or opportunities."""
    figures = _figures_by_user(viewer, quarter)
    people = [u for u in people_in_scope(viewer) if _carries_quota(u) or u.id in figures]
    branches, total = group_people(people, figures)
    return Forecast(quarter, branches, total, len(people))


# --- the quota grid's roll-ups -------------------------------------------------------------------

@dataclass
class QuotaTotals:
    """A person's (or a roll-up's) quotas of one fiscal year: per month, per quarter and the year."""

    months: list[Decimal | None] = field(default_factory=lambda: [None] * 12)

    def add(self, other: QuotaTotals) -> None:
        for n, amount in enumerate(other.months):
            if amount is not None:
                self.months[n] = (self.months[n] or ZERO) + amount

    @property
    def quarters(self) -> list[Decimal | None]:
        result = []
        for q in range(4):
            part = [a for a in self.months[q * 3:q * 3 + 3] if a is not None]
            result.append(sum(part, ZERO) if part else None)
        return result

    @property
    def year(self) -> Decimal | None:
        part = [a for a in self.months if a is not None]
        return sum(part, ZERO) if part else None


def quota_plan(viewer: User, year: int) -> tuple[list[User], list[BranchGroup], QuotaTotals]:
    """The quota grid of a fiscal year: the people, and their quotas grouped with department/branch roll-ups."""
    months = fiscal_year_months(year, fiscal_start_month())
    quotas = quotas_of_year(viewer, year)
    people = quota_people(viewer, year, quotas)
    values = {user_id: QuotaTotals([per.get(m) for m in months]) for user_id, per in quotas.items()}
    branches, total = group_people(people, values, QuotaTotals)
    return people, branches, total
