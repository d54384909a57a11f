"""合同 rules: create (from scratch, a won opportunity or an accepted quote), edit drafts, submit through the
approval flows, revise an active contract through approval again, execute, terminate, expire, renew, transfer,
delete; the numbering pattern, the renewal period and the contract templates."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from ..approvals import services as approval_services
from ..contacts.models import Contact, chosen_contact
from ..core import audit
from ..core.errors import DomainError
from ..core.line_items import LineInput
from ..core.uploads import extension_of
from ..core.models import User
from ..core.numbering import change_pattern, next_number, stored_pattern
from ..core.permissions import can_see_owner, scope_condition
from ..core.search import contains, escape_like
from ..core.site_settings import get_setting, set_setting
from ..core.types import utcnow
from ..core.validation import clean_decimal, clean_percent, clean_text as _text
from ..customers.access import chosen_customer
from ..customers.models import Customer
from ..extensions import db
from ..opportunities.access import visible_opportunities
from ..opportunities.models import WON, Opportunity
from ..products import services as product_services
from ..quotes.access import visible_quotes
from ..quotes.models import ACCEPTED as QUOTE_ACCEPTED
from ..quotes.models import Quote
from ..reminders.services import register_kind, remind
from . import attachments, calc, hooks, merge
from .access import CONTRACT, ContractPermission, contract_condition, may_edit_owner
from .models import (APPLIED, ACTIVE, DRAFT, EXECUTED, EXPIRED, PENDING, REJECTED, TERMINATED, TYPES, Contract,
                     ContractLine, ContractTemplate)

audit.register_actions({
    "contract.created": _l("Created a contract"),
    "contract.updated": _l("Edited a contract"),
    "contract.submitted": _l("Submitted a contract"),
    "contract.approved": _l("A contract was approved"),
    "contract.rejected": _l("A contract was rejected"),
    "contract.withdrawn": _l("A contract was withdrawn from approval"),
    "contract.revision_created": _l("Started a revision of a contract"),
    "contract.revision_applied": _l("Applied an approved contract revision"),
    "contract.executed": _l("Marked a contract executed"),
    "contract.terminated": _l("Terminated a contract"),
    "contract.expired": _l("A contract expired"),
    "contract.deleted": _l("Deleted a contract"),
    "contract.owner_changed": _l("Transferred a contract"),
    "contract.renewed": _l("Renewed a contract (new draft)"),
    "contract.renewal_reminded": _l("Reminded the owner to renew a contract"),
    "contract.file_added": _l("Attached a file to a contract"),
    "contract.file_removed": _l("Removed a file from a contract"),
    "contract.file_changed": _l("Changed a contract file"),
    "contract.number_pattern_changed": _l("Changed the contract number pattern"),
    "contract.renewal_days_changed": _l("Changed the contract renewal period"),
    "contract_template.created": _l("Created a contract template"),
    "contract_template.updated": _l("Edited a contract template"),
    "contract_template.deleted": _l("Deleted a contract template"),
})
register_kind("contract_renewal", _l("Contract renewal"))

STATUS_LABELS = {
    DRAFT: _l("Draft"), PENDING: _l("Pending approval"), ACTIVE: _l("Active"), REJECTED: _l("Rejected"),
    EXECUTED: _l("Executed"), EXPIRED: _l("Expired"), TERMINATED: _l("Terminated"), APPLIED: _l("Applied"),
}
TYPE_LABELS = {"sales": _l("Sales contract"), "service": _l("Service contract"),
               "framework": _l("Framework agreement"), "other": _l("Other contract")}
DOCUMENT_TYPE = "contract"
NUMBER_PATTERN_KEY = "contracts.number_pattern"
DEFAULT_NUMBER_PATTERN = "HT{yyyy}{mm}-{seq:04}"
NUMBER_SERIES = "contract"
RENEWAL_DAYS_KEY = "contracts.renewal_days"
DEFAULT_RENEWAL_DAYS = 30
MAX_RENEWAL_DAYS = 365
DEFAULT_TEMPLATE_KEY = "contracts.default_template_seeded"
MAX_AMOUNT = Decimal("9999999999999.99")
MAX_QUANTITY = Decimal("999999999")
MAX_PRICE = Decimal("9999999999")
MAX_LINES = 200
MAX_PAYMENT_DAYS = 3650
HEADER_FIELDS = ("title", "contract_type", "contact_id", "template_id", "amount", "overall_discount_percent",
                 "sign_date", "start_date", "end_date", "payment_terms", "payment_days", "remarks", "lines")
SOURCE_FIELDS = ("quote_id", "opportunity_id")
# the terms a revision proposes and approval copies onto its contract
TERMS = ("title", "contract_type", "contact_id", "template_id", "amount", "overall_discount_percent", "sign_date",
         "start_date", "end_date", "payment_terms", "payment_days", "remarks")
AUDIT_FIELDS = ("title", "contract_type", "contact", "amount", "overall_discount_percent", "sign_date",
                "start_date", "end_date", "payment_terms", "payment_days", "remarks")
EDITABLE = (DRAFT, REJECTED)
RENEWABLE = (ACTIVE, EXPIRED, EXECUTED)
OPEN_REVISION = (DRAFT, PENDING, REJECTED)


def site_today() -> dt.date:
    zone = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
    return dt.datetime.now(zone).date()


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def type_label(contract_type: str | None) -> str:
    return str(TYPE_LABELS.get(contract_type, contract_type or ""))


# --- values -----------------------------------------------------------------------------------

def _int(value, field: str, low: int, high: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise DomainError(_("Enter a whole number."), field) from None
    if number < low or number > high:
        raise DomainError(_("Enter a number from %(low)s to %(high)s.", low=low, high=high), field)
    return number


def _line(number: int, row) -> ContractLine:
    """One validated line; a catalogue line takes what it leaves blank from the product (its list price)."""
    row = row if isinstance(row, LineInput) else LineInput(**row)
    prefix = _("Line %(n)d: ", n=number)
    field = f"lines-{number - 1}"
    product = None
    if row.product_id:
        product = product_services.get_product(int(row.product_id))
        if product is None:
            raise DomainError(prefix + _("No product has this id."), f"{field}-product_id")
    description = _text(row.description or (product.name if product else None), 200, f"{field}-description")
    if description is None:
        raise DomainError(prefix + _("Choose a product or describe the line."), f"{field}-description")
    return ContractLine(
        product_id=product.id if product else None, description=description,
        specification=_text(row.specification or (product.specification if product else None), 200,
                            f"{field}-specification"),
        unit=_text(row.unit or (product.unit if product else None), 20, f"{field}-unit"),
        quantity=clean_decimal(row.quantity, f"{field}-quantity", Decimal("0.01"), MAX_QUANTITY, Decimal("1.00"),
                               prefix),
        unit_price=clean_decimal(row.unit_price, f"{field}-unit_price", Decimal(0), MAX_PRICE,
                                 product.list_price if product else None, prefix),
        discount_percent=clean_percent(row.discount_percent, f"{field}-discount_percent", prefix),
        tax_rate=clean_decimal(row.tax_rate, f"{field}-tax_rate", Decimal(0), Decimal(100),
                               product.tax_rate if product else Decimal("13.00"), prefix),
        sort_order=number)


def line_inputs(lines) -> list[LineInput]:
    """Inputs repeating existing lines (of a contract or a quote) exactly."""
    return [LineInput(line.product_id, line.description, getattr(line, "specification", None),
                      getattr(line, "unit", None), line.quantity, line.unit_price, line.discount_percent,
                      getattr(line, "tax_rate", None)) for line in lines]


def _opportunity_line_inputs(opportunity: Opportunity) -> list[LineInput]:
    """An opportunity's lines; their prices are taken as before tax, with the product's tax rate (13 % for a
    free line), as a quote made from the opportunity does."""
    return [LineInput(line.product_id, line.description, None, None, line.quantity, line.unit_price,
                      line.discount_percent, None) for line in opportunity.lines]


def _template(template_id: int | None, current: ContractTemplate | None) -> ContractTemplate | None:
    """An active template (the contract's current one is kept even if deactivated since)."""
    if not template_id:
        return None
    if current is not None and current.id == template_id:
        return current
    template = db.session.get(ContractTemplate, template_id)
    if template is None or not template.is_active:
        raise DomainError(_("Choose an active contract template."), "template_id")
    return template


def _apply(actor: User, contract: Contract, fields: dict) -> None:
    """Validate and set the editable terms and lines, then recompute the amount."""
    contract_type = fields.get("contract_type") or "sales"
    if contract_type not in TYPES:
        raise DomainError(_("Choose a contract type."), "contract_type")
    sign_date, start_date, end_date = fields.get("sign_date"), fields.get("start_date"), fields.get("end_date")
    if start_date and end_date and end_date < start_date:
        raise DomainError(_("The end date cannot be before the start date."), "end_date")
    if end_date and not start_date:
        raise DomainError(_("Enter the start date too."), "start_date")
    rows = list(fields.get("lines") or [])
    if len(rows) > MAX_LINES:
        raise DomainError(_("At most %(n)d lines.", n=MAX_LINES))
    lines = [_line(number, row) for number, row in enumerate(rows, start=1)]
    title = _text(fields.get("title"), 200, "title", required=True)
    overall = clean_percent(fields.get("overall_discount_percent"), "overall_discount_percent")
    if not lines:
        if overall:
            raise DomainError(_("An overall discount needs product lines."), "overall_discount_percent")
        amount = clean_decimal(fields.get("amount"), "amount", Decimal(0), MAX_AMOUNT)
    contract.title = title
    contract.contract_type = contract_type
    contract.contact = chosen_contact(contract.customer, fields.get("contact_id"))
    contract.template = _template(fields.get("template_id"), contract.template)
    contract.sign_date = sign_date
    contract.start_date = start_date
    contract.end_date = end_date
    contract.payment_terms = _text(fields.get("payment_terms"), 200, "payment_terms")
    contract.payment_days = _int(fields.get("payment_days"), "payment_days", 0, MAX_PAYMENT_DAYS)
    contract.remarks = _text(fields.get("remarks"), 4000, "remarks")
    contract.overall_discount_percent = overall
    contract.lines = lines
    if not lines:
        contract.amount = amount
    calc.apply(contract)
    if contract.amount > MAX_AMOUNT:
        raise DomainError(_("The lines add up to more than %(max)s.", max=MAX_AMOUNT), "amount")
    contract.updated_by_id = actor.id


def _state(contract: Contract) -> dict:
    state = audit.snapshot(contract, AUDIT_FIELDS)
    state["lines"] = "; ".join(f"{line.description} × {line.quantity} @ {line.unit_price} -{line.discount_percent}%"
                               f" +{line.tax_rate}%" for line in contract.lines) or None
    return state


def _check_edit_permission(actor: User) -> None:
    if not actor.can(ContractPermission.EDIT):
        raise DomainError(_("You may not create or edit contracts."))


def _check_owner(actor: User, contract: Contract) -> None:
    if not may_edit_owner(actor, contract):
        raise DomainError(_("You may not change this contract."))


def is_revision(contract: Contract) -> bool:
    return contract.revision_of_id is not None


def revision_label(contract: Contract) -> str:
    return _("Revision %(n)d", n=contract.revision)


def _set_status(actor: User | None, contract: Contract, status: str, action: str, extra: dict | None = None) -> None:
    """Change the status, audit it, and (for a contract, not a revision row) tell the listening domains."""
    old = contract.status
    changes = {"status": [old, status]}
    changes.update(extra or {})
    contract.status = status
    if actor is not None:
        contract.updated_by_id = actor.id
    if status in (EXECUTED, EXPIRED, TERMINATED):
        contract.closed_at = utcnow()
    db.session.flush()
    audit.record(actor, action, contract, changes)
    if not is_revision(contract) and old != status:
        hooks.status_changed(contract, old)


# --- numbering and settings -------------------------------------------------------------------

def number_pattern() -> str:
    return stored_pattern(NUMBER_PATTERN_KEY, DEFAULT_NUMBER_PATTERN)


def set_number_pattern(actor: User, pattern: str) -> bool:
    if not actor.can(ContractPermission.TEMPLATES):
        raise DomainError(_("You may not change contract settings."))
    return change_pattern(actor, NUMBER_PATTERN_KEY, DEFAULT_NUMBER_PATTERN, pattern, "contract.number_pattern_changed")


def renewal_days() -> int:
    value = get_setting(RENEWAL_DAYS_KEY)
    return int(value) if value and value.isdigit() else DEFAULT_RENEWAL_DAYS


def set_renewal_days(actor: User, days) -> bool:
    if not actor.can(ContractPermission.TEMPLATES):
        raise DomainError(_("You may not change contract settings."))
    value = _int(days, "renewal_days", 1, MAX_RENEWAL_DAYS)
    if value is None:
        raise DomainError(_("This field is required."), "renewal_days")
    before = renewal_days()
    if value == before:
        return False
    set_setting(RENEWAL_DAYS_KEY, str(value))
    audit.record(actor, "contract.renewal_days_changed", None, {"renewal_days": [before, value]}, label=str(value))
    return True


def _new_number(on: dt.date) -> str:
    """The next number from the pattern; a number already used (after a pattern change, say) is skipped, so the
    unique constraint only stops true races, which the counter row's lock prevents."""
    pattern = number_pattern()
    for _attempt in range(1000):
        number = next_number(NUMBER_SERIES, pattern, on)
        if db.session.scalar(select(Contract.id).where(Contract.number == number)) is None:
            return number
    raise DomainError(_("No free contract number: change the number pattern."))


# --- create and edit --------------------------------------------------------------------------

def _source_quote(actor: User, quote_id: int) -> Quote:
    quote = db.session.scalar(visible_quotes(actor).where(Quote.id == quote_id))
    if quote is None:
        raise DomainError(_("Choose a quote you may see."), "quote_id")
    if quote.status != QUOTE_ACCEPTED:
        raise DomainError(_("Only a quote the customer accepted can become a contract; quote %(number)s is not "
                            "accepted.", number=quote.display_number), "quote_id")
    return quote


def _source_opportunity(actor: User, opportunity_id: int) -> Opportunity:
    opportunity = db.session.scalar(visible_opportunities(actor).where(Opportunity.id == opportunity_id))
    if opportunity is None:
        raise DomainError(_("Choose an opportunity you may see."), "opportunity_id")
    if opportunity.status != WON:
        raise DomainError(_("Only a won opportunity can become a contract; “%(name)s” is not won.",
                            name=opportunity.name), "opportunity_id")
    return opportunity


def source_defaults(actor: User, quote_id: int | None = None, opportunity_id: int | None = None) -> dict:
    """What a contract made from an accepted quote or a won opportunity starts with (customer, title, contact,
    payment terms, lines ...); refuses a quote not accepted or an opportunity not won."""
    if quote_id:
        quote = _source_quote(actor, quote_id)
        return {"customer_id": quote.customer_id, "quote_id": quote.id, "opportunity_id": quote.opportunity_id,
                "title": quote.title, "contact_id": quote.contact_id, "payment_terms": quote.payment_terms,
                "overall_discount_percent": quote.overall_discount_percent, "lines": line_inputs(quote.lines),
                "amount": quote.total}
    if opportunity_id:
        opportunity = _source_opportunity(actor, opportunity_id)
        return {"customer_id": opportunity.customer_id, "opportunity_id": opportunity.id, "title": opportunity.name,
                "lines": _opportunity_line_inputs(opportunity), "amount": opportunity.amount}
    return {}


def create_contract(actor: User, *, customer_id: int | None = None, quote_id: int | None = None,
                    opportunity_id: int | None = None, **fields) -> Contract:
    """A draft contract owned by the actor, numbered from the site's pattern: from an accepted quote (its
    customer, contact, opportunity, terms and lines: the amount is the quote's grand total), from a won opportunity
    (its lines), or from scratch. Fields not passed take the source's; `lines` are LineInput or dicts."""
    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"create_contract() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_edit_permission(actor)
    defaults = source_defaults(actor, quote_id, opportunity_id)
    if defaults and customer_id and customer_id != defaults["customer_id"]:
        raise DomainError(_("The quote or opportunity belongs to another customer."), "customer_id")
    customer = chosen_customer(actor, customer_id or defaults.get("customer_id"))
    merged = {name: value for name, value in defaults.items() if name in HEADER_FIELDS}
    merged.update({name: value for name, value in fields.items() if value is not None or name not in merged})
    today = site_today()
    merged.setdefault("sign_date", None)
    contract = Contract(customer=customer, owner_id=actor.id, status=DRAFT, revision=0, created_by_id=actor.id,
                        quote_id=defaults.get("quote_id"), opportunity_id=defaults.get("opportunity_id"))
    _apply(actor, contract, merged)
    # Numbered last, just before the insert: the counter row stays locked for the shortest time.
    contract.number = _new_number(contract.sign_date or today)
    db.session.add(contract)
    db.session.flush()
    state = _state(contract)
    if contract.quote_id:
        state["quote"] = contract.quote.display_number
    if contract.opportunity_id:
        state["opportunity"] = contract.opportunity.name
    audit.record(actor, "contract.created", contract, audit.diff({}, state))
    return contract


def update_contract(actor: User, contract: Contract, **fields) -> Contract:
    """Edit a draft or rejected contract (or revision): a field not passed keeps its value; `lines`, when
    passed, replace all lines. An active contract changes only through a revision."""
    unknown = set(fields) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"update_contract() got unexpected fields: {', '.join(sorted(unknown))}")
    _check_edit_permission(actor)
    if contract.status not in EDITABLE or contract.deleted_at is not None:
        raise DomainError(_("Only a draft or rejected contract can be edited. Revise an active contract to change "
                            "it."))
    _check_owner(actor, contract)
    merged = {name: getattr(contract, name) for name in HEADER_FIELDS if name != "lines"}
    merged["lines"] = line_inputs(contract.lines)
    merged.update(fields)
    before = _state(contract)
    _apply(actor, contract, merged)
    db.session.flush()
    changes = audit.diff(before, _state(contract))
    if changes:
        audit.record(actor, "contract.updated", contract, changes)
    return contract


