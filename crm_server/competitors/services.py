"""竞争对手 rules: competitor records, where we met them (within the viewer's data scope) and our record against
them (over every opportunity, an aggregate the whole company sees)."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.audit import diff, snapshot
from ..core.errors import DomainError
from ..core.models import User
from ..core.search import contains
from ..extensions import db
from ..opportunities.access import opportunity_condition
from ..opportunities.models import LOST, OPEN, WON, Competitor, Opportunity, OpportunityCompetitor

audit.register_actions({
    "competitor.created": _l("Created a competitor"),
    "competitor.updated": _l("Edited a competitor"),
})

PRICE_LEVELS = {"low": _l("Low"), "medium": _l("Medium"), "high": _l("High")}
FIELDS = ("name", "website", "strengths", "weaknesses", "products", "price_level", "notes")
TEXT_LIMIT = 4000


def _text(value: str | None, length: int) -> str | None:
    value = unicodedata.normalize("NFC", value or "").strip()
    return value[:length] or None


def competitor_choices() -> list[tuple[int, str]]:
    """(id, name) of every competitor, by name, for the opportunity form."""
    rows = db.session.execute(select(Competitor.id, Competitor.name).order_by(Competitor.name, Competitor.id))
    return [(row.id, row.name) for row in rows]


def get_competitor(competitor_id: int) -> Competitor | None:
    return db.session.get(Competitor, competitor_id) if competitor_id else None


def list_competitors(q: str | None = None) -> Select:
    """Competitors matching a keyword in their name, products, strengths or weaknesses, by name (to paginate)."""
    stmt = select(Competitor)
    term = (q or "").strip()[:100]
    if term:
        lowered = term.lower()
        stmt = stmt.where(or_(*(contains(func.lower(column), lowered) for column in (
            Competitor.name, Competitor.products, Competitor.strengths, Competitor.weaknesses))))
    return stmt.order_by(Competitor.name, Competitor.id)


def _apply(competitor: Competitor, data: dict) -> None:
    name = _text(data.get("name"), 200)
    if not name:
        raise DomainError(_("Enter the competitor's name."), "name")
    # Compared without case, as SQL Server's usual collation does, so every engine agrees.
    clash = db.session.scalar(select(Competitor.id).where(func.lower(Competitor.name) == name.lower(),
                                                          Competitor.id != (competitor.id or 0)))
    if clash is not None:
        raise DomainError(_("A competitor named %(name)s already exists.", name=name), "name")
    price_level = data.get("price_level") or None
    if price_level is not None and price_level not in PRICE_LEVELS:
        raise DomainError(_("Choose a price level from the list."), "price_level")
    website = _text(data.get("website"), 200)
    if website and not website.lower().startswith(("http://", "https://")):
        website = "https://" + website
        if len(website) > 200:
            raise DomainError(_("The website address is too long."), "website")
    competitor.name = name
    competitor.website = website
    competitor.price_level = price_level
    for field in ("strengths", "weaknesses", "products", "notes"):
        setattr(competitor, field, _text(data.get(field), TEXT_LIMIT))


def create_competitor(actor: User | None, **data) -> Competitor:
    """Add a competitor: name, website, strengths, weaknesses, products, price_level (low/medium/high), notes."""
    competitor = Competitor()
    _apply(competitor, data)
    competitor.created_by_id = actor.id if actor is not None else None
    db.session.add(competitor)
    db.session.flush()
    audit.record(actor, "competitor.created", competitor, changes=diff({}, snapshot(competitor, FIELDS)))
    return competitor


def update_competitor(actor: User | None, competitor: Competitor, **data) -> Competitor:
    before = snapshot(competitor, FIELDS)
    _apply(competitor, data)
    db.session.flush()
    changes = diff(before, snapshot(competitor, FIELDS))
    if changes:
        audit.record(actor, "competitor.updated", competitor, changes=changes)
    return competitor


@dataclass
class Record:
    """Our record against a competitor over every live opportunity where we met them."""

    won: int = 0
    lost: int = 0
    open: int = 0
    won_amount: Decimal = Decimal("0.00")
    lost_amount: Decimal = Decimal("0.00")

    @property
    def closed(self) -> int:
        return self.won + self.lost

    @property
    def win_rate(self) -> int | None:
        """Won out of closed, in whole percent; None before anything closed."""
        return round(self.won * 100 / self.closed) if self.closed else None


def record_against(competitor: Competitor) -> Record:
    """Won / lost / open counts and amounts over ALL live opportunities, whoever owns them (one grouped query):
    the company-wide aggregate is public like the competitor itself; the opportunities are not."""
    rows = db.session.execute(
        select(Opportunity.status, func.count(Opportunity.id), func.sum(Opportunity.amount))
        .join(OpportunityCompetitor, OpportunityCompetitor.opportunity_id == Opportunity.id)
        .where(OpportunityCompetitor.competitor_id == competitor.id, Opportunity.deleted_at.is_(None))
        .group_by(Opportunity.status))
    result = Record()
    for status, count, amount in rows:
        if status == WON:
            result.won, result.won_amount = count, Decimal(amount or 0).quantize(Decimal("0.01"))
        elif status == LOST:
            result.lost, result.lost_amount = count, Decimal(amount or 0).quantize(Decimal("0.01"))
        elif status == OPEN:
            result.open = count
    return result


def encounters(user: User, competitor: Competitor) -> Select:
    """(Opportunity, OpportunityCompetitor) rows where we met the competitor, only opportunities `user` may see,
    latest first (to paginate with scalars=False)."""
    return (select(Opportunity, OpportunityCompetitor)
            .join(OpportunityCompetitor, OpportunityCompetitor.opportunity_id == Opportunity.id)
            .options(joinedload(Opportunity.customer), joinedload(Opportunity.stage), joinedload(Opportunity.owner))
            .where(OpportunityCompetitor.competitor_id == competitor.id, opportunity_condition(user))
            .order_by(Opportunity.updated_at.desc(), Opportunity.id.desc()))
