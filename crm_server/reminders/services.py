"""Making reminders: every module calls `remind`; the reminder centre and the digest read them."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select, update

from ..contacts.models import Contact
from ..core import audit
from ..core.audit import diff, snapshot
from ..core.errors import DomainError
from ..core.models import User
from ..core.types import utcnow
from ..customers.access import customer_condition
from ..customers.models import Customer
from ..extensions import db
from ..followups.models import FollowUp
from .models import Reminder

audit.register_actions({
    "reminder.done": _l("Marked a reminder done"),
    "reminder.snoozed": _l("Snoozed a reminder"),
    "reminder.overdue_done": _l("Marked all overdue reminders done"),
})

# IN lists stay well under SQL Server's 2,100 parameters.
CHUNK = 900
SNOOZE_CHOICES = ("hour", "tomorrow", "week")
TABS = ("overdue", "today", "upcoming", "done")
UPCOMING_DAYS = 7
DONE_DAYS = 30  # the "done" tab shows what was done in the last month
AUDIT_FIELDS = ("done_at", "snoozed_until")
# How the reminder centre names each kind; a module that makes a new kind of reminder registers its label.
KIND_LABELS: dict[str, object] = {
    "followup_due": _l("Follow-up"),
    "birthday": _l("Birthday"),
    "pool_recycle": _l("Public pool"),
}


def register_kind(code: str, label) -> None:
    KIND_LABELS[code] = label


def remind(user_id: int, kind: str, title: str, due_at: dt.datetime, source_key: str,
           entity_type: str | None = None, entity_id: int | None = None) -> Reminder | None:
    """Add a reminder for a user unless one with the same `source_key` exists for them (jobs run repeatedly).
    Returns the new reminder, or None when it already existed. Only flushes."""
    exists = db.session.scalar(select(Reminder.id).where(Reminder.user_id == user_id,
                                                         Reminder.source_key == source_key))
    if exists is not None:
        return None
    reminder = Reminder(user_id=user_id, kind=kind, title=title[:200], due_at=due_at, source_key=source_key[:120],
                        entity_type=entity_type, entity_id=entity_id)
    db.session.add(reminder)
    db.session.flush()
    return reminder


@dataclass(frozen=True)
class NewReminder:
    """One reminder to make with `remind_many`; the same fields as `remind` takes."""

    user_id: int
    kind: str
    title: str
    due_at: dt.datetime
    source_key: str
    entity_type: str | None = None
    entity_id: int | None = None


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def remind_many(items: list[NewReminder]) -> int:
    """`remind` for many at once: finds the existing (user, source key) pairs with a few set-based queries
    instead of one per reminder, and adds the rest. Returns how many were added. Only flushes."""
    wanted: dict[tuple[int, str], NewReminder] = {}
    for item in items:
        wanted.setdefault((item.user_id, item.source_key[:120]), item)
    if not wanted:
        return 0
    keys = sorted({key for _user, key in wanted})
    existing: set[tuple[int, str]] = set()
    for chunk in chunks(keys):
        existing.update(db.session.execute(
            select(Reminder.user_id, Reminder.source_key).where(Reminder.source_key.in_(chunk))).tuples())
    added = 0
    for (user_id, key), item in wanted.items():
        if (user_id, key) in existing:
            continue
        db.session.add(Reminder(user_id=user_id, kind=item.kind, title=item.title[:200], due_at=item.due_at,
                                source_key=key, entity_type=item.entity_type, entity_id=item.entity_id))
        added += 1
    db.session.flush()
    return added


# --- the site's calendar --------------------------------------------------------------------------

def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)


def local_date(moment: dt.datetime, zone: zoneinfo.ZoneInfo | None = None) -> dt.date:
    """The site's calendar day of a naive-UTC moment."""
    zone = zone or site_zone()
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(zone).date()


def utc_at(day: dt.date, at: dt.time = dt.time.min, zone: zoneinfo.ZoneInfo | None = None) -> dt.datetime:
    """A local wall-clock time of a site day, as the naive UTC the database stores."""
    zone = zone or site_zone()
    return dt.datetime.combine(day, at, tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)


def day_start(day: dt.date, zone: zoneinfo.ZoneInfo | None = None) -> dt.datetime:
    return utc_at(day, dt.time.min, zone)


# --- the bell and the tabs ------------------------------------------------------------------------

