"""The sales pipeline's pages: the opportunity list (first page, each filter, each sort), the kanban board, an
opportunity's page and the forecast, measured as the salesperson and as the director."""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from sqlalchemy import select

from crm_server.extensions import db
from crm_server.opportunities.listing import SORTS
from crm_server.opportunities.models import Opportunity
from crm_server.opportunities.pipelines import default_pipeline, stages

PIPELINE_MS = 100   # p95 target of every page here (issue 4)
LIST_BUDGET = 20


def opportunity_pages(page_class, user_id: int, customer_id: int) -> list:
    """Pages built with bench.pages.Page (passed in, so that module imports this one and not the reverse)."""
    Page = page_class  # noqa: N806
    pipeline = default_pipeline()
    if pipeline is None:
        return []
    opportunity_id = db.session.scalar(select(Opportunity.id).where(Opportunity.owner_id == user_id)
                                       .order_by(Opportunity.id).limit(1))
    stage_id = stages(pipeline.id)[1].id
    month = (dt.date.today() + dt.timedelta(days=30)).strftime("%Y-%m")
    filters = {"pipeline": pipeline.id, "stage": stage_id, "status": "open", "owner": user_id,
               "close_month": month, "amount_min": "100000", "amount_max": "500000", "customer": customer_id,
               "q": "ERP"}
    result = [Page("opportunities list", "/opportunities/", LIST_BUDGET, PIPELINE_MS)]
    for key, value in filters.items():
        result.append(Page(f"opportunities filter {key}", "/opportunities/?" + urlencode({key: value}),
                           LIST_BUDGET, PIPELINE_MS))
    for key, direction in SORTS.items():
        result.append(Page(f"opportunities sort {key}", "/opportunities/?" + urlencode({"sort": key, "dir": direction}),
                           LIST_BUDGET, PIPELINE_MS))
    result += [
        Page("opportunities kanban", f"/opportunities/kanban?pipeline={pipeline.id}", 30, PIPELINE_MS),
        Page("opportunities funnel (90 days)", f"/opportunities/funnel?pipeline={pipeline.id}", 20, PIPELINE_MS),
        Page("forecast", "/forecast/", 40, PIPELINE_MS),
    ]
    if opportunity_id is not None:
        result.append(Page("opportunity detail", f"/opportunities/{opportunity_id}", 30, PIPELINE_MS))
    return result
