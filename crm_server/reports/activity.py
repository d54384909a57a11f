"""业绩考核: calls, visits and other follow-ups per salesperson and per day, week or month (the team's total as a
line), new customers per person, overdue follow-ups, and a ranking. The counting queries are the activity
statistics' own (activity/services.py); here they run over the people within the viewer's customer data scope
(only the viewer without the team permission), narrowed by the report filters."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select

from ..activity.services import _followup_metric, _overdue_counts, _owner_change_counts, buckets_for, has_team_view
from ..charts.render import COUNT, Series
from ..core.errors import DomainError
from ..core.models import Department, User
from ..core.types import utcnow
from ..customers.access import CUSTOMER
from ..extensions import db
from ..followups.models import FollowUpDayCount
from .common import TOP
from .filters import ReportFilters, owner_condition
from .model import HSTACKED, LINE, Chart, Column, Kpi, Report, ReportResult, Table, register_report
from .periods import label

FOLLOWUP_METRICS = ("calls", "visits", "other")
COARSER = {"day": ("day", "week", "month"), "week": ("week", "month"), "month": ("month",)}


def people(viewer, filters: ReportFilters):
    """A SELECT of the ids of the people whose figures the viewer sees: those within the viewer's customer scope
    (the viewer alone without the team permission of the activity statistics), narrowed by the filters. One
    object, used for every column, so the department tree is written once per statement."""
    condition = owner_condition(viewer, filters, User.id, CUSTOMER)
    if not has_team_view(viewer):
        condition = condition & (User.id == viewer.id)
    return select(User.id).where(condition)


def _buckets(filters: ReportFilters):
    """The buckets of the chosen grouping, or of a coarser one when the period has too many (more than 62 days
    by day): (grouping used, buckets)."""
    for grouping in COARSER[filters.grouping]:
        try:
            return grouping, buckets_for(filters.date_from, filters.date_to, grouping)
        except DomainError:
            continue
    raise DomainError(_("Choose a shorter period."), "to")


def bucket_index(column, bucket_list, by: str = "start"):
    """The number of the bucket `column` falls in, for rows already within the buckets' span: CASE expressions
    nested as a binary search (about log2(n) comparisons a row, where one SUM(CASE) per bucket makes n). `by`:
    the buckets' bound the column is compared with, "start" (a UTC time) or "first" (a site day)."""
    def within(low: int, high: int):
        if high - low == 1:
            return literal(low)
        middle = (low + high) // 2
        return case((column < getattr(bucket_list[middle], by), within(low, middle)), else_=within(middle, high))
    return within(0, len(bucket_list))


def _followup_counts(in_scope, bucket_list) -> list[tuple]:
    """(user id, kind, bucket number, follow-ups) in the period, from the counts per user and site day
    (followup_day_counts) rather than from the follow-ups: one row a person and bucket per metric, the kind being
    one that _followup_metric maps to it ("call", "visit", "other"). A director's year reads some 30,000 day
    rows from one index range instead of 900,000 follow-ups (benchmark, SQLite: about 1 s before)."""
    day = FollowUpDayCount.day
    within = (select(FollowUpDayCount.user_id, FollowUpDayCount.calls, FollowUpDayCount.visits,
                     FollowUpDayCount.other, bucket_index(day, bucket_list, "first").label("bucket"))
              .where(day >= bucket_list[0].first, day <= bucket_list[-1].last, in_scope(FollowUpDayCount.user_id))
              .subquery("period_days"))
    rows = db.session.execute(select(within.c.user_id, within.c.bucket, func.sum(within.c.calls),
                                     func.sum(within.c.visits), func.sum(within.c.other))
                              .group_by(within.c.user_id, within.c.bucket)).tuples()
    counts = []
    for user_id, bucket, calls, visits, other in rows:
        for kind, n in (("call", calls), ("visit", visits), ("other", other)):
            if n:
                counts.append((user_id, kind, bucket, n))
    return counts


def _blank(size: int) -> dict:
    return {"calls": 0, "visits": 0, "other": 0, "created": 0, "claimed": 0, "released": 0, "overdue": 0,
            "per_bucket": [0] * size}


def _counted(viewer, filters: ReportFilters, bucket_list) -> tuple[dict, list[dict]]:
    """({user id: figures}, [figures per bucket]) from the grouped counts of the activity statistics."""
    ids = people(viewer, filters)

    def in_scope(column):
        return column.in_(ids)

    span = (bucket_list[0].start, bucket_list[-1].end)
    persons: dict[int, dict] = {}
    team = [{"calls": 0, "visits": 0, "other": 0, "created": 0} for _b in bucket_list]

    def row(user_id: int) -> dict:
        return persons.setdefault(user_id, _blank(len(bucket_list)))

    for user_id, kind, index, n in _followup_counts(in_scope, bucket_list):
        metric, index, n = _followup_metric(kind), int(index), int(n)
        figures = row(user_id)
        figures[metric] += n
        figures["per_bucket"][index] += n
        team[index][metric] += n
    for kind, to_user_id, from_user_id, *counts in _owner_change_counts(in_scope, bucket_list, span):
        figures = row(from_user_id if kind == "released" else to_user_id)
        for index, n in enumerate(counts):
            figures[kind] += int(n or 0)
            if kind == "created":
                team[index]["created"] += int(n or 0)
    for user_id, n in _overdue_counts(in_scope, utcnow()):
        row(user_id)["overdue"] += int(n or 0)
    return persons, team


