"""线索 rules: create and edit leads (validated, scored, assigned), status and invalid, follow-ups, and the list."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, false, func, or_, select, true
from sqlalchemy.orm import selectinload

from ..contacts.services import mobile_problem, phone_problem
from ..core import audit
from ..core.audit import diff, snapshot
from ..core.dictionaries import DictionaryItem, item_with_flag
from ..core.errors import DomainError
from ..core.models import User
from ..core.pagination import PAGE_SIZES, Page, Segment, empty_last_segments, paginate_ids, paginate_segments
from ..core.permissions import can_see_owner, scope_condition
from ..core.search import contains
from ..core.money import to_fen
from ..core.types import utcnow
from ..core.validation import clean_text as _text
from ..customers import normalise
from ..customers.dictionaries import INDUSTRY
from ..extensions import db
from ..followups.services import KINDS as FOLLOWUP_KINDS
from ..reminders.services import register_kind, remind
from .access import LEAD, LeadPermission, can_edit, lead_condition, visible_leads
from .assignment import auto_assign
from .dictionaries import SOURCE, WEBSITE_FLAG
from .models import (COMPANY_SIZES, CONTACTING, CONVERTED, GRADES, INVALID, NEW, OPEN_STATUSES, QUALIFIED, STATUSES,
                     URGENCIES, Lead, LeadFollowUp)

audit.register_actions({
    "lead.created": _l("Created a lead"),
    "lead.updated": _l("Edited a lead"),
    "lead.status_changed": _l("Changed a lead's status"),
    "lead.invalidated": _l("Marked a lead invalid"),
    "lead.followup_logged": _l("Logged a follow-up on a lead"),
})
register_kind("lead_followup_due", _l("Lead follow-up"))

STATUS_LABELS = {NEW: _l("New"), CONTACTING: _l("Contacting"), QUALIFIED: _l("Qualified"),
                 CONVERTED: _l("Converted"), INVALID: _l("Invalid")}
URGENCY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High")}
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_BUDGET = Decimal("9999999999999999.99")
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

TEXT_FIELDS = {"name": 60, "company": 200, "title": 60, "requirement": 4000, "province": 30, "city": 30,
               "address": 200}
EDITABLE_FIELDS = ("name", "company", "title", "mobile", "phone", "email", "source_id", "campaign_id",
                   "industry_id", "company_size", "requirement", "budget", "urgency", "province", "city", "address")
# What the edit history records: relationships, so the log shows dictionary labels and names, not ids.
AUDIT_FIELDS = ("name", "company", "title", "mobile", "phone", "email", "source", "campaign_id", "industry",
                "company_size", "requirement", "budget", "urgency", "province", "city", "address", "score", "grade",
                "status")


class DuplicateWarning(DomainError):
    """Similar leads, customers or contacts exist: save again with confirm_duplicates=True."""

    def __init__(self, matches):
        super().__init__(_("Similar leads or customers already exist. Check that this is a different one, "
                           "then tick “Save anyway”."))
        self.matches = matches


# --- values -----------------------------------------------------------------------------------

def _phone(value: str | None, field: str, mobile: bool = False) -> str | None:
    value = _text(value, 40, field)
    if value is None:
        return None
    problem = mobile_problem(value) if mobile else phone_problem(value)
    if problem:
        raise DomainError(problem, field)
    return value


def _email(value: str | None) -> str | None:
    value = _text(value, 120, "email")
    if value is not None and not EMAIL_PATTERN.match(value):
        raise DomainError(_("Enter a valid e-mail address."), "email")
    return value


def _dictionary(kind: str, item_id, field: str, current_id: int | None = None) -> DictionaryItem | None:
    if not item_id:
        return None
    item = db.session.get(DictionaryItem, item_id)
    if item is None or item.kind != kind:
        raise DomainError(_("Choose a value from the list."), field)
    if not item.is_active and item.id != current_id:
        raise DomainError(_("This value is no longer in use. Choose another."), field)
    return item


def _budget(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise DomainError(_("Enter an amount in yuan, e.g. 50000 or 12500.50."), "budget") from None
    if not amount.is_finite() or amount < 0 or amount > MAX_BUDGET:
        raise DomainError(_("Enter an amount in yuan, e.g. 50000 or 12500.50."), "budget")
    return to_fen(amount)


def _campaign_id(value) -> int | None:
    if not value:
        return None
    from ..campaigns.models import Campaign  # the campaigns domain's table (FK of Lead.campaign_id)
    campaign = db.session.get(Campaign, int(value))
    if campaign is None or campaign.deleted_at is not None:
        raise DomainError(_("Choose a value from the list."), "campaign_id")
    return campaign.id


def _values(current: Lead | None, fields: dict) -> dict:
    """Validated attribute values for a lead from plain field values; raises DomainError on the field."""
    values: dict = {}
    for name, length in TEXT_FIELDS.items():
        values[name] = _text(fields.get(name), length, name, required=name == "name")
    values["mobile"] = _phone(fields.get("mobile"), "mobile", mobile=True)
    values["phone"] = _phone(fields.get("phone"), "phone")
    values["email"] = _email(fields.get("email"))
    current_source = current.source_id if current is not None else None
    current_industry = current.industry_id if current is not None else None
    values["source"] = _dictionary(SOURCE, fields.get("source_id"), "source_id", current_source)
    values["industry"] = _dictionary(INDUSTRY, fields.get("industry_id"), "industry_id", current_industry)
    values["campaign_id"] = _campaign_id(fields.get("campaign_id"))
    size = (fields.get("company_size") or "").strip() or None
    if size is not None and size not in COMPANY_SIZES:
        raise DomainError(_("Choose a value from the list."), "company_size")
    values["company_size"] = size
    urgency = (fields.get("urgency") or "normal").strip()
    if urgency not in URGENCIES:
        raise DomainError(_("Choose a value from the list."), "urgency")
    values["urgency"] = urgency
    values["budget"] = _budget(fields.get("budget"))
    return values


def refresh_keys(lead: Lead) -> None:
    """The normal forms the duplicate check and the keyword search read (see customers.normalise)."""
    lead.name_key = normalise.name_key(lead.company) or normalise.name_key(lead.name)
    lead.phone_digits = normalise.phone_digits(lead.mobile) or normalise.phone_digits(lead.phone)
    lead.email_key = normalise.email_key(lead.email)
    parts = [lead.name, lead.company, lead.mobile, lead.phone, lead.email]
    for number in (lead.mobile, lead.phone):
        digits = normalise.phone_digits(number)
        if digits and digits != number:
            parts.append(digits)
    lead.search_text = normalise.search_text(*parts)


def _score(lead: Lead) -> None:
    from .scoring import apply_score  # the scoring rules (an administrator's), written beside this module
    apply_score(lead)


def _state(lead: Lead) -> dict:
    return snapshot(lead, AUDIT_FIELDS)


def website_source() -> DictionaryItem | None:
    """The lead source the public web form files enquiries under (the value flagged "website")."""
    return item_with_flag(SOURCE, WEBSITE_FLAG)


# --- create and edit --------------------------------------------------------------------------

def _owner_for(actor: User | None, owner_id: int | None) -> User:
    if actor is not None and owner_id == actor.id:
        return actor
    if actor is None or not actor.can(LeadPermission.ASSIGN):
        raise DomainError(_("You may not assign leads."), "owner_id")
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.is_active or not can_see_owner(actor, owner.id, LEAD):
        raise DomainError(_("Choose an active user within your data scope."), "owner_id")
    return owner


def create_lead(actor: User | None, *, assign: str | None = None, owner_id: int | None = None,
                confirm_duplicates: bool = False, web_form_id: int | None = None, **fields) -> Lead:
    """Add a lead: validated, normalised, scored, then given an owner. `actor` None is the public web form.
    `assign`: "self" (the actor owns it; the default for a signed-in user), "auto" (round robin among the
    assignment team, else the pool; the default for the web form) or "pool"; `owner_id` names an owner (needs
    `lead.assign` unless it is the actor). A signed-in user sees similar leads, customers and contacts first
    (DuplicateWarning) unless `confirm_duplicates`."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"create_lead() got unexpected fields: {', '.join(sorted(unknown))}")
    if actor is not None and not actor.can(LeadPermission.CREATE):
        raise DomainError(_("You may not create leads."))
    values = _values(None, fields)
    assign = assign or ("auto" if actor is None else "self")
    if assign not in ("self", "auto", "pool"):
        raise DomainError(_("Choose a value from the list."), "owner_id")
    owner = _owner_for(actor, owner_id) if owner_id else None
    if owner is None and assign == "self" and actor is None:
        assign = "auto"
    lead = Lead(status=NEW, web_form_id=web_form_id, **values)
    refresh_keys(lead)
    if actor is not None and not confirm_duplicates:
        from .duplicates import find_lead_duplicates
        matches = find_lead_duplicates(actor, lead)
        if matches:
            raise DuplicateWarning(matches)
    lead.created_by = actor
    lead.updated_by = actor
    _score(lead)
    db.session.add(lead)
    db.session.flush()
    changes = diff({}, _state(lead))
    audit.record(actor, "lead.created", lead, changes)
    if owner is None and assign == "self":
        owner = actor
    if owner is not None:
        lead.owner = owner
        lead.assigned_at = utcnow()
    elif assign == "auto":
        auto_assign(lead, actor)
    db.session.flush()
    return lead