# --- approval ---------------------------------------------------------------------------------

def submit_contract(actor: User, contract: Contract):
    """Draft or rejected → through the first matching approval flow (pending), or active at once when no flow
    matches. A revision row approved at once is applied to its contract at once. Returns the approval request
    (None when none was needed)."""
    _check_edit_permission(actor)
    if contract.deleted_at is not None or contract.status not in EDITABLE:
        raise DomainError(_("Only a draft or rejected contract can be submitted."))
    _check_owner(actor, contract)
    if is_revision(contract) and contract.revision_of.status != ACTIVE:
        raise DomainError(_("Only a revision of an active contract can be submitted."))
    if not contract.start_date or not contract.end_date:
        raise DomainError(_("Enter the start and end dates before submitting the contract."), "end_date")
    now = utcnow()
    contract.submitted_at = now
    request = approval_services.submit(actor, DOCUMENT_TYPE, contract)
    if request is None:  # no flow applies: approved at once
        contract.approved_at = now
        if is_revision(contract):
            audit.record(actor, "contract.submitted", contract, {"approval_flow": [None, "-"]})
            _apply_revision(actor, contract)
        else:
            _set_status(actor, contract, ACTIVE, "contract.submitted", {"approval_flow": [None, "-"]})
        return None
    _set_status(actor, contract, PENDING, "contract.submitted", {"approval_flow": [None, request.flow_name]})
    return request


