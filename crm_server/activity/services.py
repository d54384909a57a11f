"""Activity statistics: follow-ups, new, claimed and released customers and overdue plans per person and period.

Everything is counted by the database. A period is cut into buckets (days, weeks or months of the site's
calendar) whose boundaries are computed here, in UTC; each query sums one CASE per bucket, so no engine's
date functions are needed. Python only arranges the already counted rows into the table.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select, true

from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import register_permission, scoped
from ..core.types import utcnow
from ..customers.access import CUSTOMER
from ..customers.models import Customer, OwnerChange
from ..extensions import db
from ..followups.models import FollowUp, activity_metric


class ActivityPermission:
    VIEW_TEAM = register_permission("activity.view_team", _l("View the activity statistics of the team"),
                                    _l("Activity"), default_roles=("sales_director", "sales_manager"))


PERIODS = ("today", "week", "month", "custom")
GROUPINGS = ("person", "day", "week", "month")
MAX_BUCKETS = 62
MAX_DAYS = 3 * 366  # a custom range of at most three years
METRICS = ("calls", "visits", "other", "created", "claimed", "released")
ALL_METRICS = METRICS + ("overdue",)
CALL, VISIT = "call", "visit"


@dataclass(frozen=True)
class Bucket:
    first: dt.date       # first site day in the bucket
    last: dt.date        # last site day in the bucket
    start: dt.datetime   # naive UTC, inclusive
    end: dt.datetime     # naive UTC, exclusive

    @property
    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def _zero() -> dict[str, int]:
    return dict.fromkeys(ALL_METRICS, 0)


@dataclass
class PersonRow:
    user: User | None           # None for the totals row
    total: dict[str, int] = field(default_factory=_zero)
    buckets: list[dict[str, int]] = field(default_factory=list)


@dataclass
class Report:
    first: dt.date
    last: dt.date
    grouping: str
    buckets: list[Bucket]
    rows: list[PersonRow]
    totals: PersonRow
    team: bool                  # False: the viewer sees only their own row


def site_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)


def _utc(day: dt.date, zone) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone).astimezone(dt.timezone.utc).replace(tzinfo=None)


def site_today(now: dt.datetime | None = None) -> dt.date:
    now = now or utcnow()
    return now.replace(tzinfo=dt.timezone.utc).astimezone(site_zone()).date()


def period_days(period: str, date_from: dt.date | None = None, date_to: dt.date | None = None,
                today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last site day of a period: today, this week (from Monday), this month, or a custom range."""
    today = today or site_today()
    if period == "today":
        return today, today
    if period == "week":
        return today - dt.timedelta(days=today.weekday()), today
    if period == "month":
        return today.replace(day=1), today
    if period != "custom":
        raise DomainError(_("Choose a period."), "period")
    if date_from is None:
        raise DomainError(_("Give the first day."), "date_from")
    if date_to is None:
        raise DomainError(_("Give the last day."), "date_to")
    if date_to < date_from:
        raise DomainError(_("The last day is before the first day."), "date_to")
    if (date_to - date_from).days >= MAX_DAYS:
        raise DomainError(_("Choose at most three years."), "date_to")
    return date_from, date_to


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def buckets_for(first: dt.date, last: dt.date, grouping: str) -> list[Bucket]:
    """The buckets of [first, last] (site days): one for the whole period, or per day, week (Monday to
    Sunday) or calendar month, clipped to the period. At most MAX_BUCKETS."""
    zone = site_zone()
    if grouping not in GROUPINGS:
        raise DomainError(_("Choose a grouping."), "group")
    ranges: list[tuple[dt.date, dt.date]] = []
    if grouping == "person":
        ranges.append((first, last))
    else:
        day = first
        while day <= last:
            if grouping == "day":
                end = day
            elif grouping == "week":
                end = day + dt.timedelta(days=6 - day.weekday())
            else:
                end = _next_month(day) - dt.timedelta(days=1)
            end = min(end, last)
            ranges.append((day, end))
            if len(ranges) > MAX_BUCKETS:
                raise DomainError(_("That makes more than %(n)d columns: choose a shorter period or group by "
                                    "week or month.", n=MAX_BUCKETS), "group")
            day = end + dt.timedelta(days=1)
    return [Bucket(a, b, _utc(a, zone), _utc(b + dt.timedelta(days=1), zone)) for a, b in ranges]


def has_team_view(user: User) -> bool:
    return user.can(ActivityPermission.VIEW_TEAM)


def people_query(viewer: User) -> Select:
    """Active users whose figures the viewer may see: within their customer data scope with the team
    permission, else only themselves. Ordered by name, ending in the id (for pagination)."""
    stmt = select(User).where(User.is_active == true())
    if has_team_view(viewer):
        stmt = scoped(stmt, viewer, User.id, CUSTOMER)
    else:
        stmt = stmt.where(User.id == viewer.id)
    return stmt.order_by(User.display_name, User.id)


