"""线索评分: the rules administrators define, a lead's score and grade, and rescoring every lead in batches."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Index, Integer, Unicode, bindparam, inspect, select, true, update
from sqlalchemy.orm import Mapped, mapped_column, relationship, selectinload

from ..core import audit
from ..core.dictionaries import DictionaryItem
from ..core.errors import DomainError
from ..core.jobs import register_job
from ..core.models import TimestampMixin, User
from ..core.permissions import register_permission
from ..core.roles import register_reference_data
from ..core.site_settings import get_setting, set_setting
from ..core.types import Money, utcnow
from ..extensions import db


class ScoringPermission:
    MANAGE = register_permission("lead.scoring", _l("Define lead scoring rules and grade thresholds"), _l("Leads"))


audit.register_actions({
    "lead.scoring_rule_created": _l("Added a lead scoring rule"),
    "lead.scoring_rule_updated": _l("Edited a lead scoring rule"),
    "lead.scoring_rule_deleted": _l("Deleted a lead scoring rule"),
    "lead.grade_thresholds_changed": _l("Changed the lead grade thresholds"),
    "lead.scores_recomputed": _l("Recomputed every lead's score"),
})
audit.register_entity_labels({"lead_scoring_rules": _l("Lead scoring rule")})
audit.register_field_labels({
    "criterion": _l("Rule looks at"), "item_id": _l("Dictionary value"), "min_amount": _l("Budget at least"),
    "points": _l("Points"), "grade_a_min": _l("Grade A from"), "grade_b_min": _l("Grade B from"),
    "grade_c_min": _l("Grade C from"), "leads": _l("Leads"), "changed": _l("Changed"),
})

# What a rule looks at. Dictionary criteria compare ids, the others compare a stored value.
INDUSTRY, SOURCE, COMPANY_SIZE, URGENCY, BUDGET, FILLED = (
    "industry", "source", "company_size", "urgency", "budget", "filled")
CRITERIA = (INDUSTRY, SOURCE, COMPANY_SIZE, URGENCY, BUDGET, FILLED)
DICTIONARY_CRITERIA = {INDUSTRY: ("industry", "industry_id"), SOURCE: ("source", "source_id")}
COMPANY_SIZES = ("1-20", "21-100", "101-500", "500+")
URGENCIES = ("low", "normal", "high")
# Lead fields a "field is filled in" rule may name.
FILLABLE_FIELDS = ("mobile", "phone", "email", "company", "title", "requirement", "province", "city")

GRADES = ("A", "B", "C", "D")
THRESHOLD_KEYS = {"A": "leads.grade_a_min", "B": "leads.grade_b_min", "C": "leads.grade_c_min"}
DEFAULT_THRESHOLDS = {"A": 80, "B": 60, "C": 40}
MAX_SCORE = 100


class LeadScoringRule(TimestampMixin, db.Model):
    """One rule: `points` when a lead's `criterion` matches (dictionary item, stored value, minimum budget, filled)."""

    __tablename__ = "lead_scoring_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    criterion: Mapped[str] = mapped_column(Unicode(20), nullable=False)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"), index=True)
    value: Mapped[str | None] = mapped_column(Unicode(40))
    min_amount: Mapped[Decimal | None] = mapped_column(Money)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    item: Mapped[DictionaryItem | None] = relationship()

    __table_args__ = (Index("ix_lead_scoring_rules_active", "is_active", "criterion", "id"),)

    def __str__(self) -> str:
        return describe(self)


@dataclass(frozen=True)
class RuleSnapshot:
    """A rule's values, detached from the session (cached for the request, survives commits)."""

    id: int
    criterion: str
    item_id: int | None
    value: str | None
    min_amount: Decimal | None
    points: int

    def matches(self, lead) -> bool:
        if self.criterion in DICTIONARY_CRITERIA:
            return self.item_id is not None and _item_id(lead, *DICTIONARY_CRITERIA[self.criterion]) == self.item_id
        if self.criterion in (COMPANY_SIZE, URGENCY):
            return getattr(lead, self.criterion, None) == self.value
        if self.criterion == BUDGET:
            budget = getattr(lead, "budget", None)
            return budget is not None and self.min_amount is not None and Decimal(budget) >= self.min_amount
        if self.criterion == FILLED:
            if self.value not in FILLABLE_FIELDS:
                return False
            filled = getattr(lead, self.value, None)
            return filled is not None and str(filled).strip() != ""
        return False