def effective_due():
    """When a reminder next wants attention: its due time, or the end of its snooze if later (portable CASE)."""
    return case((Reminder.snoozed_until > Reminder.due_at, Reminder.snoozed_until), else_=Reminder.due_at)


def due_count(user_id: int, now: dt.datetime | None = None) -> int:
    """The bell's number: the user's open reminders that are due and not snoozed. One COUNT on the
    (user_id, done_at, due_at) index."""
    now = now or utcnow()
    stmt = (select(func.count(Reminder.id))
            .where(Reminder.user_id == user_id, Reminder.done_at.is_(None), Reminder.due_at <= now,
                   Reminder.snoozed_until.is_(None) | (Reminder.snoozed_until <= now)))
    return db.session.scalar(stmt) or 0


@dataclass(frozen=True)
class Window:
    """The boundaries of the tabs, in naive UTC, for one moment."""

    now: dt.datetime
    today: dt.date
    today_start: dt.datetime
    tomorrow_start: dt.datetime
    upcoming_end: dt.datetime
    done_since: dt.datetime


def window(now: dt.datetime | None = None) -> Window:
    now = now or utcnow()
    zone = site_zone()
    today = local_date(now, zone)
    return Window(now=now, today=today, today_start=day_start(today, zone),
                  tomorrow_start=day_start(today + dt.timedelta(days=1), zone),
                  upcoming_end=day_start(today + dt.timedelta(days=1 + UPCOMING_DAYS), zone),
                  done_since=now - dt.timedelta(days=DONE_DAYS))


def _tab_conditions(w: Window) -> dict[str, object]:
    due = effective_due()
    is_open = Reminder.done_at.is_(None)
    return {
        "overdue": is_open & (due < w.today_start),
        "today": is_open & (due >= w.today_start) & (due < w.tomorrow_start),
        "upcoming": is_open & (due >= w.tomorrow_start) & (due < w.upcoming_end),
        "done": Reminder.done_at.is_not(None) & (Reminder.done_at >= w.done_since),
    }


def tab_counts(user: User, w: Window) -> dict[str, int]:
    """How many reminders each tab holds, in one query."""
    conditions = _tab_conditions(w)
    columns = [func.sum(case((condition, 1), else_=0)).label(tab) for tab, condition in conditions.items()]
    row = db.session.execute(select(*columns).where(Reminder.user_id == user.id)).one()
    return {tab: int(row[i] or 0) for i, tab in enumerate(conditions)}


def tab_query(user: User, tab: str, w: Window) -> Select:
    """The user's reminders of one tab, ordered for pagination (ending in the primary key)."""
    if tab not in TABS:
        raise ValueError(tab)
    stmt = select(Reminder).where(Reminder.user_id == user.id, _tab_conditions(w)[tab])
    if tab == "done":
        return stmt.order_by(Reminder.done_at.desc(), Reminder.id.desc())
    return stmt.order_by(effective_due(), Reminder.id)


# --- links to the records -------------------------------------------------------------------------

def record_url(endpoint: str, record_id: int) -> str | None:
    """The URL of a record's page through `url_for`, or None when that module is not installed; the one
    argument of the route is found from the URL map, so the link does not depend on how it is named."""
    from flask import url_for
    from werkzeug.routing import BuildError
    try:
        rules = list(current_app.url_map.iter_rules(endpoint))
    except KeyError:
        return None
    for rule in rules:
        arguments = set(rule.arguments) - set(rule.defaults or {})
        if len(arguments) == 1:
            try:
                return url_for(endpoint, **{arguments.pop(): record_id})
            except BuildError:
                return None
    return None


