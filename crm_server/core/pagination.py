"""Pagination done by the database: one COUNT and one LIMIT/OFFSET query per page."""
from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from ..extensions import db

PAGE_SIZES = (20, 50, 100)


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int
    capped: bool = False  # there are more than `total` rows (see paginate's count_limit)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    def window(self, size: int = 2) -> list[int]:
        start = max(1, self.page - size)
        return list(range(start, min(self.pages, self.page + size) + 1))


def paginate(stmt: Select, page: int = 1, per_page: int = PAGE_SIZES[0], scalars: bool = True,
             count_limit: int | None = None) -> Page:
    """Run `stmt` for one page. `stmt` must be ordered, ending in a primary key (SQL Server needs ORDER BY).
    With `count_limit`, counting stops there and the page says "more than" (a log of a million rows needs no exact
    count to be read newest first, and counting it all costs more than the page)."""
    if not stmt._order_by_clauses:
        raise ValueError("paginate() needs an ordered statement (SQL Server cannot OFFSET without ORDER BY)")
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
    counted = stmt.order_by(None) if count_limit is None else stmt.limit(count_limit + 1)
    total = db.session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    capped = count_limit is not None and total > count_limit
    if capped:
        total = count_limit
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(limited)
    items = list(result.unique().scalars() if scalars else result)
    return Page(items=items, page=page, per_page=per_page, total=total, capped=capped)


MAX_SEGMENTS_PER_PAGE = 2  # more, and one statement sorting the whole list is cheaper (the segments are small)


@dataclass
class Segment:
    """A run of rows in the list's order: the rows matching `condition` (None: all), ordered by `order_by`
    (ending in a primary key), `count` of them. A sort whose empty values go last, or that follows a
    dictionary's order, is several segments, each of which an index can walk in order."""

    condition: object
    order_by: list
    count: int


def paginate_segments(stmt: Select, segments: list[Segment], page: int = 1, per_page: int = PAGE_SIZES[0],
                      whole: Select | None = None) -> Page:
    """One page of `stmt` read segment after segment: a LIMIT/OFFSET query for each segment the page
    touches (usually one), using the counts the caller took in one grouped query. A page spanning more than
    two segments (many small ones: a salesperson's few customers of each owner) is read from `whole`, the
    same order as one statement, if given."""
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
    total = sum(segment.count for segment in segments)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    skip = (page - 1) * per_page
    spans = _spans(segments, skip, per_page)
    if whole is not None and len(spans) > MAX_SEGMENTS_PER_PAGE:
        items = list(db.session.execute(whole.limit(per_page).offset(skip)).unique().scalars())
        return Page(items=items, page=page, per_page=per_page, total=total)
    items: list = []
    for segment, offset, limit in spans:
        part = stmt if segment.condition is None else stmt.where(segment.condition)
        items += db.session.execute(part.order_by(*segment.order_by).limit(limit).offset(offset)).unique().scalars()
    return Page(items=items, page=page, per_page=per_page, total=total)


def _spans(segments: list[Segment], skip: int, wanted: int) -> list[tuple[Segment, int, int]]:
    """(segment, offset in it, rows to take) for each segment the rows skip .. skip + wanted fall in."""
    spans = []
    for segment in segments:
        if wanted <= 0:
            break
        if skip >= segment.count:
            skip -= segment.count
            continue
        take = min(wanted, segment.count - skip)
        spans.append((segment, skip, take))
        wanted -= take
        skip = 0
    return spans


def empty_last_segments(column, ordered_column, then: list, total: int, filled: int) -> list[Segment]:
    """The two segments of a sort whose empty values go last whatever the direction: the rows where `column` is
    filled, ordered by `ordered_column` (the column ascending or descending) then `then`; then the empty ones by
    `then` (which ends in the primary key). `total` and `filled` come from one count(*), count(column) query."""
    return [Segment(column.is_not(None), [ordered_column, *then], filled or 0),
            Segment(column.is_(None), list(then), (total or 0) - (filled or 0))]


def paginate_ids(stmt: Select, id_column, ids: list[int], page: int = 1, per_page: int = PAGE_SIZES[0]) -> Page:
    """One page of the rows of `stmt` (ordered) among `ids`, already collected and at most a thousand or so (SQL
    Server takes 2,100 parameters): the page is ordered in the database among those rows alone."""
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
    pages = max(1, math.ceil(len(ids) / per_page))
    page = min(max(1, page), pages)
    items = []
    if ids:
        limited = stmt.where(id_column.in_(ids)).limit(per_page).offset((page - 1) * per_page)
        items = list(db.session.scalars(limited).unique())
    return Page(items=items, page=page, per_page=per_page, total=len(ids))
