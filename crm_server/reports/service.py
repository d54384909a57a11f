"""Computing a report (cached) and drawing one of its charts (cached too)."""
from __future__ import annotations

from ..charts import render
from ..charts.cache import cached
from .filters import ReportFilters, scope_key
from .model import BAR, DONUT, FUNNEL, GROUPED, HBAR, HSTACKED, LINE, PIE, STACKED, Report, ReportResult


def result(viewer, report: Report, filters: ReportFilters) -> ReportResult:
    key = ("report", report.key, filters.key(), scope_key(viewer, report.record_types), _language())
    return cached(key, lambda: report.build(viewer, filters))


def _language() -> str:
    from flask_babel import get_locale
    return str(get_locale())


def figure(chart):
    """The matplotlib Figure of a chart spec."""
    if chart.kind in (BAR, HBAR, GROUPED, STACKED, HSTACKED):
        return render.bar(chart.categories, chart.series, unit=chart.unit, title=chart.title,
                          horizontal=chart.kind in (HBAR, HSTACKED), stacked=chart.kind in (STACKED, HSTACKED))
    if chart.kind == LINE:
        return render.line(chart.categories, chart.series, unit=chart.unit, title=chart.title)
    if chart.kind in (PIE, DONUT):
        return render.pie(chart.categories, chart.series[0].values if chart.series else [], unit=chart.unit,
                          donut=chart.kind == DONUT, title=chart.title)
    if chart.kind == FUNNEL:
        return render.funnel(chart.categories, chart.series[0].values if chart.series else [], unit=chart.unit,
                             title=chart.title)
    raise ValueError(chart.kind)


def chart_image(viewer, report: Report, filters: ReportFilters, chart_key: str, fmt: str, scale: int = 2):
    """PNG or SVG bytes of one chart of the report, or None if it has no such chart."""
    def draw():
        chart = result(viewer, report, filters).chart(chart_key)
        if chart is None:
            return None
        fig = figure(chart)
        return render.png(fig, scale) if fmt == "png" else render.svg(fig)
    key = ("chart", report.key, chart_key, fmt, scale, filters.key(), scope_key(viewer, report.record_types),
           _language())
    return cached(key, draw)
