"""Fiscal periods: the fiscal year starts in a configurable month and is named by the calendar year it starts in
(start April: FY2026 runs from 2026-04-01 to 2027-03-31); quarters are three fiscal months each."""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from ..core.site_settings import get_setting

FISCAL_START_KEY = "forecast.fiscal_year_start_month"
DEFAULT_FISCAL_START = 1


def fiscal_start_month() -> int:
    """The calendar month (1-12) the fiscal year starts in; January unless an administrator changed it."""
    value = get_setting(FISCAL_START_KEY)
    if value is not None and value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    return DEFAULT_FISCAL_START


def calendar_month(year: int, fiscal_month: int, start: int) -> tuple[int, int]:
    """(calendar year, calendar month) of fiscal month 1..12 of fiscal year `year`."""
    index = start - 1 + fiscal_month - 1
    return year + index // 12, index % 12 + 1


def month_range(cal_year: int, cal_month: int) -> tuple[dt.date, dt.date]:
    return (dt.date(cal_year, cal_month, 1),
            dt.date(cal_year, cal_month, calendar.monthrange(cal_year, cal_month)[1]))


@dataclass(frozen=True)
class FiscalQuarter:
    year: int     # fiscal year
    quarter: int  # 1..4
    start: int    # the fiscal year's first calendar month

    @property
    def months(self) -> list[tuple[int, int]]:
        """The three (calendar year, calendar month) of the quarter."""
        first = (self.quarter - 1) * 3 + 1
        return [calendar_month(self.year, first + n, self.start) for n in range(3)]

    @property
    def first_day(self) -> dt.date:
        return month_range(*self.months[0])[0]

    @property
    def last_day(self) -> dt.date:
        return month_range(*self.months[-1])[1]

    def previous(self) -> FiscalQuarter:
        if self.quarter == 1:
            return FiscalQuarter(self.year - 1, 4, self.start)
        return FiscalQuarter(self.year, self.quarter - 1, self.start)

    def next(self) -> FiscalQuarter:
        if self.quarter == 4:
            return FiscalQuarter(self.year + 1, 1, self.start)
        return FiscalQuarter(self.year, self.quarter + 1, self.start)


def fiscal_year_months(year: int, start: int) -> list[tuple[int, int]]:
    """The twelve (calendar year, calendar month) of fiscal year `year`, in order."""
    return [calendar_month(year, n, start) for n in range(1, 13)]


def fiscal_year_range(year: int, start: int) -> tuple[dt.date, dt.date]:
    months = fiscal_year_months(year, start)
    return month_range(*months[0])[0], month_range(*months[-1])[1]


def fiscal_month_of(day: dt.date, start: int) -> tuple[int, int]:
    """(fiscal year, fiscal month 1..12) that a calendar day falls in."""
    offset = (day.month - start) % 12
    year = day.year if day.month >= start else day.year - 1
    return year, offset + 1


def quarter_of(day: dt.date, start: int) -> FiscalQuarter:
    year, month = fiscal_month_of(day, start)
    return FiscalQuarter(year, (month - 1) // 3 + 1, start)