def record_links(user: User, reminders: list[Reminder]) -> dict[int, str]:
    """{reminder id: URL} for the reminders whose record the user may still open. Customers, and contacts and
    follow-ups through their customer, are checked against the user's access in one query per type."""
    ids: dict[str, set[int]] = {}
    for reminder in reminders:
        if reminder.entity_type and reminder.entity_id is not None:
            ids.setdefault(reminder.entity_type, set()).add(reminder.entity_id)
    customer_of: dict[tuple[str, int], int] = {}
    if ids.get("customers"):
        for customer_id in db.session.scalars(
                select(Customer.id).where(Customer.id.in_(sorted(ids["customers"])), customer_condition(user))):
            customer_of[("customers", customer_id)] = customer_id
    contact_urls: dict[int, str | None] = {}
    if ids.get("contacts"):
        rows = db.session.execute(
            select(Contact.id, Contact.customer_id).join(Customer, Contact.customer_id == Customer.id)
            .where(Contact.id.in_(sorted(ids["contacts"])), Contact.deleted_at.is_(None),
                   customer_condition(user))).tuples()
        for contact_id, customer_id in rows:
            # The contact's own page when the contacts module has one, else its customer's.
            contact_urls[contact_id] = record_url("contacts.detail", contact_id) or record_url(
                "customers.detail", customer_id)
    if ids.get("followups"):
        rows = db.session.execute(
            select(FollowUp.id, FollowUp.customer_id).join(Customer, FollowUp.customer_id == Customer.id)
            .where(FollowUp.id.in_(sorted(ids["followups"])), customer_condition(user))).tuples()
        for followup_id, customer_id in rows:
            customer_of[("followups", followup_id)] = customer_id
    links: dict[int, str] = {}
    for reminder in reminders:
        key = (reminder.entity_type, reminder.entity_id)
        url = None
        if key in customer_of:
            url = record_url("customers.detail", customer_of[key])
        elif reminder.entity_type == "contacts":
            url = contact_urls.get(reminder.entity_id)
        elif reminder.entity_type not in (None, "customers", "contacts", "followups") and reminder.entity_id:
            # A module this one does not know (contracts, service tickets ...): its detail page checks access.
            url = record_url(f"{reminder.entity_type}.detail", reminder.entity_id)
        if url:
            links[reminder.id] = url
    return links


# --- done and snooze ------------------------------------------------------------------------------

def get_own_reminder(user: User, reminder_id: int) -> Reminder | None:
    """The reminder if it is the user's; None otherwise (the view answers 404, so ids reveal nothing)."""
    return db.session.scalar(select(Reminder).where(Reminder.id == reminder_id, Reminder.user_id == user.id))


def mark_done(actor: User, reminder: Reminder, now: dt.datetime | None = None) -> Reminder:
    """Mark one of the actor's reminders done."""
    if reminder.user_id != actor.id:
        raise DomainError(_("This reminder is not yours."))
    if reminder.done_at is not None:
        return reminder
    before = snapshot(reminder, AUDIT_FIELDS)
    reminder.done_at = now or utcnow()
    db.session.flush()
    audit.record(actor, "reminder.done", reminder, diff(before, snapshot(reminder, AUDIT_FIELDS)))
    return reminder


def snooze_until(choice: str, now: dt.datetime | None = None) -> dt.datetime:
    """The end of a snooze: in an hour, tomorrow at 09:00, or next Monday at 09:00 (site time)."""
    now = now or utcnow()
    zone = site_zone()
    if choice == "hour":
        return now + dt.timedelta(hours=1)
    today = local_date(now, zone)
    if choice == "tomorrow":
        return utc_at(today + dt.timedelta(days=1), dt.time(9, 0), zone)
    if choice == "week":
        return utc_at(today + dt.timedelta(days=7 - today.weekday()), dt.time(9, 0), zone)
    raise DomainError(_("Choose how long to snooze."), "until")


def snooze(actor: User, reminder: Reminder, choice: str, now: dt.datetime | None = None) -> Reminder:
    """Hide one of the actor's open reminders until a later time (it comes back then)."""
    if reminder.user_id != actor.id:
        raise DomainError(_("This reminder is not yours."))
    if reminder.done_at is not None:
        raise DomainError(_("This reminder is already done."))
    until = snooze_until(choice, now)
    before = snapshot(reminder, AUDIT_FIELDS)
    reminder.snoozed_until = until
    db.session.flush()
    audit.record(actor, "reminder.snoozed", reminder, diff(before, snapshot(reminder, AUDIT_FIELDS)))
    return reminder


def mark_overdue_done(actor: User, now: dt.datetime | None = None) -> int:
    """Mark every reminder of the overdue tab done in one UPDATE; one audit row says how many."""
    w = window(now)
    condition = (Reminder.user_id == actor.id) & _tab_conditions(w)["overdue"]
    count = db.session.scalar(select(func.count(Reminder.id)).where(condition)) or 0
    if not count:
        return 0
    db.session.execute(update(Reminder).where(condition).values(done_at=w.now)
                       .execution_options(synchronize_session=False))
    db.session.expire_all()
    audit.record(actor, "reminder.overdue_done", None, {"done": [0, count]},
                 label=_("%(count)d overdue reminders", count=count))
    return count