def update_lead(actor: User, lead: Lead, *, confirm_duplicates: bool = False, **fields) -> Lead:
    """Edit an open lead (a field not passed keeps its value); rescored, and checked for duplicates when its
    name, company, phones or e-mail changed."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"update_lead() got unexpected fields: {', '.join(sorted(unknown))}")
    if not can_edit(actor, lead):
        raise DomainError(_("You may not edit this lead."))
    if lead.status == CONVERTED:
        raise DomainError(_("This lead has been converted and can no longer be edited."))
    merged = {name: getattr(lead, name) for name in EDITABLE_FIELDS}
    merged.update(fields)
    values = _values(lead, merged)
    before = _state(lead)
    old_keys = (lead.name_key, lead.phone_digits, lead.email_key)
    for key, value in values.items():
        setattr(lead, key, value)
    refresh_keys(lead)
    if (lead.name_key, lead.phone_digits, lead.email_key) != old_keys and not confirm_duplicates:
        from .duplicates import find_lead_duplicates
        matches = find_lead_duplicates(actor, lead, exclude_id=lead.id)
        if matches:
            raise DuplicateWarning(matches)
    _score(lead)
    changes = diff(before, _state(lead))
    if changes:
        lead.updated_by = actor
        db.session.flush()
        audit.record(actor, "lead.updated", lead, changes)
    db.session.flush()
    return lead


def set_status(actor: User, lead: Lead, status: str) -> Lead:
    """Move an open lead between new, contacting and qualified (converting and invalid have their own steps)."""
    if not can_edit(actor, lead):
        raise DomainError(_("You may not edit this lead."))
    if status not in OPEN_STATUSES:
        raise DomainError(_("Choose a value from the list."), "status")
    if lead.status not in OPEN_STATUSES and lead.status != INVALID:
        raise DomainError(_("This lead has been converted and can no longer be edited."))
    if lead.status == status:
        return lead
    before = lead.status
    lead.status = status
    lead.invalid_reason = None
    lead.updated_by = actor
    audit.record(actor, "lead.status_changed", lead, {"status": [before, status]})
    db.session.flush()
    return lead


def mark_invalid(actor: User, lead: Lead, reason: str | None) -> Lead:
    """Close an open lead as invalid (无效线索), with the reason (required)."""
    if not can_edit(actor, lead):
        raise DomainError(_("You may not edit this lead."))
    if lead.status not in OPEN_STATUSES:
        raise DomainError(_("Only an open lead can be marked invalid."))
    reason = _text(reason, 500, "reason", required=True)
    before = lead.status
    lead.status = INVALID
    lead.invalid_reason = reason
    lead.updated_by = actor
    audit.record(actor, "lead.invalidated", lead, {"status": [before, INVALID], "invalid_reason": [None, reason]})
    db.session.flush()
    return lead


# --- follow-ups -------------------------------------------------------------------------------

def log_lead_followup(actor: User, lead: Lead, *, kind: str, happened_at: dt.datetime, content: str,
                      outcome: str | None = None, next_step: str | None = None,
                      next_followup_at: dt.datetime | None = None) -> LeadFollowUp:
    """Log a call, visit, meeting or message with a lead the actor may edit (times naive UTC). A new lead
    becomes "contacting"; a next follow-up date becomes a reminder for the lead's owner."""
    if not can_edit(actor, lead) or lead.status not in OPEN_STATUSES:
        raise DomainError(_("You may not log follow-ups for this lead."))
    if kind not in FOLLOWUP_KINDS:
        raise DomainError(_("Choose how you were in touch."), "kind")
    if happened_at is None:
        raise DomainError(_("This field is required."), "happened_at")
    now = utcnow()
    if happened_at > now + FUTURE_TOLERANCE:
        raise DomainError(_("A follow-up cannot be in the future."), "happened_at")
    if next_followup_at is not None and next_followup_at <= happened_at:
        raise DomainError(_("The next follow-up must be after this one."), "next_followup_at")
    followup = LeadFollowUp(lead_id=lead.id, user_id=actor.id, kind=kind, happened_at=happened_at,
                            content=_text(content, 5000, "content", required=True),
                            outcome=_text(outcome, 500, "outcome"), next_step=_text(next_step, 500, "next_step"),
                            next_followup_at=next_followup_at)
    db.session.add(followup)
    if lead.last_followup_at is None or happened_at > lead.last_followup_at:
        lead.last_followup_at = happened_at
    if lead.status == NEW:
        lead.status = CONTACTING
    lead.updated_by = actor
    db.session.flush()
    if next_followup_at is not None:
        remind(lead.owner_id or actor.id, "lead_followup_due", _("Follow up the lead %(name)s", name=lead.name),
               next_followup_at, f"lead_followup:{followup.id}", entity_type="leads", entity_id=lead.id)
    audit.record(actor, "lead.followup_logged", lead,
                 {"kind": [None, kind], "content": [None, followup.content[:200]]})
    return followup


