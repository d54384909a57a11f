"""线索与市场活动报表: leads created in the period by source, the lead→customer conversion rate (of the leads
created in the period, those converted since: per source, per month and overall), and the return on the
campaigns that started in the period.

Lead figures read through the viewer's lead scope and the report filters (owner_condition). The campaign table
shows each campaign's own results, computed by campaigns.results in one statement: a campaign is the company's
(every holder of campaign.view sees the same figures on the campaign pages), its cost is not split by person, so
these figures do not follow the person, department or branch filter."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..campaigns.access import can_view, campaign_condition
from ..campaigns.models import Campaign
from ..campaigns.results import percent as roi_percent
from ..campaigns.results import results_for
from ..charts.render import COUNT, MONEY, PERCENT, Series
from ..leads.access import LEAD
from ..leads.models import CONVERTED, INVALID, Lead
from ..extensions import db
from .activity import bucket_index
from .common import TOP, dictionary_labels, money, percent
from .filters import ReportFilters, owner_condition
from .model import BAR, DONUT, GROUPED, Chart, Column, Kpi, Report, ReportResult, Table, register_report
from .periods import buckets, label, span

MAX_CAMPAIGNS = 200  # the newest campaigns of the period (results_for reads one IN list of them)


def _leads(viewer, filters: ReportFilters, months) -> list:
    """Live leads created in the period, within the viewer's lead scope and the filters. This is
    leads.access.lead_condition AND owner_condition, written once: the pool leads lead_condition adds are within
    owner_condition only for a viewer whose scope is all (for whom lead_condition shows them too), and two
    copies of a department scope in one statement would repeat its CTE's name."""
    return [span(months, Lead.created_at), Lead.deleted_at.is_(None),
            owner_condition(viewer, filters, Lead.owner_id, LEAD)]


def _counted(viewer, filters: ReportFilters, months) -> list[tuple]:
    """(source id, status, month number, leads) of the leads created in the period: one pass over them (two
    statements, by source and by month, read the period's leads twice)."""
    leads = (select(Lead.source_id, Lead.status, bucket_index(Lead.created_at, months).label("month"))
             .where(*_leads(viewer, filters, months)).subquery("period_leads"))
    return list(db.session.execute(select(leads.c.source_id, leads.c.status, leads.c.month, func.count())
                                   .group_by(leads.c.source_id, leads.c.status, leads.c.month)).tuples())


def _by_source(counted: list[tuple]) -> Table:
    figures: dict = {}
    for source, status, _month, n in counted:
        leads, converted, invalid = figures.get(source, (0, 0, 0))
        figures[source] = (leads + n, converted + (n if status == CONVERTED else 0),
                           invalid + (n if status == INVALID else 0))
    names = dictionary_labels(figures)
    none = _("(none)")
    rows = [[names.get(source, str(source)) if source is not None else none, n, converted, percent(converted, n),
             invalid] for source, (n, converted, invalid) in figures.items()]
    rows.sort(key=lambda r: (r[0] == none, -r[1], r[0]))
    leads, converted, invalid = (sum(r[i] for r in rows) for i in (1, 2, 4))
    return Table("by_source", _("Leads by source (created in the period)"),
                 [Column(_("Source")), Column(_("Leads"), COUNT), Column(_("Converted to customers"), COUNT),
                  Column(_("Conversion %"), PERCENT), Column(_("Invalid"), COUNT)],
                 rows, [_("Total"), leads, converted, percent(converted, leads), invalid])


def _by_month(counted: list[tuple], months) -> Table:
    created, converted = [0] * len(months), [0] * len(months)
    for _source, status, month, n in counted:
        created[int(month)] += n
        if status == CONVERTED:
            converted[int(month)] += n
    rows = [[label(m, "month"), n, c, percent(c, n)] for m, n, c in zip(months, created, converted)]
    leads, won = sum(created), sum(converted)
    return Table("by_month", _("Leads created and converted per month"),
                 [Column(_("Month")), Column(_("Leads"), COUNT), Column(_("Converted to customers"), COUNT),
                  Column(_("Conversion %"), PERCENT)], rows, [_("Total"), leads, won, percent(won, leads)])


