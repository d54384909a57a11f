"""The leads' pages: the lead list (first page, each filter, each sort, keyword search by name and by phone
fragment) and a lead's page, measured as the salesperson and as the director (issue 5: the customer lists'
targets)."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import func, select

from crm_server.extensions import db
from crm_server.leads.models import Lead, LeadFollowUp
from crm_server.leads.services import SORT_KEYS

LIST_MS, SEARCH_MS, DETAIL_MS = 50, 100, 50   # p95 targets (ms), as for the customer list
LIST_BUDGET = 20
DETAIL_BUDGET = 30
ASCENDING = ("name", "company", "grade")      # sorts also read A→Z (the grade: A first)


def lead_pages(page_class, user_id: int) -> list:
    """Pages built with bench.pages.Page (passed in, so that module imports this one and not the reverse)."""
    Page = page_class  # noqa: N806
    counts = (select(LeadFollowUp.lead_id, func.count().label("n")).join(Lead, Lead.id == LeadFollowUp.lead_id)
              .where(Lead.owner_id == user_id).group_by(LeadFollowUp.lead_id).subquery())
    lead_id = db.session.scalar(select(counts.c.lead_id).where(counts.c.n >= 2).order_by(counts.c.lead_id).limit(1))
    lead_id = lead_id or db.session.scalar(select(Lead.id).where(Lead.owner_id == user_id).order_by(Lead.id).limit(1))
    if lead_id is None:
        return []
    lead = db.session.get(Lead, lead_id)
    campaign_id = db.session.scalar(select(Lead.campaign_id).where(Lead.campaign_id.is_not(None))
                                    .order_by(Lead.id).limit(1))
    filters = {"status": "contacting", "grade": "A", "source_id": lead.source_id, "owner_id": user_id,
               "campaign_id": campaign_id, "pool": "1", "mine": "1"}
    result = [Page("leads list", "/leads/", LIST_BUDGET, LIST_MS)]
    for key, value in filters.items():
        if value:
            result.append(Page(f"leads filter {key}", "/leads/?" + urlencode({key: value}), LIST_BUDGET, LIST_MS))
    for key in SORT_KEYS:
        result.append(Page(f"leads sort {key}", "/leads/?" + urlencode({"sort": key, "dir": "desc"}),
                           LIST_BUDGET, LIST_MS))
        if key in ASCENDING:
            result.append(Page(f"leads sort {key} asc", "/leads/?" + urlencode({"sort": key, "dir": "asc"}),
                               LIST_BUDGET, LIST_MS))
    name_fragment = (lead.company[len(lead.city or "") - 1:][:2] if lead.company else lead.name)[:2]
    for label, term in (("name fragment", lead.name[:2]), ("company fragment", name_fragment),
                        ("phone fragment", (lead.mobile or lead.phone or "13800000000")[3:7])):
        result.append(Page(f"leads search {label}", "/leads/?" + urlencode({"q": term}), LIST_BUDGET, SEARCH_MS))
    result.append(Page("lead detail", f"/leads/{lead_id}", DETAIL_BUDGET, DETAIL_MS))
    return result
