"""Fixtures of the activity, customers and leads reports: one team in two departments, times given in Shanghai
local time (stored as naive UTC), and a way to read a report as a user with the given filters."""
from __future__ import annotations

import datetime as dt

from crm_server.extensions import db
from crm_server.reports.filters import ReportFilters
from crm_server.reports.model import REPORTS
from tests.factories import make_branch, make_department, make_user

FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
RANGE = "from=2026-01-01&to=2026-03-31"


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A Shanghai (UTC+8) wall-clock time as stored: naive UTC."""
    return dt.datetime(year, month, day, hour, minute) - dt.timedelta(hours=8)


def make_team() -> dict:
    """A director, a manager and two salespeople in 华东销售部, one salesperson in 华北销售部."""
    branch = make_branch("上海总部")
    east, north = make_department("华东销售部", branch=branch), make_department("华北销售部", branch=branch)
    team = {
        "director": make_user("sales_director", display_name="总监王", department=east),
        "manager": make_user("sales_manager", display_name="经理张", department=east),
        "s1": make_user("sales", display_name="销售甲", department=east),
        "s2": make_user("sales", display_name="销售乙", department=east),
        "s3": make_user("sales", display_name="销售丙", department=north),
        "east": east, "north": north, "branch": branch,
    }
    db.session.flush()
    return team


def clear_report_cache(app) -> None:
    """Figures are cached by data version; ids restart after each test's clean-up, so a previous test's
    figures must not be served."""
    cache = app.extensions.get("crm_report_cache")
    if cache is not None:
        cache.clear()


def build(key: str, viewer, first=FIRST, last=LAST, **filters):
    """The report's result as `viewer` sees it (uncached)."""
    return REPORTS[key].build(viewer, ReportFilters(first, last, **filters))


def rows(result, table: str) -> list[list]:
    return result.table(table).rows


def row_by(result, table: str, first_cell) -> list | None:
    return next((r for r in result.table(table).rows if r[0] == first_cell), None)


def kpi(result, key: str):
    return next(k.value for k in result.kpis if k.key == key)
