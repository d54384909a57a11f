"""Each role's default tiles with figures computed by hand (helpers.build_company), and that they follow the data
scope: a salesperson sees their own, a manager their department, a director everyone."""
from __future__ import annotations

import re
import struct
from decimal import Decimal

import pytest

from crm_server.forecast.periods import fiscal_start_month, quarter_of
from crm_server.home import tiles
from crm_server.reports.common import percent

from .helpers import build_company, figures_of, tile_keys, tile_section


@pytest.fixture
def company(app, admin):
    return build_company()


def page(client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def in_quarter(company, day) -> bool:
    return day >= quarter_of(company["today"], fiscal_start_month()).first_day


def same_year(company) -> bool:
    return company["before"].first.year == company["today"].year


def test_salesperson_sees_their_own_figures(company, client, login_as):
    login_as(company["s1"])
    html = page(client)
    assert tile_keys(html) == ["my_quota", "my_followups", "my_pipeline", "my_won", "my_new_customers",
                               "my_receivables"]
    # 35,000.50 won this month of a 50,000 quota; the quarter adds last month's 20,000 when it lies in it
    quarter_won = Decimal("35000.50") + (Decimal("20000.00") if in_quarter(company, company["before"].last) else 0)
    assert figures_of(html, "my_quota") == ["70.0", str(percent(quarter_won, Decimal("50000.00")))]
    assert figures_of(html, "my_followups") == ["1", "1"]  # overdue, due today (the done plan and S2's do not count)
    assert "催合同" in tile_section(html, "my_followups")
    assert figures_of(html, "my_pipeline") == ["2", "17000.00"]
    assert figures_of(html, "my_won") == ["35000.50", "20000.00", "75.0"]  # the lost and the deleted deal: nowhere
    # 00:30 local on the 1st is this month, 23:30 on the last day of last month is not; the deleted one nowhere
    assert figures_of(html, "my_new_customers") == ["2", "1"]
    assert figures_of(html, "my_receivables") == ["3000.00", "9000.00"]


def test_another_salesperson_sees_other_figures(company, client, login_as):
    login_as(company["s3"])
    html = page(client)
    assert figures_of(html, "my_won") == ["100000.00", "0.00", ""]
    assert figures_of(html, "my_pipeline") == ["1", "50000.00"]
    assert figures_of(html, "my_quota")[0] == "125.0"
    assert figures_of(html, "my_followups") == ["0", "0"]
    assert figures_of(html, "my_receivables") == ["5000.00", "5000.00"]


def test_manager_sees_the_team(company, client, login_as):
    login_as(company["manager"])
    html = page(client)
    assert tile_keys(html) == ["approvals_waiting", "team_quota", "my_followups", "team_won_by_person",
                               "team_pipeline", "team_followups_week"]
    assert figures_of(html, "approvals_waiting") == ["2"]
    assert figures_of(html, "team_quota")[0] == "71.4"  # (35,000.50 + 15,000) / (50,000 + 20,000)
    assert figures_of(html, "team_won_by_person") == ["50000.50"]  # not S3, of the other department
    section = tile_section(html, "team_won_by_person")
    assert section.index("周一") < section.index("吴二") and "郑三" not in section
    assert figures_of(html, "team_pipeline") == ["3", "20000.00"]
    assert figures_of(html, "team_followups_week") == ["4"]  # S1 two calls and a visit, S2 a call


def test_director_sees_the_company(company, client, login_as):
    login_as(company["director"])
    html = page(client)
    assert tile_keys(html) == ["approvals_waiting", "company_won_by_month", "won_by_branch", "funnel",
                               "new_customers_by_month", "signed_vs_received"]
    assert figures_of(html, "approvals_waiting") == ["1"]
    last_month = Decimal("20000.00") if same_year(company) else Decimal(0)
    assert figures_of(html, "company_won_by_month") == [str(Decimal("150000.50") + last_month)]
    branches = tile_section(html, "won_by_branch")
    assert "100000.00" in branches and str(Decimal("50000.50") + last_month) in branches
    funnel = tile_section(html, "funnel")
    # created this year and reached the stage (furthest stage): 需求确认 all 9 not lost, 方案报价 7, 赢单 5
    assert re.findall(r'<tr><td>([^<]*)</td><td class="text-end text-nowrap" data-value="(\d+)"', funnel) == [
        ("需求确认", "9"), ("方案报价", "7"), ("赢单", "5")]
    assert figures_of(html, "new_customers_by_month") == [str(4 + (1 if same_year(company) else 0))]
    assert figures_of(html, "signed_vs_received") == ["15000.00", "1000.00"]


def test_finance_sees_receivables(company, client, login_as):
    login_as(company["finance"])
    html = page(client)
    assert tile_keys(html) == ["approvals_waiting", "receivables_totals", "received_this_month",
                               "invoices_this_month", "aging", "top_overdue_customers"]
    assert figures_of(html, "receivables_totals") == ["14000.00", "8000.00"]
    assert figures_of(html, "received_this_month") == ["1000.00", "0.00"]
    assert figures_of(html, "invoices_this_month") == ["1", "2000.00"]  # the voided one does not count
    aging = tile_section(html, "aging")
    for amount in ("6000.00", "5000.00", "3000.00"):
        assert f'data-value="{amount}"' in aging
    top = tile_section(html, "top_overdue_customers")
    assert top.index("远图信息技术有限公司") < top.index("华信智能科技有限公司")


def test_figures_differ_by_scope_for_one_tile(company):
    """The same tile computed for three viewers: own, department, everyone."""
    today = company["today"]
    amounts = [tiles.TILES["team_pipeline"].compute(user, today).table.total[2]
               for user in (company["manager"], company["director"])]
    assert amounts == [Decimal("20000.00"), Decimal("70000.00")]
    assert tiles.TILES["my_pipeline"].compute(company["s1"], today).table.total[2] == Decimal("17000.00")


def png_size(body: bytes) -> tuple[int, int]:
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", body[16:24])


def test_tile_charts_are_real_pngs(company, client, login_as):
    login_as(company["s1"])
    assert png_size(client.get("/tiles/my_pipeline.png?scale=1").data) == (640, 360)
    response = client.get("/tiles/my_pipeline.png")
    assert response.mimetype == "image/png" and png_size(response.data) == (1280, 720)
    assert client.get("/tiles/my_quota.png").status_code == 404  # figures, no chart
    assert client.get("/tiles/aging.png").status_code == 404  # not offered to a salesperson
    assert client.get("/tiles/nothing.png").status_code == 404
    login_as(company["director"])
    for key in ("company_won_by_month", "won_by_branch", "funnel", "new_customers_by_month", "signed_vs_received"):
        assert png_size(client.get(f"/tiles/{key}.png?scale=1").data) == (640, 360), key


def test_every_tile_renders_for_the_administrator(company, client, login_as, admin):
    """The administrator may choose every tile; each one computes and renders."""
    from crm_server.home import services
    login_as(admin)
    assert [t.key for t in services.available_tiles(admin)] == sorted(
        tiles.TILES, key=lambda k: (tiles.TILES[k].order, k))
    assert client.post("/home/tiles", data={"show": list(tiles.TILES)}).status_code == 302
    html = page(client)
    assert sorted(tile_keys(html)) == sorted(tiles.TILES)
    for key, tile in tiles.TILES.items():
        if tile.kind == tiles.CHART:
            assert png_size(client.get(f"/tiles/{key}.png?scale=1").data) == (640, 360), key
