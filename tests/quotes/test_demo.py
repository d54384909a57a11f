"""Demo quotes: numbered without repeats, accepted quotes carry the won deals' amounts, versions, approvals."""
from __future__ import annotations

from sqlalchemy import func, select

from crm_server.demo import seed_demo
from crm_server.extensions import db
from crm_server.opportunities.models import WON, Opportunity
from crm_server.quotes import calc, services
from crm_server.quotes.models import ACCEPTED, PENDING, Quote


def test_demo_quotes(app):
    result = seed_demo()
    quotes = db.session.scalars(select(Quote)).all()
    assert len(quotes) == result["quotes"] >= 50
    assert len({(q.number, q.version) for q in quotes}) == len(quotes)
    statuses = {q.status for q in quotes}
    assert {ACCEPTED, PENDING, "sent", "rejected"} <= statuses
    revised = [q for q in quotes if q.version == 2]
    assert revised and all(q.previous is not None and not q.previous.is_latest for q in revised)
    for quote in quotes:
        figures = calc.compute(quote.lines, quote.overall_discount_percent)
        assert figures.total == quote.total and quote.lines
        if quote.status == PENDING:
            assert services.needs_approval(quote)
        if quote.status == ACCEPTED:
            assert quote.opportunity.status == WON and quote.opportunity.amount == quote.total
    won_with_quotes = db.session.scalar(select(func.count(func.distinct(Quote.opportunity_id)))
                                        .join(Opportunity, Quote.opportunity_id == Opportunity.id)
                                        .where(Opportunity.status == WON))
    assert won_with_quotes == sum(1 for q in quotes if q.status == ACCEPTED)
