"""The opportunity list (filters, sorts, database pagination) and the kanban board, read through the data scope."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, func, select, true, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..core.models import User
from ..core.pagination import PAGE_SIZES, Page, Segment, paginate, paginate_segments
from ..core.search import contains
from ..customers.models import Customer
from ..extensions import db
from .access import opportunity_condition
from .models import Opportunity, Stage


@dataclass
class OpportunityFilters:
    """What the list is narrowed by; `close_month` is "YYYY-MM" of the expected close date."""

    q: str | None = None
    pipeline_id: int | None = None
    stage_id: int | None = None
    status: str | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    close_month: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None


def month_bounds(value: str | None) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a "YYYY-MM" month, else None."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    except ValueError:
        return None


def filter_conditions(filters: OpportunityFilters) -> list:
    conditions = []
    for name in ("pipeline_id", "stage_id", "status", "owner_id", "customer_id"):
        value = getattr(filters, name)
        if value not in (None, ""):
            conditions.append(getattr(Opportunity, name) == value)
    bounds = month_bounds(filters.close_month)
    if bounds:
        conditions.append(Opportunity.expected_close_date.between(*bounds))
    if filters.amount_min is not None:
        conditions.append(Opportunity.amount >= filters.amount_min)
    if filters.amount_max is not None:
        conditions.append(Opportunity.amount <= filters.amount_max)
    if filters.q:
        term = filters.q.strip()
        # the opportunity's name, or its customer's name (through an id list read from the name index alone)
        by_customer = select(Customer.id).where(contains(Customer.name, term))
        conditions.append(contains(Opportunity.name, term) | Opportunity.customer_id.in_(by_customer))
    return conditions


# Sortable columns: key -> default direction
SORTS = {"updated_at": "desc", "created_at": "desc", "name": "asc", "amount": "desc",
         "expected_close_date": "asc", "probability": "desc", "stage": "asc", "owner": "asc"}
DEFAULT_SORT = "updated_at"


def list_opportunities(user: User, filters: OpportunityFilters | None = None, sort: str = DEFAULT_SORT,
                       direction: str | None = None) -> Select:
    """The opportunities `user` may see, narrowed by `filters`, ordered by a whitelisted column (id last), with
    customer, stage and owner loaded in the same round trip."""
    filters = filters or OpportunityFilters()
    if sort not in SORTS:
        sort = DEFAULT_SORT
    descending = (direction or SORTS[sort]) == "desc"

    def ordered(column):
        return column.desc() if descending else column.asc()

    stmt = select(Opportunity).where(opportunity_condition(user), *filter_conditions(filters))
    if sort == "stage":
        stage = aliased(Stage)
        stmt = stmt.join(stage, stage.id == Opportunity.stage_id)
        ordering = [ordered(stage.pipeline_id), ordered(stage.sort_order), ordered(stage.id),
                    ordered(Opportunity.updated_at)]
    elif sort == "owner":
        owner = aliased(User)
        stmt = stmt.join(owner, owner.id == Opportunity.owner_id)
        ordering = [ordered(owner.display_name), ordered(owner.id)]
    else:
        ordering = [ordered(getattr(Opportunity, sort))]
    ordering.append(ordered(Opportunity.id))
    return stmt.order_by(*ordering).options(*_LOADED)


# Loaded by id after the page is read: joined into the page's statement, SQLite joined every row a filter
# matched before sorting them (a close month's 18,000: 64 ms, against 2 ms for the page alone).
_LOADED = (selectinload(Opportunity.customer), selectinload(Opportunity.stage), selectinload(Opportunity.owner))
FEW_MATCHES = 1000  # a keyword search matching at most this many opportunities reads them by id (SQL Server: < 2100)


def opportunity_page(user: User, filters: OpportunityFilters | None = None, sort: str = DEFAULT_SORT,
                     direction: str | None = None, page: int = 1, per_page: int = PAGE_SIZES[0]) -> Page:
    """One page of `list_opportunities`. By stage or owner it is read as segments (one stage or owner after
    another, each walked on its index, counted in one grouped query); a keyword search first collects the ids
    it matches, so that a rare word's few rows are ordered among themselves."""
    filters = filters or OpportunityFilters()
    sort = sort if sort in SORTS else DEFAULT_SORT
    descending = (direction or SORTS[sort]) == "desc"
    whole = list_opportunities(user, filters, sort, direction)
    where = [opportunity_condition(user), *filter_conditions(filters)]
    if filters.q:
        ids = db.session.scalars(select(Opportunity.id).where(*where).limit(FEW_MATCHES + 1)).all()
        if len(ids) <= FEW_MATCHES:
            return paginate(whole.where(Opportunity.id.in_(ids or [0])), page=page, per_page=per_page)
    if sort not in ("stage", "owner"):
        return paginate(whole, page=page, per_page=per_page)

    def ordered(column):
        return column.desc() if descending else column.asc()

    column = Opportunity.stage_id if sort == "stage" else Opportunity.owner_id
    counts = dict(db.session.execute(select(column, func.count()).where(*where).group_by(column)).all())
    order = (select(Stage.id).order_by(Stage.pipeline_id, Stage.sort_order, Stage.id) if sort == "stage"
             else select(User.id).order_by(User.display_name, User.id))
    keys = [key for key in db.session.scalars(order) if key in counts]
    if descending:
        keys.reverse()
    within = [ordered(Opportunity.updated_at)] if sort == "stage" else []
    segments = [Segment(column == key, [*within, ordered(Opportunity.id)], counts[key]) for key in keys]
    loaded = select(Opportunity).where(*where).options(*_LOADED)
    return paginate_segments(loaded, segments, page, per_page, whole=whole)


