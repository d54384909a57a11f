"""客户报表: the customers held now by level, industry, region (province) and source; new and lost customers per
month and the churn rate; customers without a follow-up for 30, 60 or 90 days; the public pool's moves in and out.

"Lost" (流失) is a customer leaving its owner for the public pool: released by hand or recycled by a rule
(OwnerChange kinds in pool.services.RELEASE_KINDS). That move is what the product records with a time; the
"流失客户" status value has no date of its own, so it is shown as a count of the customers marked so now. Every
figure reads through the viewer's customer scope and the report filters (owner_condition); months are cut at the
site's midnights (periods.py)."""
from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select

from ..charts.render import COUNT, PERCENT, Series
from ..core.dictionaries import item_with_flag
from ..core.models import User
from ..core.types import utcnow
from ..customers.access import CUSTOMER
from ..customers.dictionaries import STATUS
from ..customers.models import Customer, OwnerChange
from ..extensions import db
from ..pool.services import RELEASE_KINDS
from .common import TOP, dictionary_labels, percent, user_names
from .filters import ReportFilters, owner_condition
from .model import BAR, DONUT, GROUPED, HBAR, PIE, Chart, Column, Kpi, Report, ReportResult, Table, \
    register_report
from .periods import buckets, count_per_bucket, label, span

SILENCE_DAYS = (30, 60, 90)
POOL_OUT_KINDS = ("claimed", "assigned")  # "assigned" out of the pool only: from no owner


def _held(viewer, filters: ReportFilters) -> list:
    """Live customers owned by someone within the viewer's scope and the filters."""
    return [Customer.deleted_at.is_(None), Customer.owner_id.is_not(None),
            owner_condition(viewer, filters, Customer.owner_id, CUSTOMER)]


def _people(viewer, filters: ReportFilters):
    """The ids of the people within the viewer's scope and the filters (one SELECT reused for both columns of a
    statement, so a department tree is written once)."""
    return select(User.id).where(owner_condition(viewer, filters, User.id, CUSTOMER))


def _distribution(viewer, filters: ReportFilters, key: str, title: str, key_label: str, column, names=None) -> Table:
    found = db.session.execute(select(column, func.count(Customer.id)).where(*_held(viewer, filters))
                               .group_by(column)).all()
    labels = names([k for k, _n in found]) if names else {}
    counts: dict[str, int] = {}
    none = _("(none)")
    for value, n in found:
        text = labels.get(value, value) if value not in (None, "") else none
        counts[text] = counts.get(text, 0) + int(n)  # NULL and "" are both "(none)"
    total = sum(counts.values())
    rows = sorted(([text, n, percent(n, total)] for text, n in counts.items()),
                  key=lambda r: (r[0] == none, -r[1], str(r[0])))
    return Table(key, title, [Column(key_label), Column(_("Customers"), COUNT), Column(_("Share %"), PERCENT)],
                 rows, [_("Total"), total, percent(total, total)])


def _new_and_lost(viewer, filters: ReportFilters, months) -> Table:
    new = db.session.execute(
        select(*count_per_bucket(Customer.created_at, months))
        .where(span(months, Customer.created_at), Customer.deleted_at.is_(None),
               owner_condition(viewer, filters, Customer.owner_id, CUSTOMER))).one()
    lost = db.session.execute(
        select(*count_per_bucket(OwnerChange.at, months))
        .where(span(months, OwnerChange.at), OwnerChange.kind.in_(RELEASE_KINDS),
               owner_condition(viewer, filters, OwnerChange.from_user_id, CUSTOMER))).one()
    rows = [[label(m, "month"), int(n or 0), int(lo or 0), int(n or 0) - int(lo or 0)]
            for m, n, lo in zip(months, new, lost)]
    total = [_("Total")] + [sum(r[i] for r in rows) for i in (1, 2, 3)]
    return Table("new_lost", _("New and lost customers per month"),
                 [Column(_("Month")), Column(_("New customers"), COUNT), Column(_("Lost customers"), COUNT),
                  Column(_("Net"), COUNT)], rows, total)


def _held_before(viewer, filters: ReportFilters, end: dt.datetime) -> int:
    """Customers held now that were created before `end` (the churn rate's base, with those lost since)."""
    return int(db.session.scalar(select(func.count(Customer.id))
                                 .where(*_held(viewer, filters), Customer.created_at < end)) or 0)


def _silent_since(cutoff: dt.datetime):
    """No follow-up since `cutoff`: the last follow-up before it, or none and owned / created before it (as the
    customer list's "no follow-up for N days" filter counts)."""
    return or_(Customer.last_followup_at < cutoff,
               and_(Customer.last_followup_at.is_(None),
                    func.coalesce(Customer.owner_since, Customer.created_at) < cutoff))


def _silence(viewer, filters: ReportFilters) -> Table:
    now = utcnow()
    sums = [func.sum(case((_silent_since(now - dt.timedelta(days=days)), 1), else_=0)) for days in SILENCE_DAYS]
    found = db.session.execute(select(Customer.owner_id, func.count(Customer.id), *sums)
                               .where(*_held(viewer, filters)).group_by(Customer.owner_id)).all()
    names = user_names([r[0] for r in found])
    rows = [[names.get(owner, str(owner)), int(held)] + [int(n or 0) for n in counts]
            for owner, held, *counts in found]
    rows.sort(key=lambda r: (-r[4], -r[3], -r[2], r[0]))
    return Table("silence", _("Customers without a follow-up (as of today)"),
                 [Column(_("Salesperson")), Column(_("Customers held"), COUNT)]
                 + [Column(_("%(n)d days or more", n=days), COUNT) for days in SILENCE_DAYS],
                 rows, [_("Total")] + [sum(r[i] for r in rows) for i in range(1, 2 + len(SILENCE_DAYS))])


