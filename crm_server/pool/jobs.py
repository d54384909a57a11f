"""The recycling job: owned customers nobody followed up (or closed a deal with) for too long go back to the public
pool by their level's rule, and their owners are warned a few days before. Runs hourly in the server and as
`crm-server run-jobs --job pool.recycle`.

The due customers are found by a WHERE on their dates, a chunk at a time; no job ever walks every customer.
"""
from __future__ import annotations

import datetime as dt
import math

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, true
from sqlalchemy.orm import selectinload

from ..core.jobs import register_job
from ..core.types import utcnow
from ..customers.models import Customer
from ..extensions import db
from ..reminders.services import remind
from .models import RecycleRule
from .services import move_to_pool, rule_name

CHUNK = 200
DAY = dt.timedelta(days=1)


def _started(customer: Customer) -> dt.datetime:
    """When the customer's current ownership began (customers from before owner_since was kept: creation)."""
    return customer.owner_since or customer.created_at


def _clock_before(event_column, limit: dt.datetime):
    """SQL for: max(event, owner_since) < limit, with owner_since falling back to created_at. Written with
    plain comparisons so that it means the same on every engine and can use the date indexes."""
    started = or_(Customer.owner_since < limit,
                  and_(Customer.owner_since.is_(None), Customer.created_at < limit))
    return and_(or_(event_column.is_(None), event_column < limit), started)


def _not_warned_since(event_column):
    """Not warned since the clock last started: never, or before the ownership began or the event happened."""
    return or_(Customer.recycle_warned_at.is_(None), Customer.recycle_warned_at < Customer.owner_since,
               Customer.recycle_warned_at < event_column)


def _clocks(rule: RecycleRule):
    """(kind, event column, days) for each limit the rule sets."""
    result = []
    if rule.no_followup_days:
        result.append(("followup", Customer.last_followup_at, rule.no_followup_days))
    if rule.no_deal_days:
        result.append(("deal", Customer.last_deal_at, rule.no_deal_days))
    return result


def _event(customer: Customer, kind: str) -> dt.datetime | None:
    return customer.last_followup_at if kind == "followup" else customer.last_deal_at


def _clock_start(customer: Customer, kind: str) -> dt.datetime:
    event = _event(customer, kind)
    started = _started(customer)
    return max(event, started) if event is not None else started


def _earliest_due(customer: Customer, rule: RecycleRule) -> tuple[str, dt.datetime, dt.datetime]:
    """(kind, when its clock started, when it is due) of the limit that runs out first."""
    options = []
    for kind, _column, days in _clocks(rule):
        start = _clock_start(customer, kind)
        options.append((start + dt.timedelta(days=days), kind, start))
    due, kind, start = min(options)
    return kind, start, due


def _level_condition(rule: RecycleRule, ruled_levels):
    if rule.level_id is not None:
        return Customer.level_id == rule.level_id
    return or_(Customer.level_id.is_(None), Customer.level_id.not_in(ruled_levels))


def _each_chunk(condition):
    """The customers matching `condition`, CHUNK at a time in id order (keyset, so changed rows are not skipped)."""
    last_id = 0
    while True:
        batch = list(db.session.scalars(
            select(Customer).options(selectinload(Customer.owner))
            .where(condition, Customer.id > last_id).order_by(Customer.id).limit(CHUNK)))
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _reason(customer: Customer, rule: RecycleRule, now: dt.datetime) -> str:
    for kind, _column, days in _clocks(rule):
        if _clock_start(customer, kind) < now - dt.timedelta(days=days):
            if kind == "followup":
                return _("No follow-up for %(days)d days (recycling rule: %(rule)s)", days=days, rule=rule_name(rule))
            return _("No deal for %(days)d days (recycling rule: %(rule)s)", days=days, rule=rule_name(rule))
    return _("Recycling rule: %(rule)s", rule=rule_name(rule))


def _warning_title(customer: Customer, kind: str, days_left: int) -> str:
    if kind == "followup":
        return _("Customer %(name)s will return to the public pool in %(days)d days for lack of follow-up",
                 name=customer.name, days=days_left)
    return _("Customer %(name)s will return to the public pool in %(days)d days for lack of a deal",
             name=customer.name, days=days_left)


def active_rules() -> list[RecycleRule]:
    """The active rules, one per level (the oldest if an old database has two)."""
    chosen: dict[int | None, RecycleRule] = {}
    for rule in db.session.scalars(select(RecycleRule).options(selectinload(RecycleRule.level))
                                   .where(RecycleRule.is_active == true()).order_by(RecycleRule.id)):
        chosen.setdefault(rule.level_id, rule)
    return list(chosen.values())


def recycle_customers(now: dt.datetime | None = None) -> str:
    """Return due customers to the pool (kind "recycled", no actor) and warn owners of those coming due.
    Each customer follows its level's active rule, or the rule for every other level. Only flushes."""
    now = now or utcnow()
    rules = active_rules()
    ruled_levels = [rule.level_id for rule in rules if rule.level_id is not None]
    owned = Customer.owner_id.is_not(None) & Customer.deleted_at.is_(None)
    recycled = warned = 0
    for rule in rules:
        clocks = _clocks(rule)
        if not clocks:
            continue  # a rule without limits exempts its level
        level = _level_condition(rule, ruled_levels)
        due = or_(*[_clock_before(column, now - dt.timedelta(days=days)) for _kind, column, days in clocks])
        for batch in _each_chunk(owned & level & due):
            recycled += move_to_pool(batch, None, "recycled", lambda c, r=rule: _reason(c, r, now), now)
        if not rule.warn_days:
            continue
        coming = or_(*[_clock_before(column, now - dt.timedelta(days=days - rule.warn_days))
                       & _not_warned_since(column) for _kind, column, days in clocks])
        for batch in _each_chunk(owned & level & coming):
            for customer in batch:
                kind, start, due_at = _earliest_due(customer, rule)
                days_left = max(1, math.ceil((due_at - now) / DAY))
                key = f"recycle:{customer.id}:{_started(customer).isoformat(timespec='seconds')}"
                if start > _started(customer):  # warned again after a follow-up or deal restarted the clock
                    key += f":{start:%Y%m%d%H%M%S}"
                remind(customer.owner_id, "pool_recycle", _warning_title(customer, kind, days_left), due_at, key,
                       "customers", customer.id)
                customer.recycle_warned_at = now
                warned += 1
            db.session.flush()
    return f"recycled {recycled}, warned {warned}"


register_job("pool.recycle", recycle_customers, dt.timedelta(hours=1),
             description="return customers without follow-up or deal to the public pool; warn their owners")
