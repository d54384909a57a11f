"""应收 and 账龄: receivables per contract and per customer, and the aging of what is outstanding, summed by the
database over the covering indexes of the instalments (and of the effective contracts), one page at a time.

Where the numbers come from:
- signed, received, outstanding of a contract: its amount and received_amount (kept in step by every payment);
- overdue: what the effective open instalments due before today (site time zone) still lack;
- per customer and aging: the effective open instalments (a contract without a plan has no instalments, so it
  shows in the per-contract list only)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, literal, select, true, type_coerce, union_all

from ..contracts.access import contract_condition
from ..contracts.models import EFFECTIVE_STATUSES, Contract
from ..core.models import User
from ..core.pagination import PAGE_SIZES, Page, paginate
from ..customers.models import Customer
from ..extensions import db
from ..core.types import Money
from .access import owner_condition
from .models import Instalment

ZERO = Decimal("0.00")
CONTRACT_SORTS = ("outstanding", "overdue", "sign_date")
BUCKETS = ("not_due", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


def _money(expr):
    return type_coerce(expr, Money)


def _names(id_column, name_column, ids: list[int]) -> dict[int, str]:
    """{id: name} for a page's worth of ids (well under SQL Server's parameter limit)."""
    if not ids:
        return {}
    return {row[0]: row[1] for row in db.session.execute(select(id_column, name_column).where(id_column.in_(ids)))}


def _outstanding():
    return Instalment.amount - Instalment.received_amount


def _open_instalments(user: User):
    """Effective instalments with something outstanding, within the user's contract scope."""
    return and_(Instalment.is_effective == true(), Instalment.is_open == true(),
                owner_condition(user, Instalment.owner_id))


COUNT_LIMIT = 10000  # longer lists say "more than 10,000" (counting them all costs more than the page)


def _grouped_page(grouped, ordered, page: int, per_page: int) -> Page:
    """One page of a grouped statement: the groups are counted up to COUNT_LIMIT (the grouped walk stops there)
    and the page read in `ordered`'s order (ending in the group's key)."""
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
    total = db.session.scalar(select(func.count()).select_from(grouped.limit(COUNT_LIMIT + 1).subquery())) or 0
    capped = total > COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = db.session.execute(ordered.limit(per_page).offset((page - 1) * per_page)).all()
    return Page(items=items, page=page, per_page=per_page, total=total, capped=capped)


@dataclass
class ReceivableFilters:
    owner_id: int | None = None
    customer_id: int | None = None
    overdue_only: bool = False
    sort: str = "outstanding"


@dataclass
class ContractRow:
    contract: Contract
    overdue: Decimal = ZERO
    next_due: dt.date | None = None
    has_plan: bool = False

    @property
    def outstanding(self) -> Decimal:
        return self.contract.amount - self.contract.received_amount


def _contract_base(user: User, filters: ReceivableFilters, scoped: bool = True):
    """Effective live contracts, filtered; `scoped=False` when joined to instalments already scoped (a statement
    cannot hold the department tree's CTE twice)."""
    live = contract_condition(user) if scoped else and_(Contract.deleted_at.is_(None),
                                                        Contract.revision_of_id.is_(None))
    condition = and_(live, Contract.status.in_(EFFECTIVE_STATUSES))
    if filters.owner_id:
        condition = and_(condition, Contract.owner_id == filters.owner_id)
    if filters.customer_id:
        condition = and_(condition, Contract.customer_id == filters.customer_id)
    return condition


def _overdue_condition(user: User | None, today: dt.date, filters: ReceivableFilters):
    condition = and_(Instalment.is_effective == true(), Instalment.is_open == true(), Instalment.due_date < today)
    if user is not None:
        condition = and_(condition, owner_condition(user, Instalment.owner_id))
    if filters.owner_id:
        condition = and_(condition, Instalment.owner_id == filters.owner_id)
    if filters.customer_id:
        condition = and_(condition, Instalment.customer_id == filters.customer_id)
    return condition