def _pool(viewer, filters: ReportFilters, months) -> Table:
    people = _people(viewer, filters)
    moved_in = OwnerChange.kind.in_(RELEASE_KINDS) & OwnerChange.from_user_id.in_(people)
    moved_out = (OwnerChange.kind.in_(POOL_OUT_KINDS) & OwnerChange.from_user_id.is_(None)
                 & OwnerChange.to_user_id.in_(people))
    found = {kind: [int(n or 0) for n in counts] for kind, *counts in db.session.execute(
        select(OwnerChange.kind, *count_per_bucket(OwnerChange.at, months))
        .where(span(months, OwnerChange.at), or_(moved_in, moved_out)).group_by(OwnerChange.kind))}
    zero = [0] * len(months)
    released, recycled = found.get("released", zero), found.get("recycled", zero)
    claimed, assigned = found.get("claimed", zero), found.get("assigned", zero)
    rows = []
    for i, month in enumerate(months):
        into, out = released[i] + recycled[i], claimed[i] + assigned[i]
        rows.append([label(month, "month"), released[i], recycled[i], into, claimed[i], assigned[i], out, into - out])
    return Table("pool", _("Public pool: in and out per month"),
                 [Column(_("Month")), Column(_("Released"), COUNT), Column(_("Recycled by a rule"), COUNT),
                  Column(_("Into the pool"), COUNT), Column(_("Claimed"), COUNT),
                  Column(_("Assigned from the pool"), COUNT), Column(_("Out of the pool"), COUNT),
                  Column(_("Net into the pool"), COUNT)],
                 rows, [_("Total")] + [sum(r[i] for r in rows) for i in range(1, 8)])


def _marked_lost(viewer, filters: ReportFilters) -> int | None:
    item = item_with_flag(STATUS, "lost")
    if item is None:
        return None
    return int(db.session.scalar(select(func.count(Customer.id))
                                 .where(*_held(viewer, filters), Customer.status_id == item.id)) or 0)


def build(viewer, filters: ReportFilters) -> ReportResult:
    months = buckets(filters.date_from, filters.date_to, "month")
    level = _distribution(viewer, filters, "by_level", _("Customers by level"), _("Level"), Customer.level_id,
                          dictionary_labels)
    industry = _distribution(viewer, filters, "by_industry", _("Customers by industry"), _("Industry"),
                             Customer.industry_id, dictionary_labels)
    region = _distribution(viewer, filters, "by_region", _("Customers by region"), _("Province"),
                           Customer.province)
    source = _distribution(viewer, filters, "by_source", _("Customers by source"), _("Source"),
                           Customer.source_id, dictionary_labels)
    new_lost = _new_and_lost(viewer, filters, months)
    silence = _silence(viewer, filters)
    pool = _pool(viewer, filters, months)
    lost = new_lost.total[2]
    base = _held_before(viewer, filters, months[-1].end) + lost
    marked = _marked_lost(viewer, filters)
    kpis = [
        Kpi("held", _("Customers held"), level.total[1], COUNT, _("now")),
        Kpi("new", _("New customers"), new_lost.total[1], COUNT),
        Kpi("lost", _("Lost customers"), lost, COUNT, _("released or recycled to the public pool")),
        Kpi("churn", _("Churn rate"), percent(lost, base), PERCENT,
            _("lost ÷ (held now and created by the end of the period + lost)")),
        Kpi("silent", _("No follow-up for 30 days"), silence.total[2], COUNT),
    ]
    if marked is not None:
        kpis.append(Kpi("marked_lost", _("Marked as churned"), marked, COUNT, _("status, now")))
    silence_labels = [c.label for c in silence.columns[2:]]
    top_region = region.rows[:TOP]
    charts = [
        Chart("by_level", level.title, PIE, [r[0] for r in level.rows],
              [Series(_("Customers"), [r[1] for r in level.rows])], "by_level", COUNT),
        Chart("by_industry", industry.title, DONUT, [r[0] for r in industry.rows],
              [Series(_("Customers"), [r[1] for r in industry.rows])], "by_industry", COUNT),
        Chart("by_region", region.title, HBAR, [r[0] for r in top_region],
              [Series(_("Customers"), [r[1] for r in top_region])], "by_region", COUNT),
        Chart("by_source", source.title, PIE, [r[0] for r in source.rows],
              [Series(_("Customers"), [r[1] for r in source.rows])], "by_source", COUNT),
        Chart("new_lost", new_lost.title, GROUPED, [r[0] for r in new_lost.rows],
              [Series(_("New customers"), [r[1] for r in new_lost.rows]),
               Series(_("Lost customers"), [r[2] for r in new_lost.rows])], "new_lost", COUNT),
        Chart("silence", silence.title, BAR, silence_labels,
              [Series(_("Customers"), silence.total[2:])], "silence", COUNT),
        Chart("pool", pool.title, GROUPED, [r[0] for r in pool.rows],
              [Series(_("Into the pool"), [r[3] for r in pool.rows]),
               Series(_("Out of the pool"), [r[6] for r in pool.rows])], "pool", COUNT),
    ]
    return ReportResult(kpis, charts, [level, industry, region, source, new_lost, silence, pool])


REPORT = register_report(Report(
    "customers", "customers", _l("Customers"),
    _l("Customers by level, industry, region and source; new and lost per month and the churn rate; customers "
       "without follow-up for 30, 60 and 90 days; the public pool in and out."),
    build, record_types=(CUSTOMER,), order=30))
