"""Competitors: the rules, the choices service, pages open to all, editing by competitor.manage, and a competitor's
page (opportunities the viewer may see; the win/loss record over all of them)."""
from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from crm_server.competitors import services
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.models import Role, RolePermission
from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.opportunities.models import Competitor
from tests.factories import make_user

from .helpers import make_competitor, make_opportunity, make_pipeline


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def value_of(page: str, element_id: str) -> str:
    return re.search(rf'id="{element_id}" data-value="([^"]*)"', page).group(1)


def test_create_and_update_rules(app):
    actor = make_user("sales")
    competitor = services.create_competitor(actor, name=" 华信科技 ", website="www.huaxin.example", price_level="low",
                                            strengths="价格低", weaknesses="服务网点少")
    assert competitor.name == "华信科技" and competitor.website == "https://www.huaxin.example"
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "competitor.created")).actor_id == actor.id
    with pytest.raises(DomainError) as caught:
        services.create_competitor(actor, name="华信科技")
    assert caught.value.field == "name"
    with pytest.raises(DomainError) as caught:
        services.create_competitor(actor, name="Acme", price_level="cheap")
    assert caught.value.field == "price_level"
    other = services.create_competitor(actor, name="Acme")
    with pytest.raises(DomainError):  # names are compared without case, as SQL Server does
        services.create_competitor(actor, name="ACME")
    with pytest.raises(DomainError):
        services.update_competitor(actor, other, name="华信科技")
    services.update_competitor(actor, competitor, name="华信科技", price_level="medium")
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "competitor.updated"))
    assert '"medium"' in row.changes


def test_competitor_choices(app):
    make_competitor("乙公司")
    make_competitor("甲公司")
    assert [name for _id, name in services.competitor_choices()] == sorted(["乙公司", "甲公司"])


def test_record_and_encounters(app):
    stages = make_pipeline()
    rival = make_competitor("强敌")
    other = make_competitor("路人")
    me = make_user("sales")
    colleague = make_user("sales")
    make_opportunity(me, stages["won"], "100000.10", rival, offer="95000", position="技术领先")
    make_opportunity(colleague, stages["won"], "50000.05", rival)
    make_opportunity(colleague, stages["lost"], "30000", rival)
    make_opportunity(me, stages["open"], "20000", rival)
    make_opportunity(me, stages["won"], "777", other)
    make_opportunity(colleague, stages["won"], "999", rival, deleted_at=utcnow())  # deleted: not counted
    record = services.record_against(rival)
    assert (record.won, record.lost, record.open) == (2, 1, 1)
    assert record.won_amount == Decimal("150000.15") and record.lost_amount == Decimal("30000.00")
    assert record.win_rate == 67
    mine = db.session.execute(services.encounters(me, rival)).all()
    assert {row[0].owner_id for row in mine} == {me.id} and len(mine) == 2
    assert len(db.session.execute(services.encounters(make_user("sales_director"), rival)).all()) == 4
    assert services.record_against(make_competitor("新对手")).win_rate is None


def test_competitor_page_shows_all_time_record_but_only_visible_opportunities(client, login_as):
    stages = make_pipeline()
    rival = make_competitor("强敌科技", price_level="high")
    me = login_as("sales")
    colleague = make_user("sales")
    mine = make_opportunity(me, stages["won"], "120000", rival, offer="118000.50", position="方案更完整",
                            name="我的项目")
    hidden = make_opportunity(colleague, stages["lost"], "80000", rival, name="同事的秘密项目")
    make_opportunity(colleague, stages["won"], "30000", rival)
    db.session.commit()
    page = page_of(client.get(f"/competitors/{rival.id}"))
    assert value_of(page, "record-won") == "2" and value_of(page, "record-lost") == "1"
    assert value_of(page, "record-open") == "0" and value_of(page, "record-won-amount") == "150000.00"
    listed = [int(i) for i in re.findall(r'class="encounter-row" data-opportunity-id="(\d+)"', page)]
    assert listed == [mine.id]
    assert "同事的秘密项目" not in page and "118,000.50" in page and "方案更完整" in page
    assert hidden.id not in listed


def test_list_search_and_pages(client, login_as):
    login_as("service")  # viewing is open to everyone in the company
    make_competitor("蓝海软件", products="CRM 云服务", strengths="界面美观")
    make_competitor("红杉系统", weaknesses="实施周期长")
    for n in range(21):
        make_competitor(f"Z公司{n:02d}")
    db.session.commit()
    ids = lambda page: re.findall(r'class="competitor-row" data-competitor-id="(\d+)"', page)  # noqa: E731
    assert len(ids(page_of(client.get("/competitors/")))) == 20
    assert len(ids(page_of(client.get("/competitors/?page=2")))) == 3
    assert "蓝海软件" in page_of(client.get("/competitors/?q=crm"))
    found = page_of(client.get("/competitors/?q=实施周期"))
    assert len(ids(found)) == 1 and "红杉系统" in found


def test_create_edit_through_pages_and_permission(client, login_as):
    login_as("sales")
    response = client.post("/competitors/new", data={"name": "远景信息", "price_level": "medium",
                                                     "strengths": "渠道多", "weaknesses": "产品老旧"})
    assert response.status_code == 302
    competitor = db.session.scalar(select(Competitor).where(Competitor.name == "远景信息"))
    page = page_of(client.post("/competitors/new", data={"name": "远景信息"}))
    assert "is-invalid" in page
    client.post(f"/competitors/{competitor.id}/edit",
                data={"name": "远景信息", "price_level": "low", "notes": "去年降价"})
    db.session.expire_all()
    assert db.session.get(Competitor, competitor.id).price_level == "low"

    # A role without competitor.manage sees but cannot change.
    login_as("service")
    assert page_of(client.get(f"/competitors/{competitor.id}"))
    assert client.get("/competitors/new").status_code == 403
    assert client.post(f"/competitors/{competitor.id}/edit", data={"name": "改名"}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Competitor, competitor.id).name == "远景信息"
    assert db.session.scalar(select(func.count(Competitor.id))) == 1


def test_permission_can_be_withdrawn(client, login_as):
    user = login_as("sales")
    competitor = make_competitor()
    db.session.execute(RolePermission.__table__.delete().where(
        RolePermission.role_id == user.role_id, RolePermission.permission == "competitor.manage"))
    db.session.commit()
    db.session.expire_all()
    assert client.post(f"/competitors/{competitor.id}/edit", data={"name": "x"}).status_code == 403
    assert db.session.scalar(select(Role).where(Role.id == user.role_id)) is not None