def lead_followups(lead: Lead) -> list[LeadFollowUp]:
    return list(db.session.scalars(select(LeadFollowUp).options(selectinload(LeadFollowUp.user))
                                   .where(LeadFollowUp.lead_id == lead.id)
                                   .order_by(LeadFollowUp.happened_at.desc(), LeadFollowUp.id.desc())))


# --- the list ---------------------------------------------------------------------------------

@dataclass
class LeadFilters:
    q: str | None = None
    status: str | None = None
    grade: str | None = None
    source_id: int | None = None
    owner_id: int | None = None
    campaign_id: int | None = None
    pool: bool = False  # only unassigned leads
    mine: bool = False


SORT_KEYS = ("updated_at", "created_at", "name", "company", "score", "grade", "last_followup_at")
DEFAULT_SORT = ("updated_at", "desc")
NEVER_EMPTY_SORTS = ("updated_at", "created_at", "name", "score")
FEW_MATCHES = 1000  # a keyword search matching at most this many leads reads them by id (SQL Server: < 2100)
PHONE_TERM = re.compile(r"^[0-9 +\-()]+$")


def keyword_condition(q: str):
    """Name, company, phones and e-mail (search_text, which holds the phones as digits too)."""
    term = normalise.search_term(q)
    if not term:
        return None
    condition = contains(Lead.search_text, term)
    digits = normalise.phone_digits(term) if PHONE_TERM.match(term) else None
    if digits and len(digits) >= 4 and digits != term:
        condition = or_(condition, contains(Lead.search_text, digits))
    return condition


