"""What campaigns earned, computed in the database: one statement of grouped counts and sums for any number of
campaigns (a list page's, or one detail page's), then exact Decimal arithmetic for the ratios."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, literal, select, type_coerce

from ..core.money import to_fen
from ..core.types import Money
from ..extensions import db
from ..leads.models import CONVERTED, Lead
from ..opportunities.models import OPEN, WON, Opportunity
from .models import Campaign

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")


@dataclass
class Results:
    """A campaign's figures. Ratios are None (shown blank) when their divisor is missing or zero."""

    leads: int = 0
    converted_leads: int = 0
    opportunities: int = 0
    won_opportunities: int = 0
    won_amount: Decimal = ZERO
    pipeline_amount: Decimal = ZERO  # open opportunities
    actual_cost: Decimal | None = None

    @property
    def conversion_rate(self) -> Decimal | None:
        """Converted leads in % of leads, one decimal."""
        return percent(Decimal(self.converted_leads), Decimal(self.leads))

    @property
    def cost_per_lead(self) -> Decimal | None:
        if self.actual_cost is None or not self.leads:
            return None
        return to_fen(self.actual_cost / self.leads)

    @property
    def cost_per_won(self) -> Decimal | None:
        if self.actual_cost is None or not self.won_opportunities:
            return None
        return to_fen(self.actual_cost / self.won_opportunities)

    @property
    def roi(self) -> Decimal | None:
        """(won amount − actual cost) ÷ actual cost, in %, one decimal; None without a cost."""
        if not self.actual_cost:
            return None
        return percent(self.won_amount - self.actual_cost, self.actual_cost)


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    if not whole:
        return None
    return (part * 100 / whole).quantize(TENTH, rounding=ROUND_HALF_UP)


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


def _statement(campaign_ids: list[int]):
    leads = (select(Lead.campaign_id.label("campaign_id"), func.count(Lead.id).label("leads"),
                    _count_if(Lead.status == CONVERTED).label("converted"))
             .where(Lead.campaign_id.in_(campaign_ids), Lead.deleted_at.is_(None))
             .group_by(Lead.campaign_id).subquery("lead_figures"))
    zero = literal(0)
    opportunities = (
        select(Opportunity.campaign_id.label("campaign_id"), func.count(Opportunity.id).label("opportunities"),
               _count_if(Opportunity.status == WON).label("won"),
               type_coerce(func.sum(case((Opportunity.status == WON, Opportunity.amount), else_=zero)),
                           Money).label("won_amount"),
               type_coerce(func.sum(case((Opportunity.status == OPEN, Opportunity.amount), else_=zero)),
                           Money).label("open_amount"))
        .where(Opportunity.campaign_id.in_(campaign_ids), Opportunity.deleted_at.is_(None))
        .group_by(Opportunity.campaign_id).subquery("opportunity_figures"))
    return (select(Campaign.id, Campaign.actual_cost, leads.c.leads, leads.c.converted, opportunities.c.opportunities,
                   opportunities.c.won, opportunities.c.won_amount, opportunities.c.open_amount)
            .outerjoin(leads, leads.c.campaign_id == Campaign.id)
            .outerjoin(opportunities, opportunities.c.campaign_id == Campaign.id)
            .where(Campaign.id.in_(campaign_ids)))


def results_for(campaign_ids) -> dict[int, Results]:
    """{campaign id: Results} for the given campaigns (a page of them at most), in one statement. Counts every
    live lead and opportunity of the campaign: the figures are the campaign's, not the viewer's."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    found = {}
    for row in db.session.execute(_statement(ids)):
        found[row.id] = Results(
            leads=int(row.leads or 0), converted_leads=int(row.converted or 0),
            opportunities=int(row.opportunities or 0), won_opportunities=int(row.won or 0),
            won_amount=to_fen(row.won_amount or 0), pipeline_amount=to_fen(row.open_amount or 0),
            actual_cost=row.actual_cost)
    return found


def results_of(campaign: Campaign) -> Results:
    return results_for([campaign.id]).get(campaign.id) or Results(actual_cost=campaign.actual_cost)