def _item_id(lead, relation: str, column: str) -> int | None:
    """A dictionary value's id: from the relationship when it was set or loaded (the id column follows only at
    the next flush), else from the column."""
    state = inspect(lead, raiseerr=False)
    if state is not None and relation in state.attrs and relation not in state.unloaded:
        item = getattr(lead, relation)
        return item.id if item is not None else None
    return getattr(lead, column, None)


_CACHE_KEY = "_lead_scoring_cache"


def forget_cached_rules() -> None:
    """Called after a rule or threshold changes, so the rest of the request scores with the new ones."""
    if has_request_context() and hasattr(request, _CACHE_KEY):
        delattr(request, _CACHE_KEY)


def load_rules() -> list[RuleSnapshot]:
    stmt = select(LeadScoringRule.id, LeadScoringRule.criterion, LeadScoringRule.item_id, LeadScoringRule.value,
                  LeadScoringRule.min_amount, LeadScoringRule.points)
    rows = db.session.execute(stmt.where(LeadScoringRule.is_active == true()).order_by(LeadScoringRule.id))
    return [RuleSnapshot(*row) for row in rows]


def thresholds() -> dict[str, int]:
    """Minimum score per grade (A, B, C; below C is D), from the site settings."""
    result = {}
    for grade, key in THRESHOLD_KEYS.items():
        raw = get_setting(key)
        try:
            result[grade] = int(raw) if raw is not None else DEFAULT_THRESHOLDS[grade]
        except ValueError:
            result[grade] = DEFAULT_THRESHOLDS[grade]
    return result


def _cached() -> tuple[list[RuleSnapshot], dict[str, int]]:
    """The active rules and thresholds, read once per request (a request may save many leads); outside a
    request (jobs, commands) they are read each time."""
    if not has_request_context():
        return load_rules(), thresholds()
    if not hasattr(request, _CACHE_KEY):
        setattr(request, _CACHE_KEY, (load_rules(), thresholds()))
    return getattr(request, _CACHE_KEY)


def compute_score(lead, rules: list[RuleSnapshot]) -> int:
    """The sum of the matching rules' points, kept between 0 and 100."""
    total = sum(rule.points for rule in rules if rule.matches(lead))
    return max(0, min(MAX_SCORE, total))


def grade_for(score: int, limits: dict[str, int]) -> str:
    for grade in ("A", "B", "C"):
        if score >= limits[grade]:
            return grade
    return "D"


def apply_score(lead, rules: list[RuleSnapshot] | None = None, limits: dict[str, int] | None = None) -> None:
    """Set `lead.score` and `lead.grade` from the active rules; only sets attributes (the caller flushes)."""
    if rules is None or limits is None:
        cached_rules, cached_limits = _cached()
        rules = cached_rules if rules is None else rules
        limits = cached_limits if limits is None else limits
    lead.score = compute_score(lead, rules)
    lead.grade = grade_for(lead.score, limits)


# --- labels ------------------------------------------------------------------------------------

CRITERION_LABELS = {
    INDUSTRY: _l("Industry is"), SOURCE: _l("Source is"), COMPANY_SIZE: _l("Company size is"),
    URGENCY: _l("Urgency is"), BUDGET: _l("Budget at least (yuan)"), FILLED: _l("Field is filled in"),
}
URGENCY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High")}
FIELD_LABELS = {
    "mobile": _l("Mobile"), "phone": _l("Phone"), "email": _l("Email"), "company": _l("Company"),
    "title": _l("Job title"), "requirement": _l("Requirement"), "province": _l("Province"), "city": _l("City"),
}
SIZE_LABELS = {"1-20": _l("1-20 staff"), "21-100": _l("21-100 staff"), "101-500": _l("101-500 staff"),
               "500+": _l("More than 500 staff")}