def approved(actor: User | None, contract: Contract) -> None:
    """The approval flow's last step approved (or no flow applied): a contract becomes active; a revision row's
    terms and lines are copied onto its contract."""
    if contract.status != PENDING:
        raise DomainError(_("This contract is not waiting for approval."))
    contract.approved_at = utcnow()
    if is_revision(contract):
        _apply_revision(actor, contract)
        return
    _set_status(actor, contract, ACTIVE, "contract.approved")


def rejected(actor: User | None, contract: Contract, comment: str | None = None) -> None:
    if contract.status != PENDING:
        raise DomainError(_("This contract is not waiting for approval."))
    _set_status(actor, contract, REJECTED, "contract.rejected", {"comment": [None, comment]} if comment else None)


def withdrawn(actor: User | None, contract: Contract) -> None:
    if contract.status != PENDING:
        raise DomainError(_("This contract is not waiting for approval."))
    _set_status(actor, contract, DRAFT, "contract.withdrawn")


def _copy_terms(source: Contract, target: Contract) -> None:
    for name in TERMS:
        setattr(target, name, getattr(source, name))
    target.contact, target.template = source.contact, source.template  # the relationships, not only the ids
    target.lines = [ContractLine(product_id=line.product_id, description=line.description,
                                 specification=line.specification, unit=line.unit, quantity=line.quantity,
                                 unit_price=line.unit_price, discount_percent=line.discount_percent,
                                 tax_rate=line.tax_rate, amount=line.amount, sort_order=line.sort_order)
                    for line in source.lines]


