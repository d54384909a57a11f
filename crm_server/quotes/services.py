"""报价单 rules: create and edit drafts, submit, approve or reject a discount, send, accept or reject, revise,
expire, the discount limits per role and the numbering pattern."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from flask import current_app, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from ..approvals import services as approval_services
from ..approvals.registry import DocumentType, Fact, register_document_type
from ..contacts.models import Contact, chosen_contact
from ..core import audit
from ..core.errors import DomainError
from ..core.line_items import LineInput
from ..core.models import Role, RolePermission, User
from ..core.numbering import change_pattern, next_number, stored_pattern
from ..core.permissions import can_see_owner
from ..core.roles import ADMIN
from ..core.search import contains, escape_like
from ..core.site_settings import get_setting, set_setting
from ..core.types import utcnow
from ..core.validation import clean_decimal, clean_percent, clean_text as _text
from ..customers.access import chosen_customer, visible_customers
from ..customers.models import Customer
from ..extensions import db
from ..opportunities import services as opportunity_services
from ..opportunities.access import visible_opportunities
from ..products import services as product_services
from ..reminders.services import register_kind, remind
from . import calc
from .access import QUOTE, QuotePermission, quote_condition
from .models import (ACCEPTED, APPROVED, DRAFT, EXPIRED, PENDING, REJECTED, SENT, Quote, QuoteDiscountLimit,
                     QuoteLine)

audit.register_actions({
    "quote.created": _l("Created a quote"),
    "quote.updated": _l("Edited a quote"),
    "quote.submitted": _l("Submitted a quote"),
    "quote.approved": _l("Approved a quote's discount"),
    "quote.approval_rejected": _l("Rejected a quote's discount"),
    "quote.sent": _l("Marked a quote sent"),
    "quote.accepted": _l("Recorded a quote as accepted"),
    "quote.rejected": _l("Recorded a quote as rejected by the customer"),
    "quote.revised": _l("Revised a quote (new version)"),
    "quote.expired": _l("A quote expired"),
    "quote.discount_limit_changed": _l("Changed a role's maximum quote discount"),
    "quote.number_pattern_changed": _l("Changed the quote number pattern"),
    "quote.approval_withdrawn": _l("Withdrew a quote from approval"),
})
register_kind("quote_approval", _l("Quote approval"))
register_kind("quote_decision", _l("Quote"))

STATUS_LABELS = {
    DRAFT: _l("Draft"), PENDING: _l("Pending approval"), APPROVED: _l("Approved"), SENT: _l("Sent"),
    ACCEPTED: _l("Accepted"), REJECTED: _l("Rejected"), EXPIRED: _l("Expired"),
}
NUMBER_PATTERN_KEY = "quotes.number_pattern"
DEFAULT_NUMBER_PATTERN = "BJ{yyyy}{mm}{dd}-{seq:04}"
NUMBER_SERIES = "quote"
DEFAULT_VALID_DAYS = 30
# Out of the box (once: an administrator's later change is kept): salespeople 10 %, sales managers 20 %;
# other roles have no limit until one is set.
DEFAULT_LIMITS = {"sales": Decimal("10.00"), "sales_manager": Decimal("20.00")}
DEFAULT_LIMITS_KEY = "quotes.discount_limits_seeded"
MAX_QUANTITY = Decimal("999999999")
MAX_PRICE = Decimal("9999999999")
MAX_LINES = 200
HEADER_FIELDS = ("opportunity_id", "contact_id", "title", "quote_date", "valid_until", "price_list_id",
                 "delivery_terms", "payment_terms", "remarks", "overall_discount_percent", "lines")
AUDIT_FIELDS = ("title", "opportunity", "contact", "quote_date", "valid_until", "price_list", "delivery_terms",
                "payment_terms", "remarks", "overall_discount_percent", "total", "max_discount_percent")
# Statuses that turn expired once past the validity date (a draft's date is simply changed before submitting).
EXPIRING = (APPROVED, SENT)


def site_today() -> dt.date:
    zone = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
    return dt.datetime.now(zone).date()


# --- values -----------------------------------------------------------------------------------

def _line(number: int, row, price_list_id: int | None, on: dt.date) -> QuoteLine:
    """One validated line. A catalogue line takes what it leaves blank from the product (name, specification,
    unit, tax rate, and the price on the quote's price list); its reference price is always that price."""
    row = row if isinstance(row, LineInput) else LineInput(**row)
    prefix = _("Line %(n)d: ", n=number)
    field = f"lines-{number - 1}"
    product = None
    if row.product_id:
        product = product_services.get_product(int(row.product_id))
        if product is None:
            raise DomainError(prefix + _("No product has this id."), f"{field}-product_id")
    reference = product_services.price_for(product, price_list_id, on) if product is not None else None
    description = _text(row.description or (product.name if product else None), 200, f"{field}-description")
    if description is None:
        raise DomainError(prefix + _("Choose a product or describe the line."), f"{field}-description")
    line = QuoteLine(
        product_id=product.id if product else None, description=description,
        specification=_text(row.specification or (product.specification if product else None), 200,
                            f"{field}-specification"),
        unit=_text(row.unit or (product.unit if product else None), 20, f"{field}-unit"),
        quantity=clean_decimal(row.quantity, f"{field}-quantity", Decimal("0.01"), MAX_QUANTITY, Decimal("1.00"),
                               prefix),
        unit_price=clean_decimal(row.unit_price, f"{field}-unit_price", Decimal(0), MAX_PRICE, reference, prefix),
        discount_percent=clean_percent(row.discount_percent, f"{field}-discount_percent", prefix),
        tax_rate=clean_decimal(row.tax_rate, f"{field}-tax_rate", Decimal(0), Decimal(100),
                               product.tax_rate if product else Decimal("13.00"), prefix),
        sort_order=number)
    line.list_price = reference if reference is not None else line.unit_price
    return line


def _opportunity(actor: User, customer: Customer, opportunity_id: int | None, current_id: int | None = None):
    if not opportunity_id:
        return None
    from ..opportunities.models import Opportunity
    opportunity = db.session.scalar(visible_opportunities(actor).where(
        Opportunity.id == opportunity_id, Opportunity.customer_id == customer.id))
    if opportunity is None:
        raise DomainError(_("Choose an opportunity of this customer."), "opportunity_id")
    return opportunity


def _price_list_id(price_list_id: int | None, on: dt.date) -> int | None:
    if not price_list_id:
        return None
    if price_list_id not in {pid for pid, _name in product_services.price_list_choices(on)}:
        raise DomainError(_("Choose a price list valid on the quote date."), "price_list_id")
    return price_list_id


def _apply(actor: User, quote: Quote, customer: Customer, fields: dict) -> None:
    """Validate and set the editable fields and lines of a draft, then recompute its figures."""
    quote_date = fields.get("quote_date") or site_today()
    valid_until = fields.get("valid_until") or quote_date + dt.timedelta(days=DEFAULT_VALID_DAYS)
    if valid_until < quote_date:
        raise DomainError(_("The validity date cannot be before the quote date."), "valid_until")
    price_list_id = _price_list_id(fields.get("price_list_id"), quote_date)
    rows = list(fields.get("lines") or [])
    if len(rows) > MAX_LINES:
        raise DomainError(_("At most %(n)d lines.", n=MAX_LINES))
    lines = [_line(number, row, price_list_id, quote_date) for number, row in enumerate(rows, start=1)]
    opportunity = _opportunity(actor, customer, fields.get("opportunity_id"))
    title = _text(fields.get("title"), 200, "title") or (opportunity.name if opportunity else None)
    if title is None:
        raise DomainError(_("This field is required."), "title")
    quote.title = title
    quote.opportunity = opportunity
    quote.contact = chosen_contact(customer, fields.get("contact_id"))
    quote.quote_date = quote_date
    quote.valid_until = valid_until
    quote.price_list_id = price_list_id
    quote.delivery_terms = _text(fields.get("delivery_terms"), 200, "delivery_terms")
    quote.payment_terms = _text(fields.get("payment_terms"), 200, "payment_terms")
    quote.remarks = _text(fields.get("remarks"), 4000, "remarks")
    quote.overall_discount_percent = clean_percent(fields.get("overall_discount_percent"), "overall_discount_percent")
    quote.lines = lines
    calc.apply(quote)
    quote.updated_by_id = actor.id


def _state(quote: Quote) -> dict:
    state = audit.snapshot(quote, AUDIT_FIELDS)
    state["lines"] = "; ".join(f"{line.description} × {line.quantity} @ {line.unit_price} -{line.discount_percent}%"
                               for line in quote.lines) or None
    return state


def _check_edit_permission(actor: User) -> None:
    if not actor.can(QuotePermission.EDIT):
        raise DomainError(_("You may not create or edit quotes."))


# --- numbering --------------------------------------------------------------------------------

def number_pattern() -> str:
    return stored_pattern(NUMBER_PATTERN_KEY, DEFAULT_NUMBER_PATTERN)


def set_number_pattern(actor: User, pattern: str) -> bool:
    if not actor.can(QuotePermission.DISCOUNT_RULES):
        raise DomainError(_("You may not change quote settings."))
    return change_pattern(actor, NUMBER_PATTERN_KEY, DEFAULT_NUMBER_PATTERN, pattern, "quote.number_pattern_changed")


def _new_number(on: dt.date) -> str:
    """The next number from the pattern; a number already used (after the pattern was changed back, say) is
    skipped, so the unique constraint only stops true races the counter cannot produce."""
    pattern = number_pattern()
    for _attempt in range(1000):
        number = next_number(NUMBER_SERIES, pattern, on)
        if db.session.scalar(select(Quote.id).where(Quote.number == number)) is None:
            return number
    raise DomainError(_("No free quote number: change the number pattern."))


# --- create and edit --------------------------------------------------------------------------

def create_quote(actor: User, *, customer_id: int, **fields) -> Quote:
    """A draft quote of a customer the actor may see (optionally for one of its opportunities), owned by the
    actor, numbered from the site's pattern. Fields: those of HEADER_FIELDS; `lines` are LineInput or dicts."""
    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"create_quote() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_edit_permission(actor)
    customer = chosen_customer(actor, customer_id)
    quote = Quote(customer=customer, owner_id=actor.id, status=DRAFT, version=1, is_latest=True,
                  created_by_id=actor.id)
    _apply(actor, quote, customer, fields)
    # Numbered last, just before the insert: the counter row stays locked for the shortest time.
    quote.number = _new_number(quote.quote_date)
    db.session.add(quote)
    db.session.flush()
    audit.record(actor, "quote.created", quote, audit.diff({}, _state(quote)))
    return quote


def update_quote(actor: User, quote: Quote, **fields) -> Quote:
    """Edit a draft (a field not passed keeps its value; `lines`, when passed, replace all lines)."""
    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"update_quote() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_edit_permission(actor)
    _check_changeable(quote)
    if quote.status != DRAFT:
        raise DomainError(_("Only a draft can be edited. Revise the quote to change it."))
    merged = {name: getattr(quote, name) for name in HEADER_FIELDS if name != "lines"}
    merged["lines"] = [LineInput(line.product_id, line.description, line.specification, line.unit, line.quantity,
                                 line.unit_price, line.discount_percent, line.tax_rate) for line in quote.lines]
    merged.update(fields)
    before = _state(quote)
    _apply(actor, quote, quote.customer, merged)
    db.session.flush()
    changes = audit.diff(before, _state(quote))
    if changes:
        audit.record(actor, "quote.updated", quote, changes)
    return quote


def _check_changeable(quote: Quote) -> None:
    if not quote.is_latest:
        raise DomainError(_("This is an old version of the quote: it can no longer change."))


def _set_status(actor: User | None, quote: Quote, status: str, action: str, extra: dict | None = None) -> None:
    changes = {"status": [quote.status, status]}
    changes.update(extra or {})
    quote.status = status
    if actor is not None:
        quote.updated_by_id = actor.id
    db.session.flush()
    audit.record(actor, action, quote, changes)


# --- discount limits and approval -------------------------------------------------------------

def discount_limit(role_id: int) -> Decimal | None:
    row = db.session.get(QuoteDiscountLimit, role_id)
    return row.max_discount_percent if row is not None else None


def needs_approval(quote: Quote) -> bool:
    """Whether the quote's effective discount (its largest line's, see calc.py) exceeds the owner's role limit."""
    limit = discount_limit(quote.owner.role_id)
    return limit is not None and quote.max_discount_percent > limit


def approvers(quote: Quote) -> list[User]:
    """Active users whose role may approve and whose scope covers the owner, except the owner and submitter
    (administrators only when there is nobody else)."""
    holders = select(RolePermission.role_id).where(RolePermission.permission == QuotePermission.APPROVE)
    users = db.session.scalars(select(User).where(User.is_active == true(), User.role_id.in_(holders),
                                                  User.id.not_in([quote.owner_id, quote.submitted_by_id or 0]))
                               .order_by(User.id).limit(200))
    found = [user for user in users if can_see_owner(user, quote.owner_id, QUOTE)]
    # The administrator holds every permission; it is asked only when no sales manager or director can be.
    managers = [user for user in found if user.role.code != ADMIN]
    return managers or found


# --- the quote-discount document type of the approval flows -----------------------------------

QUOTE_DISCOUNT = "quote_discount"


def over_limit(quote: Quote) -> Decimal | None:
    """How many percentage points the effective discount is above the owner's role limit (negative: below it);
    None when the role has no limit."""
    limit = discount_limit(quote.owner.role_id)
    return None if limit is None else quote.max_discount_percent - limit


def approval_flow(quote: Quote):
    """The quote-discount approval flow that would take a draft if it were submitted now, or None."""
    return approval_services.matching_flow(QUOTE_DISCOUNT, quote) if quote.status == DRAFT else None


def _check_pending(quote: Quote) -> None:
    if quote.status != PENDING:
        raise DomainError(_("This quote is not waiting for approval."))


def _flow_approved(actor: User, quote: Quote) -> None:
    _check_pending(quote)
    quote.approved_by_id = actor.id
    quote.approved_at = utcnow()
    _set_status(actor, quote, APPROVED, "quote.approved")


def _flow_rejected(actor: User, quote: Quote, comment: str | None) -> None:
    _check_pending(quote)
    quote.approved_by_id = actor.id
    quote.approved_at = utcnow()
    quote.approval_comment = comment
    _set_status(actor, quote, DRAFT, "quote.approval_rejected", {"approval_comment": [None, comment]})


def _flow_withdrawn(actor: User, quote: Quote) -> None:
    _check_pending(quote)
    _set_status(actor, quote, DRAFT, "quote.approval_withdrawn")


register_document_type(DocumentType(
    code=QUOTE_DISCOUNT, label=_l("Quote discount"),
    facts={
        "discount_percent": Fact(_l("Effective discount %"), "percent", lambda quote: quote.max_discount_percent),
        "amount": Fact(_l("Grand total"), "money", lambda quote: quote.total),
        "over_limit": Fact(_l("Discount above the role limit (percentage points)"), "percent", over_limit),
    },
    load=lambda quote_id: db.session.get(Quote, quote_id),
    title=lambda quote: _("Quote %(number)s %(customer)s", number=quote.display_number,
                          customer=quote.customer.name),
    owner_id=lambda quote: quote.owner_id,
    url=lambda quote: url_for("quotes.detail", quote_id=quote.id),
    can_view=lambda user, quote: can_see_owner(user, quote.owner_id, QUOTE),
    amount=lambda quote: quote.total,
    on_approved=_flow_approved, on_rejected=_flow_rejected, on_withdrawn=_flow_withdrawn))


def submit_quote(actor: User, quote: Quote) -> Quote:
    """Draft → pending approval through the first active quote-discount approval flow whose conditions hold
    (its approvers are reminded); with none, pending when the discount is above the owner's role limit (the
    managers are reminded), otherwise → approved at once."""
    _check_edit_permission(actor)
    _check_changeable(quote)
    if quote.status != DRAFT:
        raise DomainError(_("Only a draft can be submitted."))
    if not quote.lines:
        raise DomainError(_("Add at least one line first."))
    if quote.valid_until < site_today():
        raise DomainError(_("The quote is past its validity date. Change the date first."), "valid_until")
    now = utcnow()
    quote.submitted_by_id = actor.id
    quote.submitted_at = now
    quote.approved_by_id = quote.approved_at = quote.approval_comment = None
    # An administrator's quote-discount flow whose conditions hold takes over; otherwise the built-in rule:
    # the owner's role limit, approved by a manager whose scope covers the owner.
    request = approval_services.submit(actor, QUOTE_DISCOUNT, quote)
    if request is not None:
        _set_status(actor, quote, PENDING, "quote.submitted", {"approval_flow": [None, request.flow_name]})
        return quote
    if not needs_approval(quote):
        _set_status(actor, quote, APPROVED, "quote.submitted")
        return quote
    _set_status(actor, quote, PENDING, "quote.submitted",
                {"max_discount_percent": [None, str(quote.max_discount_percent)]})
    title = _("Quote %(number)s (%(customer)s) awaits your approval: discount %(discount)s%%",
              number=quote.display_number, customer=quote.customer.name, discount=quote.max_discount_percent)
    for approver in approvers(quote):
        remind(approver.id, "quote_approval", title, now, f"quote-approval:{quote.id}:{now:%Y%m%d%H%M%S%f}",
               "quotes", quote.id)
    return quote


def decide_approval(actor: User, quote: Quote, approve: bool, comment: str | None = None) -> Quote:
    """A manager approves a pending quote (→ approved) or rejects it with a reason (→ draft, to be changed).
    Needs the approve permission and the quote in the actor's scope; nobody approves a quote they own or
    submitted. The owner is reminded of the decision. A quote an approval flow holds is decided through it."""
    request = approval_services.pending_request(QUOTE_DISCOUNT, quote.id)
    if request is not None:
        approval_services.decide(actor, request, approve, comment)
        return quote
    if not actor.can(QuotePermission.APPROVE):
        raise DomainError(_("You may not approve quotes."))
    if quote.status != PENDING:
        raise DomainError(_("This quote is not waiting for approval."))
    if actor.id in (quote.owner_id, quote.submitted_by_id):
        raise DomainError(_("You may not approve your own quote."))
    if not can_see_owner(actor, quote.owner_id, QUOTE):
        raise DomainError(_("This quote is outside your data scope."))
    comment = _text(comment, 500, "comment", required=not approve)
    now = utcnow()
    quote.approved_by_id = actor.id
    quote.approved_at = now
    quote.approval_comment = comment
    extra = {"approval_comment": [None, comment]} if comment else {}
    if approve:
        _set_status(actor, quote, APPROVED, "quote.approved", extra)
        title = _("Quote %(number)s was approved by %(name)s", number=quote.display_number, name=actor.display_name)
    else:
        _set_status(actor, quote, DRAFT, "quote.approval_rejected", extra)
        title = _("Quote %(number)s was sent back by %(name)s: %(comment)s", number=quote.display_number,
                  name=actor.display_name, comment=comment)
    remind(quote.owner_id, "quote_decision", title, now, f"quote-decision:{quote.id}:{now:%Y%m%d%H%M%S%f}",
           "quotes", quote.id)
    return quote


# --- sending, the customer's answer, versions -------------------------------------------------

def mark_sent(actor: User, quote: Quote) -> Quote:
    """Approved → sent (a draft within the limit is approved on the way; one above it must be approved first)."""
    _check_edit_permission(actor)
    _check_changeable(quote)
    if quote.status == DRAFT:
        if needs_approval(quote):
            raise DomainError(_("The discount is above your limit: submit the quote for approval first."))
        if approval_flow(quote) is not None:
            raise DomainError(_("An approval flow applies to this quote: submit it for approval first."))
        submit_quote(actor, quote)
    if quote.status != APPROVED:
        raise DomainError(_("Only an approved quote can be sent."))
    if quote.valid_until < site_today():
        raise DomainError(_("The quote is past its validity date. Revise it."))
    quote.sent_at = utcnow()
    _set_status(actor, quote, SENT, "quote.sent")
    return quote


def close_quote(actor: User, quote: Quote, accepted: bool) -> Quote:
    """The customer's answer to a sent quote. Accepted: the quote's grand total becomes the amount of its
    opportunity (if any)."""
    _check_edit_permission(actor)
    _check_changeable(quote)
    if quote.status != SENT:
        raise DomainError(_("Only a sent quote can be accepted or rejected."))
    quote.closed_at = utcnow()
    if accepted:
        _set_status(actor, quote, ACCEPTED, "quote.accepted")
        if quote.opportunity is not None and quote.opportunity.deleted_at is None:
            opportunity_services.apply_accepted_quote(actor, quote.opportunity, quote.total)
    else:
        _set_status(actor, quote, REJECTED, "quote.rejected")
    return quote


REVISABLE = (APPROVED, SENT, ACCEPTED, REJECTED, EXPIRED)


def revise_quote(actor: User, quote: Quote) -> Quote:
    """A new draft version of the quote (same number, version + 1, lines copied); the old one is kept read-only
    and linked from the new one."""
    _check_edit_permission(actor)
    _check_changeable(quote)
    if quote.status not in REVISABLE:
        raise DomainError(_("Only a quote that was approved, sent, answered or expired can be revised."))
    today = site_today()
    valid_days = max((quote.valid_until - quote.quote_date).days, 1)
    new = Quote(number=quote.number, version=quote.version + 1, is_latest=True, previous=quote,
                customer_id=quote.customer_id, opportunity_id=quote.opportunity_id, contact_id=quote.contact_id,
                owner_id=quote.owner_id, title=quote.title, status=DRAFT, quote_date=today,
                valid_until=today + dt.timedelta(days=valid_days), price_list_id=quote.price_list_id,
                delivery_terms=quote.delivery_terms, payment_terms=quote.payment_terms, remarks=quote.remarks,
                overall_discount_percent=quote.overall_discount_percent, created_by_id=actor.id,
                updated_by_id=actor.id)
    new.lines = [QuoteLine(product_id=line.product_id, description=line.description,
                           specification=line.specification, unit=line.unit, quantity=line.quantity,
                           list_price=line.list_price, unit_price=line.unit_price,
                           discount_percent=line.discount_percent, tax_rate=line.tax_rate,
                           sort_order=line.sort_order) for line in quote.lines]
    calc.apply(new)
    quote.is_latest = False
    db.session.add(new)
    db.session.flush()
    audit.record(actor, "quote.revised", new, {"version": [quote.version, new.version]})
    return new


def expire_quotes(today: dt.date | None = None) -> int:
    """Latest quotes not yet answered whose validity date has passed become expired. Returns how many."""
    today = today or site_today()
    quotes = db.session.scalars(select(Quote).where(Quote.status.in_(EXPIRING), Quote.is_latest == true(),
                                                    Quote.valid_until < today).order_by(Quote.id).limit(5000))
    count = 0
    for quote in quotes:
        _set_status(None, quote, EXPIRED, "quote.expired")
        count += 1
    return count


# --- settings ---------------------------------------------------------------------------------

def roles_with_limits() -> list[tuple[Role, Decimal | None]]:
    limits = {row.role_id: row.max_discount_percent for row in db.session.scalars(select(QuoteDiscountLimit))}
    roles = db.session.scalars(select(Role).order_by(Role.is_builtin.desc(), Role.name, Role.id))
    return [(role, limits.get(role.id)) for role in roles]


def set_discount_limit(actor: User | None, role: Role, percent) -> bool:
    """Set a role's maximum discount in % (None: no limit). Returns whether anything changed."""
    if actor is not None and not actor.can(QuotePermission.DISCOUNT_RULES):
        raise DomainError(_("You may not change quote settings."))
    value = None if percent in (None, "") else clean_percent(percent, f"limit_{role.id}")
    row = db.session.get(QuoteDiscountLimit, role.id)
    before = row.max_discount_percent if row is not None else None
    if before == value:
        return False
    if value is None:
        db.session.delete(row)
    elif row is None:
        db.session.add(QuoteDiscountLimit(role_id=role.id, max_discount_percent=value))
    else:
        row.max_discount_percent = value
    db.session.flush()
    audit.record(actor, "quote.discount_limit_changed", role, {"max_discount_percent": [before, value]})
    return True


def ensure_default_limits() -> None:
    """Give the built-in sales roles their starting limits once (reference data; never overrules a change)."""
    if get_setting(DEFAULT_LIMITS_KEY):
        return
    for code, percent in DEFAULT_LIMITS.items():
        role = db.session.scalar(select(Role).where(Role.code == code))
        if role is not None and db.session.get(QuoteDiscountLimit, role.id) is None:
            db.session.add(QuoteDiscountLimit(role_id=role.id, max_discount_percent=percent))
    set_setting(DEFAULT_LIMITS_KEY, "1")


# --- reading ----------------------------------------------------------------------------------

@dataclass
class QuoteFilters:
    q: str | None = None
    status: str | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    opportunity_id: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    all_versions: bool = False


def list_quotes(user: User, filters: QuoteFilters) -> Select:
    """The quotes the user may see, filtered, newest first (ordered for paginate)."""
    stmt = (select(Quote).where(quote_condition(user))
            .options(joinedload(Quote.customer), joinedload(Quote.owner)))
    if not filters.all_versions:
        stmt = stmt.where(Quote.is_latest == true())
    if filters.status:
        stmt = stmt.where(Quote.status == filters.status)
    if filters.owner_id:
        stmt = stmt.where(Quote.owner_id == filters.owner_id)
    if filters.customer_id:
        stmt = stmt.where(Quote.customer_id == filters.customer_id)
    if filters.opportunity_id:
        stmt = stmt.where(Quote.opportunity_id == filters.opportunity_id)
    if filters.date_from:
        stmt = stmt.where(Quote.quote_date >= filters.date_from)
    if filters.date_to:
        stmt = stmt.where(Quote.quote_date <= filters.date_to)
    if filters.q:
        term = filters.q.strip()[:100]
        # The number by prefix (its unique index serves it); the customer by name.
        matching = select(Customer.id).where(contains(Customer.name, term))
        numbers = [Quote.number.like(f"{escape_like(value)}%", escape="\\") for value in sorted({term, term.upper()})]
        stmt = stmt.where(or_(*numbers, Quote.customer_id.in_(matching)))
    return stmt.order_by(Quote.quote_date.desc(), Quote.id.desc())


def quotes_of(user: User, customer_id: int | None = None, opportunity_id: int | None = None,
              limit: int = 10) -> tuple[list[Quote], int]:
    """The latest versions of a customer's or an opportunity's quotes the user may see, and how many there are."""
    from sqlalchemy import func
    condition = and_(quote_condition(user), Quote.is_latest == true())
    if customer_id is not None:
        condition = and_(condition, Quote.customer_id == customer_id)
    if opportunity_id is not None:
        condition = and_(condition, Quote.opportunity_id == opportunity_id)
    total = db.session.scalar(select(func.count(Quote.id)).where(condition)) or 0
    quotes = list(db.session.scalars(select(Quote).options(joinedload(Quote.owner)).where(condition)
                                     .order_by(Quote.quote_date.desc(), Quote.id.desc()).limit(limit)))
    return quotes, total


def versions_of(quote: Quote) -> list[Quote]:
    """Every version of the quote's number, oldest first."""
    return list(db.session.scalars(select(Quote).where(Quote.number == quote.number).order_by(Quote.version)))


def load_for_display(quote_id: int) -> Quote | None:
    return db.session.scalar(select(Quote).options(selectinload(Quote.lines), joinedload(Quote.customer),
                                                   joinedload(Quote.owner)).where(Quote.id == quote_id))


def customer_choices(user: User, customer_id: int | None) -> list[tuple[int, str]]:
    """The chosen customer for the form's select (others are picked from the customer's page)."""
    if not customer_id:
        return []
    customer = db.session.scalar(visible_customers(user).where(Customer.id == customer_id))
    return [(customer.id, customer.name)] if customer else []


def contact_choices(customer_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(select(Contact.id, Contact.name).where(Contact.customer_id == customer_id,
                                                                     Contact.deleted_at.is_(None))
                              .order_by(Contact.is_primary.desc(), Contact.name, Contact.id))
    return [(row.id, row.name) for row in rows]


def owner_choices(user: User) -> list[tuple[int, str]]:
    from ..core.permissions import scope_condition
    rows = db.session.execute(select(User.id, User.display_name).where(scope_condition(user, User.id, QUOTE))
                              .order_by(User.display_name, User.id))
    return [(row.id, row.display_name) for row in rows]


def edit_history(quote: Quote, limit: int = 30) -> list[audit.AuditLog]:
    return list(db.session.scalars(select(audit.AuditLog).where(audit.AuditLog.entity_type == "quotes",
                                                                audit.AuditLog.entity_id == quote.id)
                                   .order_by(audit.AuditLog.at.desc(), audit.AuditLog.id.desc()).limit(limit)))


def is_overdue(quote: Quote, today: dt.date | None = None) -> bool:
    """Past its validity date and not yet answered or marked expired by the hourly job."""
    return quote.status in (DRAFT, PENDING) + EXPIRING and quote.valid_until < (today or site_today())


def lookup_rows(products: Iterable, price_list_id: int | None, on: dt.date) -> list[dict]:
    return [{"id": p.id, "code": p.code, "name": p.name, "specification": p.specification or "",
             "unit": p.unit or "", "price": str(product_services.price_for(p, price_list_id, on)),
             "tax_rate": str(p.tax_rate)} for p in products]