def _in_buckets(column, buckets: list[Bucket]) -> list:
    return [func.sum(case((and_(column >= b.start, column < b.end), 1), else_=0)) for b in buckets]


def _followup_counts(user_filter, buckets, span) -> list[tuple]:
    """(user_id, kind, n per bucket ...) for follow-ups in the period."""
    stmt = (select(FollowUp.user_id, FollowUp.kind, *_in_buckets(FollowUp.happened_at, buckets))
            .where(FollowUp.happened_at >= span[0], FollowUp.happened_at < span[1], user_filter(FollowUp.user_id))
            .group_by(FollowUp.user_id, FollowUp.kind))
    return list(db.session.execute(stmt).tuples())


def _owner_change_counts(user_filter, buckets, span) -> list[tuple]:
    """(kind, to_user_id, from_user_id, n per bucket ...) for customers created, claimed and released."""
    gained = OwnerChange.kind.in_(("created", "claimed")) & user_filter(OwnerChange.to_user_id)
    released = (OwnerChange.kind == "released") & user_filter(OwnerChange.from_user_id)
    stmt = (select(OwnerChange.kind, OwnerChange.to_user_id, OwnerChange.from_user_id,
                   *_in_buckets(OwnerChange.at, buckets))
            .where(OwnerChange.at >= span[0], OwnerChange.at < span[1], or_(gained, released))
            .group_by(OwnerChange.kind, OwnerChange.to_user_id, OwnerChange.from_user_id))
    return list(db.session.execute(stmt).tuples())


def _overdue_counts(user_filter, now) -> list[tuple]:
    """(owner_id, n) of planned next contacts past their time and not done, on live customers they own."""
    stmt = (select(Customer.owner_id, func.count(FollowUp.id))
            .join(Customer, FollowUp.customer_id == Customer.id)
            .where(FollowUp.next_followup_at.is_not(None), FollowUp.next_followup_at < now,
                   FollowUp.next_done_at.is_(None), Customer.deleted_at.is_(None), user_filter(Customer.owner_id))
            .group_by(Customer.owner_id))
    return list(db.session.execute(stmt).tuples())


def _followup_metric(kind: str) -> str:
    return activity_metric(kind)


def _collect(user_filter, buckets: list[Bucket], now: dt.datetime) -> dict[int, PersonRow]:
    """Counted rows keyed by user id (the key 0 holds everything when the filter covers the whole team)."""
    span = (buckets[0].start, buckets[-1].end)
    rows: dict[int, PersonRow] = {}

    def row_of(user_id: int) -> PersonRow:
        if user_id not in rows:
            rows[user_id] = PersonRow(None, _zero(), [_zero() for _ in buckets])
        return rows[user_id]

    def add(user_id: int, metric: str, counts) -> None:
        row = row_of(user_id)
        for i, n in enumerate(counts):
            row.buckets[i][metric] += int(n or 0)
            row.total[metric] += int(n or 0)

    for user_id, kind, *counts in _followup_counts(user_filter, buckets, span):
        add(user_id, _followup_metric(kind), counts)
    for kind, to_user_id, from_user_id, *counts in _owner_change_counts(user_filter, buckets, span):
        add(from_user_id if kind == "released" else to_user_id, kind, counts)
    for user_id, n in _overdue_counts(user_filter, now):
        row_of(user_id).total["overdue"] += int(n or 0)
    return rows


def build_report(viewer: User, people: list[User], people_stmt: Select, first: dt.date, last: dt.date,
                 grouping: str, now: dt.datetime | None = None) -> Report:
    """The figures of `people` (one page of `people_stmt`) and the totals over everyone in `people_stmt`."""
    now = now or utcnow()
    buckets = buckets_for(first, last, grouping)
    page_ids = [user.id for user in people]
    counted = _collect(lambda column: column.in_(page_ids), buckets, now) if page_ids else {}
    rows = []
    for user in people:
        row = counted.get(user.id) or PersonRow(None, _zero(), [_zero() for _ in buckets])
        row.user = user
        rows.append(row)
    everyone = people_stmt.order_by(None).with_only_columns(User.id)
    totals = PersonRow(None, _zero(), [_zero() for _ in buckets])
    for row in _collect(lambda column: column.in_(everyone), buckets, now).values():
        for metric in ALL_METRICS:
            totals.total[metric] += row.total[metric]
        for i, counts in enumerate(row.buckets):
            for metric in METRICS:
                totals.buckets[i][metric] += counts[metric]
    return Report(first=first, last=last, grouping=grouping, buckets=buckets, rows=rows, totals=totals,
                  team=has_team_view(viewer))