def _apply_revision(actor: User | None, revision: Contract) -> None:
    """Copy an approved revision's terms onto its contract (which keeps its id, number, plan and payments)."""
    contract = revision.revision_of
    if contract.status != ACTIVE or contract.deleted_at is not None:
        raise DomainError(_("The contract of this revision is no longer active."))
    before = _state(contract)
    old_amount, old_end = contract.amount, contract.end_date
    _copy_terms(revision, contract)
    calc.apply(contract)
    if contract.end_date != old_end:
        contract.renewal_reminded_at = None  # a new end date is reminded again
    if actor is not None:
        contract.updated_by_id = actor.id
    _set_status(actor, revision, APPLIED, "contract.approved")
    changes = audit.diff(before, _state(contract))
    changes["revision"] = [None, revision.revision]
    audit.record(actor, "contract.revision_applied", contract, changes)
    hooks.revision_applied(contract, old_amount)


def revise_contract(actor: User, contract: Contract) -> Contract:
    """A revision of an active contract: a new row (same number, next revision, draft) holding a copy of its
    terms and lines, edited and submitted through approval; approving it changes the contract."""
    _check_edit_permission(actor)
    if is_revision(contract) or contract.status != ACTIVE or contract.deleted_at is not None:
        raise DomainError(_("Only an active contract can be revised."))
    _check_owner(actor, contract)
    open_revision = open_revision_of(contract)
    if open_revision is not None:
        raise DomainError(_("Revision %(n)d of this contract is still open: finish or discard it first.",
                            n=open_revision.revision))
    last = db.session.scalar(select(func.max(Contract.revision)).where(Contract.number == contract.number)) or 0
    revision = Contract(number=contract.number, revision=last + 1, revision_of=contract,
                        customer_id=contract.customer_id, opportunity_id=contract.opportunity_id,
                        quote_id=contract.quote_id, owner_id=contract.owner_id, status=DRAFT,
                        created_by_id=actor.id, updated_by_id=actor.id)
    _copy_terms(contract, revision)
    db.session.add(revision)
    db.session.flush()
    audit.record(actor, "contract.revision_created", contract, {"revision": [None, revision.revision]})
    return revision


