"""Figures of the sales pipeline: the funnel (how many reached each stage, from each opportunity's stored furthest
stage), the conversion between consecutive stages and the average sales cycle (creation to first won, stored too),
computed by the database."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from flask import current_app
from sqlalchemy import Float, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ..core.models import User
from ..extensions import db
from .access import opportunity_condition
from .models import LOST, WON, Opportunity, Stage


class days_between(FunctionElement):  # noqa: N801  (a SQL function, named like one)
    """Days (with fractions) from one timestamp to another, in each engine's own words."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_default(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


@compiles(days_between, "postgresql")
def _days_postgresql(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 86400.0)"


@compiles(days_between, "mysql")
@compiles(days_between, "mariadb")
def _days_mysql(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(TIMESTAMPDIFF(SECOND, {compiler.process(start, **kw)}, {compiler.process(end, **kw)}) / 86400.0)"


@compiles(days_between, "mssql")
def _days_mssql(element, compiler, **kw):
    start, end = list(element.clauses)
    return f"(DATEDIFF(second, {compiler.process(start, **kw)}, {compiler.process(end, **kw)}) / 86400.0)"


def _utc_bounds(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Whole days of the site's time zone as [start, end) naive UTC."""
    tz = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time.min, tzinfo=tz).astimezone(dt.timezone.utc).replace(tzinfo=None)

    return (start_of(date_from) if date_from else None,
            start_of(date_to + dt.timedelta(days=1)) if date_to else None)


def _in_window(column, date_from, date_to) -> list:
    start, end = _utc_bounds(date_from, date_to)
    return ([column >= start] if start else []) + ([column < end] if end else [])


@dataclass
class FunnelRow:
    stage: Stage
    count: int
    amount: Decimal


def funnel(user: User, pipeline_id: int, date_from: dt.date | None = None,
           date_to: dt.date | None = None, extra=None) -> list[FunnelRow]:
    """For each stage of a pipeline (in order), the opportunities created in the period that reached it, and
    their amount. Reaching an open or won stage counts for every open or won stage before it (an opportunity moved
    straight from 初步接洽 to 方案报价 passed 需求确认): each opportunity counts up to its `furthest_stage_id`.
    A lost stage counts the opportunities of the period that are lost now, in that stage (before the stored
    furthest stage it counted every entry into it, even of opportunities reopened since). `extra` narrows further
    (the reports' branch / department / person filter)."""
    stages = list(db.session.scalars(select(Stage).where(Stage.pipeline_id == pipeline_id)
                                     .order_by(Stage.sort_order, Stage.id)))
    # one pass over the period's opportunities (the funnel index covers it): per furthest stage, status and stage
    rows = db.session.execute(
        select(Opportunity.furthest_stage_id, Opportunity.status, Opportunity.stage_id, func.count(Opportunity.id),
               func.sum(Opportunity.amount))
        .where(Opportunity.pipeline_id == pipeline_id, *_in_window(Opportunity.created_at, date_from, date_to),
               opportunity_condition(user), *([extra] if extra is not None else []))
        .group_by(Opportunity.furthest_stage_id, Opportunity.status, Opportunity.stage_id)).all()
    furthest: dict[int, list] = {}
    lost: dict[int, list] = {}
    for furthest_id, status, stage_id, count, amount in rows:
        for key, figures in ((furthest_id, furthest), (stage_id if status == LOST else None, lost)):
            if key is not None:
                total = figures.setdefault(key, [0, Decimal(0)])
                total[0] += int(count or 0)
                total[1] += Decimal(amount or 0)
    # down the open/won stages from the last: each counts those whose furthest stage is it or a later one
    reached: dict[int, tuple[int, Decimal]] = {}
    count, amount = 0, Decimal(0)
    for stage in reversed([stage for stage in stages if stage.kind != LOST]):
        here = furthest.get(stage.id, (0, Decimal(0)))
        count, amount = count + here[0], amount + here[1]
        reached[stage.id] = (count, amount)
    result = []
    for stage in stages:
        count, amount = (lost.get(stage.id, (0, Decimal(0))) if stage.kind == LOST
                         else reached.get(stage.id, (0, Decimal(0))))
        result.append(FunnelRow(stage, count, Decimal(amount).quantize(Decimal("0.01"))))
    return result


@dataclass
class ConversionRow:
    from_stage: Stage
    to_stage: Stage
    rate: Decimal | None  # percent, one decimal; None when nothing reached the first stage


def conversion(user: User, pipeline_id: int, date_from: dt.date | None = None,
               date_to: dt.date | None = None) -> list[ConversionRow]:
    """Between consecutive open/won stages: the share of those that reached one stage that reached the next."""
    return conversion_of(funnel(user, pipeline_id, date_from, date_to))


def conversion_of(funnel_rows: list[FunnelRow]) -> list[ConversionRow]:
    """The conversion rates of a funnel already computed (the kanban shows both)."""
    rows = [row for row in funnel_rows if row.stage.kind != LOST]
    result = []
    for first, second in zip(rows, rows[1:]):
        rate = (Decimal(second.count * 100) / first.count).quantize(Decimal("0.1")) if first.count else None
        result.append(ConversionRow(first.stage, second.stage, rate))
    return result


def average_cycle_days(user: User, pipeline_id: int | None, date_from: dt.date | None = None,
                       date_to: dt.date | None = None, extra=None) -> float | None:
    """The average number of days from creation (`created_at`, the time of the first StageChange) to won
    (`first_won_at`, the time of the first StageChange into a won stage), over the opportunities of the pipeline
    that are won and were first won in the period; None if none was. `pipeline_id` None: every pipeline."""
    value = db.session.scalar(
        select(func.avg(days_between(Opportunity.created_at, Opportunity.first_won_at)))
        .where(*([Opportunity.pipeline_id == pipeline_id] if pipeline_id is not None else []),
               *([extra] if extra is not None else []), Opportunity.status == WON,
               Opportunity.first_won_at.is_not(None), *_in_window(Opportunity.first_won_at, date_from, date_to),
               opportunity_condition(user)))
    return None if value is None else round(float(value), 1)
