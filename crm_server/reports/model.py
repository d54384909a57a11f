"""What a report is made of: figures (KPIs), tables and the charts drawn from them. Every chart names the table
that holds its numbers, so the page shows both side by side and the export carries the same figures."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

from ..charts.render import COUNT, Series

# Chart kinds a report may ask for.
BAR, HBAR, GROUPED, STACKED, HSTACKED, LINE, PIE, DONUT, FUNNEL = (
    "bar", "hbar", "grouped", "stacked", "hstacked", "line", "pie", "donut", "funnel")


@dataclass(frozen=True)
class Column:
    label: str
    unit: str | None = None  # None: text; else a charts.render unit (money, count, percent, days)


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list]
    total: list | None = None  # the totals row, if the figures add up


@dataclass
class Chart:
    key: str
    title: str
    kind: str
    categories: Sequence[str]
    series: list[Series]
    table: str  # the key of the table with these numbers
    unit: str = COUNT


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    value: object
    unit: str = COUNT
    hint: str | None = None  # e.g. "上年同期 ¥1,234"


@dataclass
class ReportResult:
    kpis: list[Kpi] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    def chart(self, key: str) -> Chart | None:
        return next((c for c in self.charts if c.key == key), None)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)


@dataclass(frozen=True)
class Report:
    key: str                      # in the URL: /reports/<key>
    group: str                    # sales, activity, customers, leads, money, forecast, service
    title: object                 # lazy-translated
    description: object
    build: Callable               # build(viewer, filters) -> ReportResult
    record_types: tuple = ("customer",)  # whose data scopes the figures follow (for the cache key)
    permission: str | None = None  # shown only to roles holding it
    uses_grouping: bool = False   # the day / week / month choice matters
    order: int = 100


REPORTS: dict[str, Report] = {}
GROUPS = ("sales", "activity", "customers", "leads", "money", "service", "forecast")


def register_report(report: Report) -> Report:
    REPORTS[report.key] = report
    return report


def reports_for(user) -> list[Report]:
    return sorted((r for r in REPORTS.values() if r.permission is None or user.can(r.permission)),
                  key=lambda r: (GROUPS.index(r.group) if r.group in GROUPS else 99, r.order, r.key))
