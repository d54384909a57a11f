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


def paginate(stmt: Select, page: int = 1, per_page: int = PAGE_SIZES[0], scalars: bool = True) -> Page:
    """Run `stmt` for one page. `stmt` must be ordered, ending in a primary key (SQL Server needs ORDER BY)."""
    if not stmt._order_by_clauses:
        raise ValueError("paginate() needs an ordered statement (SQL Server cannot OFFSET without ORDER BY)")
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    limited = stmt.limit(per_page).offset((page - 1) * per_page)
    result = db.session.execute(limited)
    items = list(result.unique().scalars() if scalars else result)
    return Page(items=items, page=page, per_page=per_page, total=total)