def value_label(rule: LeadScoringRule) -> str:
    """What the rule compares with, for people: a dictionary value, a size, an amount or a field's name."""
    if rule.criterion in DICTIONARY_CRITERIA:
        return rule.item.label if rule.item is not None else "—"
    if rule.criterion == COMPANY_SIZE:
        return str(SIZE_LABELS.get(rule.value, rule.value or "—"))
    if rule.criterion == URGENCY:
        return str(URGENCY_LABELS.get(rule.value, rule.value or "—"))
    if rule.criterion == BUDGET:
        return f"¥{rule.min_amount:,.2f}" if rule.min_amount is not None else "—"
    return str(FIELD_LABELS.get(rule.value, rule.value or "—"))


def describe(rule: LeadScoringRule) -> str:
    return f"{CRITERION_LABELS.get(rule.criterion, rule.criterion)} {value_label(rule)}"


# --- rules and thresholds ----------------------------------------------------------------------

RULE_FIELDS = ("criterion", "item_id", "value", "min_amount", "points", "is_active")
STALE_KEY = "leads.scores_stale_since"
DEFAULTS_KEY = "leads.default_scoring_rules"
BATCH = 1000


def list_rules() -> list[LeadScoringRule]:
    return list(db.session.scalars(select(LeadScoringRule).options(selectinload(LeadScoringRule.item))
                                   .order_by(LeadScoringRule.criterion, LeadScoringRule.id)))


def _clean_rule(criterion: str, item_id: int | None, value: str | None, min_amount, points) -> dict:
    """The stored values for a rule, or a DomainError naming the field that is wrong."""
    if criterion not in CRITERIA:
        raise DomainError(_("Choose what the rule looks at."), field="criterion")
    if points is None or not -100 <= int(points) <= 100:
        raise DomainError(_("Points must be between -100 and 100."), field="points")
    clean = {"criterion": criterion, "item_id": None, "value": None, "min_amount": None, "points": int(points)}
    if criterion in DICTIONARY_CRITERIA:
        kind = "customer_industry" if criterion == INDUSTRY else "lead_source"
        item = db.session.get(DictionaryItem, item_id) if item_id else None
        if item is None or item.kind != kind:
            raise DomainError(_("Choose a value from the list."), field="item_id")
        clean["item_id"] = item.id
    elif criterion == BUDGET:
        try:
            amount = Decimal(min_amount) if min_amount not in (None, "") else None
        except (ArithmeticError, ValueError):
            amount = None
        if amount is None or amount <= 0 or amount >= Decimal("1e15"):
            raise DomainError(_("Enter the smallest budget in yuan, above zero."), field="min_amount")
        clean["min_amount"] = amount
    else:
        allowed = {COMPANY_SIZE: COMPANY_SIZES, URGENCY: URGENCIES, FILLED: FILLABLE_FIELDS}[criterion]
        if value not in allowed:
            raise DomainError(_("Choose a value from the list."), field="value")
        clean["value"] = value
    return clean


def mark_scores_stale() -> None:
    """Scores no longer follow the rules: the rescoring job (or the button) brings them up to date."""
    if get_setting(STALE_KEY) is None:
        set_setting(STALE_KEY, utcnow().isoformat(timespec="seconds"))
    forget_cached_rules()


def scores_stale() -> bool:
    return get_setting(STALE_KEY) is not None


def create_rule(actor: User | None, *, criterion: str, item_id: int | None = None, value: str | None = None,
                min_amount=None, points: int, is_active: bool = True) -> LeadScoringRule:
    """Add a scoring rule; every lead's score is marked out of date."""
    rule = LeadScoringRule(**_clean_rule(criterion, item_id, value, min_amount, points), is_active=bool(is_active))
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "lead.scoring_rule_created", rule,
                 {name: [None, getattr(rule, name)] for name in RULE_FIELDS})
    mark_scores_stale()
    return rule