def contract_receivables(user: User, filters: ReceivableFilters, today: dt.date, page: int = 1,
                         per_page: int = PAGE_SIZES[0]) -> Page:
    """One page of the effective contracts the user may see with their receivable figures (ContractRow).
    Sorted by overdue, or "overdue only": the contracts with something overdue, the most overdue first."""
    from sqlalchemy.orm import joinedload
    options = (joinedload(Contract.customer), joinedload(Contract.owner))
    if filters.sort == "overdue" or filters.overdue_only:
        # Driven by the overdue instalments (a range of the due-date index, scoped on their copied owner).
        grouped = select(Instalment.contract_id).where(_overdue_condition(user, today, filters)).group_by(
            Instalment.contract_id)
        overdue = func.sum(_outstanding())
        ordered = grouped.add_columns(_money(overdue).label("overdue")).order_by(overdue.desc(),
                                                                                 Instalment.contract_id.desc())
        result = _grouped_page(grouped, ordered, page, per_page)
        ids = [row.contract_id for row in result.items]
        found = {contract.id: contract for contract in db.session.scalars(
            select(Contract).options(*options).where(Contract.id.in_(ids)))} if ids else {}
        result.items = contract_rows([found[i] for i in ids if i in found], today)
        return result
    condition = _contract_base(user, filters)
    # Ids first (the covering index alone), then the page's contracts with their customer and owner.
    stmt = select(Contract.id).where(condition)
    if filters.sort == "sign_date":
        stmt = stmt.order_by(Contract.sign_date.desc(), Contract.id.desc())
    else:
        stmt = stmt.order_by((Contract.amount - Contract.received_amount).desc(), Contract.id.desc())
    result = paginate(stmt, page=page, per_page=per_page)
    ids = list(result.items)
    found = {contract.id: contract for contract in db.session.scalars(
        select(Contract).options(*options).where(Contract.id.in_(ids)))} if ids else {}
    result.items = contract_rows([found[i] for i in ids if i in found], today)
    return result


def contract_rows(contracts: list[Contract], today: dt.date) -> list[ContractRow]:
    """Overdue amount and next due date of the given contracts (a page's worth), in one query."""
    rows = [ContractRow(contract) for contract in contracts]
    if not rows:
        return rows
    ids = [row.contract.id for row in rows]
    overdue_case = case((and_(Instalment.is_open == true(), Instalment.due_date < today), _outstanding()),
                        else_=literal(0))
    next_case = case((and_(Instalment.is_open == true(), Instalment.due_date >= today), Instalment.due_date))
    figures = {row.contract_id: row for row in db.session.execute(
        select(Instalment.contract_id, _money(func.sum(overdue_case)).label("overdue"),
               func.min(next_case).label("next_due"), func.count(Instalment.id).label("count"))
        .where(Instalment.contract_id.in_(ids), Instalment.is_effective == true())
        .group_by(Instalment.contract_id))}
    planned = set(db.session.scalars(select(Instalment.contract_id).where(Instalment.contract_id.in_(ids))
                                     .group_by(Instalment.contract_id)))
    for row in rows:
        found = figures.get(row.contract.id)
        row.has_plan = row.contract.id in planned
        if found is not None:
            row.overdue = found.overdue or ZERO
            row.next_due = found.next_due
    return rows


# --- per customer -------------------------------------------------------------------------------


@dataclass
class CustomerRow:
    customer_id: int
    name: str = ""
    signed: Decimal = ZERO
    received: Decimal = ZERO
    contracts: int = 0
    planned_outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    oldest_due: dt.date | None = None

    @property
    def outstanding(self) -> Decimal:
        return self.signed - self.received