def _names(viewer, filters: ReportFilters, counted_ids) -> dict[int, tuple[str, str | None, bool]]:
    """{user id: (name, department, active)} of the active people in scope and of anyone with figures."""
    ids = people(viewer, filters)
    stmt = (select(User.id, User.display_name, Department.name, User.is_active)
            .outerjoin(Department, User.department_id == Department.id)
            .where(User.id.in_(ids)))
    return {user_id: (name, department, active) for user_id, name, department, active in db.session.execute(stmt)
            if active or user_id in counted_ids}


def _ranking(persons: dict, names: dict, size: int) -> list[list]:
    rows = []
    for user_id, (name, department, _active) in names.items():
        figures = persons.get(user_id) or _blank(size)
        total = sum(figures[m] for m in FOLLOWUP_METRICS)
        rows.append([None, name, department or "", figures["calls"], figures["visits"], figures["other"], total,
                     figures["created"], figures["claimed"], figures["released"], figures["overdue"],
                     figures["per_bucket"], user_id])
    rows.sort(key=lambda r: (-r[6], -r[7], r[1], r[12]))
    previous, rank = None, 0
    for position, r in enumerate(rows, start=1):
        if (r[6], r[7]) != previous:  # equal figures share a rank (1, 2, 2, 4)
            rank, previous = position, (r[6], r[7])
        r[0] = rank
    return rows


def build(viewer, filters: ReportFilters) -> ReportResult:
    grouping, bucket_list = _buckets(filters)
    persons, team = _counted(viewer, filters, bucket_list)
    names = _names(viewer, filters, set(persons))
    ranked = _ranking(persons, names, len(bucket_list))
    labels = [label(b, grouping) for b in bucket_list]
    per = {"day": _("day"), "week": _("week"), "month": _("month")}[grouping]

    trend_rows = [[text, t["calls"], t["visits"], t["other"], t["calls"] + t["visits"] + t["other"], t["created"]]
                  for text, t in zip(labels, team)]
    trend_total = [_("Total")] + [sum(r[i] for r in trend_rows) for i in range(1, 6)]
    trend = Table("trend", _("Follow-ups of the team per %(per)s", per=per),
                  [Column(_("Period")), Column(_("Calls"), COUNT), Column(_("Visits"), COUNT),
                   Column(_("Other follow-ups"), COUNT), Column(_("Follow-ups"), COUNT),
                   Column(_("New customers"), COUNT)], trend_rows, trend_total)

    ranking = Table("ranking", _("Ranking (by follow-ups, then new customers)"),
                    [Column(_("Rank"), COUNT), Column(_("Salesperson")), Column(_("Department")),
                     Column(_("Calls"), COUNT), Column(_("Visits"), COUNT), Column(_("Other follow-ups"), COUNT),
                     Column(_("Follow-ups"), COUNT), Column(_("New customers"), COUNT),
                     Column(_("Claimed from the pool"), COUNT), Column(_("Released to the pool"), COUNT),
                     Column(_("Overdue follow-ups"), COUNT)],
                    [r[:11] for r in ranked],
                    [None, _("Total"), None] + [sum(r[i] for r in ranked) for i in range(3, 11)])

    matrix = Table("per_person", _("Follow-ups per salesperson and %(per)s", per=per),
                   [Column(_("Salesperson"))] + [Column(text, COUNT) for text in labels] + [Column(_("Total"), COUNT)],
                   [[r[1]] + list(r[11]) + [r[6]] for r in ranked],
                   [_("Total")] + [trend_rows[i][4] for i in range(len(labels))] + [trend_total[4]])

    totals = ranking.total
    kpis = [
        Kpi("followups", _("Follow-ups"), totals[6], COUNT,
            _("%(n)d people", n=len(ranked)) if len(ranked) > 1 else None),
        Kpi("calls", _("Calls"), totals[3], COUNT),
        Kpi("visits", _("Visits"), totals[4], COUNT),
        Kpi("created", _("New customers"), totals[7], COUNT),
        Kpi("overdue", _("Overdue follow-ups"), totals[10], COUNT, _("planned contacts past due, as of now")),
    ]
    top = ranked[:TOP]
    charts = [
        Chart("ranking", _("Follow-ups per salesperson"), HSTACKED, [r[1] for r in top],
              [Series(_("Calls"), [r[3] for r in top]), Series(_("Visits"), [r[4] for r in top]),
               Series(_("Other follow-ups"), [r[5] for r in top])], "ranking", COUNT),
        Chart("trend", trend.title, LINE, labels,
              [Series(_("Follow-ups"), [r[4] for r in trend_rows]), Series(_("Calls"), [r[1] for r in trend_rows]),
               Series(_("Visits"), [r[2] for r in trend_rows])], "trend", COUNT),
    ]
    return ReportResult(kpis, charts, [ranking, trend, matrix])


REPORT = register_report(Report(
    "activity", "activity", _l("Activity"),
    _l("Calls, visits and other follow-ups per salesperson and per day, week or month; new customers, overdue "
       "follow-ups and a ranking."),
    build, record_types=(CUSTOMER,), uses_grouping=True, order=20))
