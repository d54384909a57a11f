"""Fiscal periods: months, quarters and years as date ranges, for a calendar fiscal year and one starting in April."""
from __future__ import annotations

import datetime as dt

import pytest

from crm_server.forecast.periods import (FiscalQuarter, calendar_month, fiscal_month_of, fiscal_start_month,
                                         fiscal_year_months, fiscal_year_range, quarter_of)

D = dt.date


def test_calendar_fiscal_year():
    assert fiscal_year_range(2026, 1) == (D(2026, 1, 1), D(2026, 12, 31))
    q4 = FiscalQuarter(2026, 4, 1)
    assert q4.months == [(2026, 10), (2026, 11), (2026, 12)]
    assert (q4.first_day, q4.last_day) == (D(2026, 10, 1), D(2026, 12, 31))
    assert quarter_of(D(2026, 12, 31), 1) == q4
    assert quarter_of(D(2027, 1, 1), 1) == FiscalQuarter(2027, 1, 1)


def test_fiscal_year_starting_in_april():
    assert fiscal_year_range(2026, 4) == (D(2026, 4, 1), D(2027, 3, 31))
    assert fiscal_year_months(2026, 4)[0] == (2026, 4) and fiscal_year_months(2026, 4)[-1] == (2027, 3)
    assert calendar_month(2026, 9, 4) == (2026, 12)
    assert calendar_month(2026, 10, 4) == (2027, 1)
    q1, q4 = FiscalQuarter(2026, 1, 4), FiscalQuarter(2026, 4, 4)
    assert (q1.first_day, q1.last_day) == (D(2026, 4, 1), D(2026, 6, 30))
    assert (q4.first_day, q4.last_day) == (D(2027, 1, 1), D(2027, 3, 31))
    assert FiscalQuarter(2026, 3, 4).months == [(2026, 10), (2026, 11), (2026, 12)]
    # January to March 2027 belong to the fiscal year that started in April 2026
    assert fiscal_month_of(D(2027, 2, 28), 4) == (2026, 11)
    assert fiscal_month_of(D(2026, 3, 31), 4) == (2025, 12)
    assert fiscal_month_of(D(2026, 4, 1), 4) == (2026, 1)
    assert quarter_of(D(2027, 3, 31), 4) == q4
    assert quarter_of(D(2026, 4, 1), 4) == q1


def test_leap_february_and_a_year_starting_in_december():
    q = FiscalQuarter(2027, 1, 12)  # FY2027 starts in December 2027
    assert q.months == [(2027, 12), (2028, 1), (2028, 2)]
    assert q.last_day == D(2028, 2, 29)
    assert quarter_of(D(2028, 2, 29), 12) == q
    assert quarter_of(D(2027, 11, 30), 12) == FiscalQuarter(2026, 4, 12)


@pytest.mark.parametrize("start", range(1, 13))
def test_every_day_of_a_year_falls_in_exactly_one_quarter(start):
    day, seen = D(2026, 1, 1), {}
    while day.year == 2026:
        q = quarter_of(day, start)
        assert q.first_day <= day <= q.last_day
        seen.setdefault((q.year, q.quarter), 0)
        seen[(q.year, q.quarter)] += 1
        day += dt.timedelta(days=1)
    for quarter in (FiscalQuarter(y, n, start) for y, n in seen):
        assert quarter.next().first_day == quarter.last_day + dt.timedelta(days=1)
        assert quarter.previous().last_day == quarter.first_day - dt.timedelta(days=1)


def test_setting_defaults_to_january_and_ignores_rubbish(app):
    from crm_server.core.site_settings import set_setting
    from crm_server.forecast.periods import FISCAL_START_KEY
    assert fiscal_start_month() == 1
    set_setting(FISCAL_START_KEY, "4")
    assert fiscal_start_month() == 4
    set_setting(FISCAL_START_KEY, "13")
    assert fiscal_start_month() == 1
