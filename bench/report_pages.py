"""The reports and the home dashboard (issue 7): every report page cold (the report cache emptied before each
request: computed and rendered from the database) and cached, one chart image drawn from cached figures, and the
home dashboard cold and cached, as the salesperson, the sales director and finance."""
from __future__ import annotations

REPORT_COLD_MS, REPORT_CACHED_MS, CHART_MS, DASHBOARD_COLD_MS = 300, 50, 150, 500
REPORT_BUDGET = 40      # statements of a cold report page (each figure is one grouped statement)
CACHED_BUDGET = 10      # a cached report page: the session and user, the data version, the filter choices
DASHBOARD_BUDGET = 40

# One chart per report whose image is timed (the figures cached, the image not): the largest of each.
CHARTS = {"sales": "by_month", "activity": "ranking", "customers": "new_lost", "leads": "by_month",
          "money": "signed_received", "forecast": "by_quarter"}


def report_pages(page_class, reports: list[str]) -> list:
    Page = page_class  # noqa: N806
    result = [Page("home dashboard cold", "/", DASHBOARD_BUDGET, DASHBOARD_COLD_MS, clear="all"),
              Page("home dashboard cached", "/", CACHED_BUDGET + 4, REPORT_CACHED_MS)]
    for key in reports:
        result.append(Page(f"report {key} cold", f"/reports/{key}", REPORT_BUDGET, REPORT_COLD_MS, clear="all"))
        result.append(Page(f"report {key} cached", f"/reports/{key}", CACHED_BUDGET, REPORT_CACHED_MS))
        if key in CHARTS:
            result.append(Page(f"report {key} chart png", f"/reports/{key}/charts/{CHARTS[key]}.png", CACHED_BUDGET,
                               CHART_MS, clear="charts"))
    return result