@dataclass
class KanbanColumn:
    stage: Stage
    count: int
    amount: Decimal
    cards: list[Opportunity]

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


CARDS_PER_COLUMN = 20


def kanban(user: User, pipeline_id: int, owner_id: int | None = None,
           cards_per_column: int = CARDS_PER_COLUMN) -> list[KanbanColumn]:
    """The active stages of a pipeline as columns: count and amount computed by the database (one grouped query),
    and the newest `cards_per_column` opportunities of each (one query per column, on the stage index)."""
    stages = list(db.session.scalars(select(Stage).where(Stage.pipeline_id == pipeline_id,
                                                         Stage.is_active == true())
                                     .order_by(Stage.sort_order, Stage.id)))
    scope = [opportunity_condition(user)]
    if owner_id:
        scope.append(Opportunity.owner_id == owner_id)
    totals = {row[0]: (row[1], row[2]) for row in db.session.execute(
        select(Opportunity.stage_id, func.count(), func.sum(Opportunity.amount))
        .where(Opportunity.pipeline_id == pipeline_id, *scope).group_by(Opportunity.stage_id))}
    # the newest cards of every column in one statement: one LIMITed part per stage, each on the stage index
    parts = [select(Opportunity.id).where(Opportunity.stage_id == stage.id, *scope)
             .order_by(Opportunity.id.desc()).limit(cards_per_column).subquery()
             for stage in stages if totals.get(stage.id, (0, None))[0]]
    cards: dict[int, list[Opportunity]] = {}
    if parts:
        ids = union_all(*[select(part.c.id) for part in parts]).subquery()
        for card in db.session.scalars(select(Opportunity).where(Opportunity.id.in_(select(ids.c.id)))
                                       .order_by(Opportunity.id.desc())
                                       .options(joinedload(Opportunity.customer), joinedload(Opportunity.owner))
                                       ).unique():
            cards.setdefault(card.stage_id, []).append(card)
    columns = []
    for stage in stages:
        count, amount = totals.get(stage.id, (0, None))
        columns.append(KanbanColumn(stage, int(count or 0), Decimal(amount or 0).quantize(Decimal("0.01")),
                                    cards.get(stage.id, [])))
    return columns
