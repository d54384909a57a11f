"""Demo quotas for the current fiscal year and a few commits for the current quarter, next to the demo opportunities."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select, type_coerce

from ..core.types import Money
from ..extensions import db
from ..forecast.models import Commit, Quota
from ..forecast.periods import fiscal_start_month, fiscal_year_months
from ..forecast.services import current_quarter, site_today
from ..opportunities.models import OPEN, WON, Opportunity
from .base import DemoContext

# Monthly quota in 元 by seniority: salespeople 50-150k, group leaders and managers 150-300k.
LOW, HIGH = Decimal(50_000), Decimal(300_000)
RANGES = {"sales": (50_000, 150_000), "sales_manager": (150_000, 300_000)}
STEP = 10_000


def seed(ctx: DemoContext) -> None:
    """A monthly quota for every active salesperson and sales manager for the current fiscal year: from what they
    won in the last twelve months (plus 10-30% growth) when they won something, else by seniority; busier
    months before the Spring Festival and in the last month of a quarter. A third of them commit for the quarter."""
    rng = ctx.rng("forecast")
    people = ctx.active_users("sales", "sales_manager")
    if not people:
        return
    today = site_today()
    quarter = current_quarter()
    won_last_year = dict(db.session.execute(
        select(Opportunity.owner_id, func.sum(Opportunity.amount))
        .where(Opportunity.status == WON, Opportunity.deleted_at.is_(None),
               Opportunity.closed_on >= today - dt.timedelta(days=365), Opportunity.closed_on <= today)
        .group_by(Opportunity.owner_id)).all())
    expected = {owner: (won or 0, weighted or 0) for owner, won, weighted in _quarter_figures(quarter)}
    months = fiscal_year_months(quarter.year, fiscal_start_month())
    quotas, commits = [], []
    for user in people:
        low, high = RANGES[user.role.code]
        monthly = Decimal(rng.randrange(low, high + 1, STEP))
        if won_last_year.get(user.id):
            grown = won_last_year[user.id] / 12 * Decimal(rng.uniform(1.1, 1.3))
            monthly = min(HIGH, max(LOW, (grown / STEP).quantize(Decimal(1)) * STEP))
        for n, (year, month) in enumerate(months):
            factor = Decimal("1.2") if n % 3 == 2 else Decimal("0.9") if month == 2 else Decimal(1)
            quotas.append(Quota(user_id=user.id, year=year, month=month, amount=monthly * factor))
        if rng.random() < 1 / 3:
            won, weighted = expected.get(user.id, (0, 0))
            call = (Decimal(won) + Decimal(weighted)) * Decimal(rng.uniform(0.9, 1.2))
            if not call:
                call = monthly * 3 * Decimal(rng.uniform(0.6, 0.9))
            commits.append(Commit(user_id=user.id, year=quarter.year, quarter=quarter.quarter,
                                  amount=(call / 1000).quantize(Decimal(1)) * 1000))
    db.session.add_all(quotas + commits)
    db.session.flush()
    ctx.counts.update(quotas=len(quotas), commits=len(commits))


def _quarter_figures(quarter):
    """(owner id, won, weighted open pipeline) of the quarter, exact (as the forecast page computes them)."""
    won = dict(db.session.execute(
        select(Opportunity.owner_id, func.sum(Opportunity.amount))
        .where(Opportunity.status == WON, Opportunity.deleted_at.is_(None),
               Opportunity.closed_on >= quarter.first_day, Opportunity.closed_on <= quarter.last_day)
        .group_by(Opportunity.owner_id)).all())
    weighted = dict(db.session.execute(
        select(Opportunity.owner_id, type_coerce(func.sum(Opportunity.amount * Opportunity.probability), Money))
        .where(Opportunity.status == OPEN, Opportunity.deleted_at.is_(None),
               Opportunity.expected_close_date >= quarter.first_day,
               Opportunity.expected_close_date <= quarter.last_day)
        .group_by(Opportunity.owner_id)).all())
    return [(owner, won.get(owner) or 0, (weighted.get(owner) or 0) / 100) for owner in set(won) | set(weighted)]