def customer_receivables(user: User, filters: ReceivableFilters, today: dt.date, page: int = 1,
                         per_page: int = PAGE_SIZES[0]) -> Page:
    """One page of the customers with something outstanding on an effective plan, the most overdue first: the
    oldest unpaid due date first (most days overdue), then the most outstanding; with their contracts' signed and
    received sums and their overdue amount. (Ordering by the oldest due date rather than the overdue amount lets
    the database walk the customer index once, with no per-row date test, on hundreds of thousands of rows.)"""
    condition = _open_instalments(user)
    if filters.owner_id:
        condition = and_(condition, Instalment.owner_id == filters.owner_id)
    if filters.customer_id:
        condition = and_(condition, Instalment.customer_id == filters.customer_id)
    oldest = func.min(Instalment.due_date)
    grouped = select(Instalment.customer_id).where(condition).group_by(Instalment.customer_id)
    if filters.overdue_only:
        grouped = grouped.having(oldest < today)
    ordered = (grouped.add_columns(oldest.label("oldest_due"), _money(func.sum(_outstanding())).label("outstanding"))
               .order_by(oldest, func.sum(_outstanding()).desc(), Instalment.customer_id.desc()))
    result = _grouped_page(grouped, ordered, page, per_page)
    rows = [CustomerRow(row.customer_id, planned_outstanding=row.outstanding or ZERO, oldest_due=row.oldest_due)
            for row in result.items]
    fill_customer_rows(user, rows, filters.owner_id)
    _fill_overdue(user, rows, today, filters.owner_id)
    result.items = rows
    return result


def _fill_overdue(user: User, rows: list[CustomerRow], today: dt.date, owner_id: int | None = None) -> None:
    if not rows:
        return
    condition = and_(_open_instalments(user), Instalment.customer_id.in_([row.customer_id for row in rows]),
                     Instalment.due_date < today)
    if owner_id:
        condition = and_(condition, Instalment.owner_id == owner_id)
    overdue = {row[0]: row[1] for row in db.session.execute(
        select(Instalment.customer_id, _money(func.sum(_outstanding()))).where(condition)
        .group_by(Instalment.customer_id))}
    for row in rows:
        row.overdue = overdue.get(row.customer_id) or ZERO


def fill_customer_rows(user: User, rows: list[CustomerRow], owner_id: int | None = None) -> None:
    """Names, and signed and received sums of the effective contracts the user may see, for a page of rows."""
    if not rows:
        return
    ids = [row.customer_id for row in rows]
    names = _names(Customer.id, Customer.name, ids)
    condition = and_(contract_condition(user), Contract.status.in_(EFFECTIVE_STATUSES),
                     Contract.customer_id.in_(ids))
    if owner_id:
        condition = and_(condition, Contract.owner_id == owner_id)
    sums = {row.customer_id: row for row in db.session.execute(
        select(Contract.customer_id, _money(func.sum(Contract.amount)).label("signed"),
               _money(func.sum(Contract.received_amount)).label("received"), func.count(Contract.id).label("count"))
        .where(condition).group_by(Contract.customer_id))}
    for row in rows:
        row.name = names.get(row.customer_id, "")
        found = sums.get(row.customer_id)
        if found is not None:
            row.signed, row.received, row.contracts = found.signed or ZERO, found.received or ZERO, found.count


def customer_summary(user: User, customer_id: int, today: dt.date) -> CustomerRow:
    """The receivable figures of one customer (the customer page's section), within the user's scope."""
    row = CustomerRow(customer_id)
    fill_customer_rows(user, [row])
    overdue_case = case((Instalment.due_date < today, _outstanding()), else_=literal(0))
    found = db.session.execute(
        select(_money(func.sum(overdue_case)).label("overdue"), _money(func.sum(_outstanding())).label("open"))
        .where(_open_instalments(user), Instalment.customer_id == customer_id)).one()
    row.overdue, row.planned_outstanding = found.overdue or ZERO, found.open or ZERO
    return row


# --- aging --------------------------------------------------------------------------------------

