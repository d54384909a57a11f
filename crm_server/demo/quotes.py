"""Demo quotes: for most opportunities with product lines, numbered by the site's pattern on their quote dates;
won deals end with an accepted quote whose total is the deal's amount, some quotes have a second version,
some wait for a manager's approval."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..contacts.models import Contact
from ..core.numbering import next_number
from ..core.types import utcnow
from ..extensions import db
from ..opportunities.models import LOST, OPEN, WON, Opportunity
from ..products.models import Product
from ..quotes import calc
from ..quotes.models import (ACCEPTED, APPROVED, DRAFT, EXPIRED, PENDING, REJECTED, SENT, Quote, QuoteDiscountLimit,
                             QuoteLine)
from ..quotes.services import NUMBER_SERIES, number_pattern
from .base import DemoContext

DELIVERY = ("合同签订后15个工作日内发货", "款到后7个工作日内发货", "现货，款到即发", "合同签订后30天内交付并安装调试")
PAYMENT = ("预付30%，发货前付清余款", "货到验收合格后30天内付清", "预付50%，验收后付50%", "月结30天")
REMARKS = (None, None, "含运费及标准安装", "报价含13%增值税专用发票", "质保期一年，终身技术支持")


def _today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)).date()


def _local(at: dt.datetime) -> dt.date:
    zone = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
    return at.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()


def _lines(opportunity: Opportunity, products: dict, extra_discount: Decimal = Decimal(0)) -> list[QuoteLine]:
    result = []
    for order, line in enumerate(opportunity.lines, start=1):
        product = products.get(line.product_id)
        discount = min(Decimal(line.discount_percent) + extra_discount, Decimal(40))
        result.append(QuoteLine(product_id=line.product_id, description=line.description,
                                specification=product.specification if product else None,
                                unit=product.unit if product else None, quantity=line.quantity,
                                list_price=line.unit_price, unit_price=line.unit_price, discount_percent=discount,
                                tax_rate=product.tax_rate if product else Decimal("13.00"), sort_order=order))
    return result


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng("quotes")
    pattern = number_pattern()
    today = _today()
    now = utcnow().replace(microsecond=0)
    users = {user.id: user for user in ctx.users}
    limits = {row.role_id: row.max_discount_percent for row in db.session.scalars(select(QuoteDiscountLimit))}
    approvers = ctx.active_users("sales_manager", "sales_director")
    contacts: dict[int, int] = {}
    for contact_id, customer_id in db.session.execute(select(Contact.id, Contact.customer_id)
                                                      .where(Contact.deleted_at.is_(None)).order_by(Contact.id)):
        contacts.setdefault(customer_id, contact_id)
    opportunities = db.session.scalars(select(Opportunity).options(selectinload(Opportunity.lines))
                                       .where(Opportunity.deleted_at.is_(None)).order_by(Opportunity.id)).all()
    products = {product.id: product for product in db.session.scalars(select(Product))}
    made = 0

    def approver_for(owner_id: int) -> int | None:
        owner = users.get(owner_id)
        same = [u for u in approvers if owner is not None and u.department_id == owner.department_id
                and u.id != owner_id]
        pool = same or [u for u in approvers if u.id != owner_id]
        return rng.choice(pool).id if pool else None

    def make(opportunity: Opportunity, quote_date: dt.date, status: str, number: str | None, version: int,
             previous: Quote | None, extra_discount: Decimal, overall: Decimal) -> Quote:
        nonlocal made
        quote = Quote(number=number or next_number(NUMBER_SERIES, pattern, quote_date), version=version,
                      is_latest=True, previous=previous, customer_id=opportunity.customer_id,
                      opportunity_id=opportunity.id, contact_id=contacts.get(opportunity.customer_id),
                      owner_id=opportunity.owner_id, title=opportunity.name, status=status, quote_date=quote_date,
                      valid_until=quote_date + dt.timedelta(days=rng.choice((15, 30, 30, 60))),
                      delivery_terms=rng.choice(DELIVERY), payment_terms=rng.choice(PAYMENT),
                      remarks=rng.choice(REMARKS), overall_discount_percent=overall,
                      created_by_id=opportunity.owner_id, updated_by_id=opportunity.owner_id)
        quote.lines = _lines(opportunity, products, extra_discount)
        calc.apply(quote)
        at = dt.datetime.combine(quote_date, dt.time(2, 0)) + dt.timedelta(minutes=rng.randint(0, 480))
        quote.created_at = quote.updated_at = min(at, now)
        owner = users.get(opportunity.owner_id)
        limit = limits.get(owner.role_id) if owner is not None else None
        above = limit is not None and quote.max_discount_percent > limit
        if status == PENDING and not above:  # within the owner's limit: approved on submitting
            status = quote.status = APPROVED
        if status != DRAFT:
            quote.submitted_by_id, quote.submitted_at = opportunity.owner_id, quote.created_at
        if above and status not in (DRAFT, PENDING):
            quote.approved_by_id = approver_for(opportunity.owner_id)
            quote.approved_at = quote.created_at + dt.timedelta(hours=rng.randint(1, 20))
            quote.approval_comment = rng.choice(("同意", "重点客户，同意此折扣", None))
        if status in (SENT, ACCEPTED, REJECTED, EXPIRED):
            quote.sent_at = quote.created_at + dt.timedelta(days=1)
        if status in (ACCEPTED, REJECTED):
            quote.closed_at = quote.sent_at + dt.timedelta(days=rng.randint(2, 12))
        db.session.add(quote)
        made += 1
        return quote

    for opportunity in opportunities:
        if not opportunity.lines or rng.random() > 0.7:
            continue
        start = _local(opportunity.created_at) + dt.timedelta(days=rng.randint(2, 10))
        revised = rng.random() < 0.3
        if opportunity.status == WON:
            end = opportunity.closed_on or today
            first_date = min(start, end - dt.timedelta(days=12 if revised else 5))
            final_status = ACCEPTED
        elif opportunity.status == LOST:
            end = opportunity.closed_on or today
            first_date = min(start, end - dt.timedelta(days=12 if revised else 5))
            final_status = rng.choice((REJECTED, REJECTED, EXPIRED))
        else:
            first_date = max(start, today - dt.timedelta(days=rng.randint(3, 25)))
            final_status = rng.choice((DRAFT, SENT, SENT, APPROVED, PENDING, PENDING))
        first_date = min(first_date, today)
        overall = Decimal(rng.choice((0, 0, 0, 2, 3, 5)))
        if final_status == PENDING:
            overall = Decimal(rng.choice((8, 10, 12)))  # clearly above a salesperson's limit
        number = None
        previous = None
        if revised:
            previous = make(opportunity, first_date, SENT, None, 1, None, Decimal(0), overall)
            db.session.flush()
            previous.is_latest = False
            number = previous.number
            first_date = min(first_date + dt.timedelta(days=rng.randint(3, 7)), today)
            overall = overall + Decimal(rng.choice((2, 3)))
        final = make(opportunity, first_date, final_status, number, 2 if revised else 1, previous, Decimal(0),
                     overall)
        if final_status == ACCEPTED:
            opportunity.amount = final.total  # as accepting the quote does (apply_accepted_quote)
            opportunity.amount_from_lines = False
        elif final_status in (SENT, APPROVED) and opportunity.status == OPEN:
            final.valid_until = max(final.valid_until, today + dt.timedelta(days=rng.randint(5, 30)))
    db.session.flush()
    ctx.counts["quotes"] = made