def update_rule(actor: User | None, rule: LeadScoringRule, *, criterion: str, item_id: int | None = None,
                value: str | None = None, min_amount=None, points: int, is_active: bool = True) -> LeadScoringRule:
    before = audit.snapshot(rule, RULE_FIELDS)
    for name, new in _clean_rule(criterion, item_id, value, min_amount, points).items():
        setattr(rule, name, new)
    rule.is_active = bool(is_active)
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(rule, RULE_FIELDS))
    if changes:
        audit.record(actor, "lead.scoring_rule_updated", rule, changes)
        mark_scores_stale()
    return rule


def delete_rule(actor: User | None, rule: LeadScoringRule) -> None:
    audit.record(actor, "lead.scoring_rule_deleted", rule,
                 {name: [getattr(rule, name), None] for name in RULE_FIELDS})
    db.session.delete(rule)
    db.session.flush()
    mark_scores_stale()


def set_thresholds(actor: User | None, a: int, b: int, c: int) -> bool:
    """Change the smallest score of grades A, B and C (A > B > C, 1 to 100); returns whether anything changed."""
    if any(v is None for v in (a, b, c)) or not 100 >= a > b > c >= 1:
        raise DomainError(_("The thresholds must go down from A to C, between 1 and 100 (for example 80, 60, 40)."),
                          field="grade_a")
    old = thresholds()
    new = {"A": int(a), "B": int(b), "C": int(c)}
    if new == old:
        return False
    for grade, key in THRESHOLD_KEYS.items():
        set_setting(key, str(new[grade]))
    audit.record(actor, "lead.grade_thresholds_changed", None,
                 {f"grade_{k.lower()}_min": [old[k], new[k]] for k in new if old[k] != new[k]},
                 label=_("Lead grade thresholds"))
    mark_scores_stale()
    return True


# --- rescoring every lead ------------------------------------------------------------------------

def _lead_table():
    from .models import Lead
    return Lead.__table__


def _compiled(rules: list[RuleSnapshot], names: list[str]) -> list[tuple[int, object, int]]:
    """(column position, test of the value, points) per rule: the same as RuleSnapshot.matches, on a plain row of
    the rescoring query, without an attribute lookup per rule and lead (200,000 leads x the rules)."""
    position = {name: n for n, name in enumerate(names)}
    checks = []
    for rule in rules:
        if rule.criterion in DICTIONARY_CRITERIA:
            if rule.item_id is None:
                continue
            column, test = DICTIONARY_CRITERIA[rule.criterion][1], (lambda value, want=rule.item_id: value == want)
        elif rule.criterion in (COMPANY_SIZE, URGENCY):
            column, test = rule.criterion, (lambda value, want=rule.value: value == want)
        elif rule.criterion == BUDGET:
            if rule.min_amount is None:
                continue
            column, test = "budget", (lambda value, least=rule.min_amount: value is not None and value >= least)
        elif rule.criterion == FILLED and rule.value in FILLABLE_FIELDS:
            column, test = rule.value, (lambda value: value is not None and str(value).strip() != "")
        else:
            continue
        checks.append((position[column], test, rule.points))
    return checks