@dataclass
class AgingRow:
    key: int | None
    name: str = ""
    not_due: Decimal = ZERO
    days_1_30: Decimal = ZERO
    days_31_60: Decimal = ZERO
    days_61_90: Decimal = ZERO
    days_over_90: Decimal = ZERO

    @property
    def overdue(self) -> Decimal:
        return self.days_1_30 + self.days_31_60 + self.days_61_90 + self.days_over_90

    @property
    def total(self) -> Decimal:
        return self.not_due + self.overdue

    def add(self, other: AgingRow) -> None:
        for name in BUCKETS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def bucket_ranges(today: dt.date) -> list:
    """The due dates of each bucket on `today`: due today or later is not due; 1–30, 31–60, 61–90 days, and more
    than 90 days overdue (due 91 or more days before today)."""
    day = dt.timedelta(days=1)
    due = Instalment.due_date
    return [due >= today,
            and_(due < today, due >= today - 30 * day),
            and_(due < today - 30 * day, due >= today - 60 * day),
            and_(due < today - 60 * day, due >= today - 90 * day),
            due < today - 90 * day]


def _bucket_columns(today: dt.date) -> list:
    """The five buckets as CASE sums, for a page's worth of rows."""
    return [_money(func.sum(case((bound, _outstanding()), else_=literal(0)))).label(name)
            for name, bound in zip(BUCKETS, bucket_ranges(today))]


def _by_bucket(condition, today: dt.date, key=None) -> dict:
    """{key: AgingRow} summed bucket by bucket: one range of the due-date index per bucket (UNION ALL), no
    per-row date test. key None: the totals only."""
    parts = []
    for index, bound in enumerate(bucket_ranges(today)):
        columns = [literal(index).label("bucket"), _money(func.sum(_outstanding())).label("amount")]
        part = select(*columns, *([key.label("key")] if key is not None else [])).where(condition, bound)
        parts.append(part.group_by(key) if key is not None else part)
    rows: dict = {}
    for row in db.session.execute(union_all(*parts)):
        if row.amount is None:
            continue
        found = rows.setdefault(row.key if key is not None else None,
                                AgingRow(row.key if key is not None else None))
        setattr(found, BUCKETS[row.bucket], getattr(found, BUCKETS[row.bucket]) + row.amount)
    return rows


def aging_by_owner(user: User, today: dt.date, owner_id: int | None = None) -> tuple[AgingRow, list[AgingRow]]:
    """The totals and one row per owner (every owner in the user's scope with something outstanding), the most
    overdue first."""
    condition = _open_instalments(user)
    if owner_id:
        condition = and_(condition, Instalment.owner_id == owner_id)
    owners = _by_bucket(condition, today, Instalment.owner_id)
    names = _names(User.id, User.display_name, list(owners))
    for key, row in owners.items():
        row.name = names.get(key, "")
    ordered = sorted(owners.values(), key=lambda r: (-r.overdue, -r.total, r.name, r.key))
    totals = AgingRow(None)
    for row in ordered:
        totals.add(row)
    return totals, ordered


def aging_by_customer(user: User, today: dt.date, owner_id: int | None = None, page: int = 1,
                      per_page: int = PAGE_SIZES[0]) -> tuple[AgingRow, Page]:
    """The totals, and one page of customers, the most outstanding first, with their buckets."""
    condition = _open_instalments(user)
    if owner_id:
        condition = and_(condition, Instalment.owner_id == owner_id)
    totals = _by_bucket(condition, today).get(None) or AgingRow(None)
    grouped = select(Instalment.customer_id).where(condition).group_by(Instalment.customer_id)
    ordered = (grouped.add_columns(_money(func.sum(_outstanding())).label("outstanding"))
               .order_by(func.sum(_outstanding()).desc(), Instalment.customer_id.desc()))
    result = _grouped_page(grouped, ordered, page, per_page)
    ids = [row.customer_id for row in result.items]
    buckets = {}
    if ids:
        buckets = {row.customer_id: row for row in db.session.execute(
            select(Instalment.customer_id, *_bucket_columns(today))
            .where(condition, Instalment.customer_id.in_(ids)).group_by(Instalment.customer_id))}
    names = _names(Customer.id, Customer.name, ids)
    result.items = [_aging_row(customer_id, buckets[customer_id], names.get(customer_id, ""))
                    for customer_id in ids if customer_id in buckets]
    return totals, result


def _aging_row(key, row, name="") -> AgingRow:
    return AgingRow(key, name, *[getattr(row, bucket) or ZERO for bucket in BUCKETS])