def open_revision_of(contract: Contract) -> Contract | None:
    return db.session.scalar(select(Contract).where(Contract.revision_of_id == contract.id,
                                                    Contract.deleted_at.is_(None),
                                                    Contract.status.in_(OPEN_REVISION))
                             .order_by(Contract.id.desc()).limit(1))


def revisions_of(contract: Contract) -> list[Contract]:
    return list(db.session.scalars(select(Contract).where(Contract.revision_of_id == contract.id,
                                                          Contract.deleted_at.is_(None))
                                   .order_by(Contract.revision.desc(), Contract.id.desc())))


# --- execution, termination, expiry, deletion, transfer ---------------------------------------

def execute_contract(actor: User, contract: Contract) -> Contract:
    """Active → executed (履行完毕)."""
    _check_edit_permission(actor)
    if is_revision(contract) or contract.status != ACTIVE:
        raise DomainError(_("Only an active contract can be marked executed."))
    _check_owner(actor, contract)
    _set_status(actor, contract, EXECUTED, "contract.executed")
    return contract


def terminate_contract(actor: User, contract: Contract, reason: str | None) -> Contract:
    """Active → terminated early, with the reason (needs the terminate permission)."""
    if not actor.can(ContractPermission.TERMINATE) or not can_see_owner(actor, contract.owner_id, CONTRACT):
        raise DomainError(_("You may not terminate contracts."))
    if is_revision(contract) or contract.status != ACTIVE:
        raise DomainError(_("Only an active contract can be terminated."))
    reason = _text(reason, 500, "reason", required=True)
    contract.termination_reason = reason
    _set_status(actor, contract, TERMINATED, "contract.terminated", {"termination_reason": [None, reason]})
    return contract


def expire_contracts(today: dt.date | None = None) -> int:
    """Active contracts past their end date become expired (the hourly job). Returns how many."""
    today = today or site_today()
    contracts = db.session.scalars(select(Contract).where(Contract.status == ACTIVE, Contract.end_date < today,
                                                          Contract.deleted_at.is_(None))
                                   .order_by(Contract.end_date, Contract.id).limit(5000))
    count = 0
    for contract in contracts:
        _set_status(None, contract, EXPIRED, "contract.expired")
        count += 1
    return count


def delete_contract(actor: User, contract: Contract) -> None:
    """Delete a draft or rejected contract that never became active (a revision row: discard it). Needs the
    terminate-and-delete permission, except for discarding a revision one may edit."""
    if contract.status not in EDITABLE or contract.deleted_at is not None:
        raise DomainError(_("Only a draft or rejected contract can be deleted."))
    if is_revision(contract):
        _check_edit_permission(actor)
        _check_owner(actor, contract)
    elif not actor.can(ContractPermission.TERMINATE) or not can_see_owner(actor, contract.owner_id, CONTRACT):
        raise DomainError(_("You may not delete contracts."))
    if approval_services.pending_request(DOCUMENT_TYPE, contract.id) is not None:
        raise DomainError(_("This contract is waiting for approval."))
    contract.deleted_at = utcnow()
    contract.updated_by_id = actor.id
    db.session.flush()
    audit.record(actor, "contract.deleted", contract, {"status": [contract.status, None]})


def transfer_owner(actor: User, contract: Contract, owner_id: int | None) -> Contract:
    """Hand a contract (and its open revision) over to another active user within the actor's scope."""
    _check_edit_permission(actor)
    if is_revision(contract) or contract.deleted_at is not None:
        raise DomainError(_("Only a contract can be transferred."))
    _check_owner(actor, contract)
    owner = db.session.get(User, owner_id) if owner_id else None
    if owner is None or not owner.is_active or not can_see_owner(actor, owner.id, CONTRACT):
        raise DomainError(_("Choose an active user within your data scope."), "owner_id")
    if not owner.can(ContractPermission.EDIT):
        raise DomainError(_("%(name)s may not handle contracts.", name=owner.display_name), "owner_id")
    old_owner_id = contract.owner_id
    if owner.id == old_owner_id:
        return contract
    contract.owner_id = owner.id
    contract.updated_by_id = actor.id
    for revision in db.session.scalars(select(Contract).where(Contract.revision_of_id == contract.id)):
        revision.owner_id = owner.id
    db.session.flush()
    audit.record(actor, "contract.owner_changed", contract, {"owner_id": [old_owner_id, owner.id]})
    hooks.owner_changed(contract, old_owner_id)
    return contract


# --- renewal ----------------------------------------------------------------------------------