def _filter_conditions(user: User, filters: LeadFilters) -> list:
    conditions = []
    if filters.q:
        condition = keyword_condition(filters.q)
        if condition is not None:
            conditions.append(condition)
    if filters.status in STATUSES:
        conditions.append(Lead.status == filters.status)
    if filters.grade in GRADES:
        conditions.append(Lead.grade == filters.grade)
    for name in ("source_id", "campaign_id", "owner_id"):
        value = getattr(filters, name)
        if value:
            conditions.append(getattr(Lead, name) == value)
    if filters.pool:
        conditions.append(Lead.owner_id.is_(None))
    if filters.mine:
        conditions.append(Lead.owner_id == user.id)
    return conditions


def _sort_and_direction(sort: str, direction: str) -> tuple[str, bool]:
    if sort not in SORT_KEYS:
        sort, direction = DEFAULT_SORT
    return sort, direction == "desc"


def _loaded(stmt: Select) -> Select:
    return stmt.options(selectinload(Lead.owner), selectinload(Lead.source))


def _null_last(column):
    return case((column.is_(None), 1), else_=0)


def list_leads(user: User, filters: LeadFilters | None = None, sort: str = DEFAULT_SORT[0],
               direction: str = DEFAULT_SORT[1]) -> Select:
    """Every lead `user` may see, narrowed by `filters`, in the list's order (empty values last, id last)."""
    filters = filters or LeadFilters()
    stmt = visible_leads(user).where(*_filter_conditions(user, filters))
    sort, descending = _sort_and_direction(sort, direction)

    def ordered(column):
        return column.desc() if descending else column.asc()

    column = getattr(Lead, sort)
    if sort in NEVER_EMPTY_SORTS:
        ordering = [ordered(column)]
    else:
        ordering = [_null_last(column), ordered(column)]
    if sort == "grade":  # A first when ascending; within a grade, the default order
        ordering.append(ordered(Lead.updated_at))
    return _loaded(stmt.order_by(*ordering, ordered(Lead.id)))


