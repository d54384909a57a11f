"""The contracts and money report against hand-computed figures (tests/reports/helpers_r2.py::money_data): signed
and received per month with the month boundary on dates, aging at the 0/1/30/31/60/61/90/91-day boundaries with a
fixed today, collection against the plan, the top overdue customers; as a director, a manager and a salesperson;
the exports carry the table's figures and the charts are real PNGs with every glyph."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from crm_server.payments import receivables
from crm_server.reports import money
from crm_server.reports.filters import ReportFilters
from crm_server.reports.model import REPORTS

from .helpers_r2 import (D, PERIOD, TODAY, cells, clear_report_cache, get_without_missing_glyphs, kpi, money_data,
                         png_size, table_rows, workbook_tables)

M = Decimal
FILTERS = ReportFilters(D(2026, 1, 1), D(2026, 3, 31))


@pytest.fixture
def data(app, monkeypatch):
    clear_report_cache(app)
    monkeypatch.setattr(money, "site_today", lambda: TODAY)
    return money_data()


def build(viewer, **filters):
    values = {"date_from": FILTERS.date_from, "date_to": FILTERS.date_to, **filters}
    return money.build(viewer, ReportFilters(**values))


def test_the_report_is_registered_in_the_money_group():
    report = REPORTS["money"]
    assert report.group == "money" and report.record_types == ("contract",)


def test_signed_and_received_per_month(data):
    result = build(data["director"])
    table = result.table("signed_received")
    assert [row[1:] for row in table.rows] == [
        [1, M("100000.00"), M("30000.00"), M("0.00"), M("30000.00")],     # signed 01-31, paid 01-31
        [1, M("50000.50"), M("20000.00"), M("-1000.10"), M("18999.90")],  # signed 02-01, paid 02-01, refund
        [1, M("30000.25"), M("15000.26"), M("0.00"), M("15000.26")],
    ]
    assert [row[0] for row in table.rows] == ["2026-01", "2026-02", "2026-03"]
    assert table.total[1:] == [3, M("180000.75"), M("65000.26"), M("-1000.10"), M("64000.16")]
    assert all(isinstance(v, Decimal) for v in table.total[2:])


def test_aging_buckets_at_their_boundaries(data):
    table = build(data["director"]).table("aging")
    assert [row[1:3] for row in table.rows] == [
        [2, M("32345.67")],  # due today (0 days) and in July
        [2, M("37000.25")],  # 1 day and 30 days
        [2, M("35000.24")],  # 31 days and 60 days
        [2, M("11000.10")],  # 61 days and 90 days
        [1, M("10000.00")],  # 91 days
    ]
    assert table.total[1:3] == [9, M("125346.26")]
    assert table.rows[0][3] == M("25.8")  # 32,345.67 / 125,346.26
    assert "2026-04-15" in table.title


def test_aging_moves_a_day_later(data, monkeypatch):
    """One day later each boundary instalment moves on: 0→1, 30→31, 60→61, 90→91 days overdue."""
    monkeypatch.setattr(money, "site_today", lambda: D(2026, 4, 16))
    table = build(data["director"]).table("aging")
    assert [row[1:3] for row in table.rows] == [
        [1, M("12345.67")],  # July only
        [2, M("32000.00")],  # I5 (1 d) 20,000.00 + I9 (2 d) 12,000.00
        [2, M("50000.49")],  # I7 (31 d) 25,000.25 + I6 (32 d) 25,000.24
        [2, M("20000.00")],  # I4 (61 d) + I3 (62 d)
        [2, M("11000.10")],  # I2 (91 d) 1,000.10 + I1 (92 d) 10,000.00
    ]
    assert table.total[1:3] == [9, M("125346.26")]


def test_collection_against_the_plan(data):
    table = build(data["director"]).table("collection")
    assert [row[1:] for row in table.rows] == [
        # due in January: 60,000.00; received against it 30,000.00 (01-31) + 20,000.00 (02-01) − the confirmed
        # refund 1,000.10 (the pending refund does not count)
        [M("60000.00"), M("48999.90"), M("11000.10"), M("81.7")],
        [M("20000.00"), M("0.00"), M("20000.00"), M("0.0")],
        # due in March: 25,000.25 + 25,000.25 + 15,000.25; received 0.01 + 15,000.25
        [M("65000.75"), M("15000.26"), M("50000.49"), M("23.1")],
    ]
    assert table.total[1:] == [M("145000.75"), M("64000.16"), M("81000.59"), M("44.1")]


def test_top_overdue_customers(data):
    table = build(data["director"]).table("top_overdue")
    assert table.rows == [
        ["乙智能科技有限公司", M("50000.49"), 2, "2026-03-15", 31],
        ["甲精密机械有限公司", M("31000.10"), 4, "2026-01-14", 91],
        ["丙物流有限公司", M("12000.00"), 1, "2026-04-14", 1],
    ]


def test_top_overdue_keeps_ten(data):
    from tests import factories

    from .helpers_r2 import contract, instalment
    seller = data["chen"]
    for n in range(11):
        customer = factories.make_customer(seller, name=f"欠款客户{n:02d}")
        instalment(contract(seller, customer, "1000.00", D(2026, 1, 5)), 1, D(2026, 4, 1), f"{100 + n}.00")
    table = build(data["director"]).table("top_overdue")
    assert len(table.rows) == 10
    assert [row[0] for row in table.rows[:3]] == ["乙智能科技有限公司", "甲精密机械有限公司", "丙物流有限公司"]
    assert table.rows[-1][1] == M("104.00")  # 110 … 104: the seven largest of the eleven


def test_kpis(data):
    kpis = {k.key: k.value for k in build(data["director"]).kpis}
    assert kpis == {"signed": M("180000.75"), "received": M("64000.16"), "collection_rate": M("44.1"),
                    "outstanding": M("125346.26"), "overdue": M("93000.59")}


def test_aging_agrees_with_the_receivables_page(data):
    totals, _rows = receivables.aging_by_owner(data["director"], TODAY)
    table = build(data["director"]).table("aging")
    assert [row[2] for row in table.rows] == [totals.not_due, totals.days_1_30, totals.days_31_60,
                                              totals.days_61_90, totals.days_over_90]


def test_scope_director_manager_salesperson(client, login_as, data):
    login_as(data["director"])
    html = client.get("/reports/money", query_string=PERIOD).get_data(as_text=True)
    assert kpi(html, "signed") == "180000.75"
    assert kpi(html, "outstanding") == "125346.26"
    assert cells(html, "signed_received")[-1][1:] == ["3", "180000.75", "65000.26", "-1000.10", "64000.16"]

    login_as(data["manager"])  # department scope: 华东一部 (李芳)
    html = client.get("/reports/money", query_string=PERIOD).get_data(as_text=True)
    assert cells(html, "signed_received")[-1][1:] == ["2", "150000.50", "50000.01", "-1000.10", "48999.91"]
    assert [row[2] for row in cells(html, "aging")] == ["20000.00", "25000.25", "35000.24", "11000.10",
                                                        "10000.00", "101000.59"]
    assert cells(html, "collection")[-1][1:] == ["130000.50", "48999.91", "81000.59", "37.7"]
    assert "丙物流有限公司" not in html and "甲精密机械有限公司" in html

    login_as(data["zhang"])
    html = client.get("/reports/money", query_string=PERIOD).get_data(as_text=True)
    assert cells(html, "signed_received")[-1][1:] == ["1", "30000.25", "15000.25", "0.00", "15000.25"]
    assert [row[2] for row in cells(html, "aging")] == ["12345.67", "12000.00", "0.00", "0.00", "0.00",
                                                        "24345.67"]
    assert cells(html, "collection")[-1][1:] == ["15000.25", "15000.25", "0.00", "100.0"]
    assert "甲精密机械有限公司" not in html and "丙物流有限公司" in html


def test_filters_narrow_within_the_scope(client, login_as, data):
    login_as(data["zhang"])  # a person outside his scope: nothing at all
    html = client.get("/reports/money", query_string={**PERIOD, "user": data["li"].id}).get_data(as_text=True)
    assert kpi(html, "signed") == "0.00" and kpi(html, "outstanding") == "0.00" and kpi(html, "received") == "0.00"
    assert "甲精密机械有限公司" not in html

    login_as(data["director"])
    html = client.get("/reports/money", query_string={**PERIOD, "department": data["west"].id}).get_data(as_text=True)
    assert kpi(html, "signed") == "30000.25" and kpi(html, "outstanding") == "24345.67"
    html = client.get("/reports/money", query_string={**PERIOD, "user": data["li"].id}).get_data(as_text=True)
    assert kpi(html, "signed") == "150000.50" and kpi(html, "outstanding") == "101000.59"
    html = client.get("/reports/money", query_string={**PERIOD, "branch": data["guangzhou"].id}).get_data(as_text=True)
    assert kpi(html, "signed") == "0.00" and kpi(html, "outstanding") == "0.00"


def test_a_manager_choosing_his_own_department(data):
    result = build(data["manager"], department_id=data["east"].id)
    assert result.table("signed_received").total[2] == M("150000.50")


def test_excel_and_csv_carry_the_tables(client, login_as, data):
    login_as(data["director"])
    result = build(data["director"])
    response = client.get("/reports/money/export.xlsx", query_string=PERIOD)
    assert response.status_code == 200
    assert workbook_tables(response.data) == [table_rows(table) for table in result.tables]
    text = client.get("/reports/money/export.csv", query_string=PERIOD).data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["2026-02", "1", "50000.50", "20000.00", "-1000.10", "18999.90"] in rows
    assert ["乙智能科技有限公司", "50000.49", "2", "2026-03-15", "31"] in rows


def test_charts_are_pngs_with_every_glyph(client, login_as, data):
    login_as(data["director"])
    for chart in ("signed_received", "aging", "collection", "top_overdue"):
        response = get_without_missing_glyphs(client, f"/reports/money/charts/{chart}.png", query_string=PERIOD)
        assert response.status_code == 200, chart
        assert png_size(response.data) == (1280, 720)
        small = client.get(f"/reports/money/charts/{chart}.png", query_string={**PERIOD, "scale": 1})
        assert png_size(small.data) == (640, 360)
    svg = client.get("/reports/money/charts/aging.svg", query_string=PERIOD)
    assert svg.mimetype == "image/svg+xml"


def test_an_empty_database_draws_zeros(client, login_as, app, monkeypatch):
    clear_report_cache(app)
    monkeypatch.setattr(money, "site_today", lambda: TODAY)
    login_as("sales")
    response = client.get("/reports/money", query_string=PERIOD)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert kpi(html, "signed") == "0.00" and kpi(html, "collection_rate") == ""
    assert client.get("/reports/money/charts/top_overdue.png", query_string=PERIOD).status_code == 200
