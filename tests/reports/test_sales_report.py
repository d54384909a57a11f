"""The sales report against hand-computed figures: won amount by month (and a year earlier), by person and
department, win rate and average deal size, as a director, a manager and a salesperson; the Excel export and the
CSV carry the same numbers; charts are real PNGs."""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from crm_server.extensions import db
from crm_server.opportunities.models import LOST, WON
from tests.factories import make_branch, make_department, make_user
from tests.forecast.helpers import make_opportunity

PERIOD = {"from": "2026-01-01", "to": "2026-03-31"}


@pytest.fixture
def team(app):
    branch = make_branch("上海分公司")
    east = make_department("华东一部", branch=branch)
    west = make_department("华东二部", branch=branch)
    director = make_user("sales_director", display_name="周总监", department=east)
    manager = make_user("sales_manager", display_name="王经理", department=east, manager=director)
    li = make_user("sales", display_name="李芳", department=east, manager=manager)
    zhang = make_user("sales", display_name="张伟", department=west, manager=director)
    make_opportunity(li, "100000.00", WON, closed_on=dt.date(2026, 1, 31))
    make_opportunity(li, "50000.50", WON, closed_on=dt.date(2026, 2, 1))
    make_opportunity(li, "70000.00", LOST, closed_on=dt.date(2026, 2, 10))
    make_opportunity(zhang, "30000.25", WON, closed_on=dt.date(2026, 2, 28))
    make_opportunity(zhang, "20000.00", WON, closed_on=dt.date(2025, 2, 15))   # a year earlier
    make_opportunity(zhang, "99999.00", WON, closed_on=dt.date(2026, 4, 1))    # after the period
    make_opportunity(zhang, "5000.00", WON, closed_on=dt.date(2026, 3, 3), deleted=True)  # deleted: never counted
    db.session.commit()
    return {"director": director, "manager": manager, "li": li, "zhang": zhang, "east": east}


def cells(html: str, table: str) -> list[list[str]]:
    """Each row of a report table: the data-value of numeric cells, the text of the others."""
    body = html.split(f'id="table-{table}"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)[1:]:
        values = []
        for attributes, text in re.findall(r"<td([^>]*)>(.*?)</td>", row, re.S):
            found = re.search(r'data-value="([^"]*)"', attributes)
            values.append(found.group(1) if found else re.sub(r"<[^>]+>", "", text).strip())
        rows.append(values)
    return rows


def kpi(html: str, key: str) -> str:
    return re.search(rf'data-kpi="{key}" data-value="([^"]*)"', html).group(1)


def test_director_sees_the_company(client, login_as, team):
    login_as(team["director"])
    html = client.get("/reports/sales", query_string=PERIOD).get_data(as_text=True)
    months = cells(html, "by_month")
    assert months[0][1:3] == ["100000.00", "0.00"]
    assert months[1][1:3] == ["80000.75", "20000.00"]
    assert months[2][1:3] == ["0.00", "0.00"]
    assert months[3][1:4] == ["180000.75", "20000.00", "800.0"]  # totals: +800 %
    assert kpi(html, "won_amount") == "180000.75"
    assert kpi(html, "won_count") == "3"
    assert kpi(html, "win_rate") == "75.0"          # 3 won, 1 lost
    assert kpi(html, "average_deal") == "60000.25"  # 180,000.75 / 3
    people = {row[0]: row[1:] for row in cells(html, "by_person")}
    assert people["李芳"] == ["2", "150000.50", "75000.25"]
    assert people["张伟"] == ["1", "30000.25", "30000.25"]
    departments = {row[0]: row[2] for row in cells(html, "by_department")}
    assert departments == {"华东一部": "150000.50", "华东二部": "30000.25", "合计": "180000.75"} or \
        departments == {"华东一部": "150000.50", "华东二部": "30000.25", "Total": "180000.75"}


def test_manager_and_salesperson_see_their_own(client, login_as, team):
    login_as(team["manager"])  # department scope: 华东一部 (李芳 and himself)
    html = client.get("/reports/sales", query_string=PERIOD).get_data(as_text=True)
    assert kpi(html, "won_amount") == "150000.50"
    assert kpi(html, "win_rate") == "66.7"  # 2 won, 1 lost
    assert "张伟" not in html
    login_as(team["zhang"])
    html = client.get("/reports/sales", query_string=PERIOD).get_data(as_text=True)
    assert kpi(html, "won_amount") == "30000.25"
    assert "李芳" not in html


def test_a_person_outside_the_scope_gives_nothing(client, login_as, team):
    login_as(team["zhang"])
    html = client.get("/reports/sales", query_string={**PERIOD, "user": team["li"].id}).get_data(as_text=True)
    assert kpi(html, "won_amount") == "0.00"
    login_as(team["director"])
    html = client.get("/reports/sales", query_string={**PERIOD, "department": team["east"].id}).get_data(as_text=True)
    assert kpi(html, "won_amount") == "150000.50"


def test_bad_dates_are_named_and_the_default_period_is_used(client, login_as, team):
    login_as(team["director"])
    response = client.get("/reports/sales", query_string={"from": "2026-02-30", "to": "2026-01-01"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="from" name="from"' in html and "invalid-feedback" in html


def test_exports_carry_the_table_figures(client, login_as, team):
    login_as(team["director"])
    response = client.get("/reports/sales/export.xlsx", query_string=PERIOD)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [Decimal(str(r[1])) for r in rows[:3]] == [Decimal("100000.00"), Decimal("80000.75"), Decimal("0")]
    assert Decimal(str(rows[3][1])) == Decimal("180000.75")
    text = client.get("/reports/sales/export.csv", query_string=PERIOD).data.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert ["2026-02", "80000.75", "20000.00", "300.0"] in table  # (80,000.75 − 20,000) / 20,000


def test_charts_are_pngs_and_unknown_ones_404(client, login_as, team):
    login_as(team["director"])
    for chart in ("by_month", "by_person", "by_department", "by_branch", "by_product", "by_industry", "funnel"):
        response = client.get(f"/reports/sales/charts/{chart}.png", query_string=PERIOD)
        assert response.status_code == 200, chart
        assert response.mimetype == "image/png" and response.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/reports/sales/charts/nothing.png").status_code == 404
    assert client.get("/reports/nothing").status_code == 404
    svg = client.get("/reports/sales/charts/by_month.svg", query_string={**PERIOD, "download": 1})
    assert svg.mimetype == "image/svg+xml" and "attachment" in svg.headers["Content-Disposition"]
