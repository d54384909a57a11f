"""Opportunity pages through the test client: list filters and sorts, the kanban's columns and totals, stage moves
with and without JavaScript, create/edit, the customer and contact sections, pipelines, and who may not."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_server.extensions import db
from crm_server.opportunities.models import Opportunity, Stage, StageChange

from .. import factories
from .helpers import default_pipeline, make_opportunity, stage


def listed(client, **args) -> list[int]:
    response = client.get("/opportunities/", query_string=args)
    assert response.status_code == 200
    return [int(i) for i in re.findall(r'<tr id="opportunity-(\d+)"', response.get_data(as_text=True))]


@pytest.fixture
def team(app):
    department = factories.make_department("华东销售部")
    manager = factories.make_user("sales_manager", department=department)
    alice = factories.make_user("sales", department=department, display_name="王丽")
    bob = factories.make_user("sales", department=department, display_name="刘强")
    return {"manager": manager, "alice": alice, "bob": bob}


@pytest.fixture
def data(team):
    alice, bob = team["alice"], team["bob"]
    acme = factories.make_customer(alice, name="上海宏达机械有限公司")
    other = factories.make_customer(bob, name="苏州远景电子有限公司")
    rows = {
        "erp": make_opportunity(alice, acme, name="宏达2026年度ERP升级项目", amount="380000",
                                expected_close_date=dt.date(2026, 6, 15), stage="方案报价"),
        "mes": make_opportunity(alice, acme, name="宏达MES二期", amount="90000",
                                expected_close_date=dt.date(2026, 7, 1)),
        "won": make_opportunity(alice, acme, name="宏达服务续约", amount="20000", stage="赢单"),
        "bob": make_opportunity(bob, other, name="远景OA项目", amount="150000",
                                expected_close_date=dt.date(2026, 6, 30), stage="需求确认"),
    }
    db.session.commit()
    return rows


def test_list_filters_return_the_right_rows(client, login_as, team, data):
    login_as(team["manager"])
    ids = {key: o.id for key, o in data.items()}
    assert set(listed(client)) == set(ids.values())
    assert listed(client, stage=stage("方案报价").id) == [ids["erp"]]
    assert set(listed(client, status="open")) == {ids["erp"], ids["mes"], ids["bob"]}
    assert listed(client, status="won") == [ids["won"]]
    assert set(listed(client, owner=team["bob"].id)) == {ids["bob"]}
    assert set(listed(client, close_month="2026-06")) == {ids["erp"], ids["bob"]}
    assert set(listed(client, amount_min="100000", amount_max="380000")) == {ids["erp"], ids["bob"]}
    assert set(listed(client, q="远景")) == {ids["bob"]}          # by customer name
    assert set(listed(client, q="MES")) == {ids["mes"]}           # by opportunity name
    assert set(listed(client, customer=data["erp"].customer_id)) == {ids["erp"], ids["mes"], ids["won"]}
    assert set(listed(client, pipeline=default_pipeline().id)) == set(ids.values())
    assert listed(client, sort="amount", dir="desc") == [ids["erp"], ids["bob"], ids["mes"], ids["won"]]
    assert listed(client, sort="amount", dir="asc") == [ids["won"], ids["mes"], ids["bob"], ids["erp"]]
    assert listed(client, sort="name", dir="asc")[0] in ids.values()
    for sort in ("updated_at", "created_at", "expected_close_date", "probability", "stage", "owner"):
        assert sorted(listed(client, sort=sort)) == sorted(ids.values())


def test_a_salesperson_lists_only_their_own(client, login_as, team, data):
    login_as(team["bob"])
    assert listed(client) == [data["bob"].id]


def test_kanban_columns_and_totals(client, login_as, team, data):
    login_as(team["alice"])
    page = client.get("/opportunities/kanban").get_data(as_text=True)
    columns = {int(m.group(1)): (int(m.group(2)), Decimal(m.group(3))) for m in re.finditer(
        r'id="stage-(\d+)"\s+data-stage-id="\d+" data-kind="\w+" data-count="(\d+)" data-amount="([\d.]+)"', page)}
    assert columns[stage("初步接洽").id] == (1, Decimal("90000.00"))
    assert columns[stage("方案报价").id] == (1, Decimal("380000.00"))
    assert columns[stage("需求确认").id] == (0, Decimal("0.00"))  # bob's is not alice's to see
    assert columns[stage("赢单").id] == (1, Decimal("20000.00"))
    assert f'id="card-{data["erp"].id}"' in page and f'id="card-{data["bob"].id}"' not in page
    assert 'id="pipeline-figures"' in page and "/opportunities/funnel?pipeline=" in page


def test_funnel_page_and_the_boards_section(client, login_as, team, data):
    login_as(team["alice"])
    page = client.get("/opportunities/funnel").get_data(as_text=True)
    counts = {int(m.group(1)): int(m.group(2))
              for m in re.finditer(r'<tr data-stage-id="(\d+)" data-count="(\d+)">', page)}
    # alice's three, all created today: 服务续约 won, ERP at 方案报价, MES at 初步接洽
    assert counts[stage("初步接洽").id] == 3 and counts[stage("需求确认").id] == 2
    assert counts[stage("方案报价").id] == 2 and counts[stage("赢单").id] == 1 and counts[stage("输单").id] == 0
    assert "<html" in page
    partial = client.get("/opportunities/funnel?days=30", headers={"X-Requested-With": "fetch"})
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)
    assert 'id="funnel-table"' in partial.get_data(as_text=True)


def test_kanban_limits_cards_with_a_more_link(client, login_as, team, app):
    alice = team["alice"]
    customer = factories.make_customer(alice)
    for n in range(22):
        make_opportunity(alice, customer, name=f"项目{n}", amount="1000")
    db.session.commit()
    login_as(alice)
    page = client.get("/opportunities/kanban").get_data(as_text=True)
    assert page.count('class="card mb-2 kanban-card"') == 20
    assert f'stage={stage("初步接洽").id}' in page and 'class="small kanban-more"' in page


def test_stage_move_without_javascript(client, login_as, team, data):
    login_as(team["alice"])
    opportunity = data["mes"]
    response = client.post(f"/opportunities/{opportunity.id}/stage",
                           data={"stage_id": stage("谈判审核").id, "next": "/opportunities/kanban"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/opportunities/kanban")
    db.session.expire_all()
    moved = db.session.get(Opportunity, opportunity.id)
    assert moved.stage.name == "谈判审核" and moved.probability == 70
    assert db.session.scalar(select(func.count()).select_from(StageChange)
                             .where(StageChange.opportunity_id == opportunity.id)) == 2


def test_stage_move_with_javascript_answers_json(client, login_as, team, data):
    login_as(team["alice"])
    opportunity = data["mes"]
    url = f"/opportunities/{opportunity.id}/stage"
    refused = client.post(url, data={"stage_id": stage("输单").id}, headers={"X-Requested-With": "fetch"})
    assert refused.status_code == 400 and refused.json["ok"] is False
    done = client.post(url, data={"stage_id": stage("输单").id, "loss_reason": "价格没有优势"},
                       headers={"X-Requested-With": "fetch"})
    assert done.status_code == 200 and done.json == {"ok": True, "stage_id": stage("输单").id, "status": "lost",
                                                     "probability": 0}
    db.session.expire_all()
    lost = db.session.get(Opportunity, opportunity.id)
    assert lost.status == "lost" and lost.loss_reason == "价格没有优势" and lost.closed_on is not None


def test_another_salespersons_opportunity_is_out_of_reach(client, login_as, team, data):
    login_as(team["bob"])
    target = data["erp"]
    before = (target.stage_id, target.name, target.amount)
    assert client.get(f"/opportunities/{target.id}").status_code == 404
    assert client.get(f"/opportunities/{target.id}/edit").status_code == 404
    assert client.post(f"/opportunities/{target.id}/edit", data={"name": "改名", "amount": "1"}).status_code == 404
    assert client.post(f"/opportunities/{target.id}/stage", data={"stage_id": stage("赢单").id}).status_code == 404
    assert client.post(f"/opportunities/{target.id}/delete").status_code == 404
    db.session.expire_all()
    again = db.session.get(Opportunity, target.id)
    assert (again.stage_id, again.name, again.amount, again.deleted_at) == before + (None,)


def test_a_reader_sees_but_may_not_move(client, login_as, team, data):
    finance = factories.make_user("finance")
    login_as(finance)
    target = data["erp"]
    assert client.get(f"/opportunities/{target.id}").status_code == 200
    assert client.post(f"/opportunities/{target.id}/stage", data={"stage_id": stage("赢单").id}).status_code == 403
    assert client.get("/opportunities/new").status_code == 403
    db.session.expire_all()
    assert db.session.get(Opportunity, target.id).stage.name == "方案报价"


def test_create_with_product_lines_and_edit(client, login_as, team):
    from crm_server.products.models import Product
    alice = team["alice"]
    customer = factories.make_customer(alice, name="杭州东方物流有限公司")
    contact = factories.make_contact(customer, name="陈经理")
    product = Product(code="WMS-01", name="仓储管理系统", list_price=Decimal("50000.00"))
    db.session.add(product)
    db.session.commit()
    login_as(alice)
    assert client.get(f"/opportunities/new?customer_id={customer.id}").status_code == 200
    response = client.post(f"/opportunities/new?customer_id={customer.id}", data={
        "name": "东方物流WMS项目", "amount": "", "amount_from_lines": "y", "stage_id": "",
        "pipeline_id": default_pipeline().id, "contact_ids": [contact.id], "owner_id": alice.id,
        "lines-0-product_id": product.id, "lines-0-quantity": "2", "lines-0-unit_price": "50000",
        "lines-0-discount_percent": "10", "lines-1-description": "实施费", "lines-1-quantity": "1",
        "lines-1-unit_price": "12000.5", "lines-1-discount_percent": "0"})
    assert response.status_code == 302
    opportunity = db.session.scalar(select(Opportunity).where(Opportunity.name == "东方物流WMS项目"))
    assert opportunity.amount == Decimal("102000.50") and opportunity.stage.name == "初步接洽"
    assert opportunity.probability == 10
    page = client.get(f"/opportunities/{opportunity.id}").get_data(as_text=True)
    assert 'data-amount="102000.50"' in page and "陈经理" in page and 'id="stage-history-table"' in page
    assert client.get(f"/opportunities/{opportunity.id}/edit").status_code == 200
    response = client.post(f"/opportunities/{opportunity.id}/edit", data={
        "name": "东方物流WMS项目", "amount": "99999", "pipeline_id": default_pipeline().id,
        "stage_id": stage("谈判审核").id, "owner_id": alice.id, "probability": "80"})
    assert response.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Opportunity, opportunity.id)
    assert edited.amount == Decimal("99999.00") and edited.stage.name == "谈判审核" and edited.probability == 80
    assert edited.lines == []


def test_the_form_shows_errors_beside_fields(client, login_as, team):
    alice = team["alice"]
    customer = factories.make_customer(alice)
    db.session.commit()
    login_as(alice)
    page = client.post(f"/opportunities/new?customer_id={customer.id}", data={
        "name": "丢单项目", "amount": "abc", "pipeline_id": default_pipeline().id}).get_data(as_text=True)
    assert 'name="amount"' in page and "is-invalid" in page
    assert db.session.scalar(select(func.count()).select_from(Opportunity)) == 0


def test_customer_section_and_contact_panel(client, login_as, team, data):
    login_as(team["alice"])
    page = client.get(f"/customers/{data['erp'].customer_id}").get_data(as_text=True)
    assert 'id="customer-opportunities"' in page and f'data-id="{data["erp"].id}"' in page


def test_pipeline_administration_pages(client, login_as, team):
    login_as(team["manager"])
    assert client.get("/opportunities/pipelines").status_code == 403
    admin = factories.make_user("admin")
    login_as(admin)
    assert client.get("/opportunities/pipelines").status_code == 200
    response = client.post("/opportunities/pipelines", data={"name": "渠道分销"})
    assert response.status_code == 302
    pipeline_id = int(response.headers["Location"].rsplit("/", 1)[1])
    response = client.post(f"/opportunities/pipelines/{pipeline_id}/stages",
                           data={"name": "样品试用", "probability": "60", "kind": "open"})
    assert response.status_code == 302
    added = db.session.scalar(select(Stage).where(Stage.pipeline_id == pipeline_id, Stage.name == "样品试用"))
    assert added.probability == 60
    response = client.post(f"/opportunities/stages/{added.id}", data={"name": "样品测试", "probability": "55",
                                                                      "kind": "open", "is_active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Stage, added.id).name == "样品测试"
    bad = client.post(f"/opportunities/stages/{added.id}", data={"name": "x", "probability": "150", "kind": "open"})
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)


def test_a_follow_up_logged_against_an_opportunity_shows_on_its_page(client, login_as, team, data):
    from crm_server.followups.models import FollowUp
    alice = team["alice"]
    login_as(alice)
    opportunity = data["erp"]
    form = client.get(f"/followups/new?customer_id={opportunity.customer_id}&opportunity_id={opportunity.id}")
    assert f'<option selected value="{opportunity.id}">' in form.get_data(as_text=True)
    now = dt.datetime.now().strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/followups/new?customer_id={opportunity.customer_id}", data={
        "kind": "visit", "happened_at": now, "content": "上门演示ERP方案，客户认可", "opportunity_id": opportunity.id})
    assert response.status_code == 302
    logged = db.session.scalar(select(FollowUp).where(FollowUp.opportunity_id == opportunity.id))
    assert logged is not None
    page = client.get(f"/opportunities/{opportunity.id}").get_data(as_text=True)
    assert f'data-id="{logged.id}"' in page and "上门演示ERP方案" in page
    # the won one is closed, bob's belongs to another customer: neither may be named
    for other in (data["won"], data["bob"]):
        refused = client.post(f"/followups/new?customer_id={opportunity.customer_id}", data={
            "kind": "call", "happened_at": now, "content": "电话", "opportunity_id": other.id})
        assert refused.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(FollowUp)) == 1


@pytest.mark.parametrize("segments_per_page", [0, 100], ids=["as-one-statement", "segment-by-segment"])
def test_every_sort_and_search_gives_pages_in_the_order_of_the_whole_list(app, team, monkeypatch, segments_per_page):
    """The list page reads the stage and owner sorts as segments and a keyword search by id first: page after page
    it must be exactly the whole list's order (each direction, both ways of reading)."""
    from crm_server.core import pagination
    from crm_server.opportunities import listing
    monkeypatch.setattr(pagination, "MAX_SEGMENTS_PER_PAGE", segments_per_page)
    people = [team["alice"], team["bob"]]
    customers = [factories.make_customer(person, name=f"排序客户{n}") for n, person in enumerate(people)]
    stages = ("初步接洽", "需求确认", "方案报价", "赢单")
    for n in range(27):
        make_opportunity(people[n % 2], customers[n % 2], name=f"排序项目{n % 4}", amount=str(1000 * (n % 5)),
                         stage=stages[n % 4])
    db.session.flush()
    for few in (1000, 3):
        monkeypatch.setattr(listing, "FEW_MATCHES", few)
        for filters in (listing.OpportunityFilters(), listing.OpportunityFilters(q="排序项目1")):
            for sort in listing.SORTS:
                for direction in ("asc", "desc"):
                    whole = [o.id for o in db.session.scalars(
                        listing.list_opportunities(team["manager"], filters, sort, direction)).unique()]
                    paged, number, pages = [], 1, 1
                    while number <= pages:
                        page = listing.opportunity_page(team["manager"], filters, sort, direction, page=number)
                        assert page.total == len(whole)
                        paged += [o.id for o in page.items]
                        number, pages = number + 1, page.pages
                    assert paged == whole and whole, (few, filters.q, sort, direction)