def renewal_of(contract: Contract) -> Contract | None:
    """The live contract renewing this one, if any."""
    return db.session.scalar(select(Contract).where(Contract.renewed_from_id == contract.id,
                                                    Contract.deleted_at.is_(None),
                                                    Contract.revision_of_id.is_(None))
                             .order_by(Contract.id.desc()).limit(1))


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day (Jan 31 + 1 → Feb 28)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def renewal_term(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The term following start..end, as long as it: whole months stay whole months (2026-03-01..2026-08-31 →
    2026-09-01..2027-02-28), any other term is shifted by its number of days."""
    new_start = end + dt.timedelta(days=1)
    months = (new_start.year - start.year) * 12 + new_start.month - start.month
    if months > 0 and _add_months(start, months) == new_start:
        return new_start, _add_months(new_start, months) - dt.timedelta(days=1)
    return new_start, new_start + (end - start)


def renew_contract(actor: User, contract: Contract) -> Contract:
    """A new draft continuing this contract: same customer, contact, terms and lines, its dates shifted by the
    old term (it starts the day after the old end), linked by renewed_from_id."""
    _check_edit_permission(actor)
    if is_revision(contract) or contract.status not in RENEWABLE or contract.deleted_at is not None:
        raise DomainError(_("Only an active, executed or expired contract can be renewed."))
    _check_owner(actor, contract)
    existing = renewal_of(contract)
    if existing is not None:
        raise DomainError(_("This contract has already been renewed by %(number)s.", number=existing.number))
    if not contract.start_date or not contract.end_date:
        raise DomainError(_("A contract without start and end dates cannot be renewed."))
    start, end = renewal_term(contract.start_date, contract.end_date)
    new = Contract(customer=contract.customer, owner_id=contract.owner_id, status=DRAFT, revision=0,
                   renewed_from=contract, created_by_id=actor.id)
    _copy_terms(contract, new)
    new.sign_date = None
    new.start_date, new.end_date = start, end
    new.title = contract.title
    new.updated_by_id = actor.id
    calc.apply(new)
    new.number = _new_number(site_today())
    db.session.add(new)
    db.session.flush()
    audit.record(actor, "contract.renewed", new, {"renewed_from": [None, contract.number],
                                                  "start_date": [None, start], "end_date": [None, end]})
    return new


def renewals_due(user: User, today: dt.date | None = None, days: int | None = None) -> Select:
    """Active contracts the user may see ending within the renewal period (today included), soonest first."""
    today = today or site_today()
    days = renewal_days() if days is None else days
    return (select(Contract).where(contract_condition(user), Contract.status == ACTIVE,
                                   Contract.end_date >= today, Contract.end_date <= today + dt.timedelta(days=days))
            .options(joinedload(Contract.customer), joinedload(Contract.owner))
            .order_by(Contract.end_date, Contract.id))


def renewed_ids(contract_ids: list[int]) -> dict[int, Contract]:
    """Of these contracts, those already renewed: id -> the renewing contract."""
    if not contract_ids:
        return {}
    rows = db.session.scalars(select(Contract).where(Contract.renewed_from_id.in_(contract_ids),
                                                     Contract.deleted_at.is_(None),
                                                     Contract.revision_of_id.is_(None)))
    return {row.renewed_from_id: row for row in rows}


def remind_renewals(today: dt.date | None = None) -> int:
    """Once per contract: remind the owner of an active contract ending within the renewal period (the daily
    job). Returns how many were reminded."""
    today = today or site_today()
    limit = today + dt.timedelta(days=renewal_days())
    now = utcnow()
    contracts = db.session.scalars(select(Contract).where(Contract.status == ACTIVE, Contract.end_date >= today,
                                                          Contract.end_date <= limit, Contract.deleted_at.is_(None),
                                                          Contract.revision_of_id.is_(None),
                                                          Contract.renewal_reminded_at.is_(None))
                                   .options(joinedload(Contract.customer))
                                   .order_by(Contract.end_date, Contract.id).limit(5000))
    count = 0
    for contract in contracts:
        title = _("Contract %(number)s (%(customer)s) ends on %(date)s: renew it?", number=contract.number,
                  customer=contract.customer.name, date=contract.end_date.isoformat())
        remind(contract.owner_id, "contract_renewal", title, now,
               f"contract-renewal:{contract.id}:{contract.end_date.isoformat()}", "contracts", contract.id)
        contract.renewal_reminded_at = now
        db.session.flush()
        audit.record(None, "contract.renewal_reminded", contract, {"renewal_reminded_at": [None, now]})
        count += 1
    return count


# --- templates --------------------------------------------------------------------------------

def _check_templates_permission(actor: User) -> None:
    if not actor.can(ContractPermission.TEMPLATES):
        raise DomainError(_("You may not edit contract templates."))


TEMPLATE_FIELDS = ("name", "contract_type", "body", "is_active", "is_default")


def _apply_template(template: ContractTemplate, fields: dict) -> None:
    name = _text(fields.get("name"), 100, "name", required=True)
    clash = db.session.scalar(select(ContractTemplate.id).where(ContractTemplate.name == name,
                                                                ContractTemplate.id != (template.id or 0)))
    if clash is not None:
        raise DomainError(_("Another template has this name."), "name")
    contract_type = fields.get("contract_type") or None
    if contract_type is not None and contract_type not in TYPES:
        raise DomainError(_("Choose a contract type."), "contract_type")
    template.name = name
    template.contract_type = contract_type
    template.body = merge.check_body(fields.get("body"))
    template.is_active = bool(fields.get("is_active", True))
    template.is_default = bool(fields.get("is_default")) and template.is_active


def _one_default(template: ContractTemplate) -> None:
    """At most one default template per contract type (None: the default for every type)."""
    if not template.is_default:
        return
    others = db.session.scalars(select(ContractTemplate).where(
        ContractTemplate.id != template.id, ContractTemplate.is_default == true(),
        ContractTemplate.contract_type.is_(None) if template.contract_type is None
        else ContractTemplate.contract_type == template.contract_type))
    for other in others:
        other.is_default = False


def create_template(actor: User | None, **fields) -> ContractTemplate:
    if actor is not None:
        _check_templates_permission(actor)
    template = ContractTemplate()
    _apply_template(template, fields)
    template.updated_by_id = actor.id if actor is not None else None
    db.session.add(template)
    db.session.flush()
    _one_default(template)
    db.session.flush()
    audit.record(actor, "contract_template.created", template,
                 audit.diff({}, audit.snapshot(template, TEMPLATE_FIELDS)))
    return template


def update_template(actor: User, template: ContractTemplate, **fields) -> ContractTemplate:
    _check_templates_permission(actor)
    before = audit.snapshot(template, TEMPLATE_FIELDS)
    _apply_template(template, fields)
    template.updated_by_id = actor.id
    _one_default(template)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(template, TEMPLATE_FIELDS))
    if changes:
        audit.record(actor, "contract_template.updated", template, changes)
    return template


def delete_template(actor: User, template: ContractTemplate) -> None:
    """Delete a template; contracts that chose it print from the default template again."""
    _check_templates_permission(actor)
    audit.record(actor, "contract_template.deleted", template, {"name": [template.name, None]})
    db.session.delete(template)
    db.session.flush()


def list_templates() -> list[ContractTemplate]:
    return list(db.session.scalars(select(ContractTemplate).order_by(ContractTemplate.is_active.desc(),
                                                                     ContractTemplate.name, ContractTemplate.id)))


def template_choices(current_id: int | None = None) -> list[tuple[int, str]]:
    rows = db.session.execute(select(ContractTemplate.id, ContractTemplate.name).where(
        or_(ContractTemplate.is_active == true(), ContractTemplate.id == (current_id or 0)))
        .order_by(ContractTemplate.name, ContractTemplate.id))
    return [(row.id, row.name) for row in rows]


def template_for(contract: Contract) -> ContractTemplate | None:
    """The contract's chosen template if still active, else the default one for its type, else for every type."""
    if contract.template is not None and contract.template.is_active:
        return contract.template
    for condition in (ContractTemplate.contract_type == contract.contract_type,
                      ContractTemplate.contract_type.is_(None)):
        template = db.session.scalar(select(ContractTemplate).where(
            ContractTemplate.is_active == true(), ContractTemplate.is_default == true(), condition)
            .order_by(ContractTemplate.id).limit(1))
        if template is not None:
            return template
    return None


def ensure_default_template() -> None:
    """The standard sales contract template, once (reference data: an administrator's deletion is kept)."""
    if get_setting(DEFAULT_TEMPLATE_KEY):
        return
    if db.session.scalar(select(ContractTemplate.id).where(ContractTemplate.name == merge.DEFAULT_TEMPLATE_NAME)) \
            is None:
        db.session.add(ContractTemplate(name=merge.DEFAULT_TEMPLATE_NAME, contract_type=None,
                                        body=merge.DEFAULT_TEMPLATE_BODY, is_active=True, is_default=True))
    set_setting(DEFAULT_TEMPLATE_KEY, "1")


def rendered_blocks(contract: Contract, company_name: str) -> list[merge.Block]:
    """The contract's text from its template (the built-in standard text when there is none)."""
    template = template_for(contract)
    body = template.body if template is not None else merge.DEFAULT_TEMPLATE_BODY
    return merge.render(body, merge.values_for(contract, company_name, type_label(contract.contract_type)))


# --- reading ----------------------------------------------------------------------------------

SORTS = {
    "updated": (Contract.updated_at, "desc"),
    "sign_date": (Contract.sign_date, "desc"),
    "amount": (Contract.amount, "desc"),
    "end_date": (Contract.end_date, "asc"),
    "number": (Contract.number, "desc"),
}


@dataclass
class ContractFilters:
    q: str | None = None
    status: str | None = None
    contract_type: str | None = None
    owner_id: int | None = None
    customer_id: int | None = None
    opportunity_id: int | None = None
    sign_from: dt.date | None = None
    sign_to: dt.date | None = None
    expiring: bool = False
    sort: str = "updated"
    direction: str | None = None  # "asc" / "desc"; None: the sort's own default


def list_contracts(user: User, filters: ContractFilters, today: dt.date | None = None) -> Select:
    """The contracts (not revision rows) the user may see, filtered and sorted (ordered for paginate)."""
    stmt = (select(Contract).where(contract_condition(user))
            .options(joinedload(Contract.customer), joinedload(Contract.owner)))
    if filters.status:
        stmt = stmt.where(Contract.status == filters.status)
    if filters.contract_type:
        stmt = stmt.where(Contract.contract_type == filters.contract_type)
    if filters.owner_id:
        stmt = stmt.where(Contract.owner_id == filters.owner_id)
    if filters.customer_id:
        stmt = stmt.where(Contract.customer_id == filters.customer_id)
    if filters.opportunity_id:
        stmt = stmt.where(Contract.opportunity_id == filters.opportunity_id)
    if filters.sign_from:
        stmt = stmt.where(Contract.sign_date >= filters.sign_from)
    if filters.sign_to:
        stmt = stmt.where(Contract.sign_date <= filters.sign_to)
    if filters.expiring:
        today = today or site_today()
        stmt = stmt.where(Contract.status == ACTIVE, Contract.end_date >= today,
                          Contract.end_date <= today + dt.timedelta(days=renewal_days()))
    if filters.q:
        term = filters.q.strip()[:100]
        # the number by prefix (its index serves it), the title or the customer's name
        matching = select(Customer.id).where(contains(Customer.name, term))
        numbers = [Contract.number.like(f"{escape_like(value)}%", escape="\\")
                   for value in sorted({term, term.upper()})]
        stmt = stmt.where(or_(*numbers, contains(Contract.title, term), Contract.customer_id.in_(matching)))
    column, default_direction = SORTS.get(filters.sort, SORTS["updated"])
    direction = filters.direction if filters.direction in ("asc", "desc") else default_direction
    if direction == "asc":
        return stmt.order_by(column.asc(), Contract.id.asc())
    return stmt.order_by(column.desc(), Contract.id.desc())


def contracts_of(user: User, customer_id: int | None = None, opportunity_id: int | None = None,
                 quote_id: int | None = None, limit: int = 10) -> tuple[list[Contract], int]:
    """A customer's, an opportunity's or a quote's contracts the user may see (newest first) and their count."""
    condition = contract_condition(user)
    if customer_id is not None:
        condition = and_(condition, Contract.customer_id == customer_id)
    if opportunity_id is not None:
        condition = and_(condition, Contract.opportunity_id == opportunity_id)
    if quote_id is not None:
        condition = and_(condition, Contract.quote_id == quote_id)
    total = db.session.scalar(select(func.count(Contract.id)).where(condition)) or 0
    contracts = list(db.session.scalars(select(Contract).options(joinedload(Contract.owner)).where(condition)
                                        .order_by(Contract.updated_at.desc(), Contract.id.desc()).limit(limit)))
    return contracts, total


def load_for_display(contract_id: int) -> Contract | None:
    return db.session.scalar(select(Contract).options(
        selectinload(Contract.lines), selectinload(Contract.attachments), joinedload(Contract.customer),
        joinedload(Contract.owner), joinedload(Contract.contact)).where(Contract.id == contract_id))


def contact_choices(customer_id: int) -> list[tuple[int, str]]:
    rows = db.session.execute(select(Contact.id, Contact.name).where(Contact.customer_id == customer_id,
                                                                     Contact.deleted_at.is_(None))
                              .order_by(Contact.is_primary.desc(), Contact.name, Contact.id))
    return [(row.id, row.name) for row in rows]


def owner_choices(user: User) -> list[tuple[int, str]]:
    rows = db.session.execute(select(User.id, User.display_name).where(scope_condition(user, User.id, CONTRACT))
                              .order_by(User.display_name, User.id))
    return [(row.id, row.display_name) for row in rows]


def transfer_choices(user: User) -> list[tuple[int, str]]:
    """Active users within the user's scope whose role handles contracts."""
    from ..core.models import RolePermission
    holders = select(RolePermission.role_id).where(RolePermission.permission == ContractPermission.EDIT)
    rows = db.session.execute(select(User.id, User.display_name).where(
        scope_condition(user, User.id, CONTRACT), User.is_active == true(), User.role_id.in_(holders))
        .order_by(User.display_name, User.id).limit(500))
    return [(row.id, row.display_name) for row in rows]


def edit_history(contract: Contract, limit: int = 30) -> list[audit.AuditLog]:
    return list(db.session.scalars(select(audit.AuditLog).where(audit.AuditLog.entity_type == "contracts",
                                                                audit.AuditLog.entity_id == contract.id)
                                   .order_by(audit.AuditLog.at.desc(), audit.AuditLog.id.desc()).limit(limit)))


# --- files ------------------------------------------------------------------------------------

def _check_files(actor: User, contract: Contract) -> None:
    if contract.deleted_at is not None or is_revision(contract):
        raise DomainError(_("Files are kept with the contract itself."))
    _check_edit_permission(actor)
    _check_owner(actor, contract)


def add_file(actor: User, contract: Contract, file, signed_scan: bool = False):
    """Attach a file (checked by content; a signed scan must be a PDF or an image). Allowed at any status:
    the signed scan usually comes after approval."""
    _check_files(actor, contract)
    upload = attachments.check_upload(file, len(contract.attachments), signed_scan)
    attachment = attachments.store(actor, contract, upload, signed_scan)
    audit.record(actor, "contract.file_added", contract,
                 {"file": [None, attachment.filename], "is_signed_scan": [None, signed_scan]})
    return attachment


def remove_file(actor: User, contract: Contract, attachment) -> None:
    _check_files(actor, contract)
    attachments.discard([attachment])
    contract.attachments.remove(attachment)
    db.session.flush()
    audit.record(actor, "contract.file_removed", contract, {"file": [attachment.filename, None]})


def set_signed_scan(actor: User, contract: Contract, attachment, signed_scan: bool) -> None:
    _check_files(actor, contract)
    signed_scan = bool(signed_scan)
    if signed_scan and extension_of(attachment.filename) not in attachments.SCAN_EXTENSIONS:
        raise DomainError(_("A signed scan must be a PDF or an image (%(types)s).",
                            types=", ".join(sorted(attachments.SCAN_EXTENSIONS))))
    if attachment.is_signed_scan == signed_scan:
        return
    attachment.is_signed_scan = signed_scan
    db.session.flush()
    audit.record(actor, "contract.file_changed", contract,
                 {"file": [attachment.filename, attachment.filename],
                  "is_signed_scan": [not signed_scan, signed_scan]})
