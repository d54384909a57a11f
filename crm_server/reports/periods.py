"""Grouping by month, week or day in portable SQL: the bucket boundaries are the site's local midnights
(Asia/Shanghai by default) turned into UTC here, and each query sums one CASE per bucket, so no engine's date
functions or time-zone tables are involved and a sale at 23:30 on 31 January local time lands in January."""
from __future__ import annotations

import datetime as dt
from bisect import bisect_left

from sqlalchemy import and_, case, func, type_coerce

from ..activity.services import Bucket, buckets_for
from ..core.types import Money

MONTH_LABEL = "{:%Y-%m}"


def buckets(first: dt.date, last: dt.date, grouping: str = "month") -> list[Bucket]:
    return buckets_for(first, last, grouping)


def label(bucket: Bucket, grouping: str) -> str:
    if grouping == "month":
        return f"{bucket.first:%Y-%m}"
    if grouping == "week":
        return f"{bucket.first:%m-%d}"
    return f"{bucket.first:%m-%d}"


def _inside(column, bucket: Bucket, is_date: bool):
    if is_date:
        return and_(column >= bucket.first, column <= bucket.last)
    return and_(column >= bucket.start, column < bucket.end)


def count_per_bucket(column, bucket_list: list[Bucket], is_date: bool = False) -> list:
    """One SUM(CASE ...) per bucket counting rows whose `column` falls in it."""
    return [func.sum(case((_inside(column, b, is_date), 1), else_=0)) for b in bucket_list]


def sum_per_bucket(column, value, bucket_list: list[Bucket], is_date: bool = False, money: bool = True) -> list:
    """One SUM(CASE ...) per bucket adding `value` (a Money column stays exact: integer fen on SQLite)."""
    sums = [func.sum(case((_inside(column, b, is_date), value), else_=0)) for b in bucket_list]
    return [type_coerce(s, Money) for s in sums] if money else sums


def span(bucket_list: list[Bucket], column, is_date: bool = False):
    """The WHERE that keeps the query on the index range of the whole period."""
    if is_date:
        return and_(column >= bucket_list[0].first, column <= bucket_list[-1].last)
    return and_(column >= bucket_list[0].start, column < bucket_list[-1].end)


def shift_year(day: dt.date, years: int = -1) -> dt.date:
    """The same day a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def fold_days(rows, bucket_list: list[Bucket], width: int) -> list[list]:
    """Add per-day sums from the database (GROUP BY a DATE column: at most one row per day of the period,
    whatever the number of records) into their buckets: [[sum of each of `width` figures] per bucket]. On SQLite
    this is several times faster than one SUM(CASE) per bucket over every row, and needs no date function."""
    lasts = [bucket.last for bucket in bucket_list]
    result = [[0] * width for _ in bucket_list]
    for day, *values in rows:
        index = bisect_left(lasts, day)
        for k, value in enumerate(values):
            result[index][k] += value or 0
    return result
