"""The customer page's section "线索来源": the leads the customer came from (visible to whoever sees the customer)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..customers.sections import register_section
from ..extensions import db
from .models import Lead


def _context(user, customer, args) -> dict:
    leads = db.session.scalars(select(Lead).options(selectinload(Lead.source), selectinload(Lead.owner))
                               .where(Lead.converted_customer_id == customer.id, Lead.deleted_at.is_(None))
                               .order_by(Lead.converted_at.desc(), Lead.id.desc()).limit(20)).all()
    return {"source_leads": leads}


register_section("leads", _l("Lead source"), "leads/_customer_section.html", _context, order=60)