def rescore_batch(after_id: int, rules: list[RuleSnapshot], limits: dict[str, int],
                  size: int = BATCH) -> tuple[int | None, int, int]:
    """Rescore the `size` leads after `after_id` (by id); returns (last id or None when done, read, changed).
    Reads only the columns the rules use and writes only changed rows; `updated_at` keeps its value, since a
    new rule is not an edit of the lead. Only executes; the caller commits each batch."""
    table = _lead_table()
    columns = [table.c.id, table.c.score, table.c.grade, table.c.industry_id, table.c.source_id,
               table.c.company_size, table.c.urgency, table.c.budget,
               *(table.c[name] for name in sorted({r.value for r in rules if r.criterion == FILLED}
                                                  & set(FILLABLE_FIELDS)))]
    rows = db.session.execute(select(*columns).where(table.c.id > after_id).order_by(table.c.id).limit(size)).all()
    if not rows:
        return None, 0, 0
    changes = []
    checks = _compiled(rules, [column.name for column in columns])
    for row in rows:
        score = max(0, min(MAX_SCORE, sum(points for index, test, points in checks if test(row[index]))))
        grade = grade_for(score, limits)
        if score != row.score or grade != row.grade:
            changes.append({"b_id": row.id, "b_score": score, "b_grade": grade})
    if changes:
        db.session.execute(
            update(table).where(table.c.id == bindparam("b_id"))
            .values(score=bindparam("b_score"), grade=bindparam("b_grade"), updated_at=table.c.updated_at)
            .execution_options(synchronize_session=False), changes)
    return rows[-1].id, len(rows), len(changes)


def rescore_all(actor: User | None = None, commit=None, size: int = BATCH) -> tuple[int, int]:
    """Rescore every lead a batch at a time; `commit` (e.g. db.session.commit) ends each batch's transaction,
    so 200,000 leads never sit in memory or in one transaction. Returns (leads read, leads changed)."""
    forget_cached_rules()
    rules, limits = load_rules(), thresholds()
    stale_before = get_setting(STALE_KEY)
    last, read, changed = 0, 0, 0
    while last is not None:
        last, batch_read, batch_changed = rescore_batch(last, rules, limits, size)
        read, changed = read + batch_read, changed + batch_changed
        if commit is not None:
            commit()
    # A rule changed while this ran leaves the flag set, so the next run picks the change up.
    if get_setting(STALE_KEY) == stale_before and stale_before is not None:
        set_setting(STALE_KEY, None)
    audit.record(actor, "lead.scores_recomputed", None, {"leads": [None, read], "changed": [None, changed]},
                 label=_("Lead scores"))
    db.session.expire_all()  # leads already loaded hold their old scores
    return read, changed


def rescore_if_stale() -> str:
    """The background job: rescore every lead when a rule or threshold changed since the last run."""
    if not scores_stale():
        return "scores up to date"
    read, changed = rescore_all(None, commit=db.session.commit)
    return f"{read} leads read, {changed} rescored"


register_job("leads.rescore", rescore_if_stale, dt.timedelta(minutes=5), lease=dt.timedelta(hours=1),
             description="lead scores after a scoring rule or grade threshold changed")


# --- the rules a new installation starts with ---------------------------------------------------

DEFAULT_RULES = (
    (COMPANY_SIZE, "500+", 30), (COMPANY_SIZE, "101-500", 15), (COMPANY_SIZE, "21-100", 5),
    (URGENCY, "high", 20), (URGENCY, "low", -10),
    (BUDGET, Decimal("500000"), 25), (BUDGET, Decimal("100000"), 10),
    (SOURCE, "客户介绍", 20), (SOURCE, "展会", 15), (SOURCE, "官网表单", 10),
    (FILLED, "mobile", 10), (FILLED, "email", 5), (FILLED, "company", 5), (FILLED, "requirement", 10),
)


@register_reference_data
def ensure_default_rules() -> None:
    """Give a new installation starting rules, once; never recreates a rule an administrator deleted."""
    if get_setting(DEFAULTS_KEY):
        return
    if db.session.scalar(select(LeadScoringRule.id).limit(1)) is None:
        sources = {item.label: item.id for item in db.session.scalars(
            select(DictionaryItem).where(DictionaryItem.kind == "lead_source"))}
        for criterion, value, points in DEFAULT_RULES:
            if criterion == SOURCE:
                if value in sources:
                    db.session.add(LeadScoringRule(criterion=SOURCE, item_id=sources[value], points=points))
            elif criterion == BUDGET:
                db.session.add(LeadScoringRule(criterion=BUDGET, min_amount=value, points=points))
            else:
                db.session.add(LeadScoringRule(criterion=criterion, value=value, points=points))
    set_setting(DEFAULTS_KEY, "1")
    forget_cached_rules()
