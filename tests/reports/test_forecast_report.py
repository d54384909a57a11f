"""The forecast report against hand-computed figures (tests/reports/helpers_r2.py::forecast_data): quota, won and
expected per fiscal quarter with the fiscal year starting in April, per person; the same definitions as the
forecast page; scope and filters; the exports carry the tables and the chart is a real PNG."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from crm_server.core.site_settings import set_setting
from crm_server.extensions import db
from crm_server.forecast import services as forecast_services
from crm_server.forecast.periods import FISCAL_START_KEY, FiscalQuarter
from crm_server.reports import forecast
from crm_server.reports.filters import ReportFilters
from crm_server.reports.model import REPORTS

from .helpers_r2 import (D, cells, clear_report_cache, forecast_data, get_without_missing_glyphs, kpi, png_size,
                         table_rows, workbook_tables)

M = Decimal
PERIOD = {"from": "2026-05-10", "to": "2026-08-20"}
FILTERS = ReportFilters(D(2026, 5, 10), D(2026, 8, 20))


@pytest.fixture
def data(app):
    clear_report_cache(app)
    set_setting(FISCAL_START_KEY, "4")
    return forecast_data()


def build(viewer, **filters):
    values = {"date_from": FILTERS.date_from, "date_to": FILTERS.date_to, **filters}
    return forecast.build(viewer, ReportFilters(**values))


def label(quarter, start=4):
    return forecast.quarter_label(FiscalQuarter(2026, quarter, start))


def figures(table):
    return [row[2:] for row in table.rows]


def test_the_report_is_registered_for_those_who_see_the_forecast():
    report = REPORTS["forecast"]
    assert report.group == "forecast" and report.record_types == ("opportunity",)
    assert report.permission == "forecast.view"


def test_quarters_shown(app):
    def quarters(first, last, start):
        return [(q.year, q.quarter) for q in forecast.quarters_of(ReportFilters(first, last), start)]
    # from the quarter of the first day to the end of the fiscal year of the last day
    assert quarters(D(2026, 5, 10), D(2026, 8, 20), 4) == [(2026, 1), (2026, 2), (2026, 3), (2026, 4)]
    assert quarters(D(2026, 5, 10), D(2026, 8, 20), 1) == [(2026, 2), (2026, 3), (2026, 4)]
    assert quarters(D(2026, 1, 1), D(2026, 4, 15), 4) == [(2025, 4), (2026, 1), (2026, 2), (2026, 3), (2026, 4)]
    assert quarters(D(2026, 3, 31), D(2026, 3, 31), 4) == [(2025, 4)]
    assert len(quarters(D(2020, 1, 1), D(2026, 12, 31), 1)) == forecast.MAX_QUARTERS


def test_per_quarter_with_the_fiscal_year_from_april(data):
    table = build(data["director"]).table("by_quarter")
    assert [row[:2] for row in table.rows] == [
        [label(1), "2026-04-01 – 2026-06-30"], [label(2), "2026-07-01 – 2026-09-30"],
        [label(3), "2026-10-01 – 2026-12-31"], [label(4), "2027-01-01 – 2027-03-31"]]
    assert figures(table) == [
        [M("30000.01"), M("20000.50"), M("3300.07"), M("23300.57"), M("66.7"), M("77.7")],
        [M("29000.00"), M("25000.25"), M("333.33"), M("25333.58"), M("86.2"), M("87.4")],
        [M("50000.00"), M("0.00"), M("10000.00"), M("10000.00"), M("0.0"), M("20.0")],
        [M("6000.00"), M("600.00"), M("10000.00"), M("10600.00"), M("10.0"), M("176.7")],
    ]
    assert table.total[2:] == [M("115000.01"), M("45600.75"), M("23633.40"), M("69234.15"), M("39.7"), M("60.2")]


def test_per_person(data):
    table = build(data["director"]).table("by_person")
    assert [row[:2] for row in table.rows] == [["张伟", "华东二部"], ["李芳", "华东一部"], ["陈静", "华南组"]]
    assert figures(table) == [
        [M("21000.00"), M("25600.25"), M("10333.33"), M("35933.58"), M("121.9"), M("171.1")],
        [M("85000.01"), M("20000.50"), M("13300.07"), M("33300.57"), M("23.5"), M("39.2")],
        [M("9000.00"), M("0.00"), M("0.00"), M("0.00"), M("0.0"), M("0.0")],
    ]
    assert table.total[2:6] == [M("115000.01"), M("45600.75"), M("23633.40"), M("69234.15")]


def test_each_quarter_agrees_with_the_forecast_page(data):
    table = build(data["director"]).table("by_quarter")
    for index, number in enumerate(range(1, 5)):
        page = forecast_services.forecast(data["director"], FiscalQuarter(2026, number, 4)).total
        assert table.rows[index][2:6] == [page.quota, page.won, page.weighted, page.expected], number


def test_with_the_calendar_year(data):
    set_setting(FISCAL_START_KEY, "1")
    db.session.commit()
    table = build(data["director"]).table("by_quarter")
    assert [row[0] for row in table.rows] == [label(2, 1), label(3, 1), label(4, 1)]
    assert [row[1] for row in table.rows][0] == "2026-04-01 – 2026-06-30"
    assert [row[2:6] for row in table.rows][0] == [M("30000.01"), M("20000.50"), M("3300.07"), M("23300.57")]


def test_scope_director_manager_salesperson(client, login_as, data):
    login_as(data["director"])
    html = client.get("/reports/forecast", query_string=PERIOD).get_data(as_text=True)
    assert kpi(html, "won") == "45600.75" and kpi(html, "expected") == "69234.15"
    assert kpi(html, "quota") == "115000.01"

    login_as(data["manager"])  # department scope: 华东一部 (李芳)
    html = client.get("/reports/forecast", query_string=PERIOD).get_data(as_text=True)
    assert cells(html, "by_quarter")[-1][2:6] == ["85000.01", "20000.50", "13300.07", "33300.57"]
    assert "张伟" not in html.split('id="table-by_person"')[1]

    login_as(data["zhang"])
    html = client.get("/reports/forecast", query_string=PERIOD).get_data(as_text=True)
    assert [row[2:6] for row in cells(html, "by_quarter")] == [
        ["", "0.00", "0.00", "0.00"], ["20000.00", "25000.25", "333.33", "25333.58"],
        ["", "0.00", "0.00", "0.00"], ["1000.00", "600.00", "10000.00", "10600.00"],
        ["21000.00", "25600.25", "10333.33", "35933.58"]]


def test_filters_narrow_within_the_scope(client, login_as, data):
    login_as(data["zhang"])
    html = client.get("/reports/forecast", query_string={**PERIOD, "user": data["li"].id}).get_data(as_text=True)
    assert kpi(html, "won") == "0.00" and kpi(html, "quota") == "" and kpi(html, "expected") == "0.00"

    login_as(data["director"])
    html = client.get("/reports/forecast", query_string={**PERIOD, "branch": data["guangzhou"].id}).get_data(
        as_text=True)
    assert kpi(html, "quota") == "9000.00" and kpi(html, "won") == "0.00"
    html = client.get("/reports/forecast", query_string={**PERIOD, "department": data["east"].id}).get_data(
        as_text=True)
    assert kpi(html, "quota") == "85000.01" and kpi(html, "expected") == "33300.57"


def test_roles_without_the_forecast_permission_do_not_see_it(client, login_as, data):
    login_as("service")
    assert client.get("/reports/forecast").status_code == 404
    assert "/reports/forecast" not in client.get("/reports/").get_data(as_text=True)


def test_excel_and_csv_carry_the_tables(client, login_as, data):
    login_as(data["director"])
    result = build(data["director"])
    response = client.get("/reports/forecast/export.xlsx", query_string=PERIOD)
    assert workbook_tables(response.data) == [table_rows(table) for table in result.tables]
    text = client.get("/reports/forecast/export.csv", query_string=PERIOD).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert [label(2), "2026-07-01 – 2026-09-30", "29000.00", "25000.25", "333.33", "25333.58", "86.2",
            "87.4"] in rows


def test_the_chart_is_a_png_with_every_glyph(client, login_as, data):
    login_as(data["director"])
    response = get_without_missing_glyphs(client, "/reports/forecast/charts/by_quarter.png", query_string=PERIOD)
    assert response.status_code == 200 and png_size(response.data) == (1280, 720)
    assert client.get("/reports/forecast/charts/by_person.png", query_string=PERIOD).status_code == 404