def lead_page(user: User, filters: LeadFilters | None = None, sort: str = DEFAULT_SORT[0],
              direction: str = DEFAULT_SORT[1], page: int = 1, per_page: int = PAGE_SIZES[0]) -> Page:
    """One page of `list_leads`, read so that an index gives every sort its order on a large table: a sort with
    empty values is read as two segments (filled, then empty), each counted in one query."""
    filters = filters or LeadFilters()
    sort, descending = _sort_and_direction(sort, direction)
    where = [lead_condition(user), *_filter_conditions(user, filters)]
    if filters.q and keyword_condition(filters.q) is not None:
        # LIKE '%term%' has no index: one scan collects the ids, a rare term's few rows are then ordered alone
        ids = db.session.scalars(select(Lead.id).where(*where).limit(FEW_MATCHES + 1)).all()
        if len(ids) <= FEW_MATCHES:
            return paginate_ids(list_leads(user, filters, sort, direction), Lead.id, ids, page, per_page)

    def ordered(column):
        return column.desc() if descending else column.asc()

    column = getattr(Lead, sort)
    if sort in NEVER_EMPTY_SORTS:
        count = db.session.scalar(select(func.count()).select_from(Lead).where(*where)) or 0
        segments = [Segment(None, [ordered(column), ordered(Lead.id)], count)]
    else:
        total, filled = db.session.execute(select(func.count(), func.count(column)).where(*where)).one()
        then = [ordered(Lead.updated_at)] if sort == "grade" else []
        segments = empty_last_segments(column, ordered(column), [*then, ordered(Lead.id)], total, filled)
    # the rows: walked in the order's index, the scope checked in it (see _walked_scope)
    rows = [_walked_scope(user), *_filter_conditions(user, filters)]
    return paginate_segments(_loaded(select(Lead).where(*rows)), segments, page, per_page,
                             whole=list_leads(user, filters, sort, direction))


def _walked_scope(user: User):
    """`lead_condition` for reading a page on SQLite: a salesperson's scope (own leads OR the pool) would make
    SQLite gather both from the owner index and sort them all (the ORs' rows are not in the list's order);
    written on `owner_id + 0`, the sort's index is walked in order and the first rows that qualify are the page.
    The counts keep `lead_condition`, which the owner index answers alone."""
    if db.session.get_bind().dialect.name != "sqlite":
        return lead_condition(user)
    owner = Lead.owner_id + 0
    pool = owner.is_(None) if user.can(LeadPermission.POOL) else false()
    return Lead.deleted_at.is_(None) & (scope_condition(user, owner, LEAD) | pool)


def owner_choices(user: User) -> list[tuple[int, str]]:
    """Active users within the user's data scope for leads (to assign to, or filter by)."""
    stmt = (select(User.id, User.display_name).where(scope_condition(user, User.id, LEAD), User.is_active == true())
            .order_by(User.display_name, User.id))
    return [(row.id, row.display_name) for row in db.session.execute(stmt)]


def campaign_choices() -> list[tuple[int, str]]:
    from ..campaigns.models import Campaign
    stmt = (select(Campaign.id, Campaign.name).where(Campaign.deleted_at.is_(None))
            .order_by(Campaign.start_date.desc(), Campaign.id.desc()).limit(200))
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def campaign_name(campaign_id: int | None) -> str | None:
    if not campaign_id:
        return None
    from ..campaigns.models import Campaign
    return db.session.scalar(select(Campaign.name).where(Campaign.id == campaign_id))


def edit_history(lead: Lead, limit: int = 20) -> list[audit.AuditLog]:
    return list(db.session.scalars(
        select(audit.AuditLog).where(audit.AuditLog.entity_type == Lead.__tablename__,
                                     audit.AuditLog.entity_id == lead.id)
        .order_by(audit.AuditLog.at.desc(), audit.AuditLog.id.desc()).limit(limit)))
