"""The lead pages through the test client: list filters and sorts, pool visibility, create with the duplicate
check, follow-ups, invalid, claim and assign, conversion, the team page, and other users' ids."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.leads.models import Lead, LeadAssignee, LeadFollowUp

from .. import factories
from .helpers import make_lead


def listed(response) -> list[int]:
    assert response.status_code == 200, response.status_code
    return [int(i) for i in re.findall(r'data-lead-id="(\d+)"', response.get_data(as_text=True))]


def test_list_filters_return_the_right_rows(login_as, client):
    seller = login_as("sales")
    show = factories.dictionary_item("lead_source", "展会")
    web = factories.dictionary_item("lead_source", "官网表单")
    a = make_lead(seller, name="甲", company="阿尔法", source_id=show.id, mobile="13811110000")
    b = make_lead(seller, name="乙", company="贝塔", source_id=web.id)
    c = make_lead(seller, name="丙", company="伽马", source_id=show.id)
    db.session.execute(Lead.__table__.update().where(Lead.id == c.id).values(status="qualified", grade="A"))
    db.session.execute(Lead.__table__.update().where(Lead.id != c.id).values(grade="C"))
    pool = make_lead(None, name="丁")
    other = make_lead(factories.make_user("sales"), name="戊")
    db.session.commit()
    assert sorted(listed(client.get("/leads/"))) == sorted([a.id, b.id, c.id, pool.id])
    assert other.id not in listed(client.get("/leads/"))
    assert listed(client.get(f"/leads/?source_id={show.id}")) == sorted([a.id, c.id], reverse=True) or \
        sorted(listed(client.get(f"/leads/?source_id={show.id}"))) == sorted([a.id, c.id])
    assert listed(client.get("/leads/?status=qualified")) == [c.id]
    assert listed(client.get("/leads/?grade=A")) == [c.id]
    assert listed(client.get("/leads/?pool=1")) == [pool.id]
    assert listed(client.get("/leads/?q=1381111")) == [a.id]
    assert listed(client.get("/leads/?q=贝塔")) == [b.id]
    assert listed(client.get(f"/leads/?owner_id={seller.id}&sort=name&dir=asc"))[:3] == sorted(
        [a.id, b.id, c.id], key=lambda i: db.session.get(Lead, i).name)
    assert listed(client.get("/leads/?sort=grade&dir=asc"))[0] == c.id
    for sort in ("created_at", "company", "score", "last_followup_at", "updated_at"):
        assert len(listed(client.get(f"/leads/?sort={sort}&dir=asc"))) == 4


def test_pool_visible_only_with_permission(login_as, client, app):
    pool = make_lead(None, name="池中")
    service = login_as("service")  # no lead.pool
    assert pool.id not in listed(client.get("/leads/"))
    assert client.get("/leads/?pool=1").status_code == 403
    assert client.get(f"/leads/{pool.id}").status_code == 404
    assert service is not None


def test_other_salespersons_lead_by_id_is_404_and_unchanged(login_as, client):
    owner = factories.make_user("sales")
    lead = make_lead(owner, name="别人的", mobile="13800000001")
    db.session.commit()
    login_as("sales")
    assert client.get(f"/leads/{lead.id}").status_code == 404
    assert client.get(f"/leads/{lead.id}/edit").status_code == 404
    assert client.post(f"/leads/{lead.id}/edit", data={"name": "改了"}).status_code == 404
    assert client.post(f"/leads/{lead.id}/invalid", data={"reason": "x"}).status_code == 404
    followup = {"kind": "call", "happened_at": "2026-01-01T10:00", "content": "x"}
    assert client.post(f"/leads/{lead.id}/followups", data=followup).status_code == 404
    assert client.post(f"/leads/{lead.id}/convert", data={}).status_code == 404
    assert client.post(f"/leads/{lead.id}/claim").status_code == 404
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.name == "别人的" and lead.status == "new" and lead.owner_id == owner.id
    assert db.session.scalar(select(func.count()).select_from(LeadFollowUp)) == 0
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 0


def test_create_warns_of_duplicates_then_saves_when_confirmed(login_as, client):
    seller = login_as("sales")
    make_lead(seller, name="旧", company="东方红科技有限公司")
    db.session.commit()
    data = {"name": "新", "company": "东方红科技", "urgency": "normal", "assign": ""}
    response = client.post("/leads/new", data=data)
    assert response.status_code == 200 and 'id="duplicate-warning"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
    response = client.post("/leads/new", data={**data, "confirm_duplicates": "y"})
    assert response.status_code == 302
    lead = db.session.scalar(select(Lead).where(Lead.name == "新"))
    assert lead.owner_id == seller.id


def test_create_refuses_a_bad_mobile_and_email(login_as, client):
    login_as("sales")
    for data in ({"mobile": "1381234567"}, {"email": "x@"}, {"phone": "电话"}):
        response = client.post("/leads/new", data={"name": "错", "urgency": "normal", **data})
        page = response.get_data(as_text=True)
        field = next(iter(data))
        assert response.status_code == 200
        assert re.search(rf'name="{field}"[^>]*class="[^"]*is-invalid|class="[^"]*is-invalid[^"]*"[^>]*name="{field}"',
                         page), field
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_followup_invalid_and_claim_through_the_pages(login_as, client):
    seller = login_as("sales")
    lead = make_lead(seller)
    pooled = make_lead(None)
    db.session.commit()
    response = client.post(f"/leads/{lead.id}/followups", data={
        "kind": "call", "happened_at": "2026-01-05T10:00", "content": "电话沟通需求", "next_followup_at": ""})
    assert response.status_code == 302
    assert db.session.scalar(select(LeadFollowUp.content).where(LeadFollowUp.lead_id == lead.id)) == "电话沟通需求"
    assert "电话沟通需求" in client.get(f"/leads/{lead.id}").get_data(as_text=True)
    client.post(f"/leads/{lead.id}/invalid", data={"reason": "重复登记"})
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).status == "invalid"
    client.post(f"/leads/{pooled.id}/claim")
    db.session.expire_all()
    assert db.session.get(Lead, pooled.id).owner_id == seller.id


def test_assign_needs_the_permission(login_as, client):
    target = factories.make_user("sales")
    lead = make_lead(None)
    db.session.commit()
    login_as("sales")
    assert client.post(f"/leads/{lead.id}/assign", data={"to_user_id": target.id}).status_code == 403
    login_as("sales_director")
    assert client.post(f"/leads/{lead.id}/assign", data={"to_user_id": target.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).owner_id == target.id


def test_convert_page_and_customer_section(login_as, client):
    seller = login_as("sales")
    lead = make_lead(seller, name="周总", company="杭州云端网络有限公司", mobile="13577778888")
    db.session.commit()
    assert client.get(f"/leads/{lead.id}/convert").status_code == 200
    response = client.post(f"/leads/{lead.id}/convert", data={
        "customer_id": "", "customer_name": "杭州云端网络有限公司", "contact_name": "周总", "create_deal": "y",
        "opportunity_name": "云端项目", "amount": "50000"})
    assert response.status_code == 302
    db.session.expire_all()
    lead = db.session.get(Lead, lead.id)
    assert lead.status == "converted" and lead.converted_opportunity_id is not None
    page = client.get(f"/leads/{lead.id}").get_data(as_text=True)
    assert 'id="converted-customer"' in page and 'id="converted-opportunity"' in page
    customer_page = client.get(f"/customers/{lead.converted_customer_id}").get_data(as_text=True)
    assert f'data-lead-id="{lead.id}"' in customer_page
    # a second conversion is refused
    client.post(f"/leads/{lead.id}/convert", data={"customer_name": "再来一次"})
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


def test_team_page_is_for_administrators(login_as, client):
    seller = factories.make_user("sales")
    db.session.commit()
    login_as("sales_director")
    assert client.get("/leads/team").status_code == 403
    login_as("admin")
    response = client.post("/leads/team", data={"user_id": seller.id, "receives_a_grade": "y", "is_active": "y"})
    assert response.status_code == 302
    member = db.session.get(LeadAssignee, seller.id)
    assert member.receives_a_grade and member.is_active


def test_duplicates_page_merges(login_as, client):
    manager = login_as("sales_director")
    keep = make_lead(manager, name="同", mobile="13600001111")
    other = make_lead(manager, name="同", mobile="13600001111")
    db.session.commit()
    page = client.get("/leads/duplicates").get_data(as_text=True)
    assert f'data-lead-id="{other.id}"' in page
    assert client.post("/leads/merge", data={"keep_id": keep.id, "other_id": other.id}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Lead, other.id).merged_into_id == keep.id