def _campaigns(viewer, filters: ReportFilters) -> Table | None:
    if not can_view(viewer):
        return None
    campaigns = db.session.execute(
        select(Campaign.id, Campaign.name, Campaign.start_date)
        .where(campaign_condition(viewer), Campaign.start_date >= filters.date_from,
               Campaign.start_date <= filters.date_to)
        .order_by(Campaign.start_date.desc(), Campaign.id.desc()).limit(MAX_CAMPAIGNS)).all()
    results = results_for([c.id for c in campaigns])
    rows = []
    for campaign_id, name, start in campaigns:
        r = results.get(campaign_id)
        if r is None:
            continue
        rows.append([name, start.isoformat(), r.actual_cost, r.leads, r.converted_leads, r.won_opportunities,
                     r.won_amount, r.roi])
    rows.sort(key=lambda r: (r[7] is None, -(r[7] or 0), r[1], r[0]))
    cost = sum((r[2] for r in rows if r[2] is not None), Decimal(0))
    won = sum((r[6] for r in rows), Decimal(0))
    won_with_cost = sum((r[6] for r in rows if r[2]), Decimal(0))  # a campaign without a cost has no ROI
    return Table("campaigns", _("Campaigns started in the period: return on investment (whole company)"),
                 [Column(_("Campaign")), Column(_("Start")), Column(_("Actual cost"), MONEY), Column(_("Leads"), COUNT),
                  Column(_("Converted leads"), COUNT), Column(_("Won deals"), COUNT), Column(_("Won amount"), MONEY),
                  Column(_("ROI %"), PERCENT)],
                 rows, [_("Total"), None, money(cost), sum(r[3] for r in rows), sum(r[4] for r in rows),
                        sum(r[5] for r in rows), money(won), roi_percent(won_with_cost - cost, cost)])


def build(viewer, filters: ReportFilters) -> ReportResult:
    months = buckets(filters.date_from, filters.date_to, "month")
    counted = _counted(viewer, filters, months)
    by_source = _by_source(counted)
    by_month = _by_month(counted, months)
    leads, converted = by_source.total[1], by_source.total[2]
    kpis = [
        Kpi("leads", _("Leads"), leads, COUNT, _("created in the period")),
        Kpi("converted", _("Converted to customers"), converted, COUNT),
        Kpi("conversion", _("Lead conversion rate"), percent(converted, leads), PERCENT,
            _("converted ÷ created in the period")),
        Kpi("invalid", _("Invalid leads"), by_source.total[4], COUNT),
    ]
    by_rate = sorted((r for r in by_source.rows if r[3] is not None), key=lambda r: (-r[3], r[0]))[:TOP]
    tables = [by_source, by_month]
    charts = [
        Chart("by_source", by_source.title, DONUT, [r[0] for r in by_source.rows],
              [Series(_("Leads"), [r[1] for r in by_source.rows])], "by_source", COUNT),
        Chart("by_month", by_month.title, GROUPED, [r[0] for r in by_month.rows],
              [Series(_("Leads"), [r[1] for r in by_month.rows]),
               Series(_("Converted to customers"), [r[2] for r in by_month.rows])], "by_month", COUNT),
    ]
    conversion = Table("conversion", _("Lead conversion rate by source"),
                       [Column(_("Source")), Column(_("Conversion %"), PERCENT)],
                       [[r[0], r[3]] for r in by_rate])
    tables.append(conversion)
    charts.append(Chart("conversion", conversion.title, BAR, [r[0] for r in conversion.rows],
                        [Series(_("Conversion %"), [r[1] for r in conversion.rows])], "conversion", PERCENT))
    campaigns = _campaigns(viewer, filters)
    if campaigns is not None:
        kpis.append(Kpi("roi", _("Campaign ROI"), campaigns.total[7], PERCENT,
                        _("(won amount − cost) ÷ cost, campaigns started in the period")))
        tables.append(campaigns)
        with_roi = [r for r in campaigns.rows if r[7] is not None][:TOP]
        charts.append(Chart("campaigns", _("Campaign ROI"), BAR, [r[0] for r in with_roi],
                            [Series(_("ROI %"), [r[7] for r in with_roi])], "campaigns", PERCENT))
    return ReportResult(kpis, charts, tables)


REPORT = register_report(Report(
    "leads", "leads", _l("Leads and campaigns"),
    _l("Leads by source, the lead to customer conversion rate, and the return on campaigns."),
    build, record_types=(LEAD,), order=40))
