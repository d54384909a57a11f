"""The pool pages as users see them: the list with its filters, claiming, assigning, a pool customer's summary,
releasing from the customer's page, and the administration pages; ids of others' records lead nowhere."""
from __future__ import annotations

from sqlalchemy import func, select

from crm_server.customers.models import Customer, CustomerCollaborator, OwnerChange
from crm_server.extensions import db
from crm_server.pool.models import PublicPool, RecycleRule, RoleLimit
from crm_server.pool.services import default_pool

from .. import factories
from .helpers import audit_rows, company, owner_changes, pool_customer, set_limit


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_sidebar_offers_the_pool_to_sales_and_its_settings_to_administrators(client, login_as):
    login_as("sales")
    page = text(client.get("/"))
    assert 'href="/pool/"' in page and 'href="/pool/settings"' not in page
    login_as("admin")
    page = text(client.get("/"))
    assert 'href="/pool/settings"' in page and 'href="/pool/handover"' in page
    login_as("service")
    assert 'href="/pool/"' not in text(client.get("/"))
    assert client.get("/pool/").status_code == 403


def test_the_list_shows_the_pools_the_user_may_use(client, login_as):
    org = company()
    alice = login_as(factories.make_user("sales", department=org.sh_sales))
    pool_customer("上海公共客户有限公司", city="上海")
    pool_customer("北京分公司的客户", org.bj_pool)
    factories.make_customer(alice, "自己的客户有限公司")
    page = text(client.get("/pool/"))
    assert "上海公共客户有限公司" in page
    assert "北京分公司的客户" not in page and "自己的客户有限公司" not in page
    assert "北京公海" not in page  # not offered in the pool selector either
    assert "上海公共客户有限公司" not in text(client.get("/pool/?q=不存在"))
    assert "上海公共客户有限公司" in text(client.get("/pool/?city=上海&sort=name"))


def test_the_list_paginates_in_the_database(client, login_as):
    login_as("sales")
    for n in range(25):
        pool_customer(f"分页客户{n:02d}", released_days_ago=n + 1)
    first = text(client.get("/pool/"))
    assert "分页客户00" in first and "分页客户19" in first and "分页客户20" not in first
    assert "25" in first
    second = text(client.get("/pool/?page=2"))
    assert "分页客户20" in second and "分页客户24" in second and "分页客户00" not in second


def test_claiming_from_the_list(client, login_as):
    alice = login_as("sales")
    first, second, third = pool_customer("甲科技有限公司"), pool_customer("乙科技有限公司"), pool_customer("丙科技有限公司")
    response = client.post("/pool/claim", data={"ids": [first.id, second.id], "next": "/pool/?sort=name"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/pool/?sort=name")
    page = text(client.get("/pool/?sort=name"))
    assert "2" in page and "丙科技有限公司" in page and "甲科技有限公司" not in page
    assert db.session.scalar(select(func.count(Customer.id)).where(Customer.owner_id == alice.id)) == 2
    # one customer, from its row: off to the customer's own page
    response = client.post("/pool/claim", data={"one": third.id, "ids": [first.id]})
    assert response.headers["Location"].endswith(f"/customers/{third.id}")
    assert "丙科技有限公司" in text(client.get(f"/customers/{third.id}"))
    assert len(audit_rows("customer.claimed")) == 3


def test_claiming_another_branchs_pool_customer_is_not_found(client, login_as):
    org = company()
    login_as(factories.make_user("sales", department=org.sh_sales))
    beijing = pool_customer("北京分公司的客户", org.bj_pool)
    owned = factories.make_customer(factories.make_user("sales"), "别人的客户有限公司")
    mine = pool_customer("可以认领的客户")
    for ids in ([beijing.id], [owned.id], [mine.id, beijing.id], [999999]):
        assert client.post("/pool/claim", data={"ids": ids}).status_code == 404
    assert client.get(f"/pool/customers/{beijing.id}").status_code == 404
    db.session.expire_all()
    assert beijing.owner_id is None and mine.owner_id is None
    assert owned.owner_id != mine.owner_id
    assert db.session.scalar(select(func.count(OwnerChange.id)).where(OwnerChange.kind == "claimed")) == 0


def test_a_limit_is_explained(client, login_as):
    set_limit("sales", max_customers=1)
    alice = login_as("sales")
    factories.make_customer(alice)
    customer = pool_customer("超出上限的客户")
    db.session.commit()
    response = client.post("/pool/claim", data={"ids": [customer.id]}, follow_redirects=True)
    assert "1" in text(response) and 'alert-danger' in text(response)
    db.session.refresh(customer)
    assert customer.owner_id is None


def test_a_pool_customers_summary_hides_contact_numbers(client, login_as):
    alice = factories.make_user("sales")
    customer = factories.make_customer(alice, "苏州明远电子有限公司", phone="0512-66668888", city="苏州")
    factories.make_contact(customer, "王经理", mobile="13912345678")
    from crm_server.pool.services import release_customers
    release_customers(alice, [customer], "预算冻结，明年再联系")
    db.session.commit()
    login_as("sales")
    page = text(client.get(f"/pool/customers/{customer.id}"))
    assert "苏州明远电子有限公司" in page and "预算冻结，明年再联系" in page and "苏州" in page
    assert alice.display_name in page  # the owner history
    assert "13912345678" not in page and "66668888" not in page and "王经理" not in page
    assert "keyword" not in page
    assert client.get(f"/pool/customers/{factories.make_customer(alice).id}").status_code == 404


def test_releasing_from_the_customer_page(client, login_as):
    alice = login_as("sales")
    customer = factories.make_customer(alice, "无锡恒通机械有限公司")
    db.session.commit()
    detail = text(client.get(f"/customers/{customer.id}"))
    assert f'/pool/release?customer_id={customer.id}' in detail
    form = text(client.get(f"/pool/release?customer_id={customer.id}"))
    assert "无锡恒通机械有限公司" in form and 'name="reason"' in form
    response = client.post("/pool/release", data={"ids": [customer.id], "reason": ""})
    assert response.status_code == 200 and "is-invalid" in text(response)
    db.session.refresh(customer)
    assert customer.owner_id == alice.id
    response = client.post("/pool/release", data={"ids": [customer.id], "reason": "客户已转向竞争对手"},
                           follow_redirects=True)
    assert "无锡恒通机械有限公司" in text(response)  # the flash message
    db.session.refresh(customer)
    assert customer.owner_id is None and customer.pool_id == default_pool().id
    assert owner_changes(customer.id)[-1].reason == "客户已转向竞争对手"
    assert audit_rows("customer.released", customer.id)[0].actor_id == alice.id


def test_a_list_posts_ids_to_open_the_release_form(client, login_as):
    alice = login_as("sales")
    first, second = factories.make_customer(alice, "批量一有限公司"), factories.make_customer(alice, "批量二有限公司")
    page = text(client.post("/pool/release", data={"ids": [first.id, second.id]}))
    assert "批量一有限公司" in page and "批量二有限公司" in page and "is-invalid" not in page
    client.post("/pool/release", data={"ids": [first.id, second.id], "reason": "批量放弃"})
    db.session.expire_all()
    assert first.owner_id is None and second.owner_id is None


def test_releasing_someone_elses_customer_is_refused(client, login_as):
    owner = factories.make_user("sales")
    theirs = factories.make_customer(owner, "别人的客户有限公司")
    shared = factories.make_customer(owner, "共享给我的客户有限公司")
    alice = login_as("sales")
    mine = factories.make_customer(alice, "自己的客户有限公司")
    db.session.add(CustomerCollaborator(customer=shared, user=alice, can_edit=True))
    db.session.commit()
    assert client.get(f"/pool/release?customer_id={theirs.id}").status_code == 404
    assert client.post("/pool/release", data={"ids": [theirs.id], "reason": "抢过来"}).status_code == 404
    assert client.post("/pool/release", data={"ids": [mine.id, theirs.id], "reason": "一起"}).status_code == 404
    assert client.post("/pool/release", data={"ids": [shared.id], "reason": "协作人"}).status_code == 403
    db.session.expire_all()
    assert (theirs.owner_id, shared.owner_id, mine.owner_id) == (owner.id, owner.id, alice.id)
    assert audit_rows("customer.released") == []


def test_a_manager_assigns_from_the_pool(client, login_as):
    org = company()
    manager = login_as(factories.make_user("sales_manager", department=org.sh_sales))
    alice = factories.make_user("sales", department=org.sh_sales, display_name="李娜")
    outsider = factories.make_user("sales", department=org.bj_sales, display_name="外部门")
    customer = pool_customer("待分配客户有限公司")
    db.session.commit()
    page = text(client.get("/pool/"))
    assert "李娜" in page and "外部门" not in page
    response = client.post("/pool/assign", data={"ids": [customer.id], "to_user_id": outsider.id},
                           follow_redirects=True)
    assert "alert-danger" in text(response)
    db.session.refresh(customer)
    assert customer.owner_id is None
    client.post("/pool/assign", data={"ids": [customer.id], "to_user_id": alice.id})
    db.session.refresh(customer)
    assert customer.owner_id == alice.id
    assert owner_changes(customer.id)[-1].actor_id == manager.id
    login_as(factories.make_user("sales"))
    other = pool_customer("销售不能分配的客户")
    db.session.commit()
    assert client.post("/pool/assign", data={"ids": [other.id], "to_user_id": alice.id}).status_code == 403


def test_administrators_manage_pools_rules_and_limits(client, login_as):
    login_as("admin")
    org = company(with_branch_pool=False)
    page = text(client.get("/pool/settings"))
    assert "公海" in page
    response = client.post("/pool/pools/new", data={"name": "上海公海", "branch_id": org.shanghai.id,
                                                    "is_active": "y"}, follow_redirects=True)
    assert "上海公海" in text(response)
    response = client.post("/pool/pools/new", data={"name": "上海公海", "is_active": "y"})
    assert "is-invalid" in text(response)
    assert db.session.scalar(select(func.count(PublicPool.id))) == 2

    level = factories.dictionary_item("customer_level")
    client.post("/pool/rules/new", data={"level_id": level.id, "no_followup_days": "30", "warn_days": "3",
                                         "is_active": "y"})
    client.post("/pool/rules/new", data={"level_id": "", "no_followup_days": "60", "warn_days": "0",
                                         "is_active": "y"})
    rules = db.session.scalars(select(RecycleRule).order_by(RecycleRule.id)).all()
    assert [(r.level_id, r.no_followup_days) for r in rules] == [(level.id, 30), (None, 60)]
    response = client.post("/pool/rules/new", data={"level_id": level.id, "no_followup_days": "10"})
    assert "is-invalid" in text(response)
    page = text(client.get("/pool/settings"))
    assert level.label in page and "60" in page

    sales = factories.role("sales")
    response = client.get("/pool/limits")
    assert f'name="max_customers_{sales.id}"' in text(response)
    client.post("/pool/limits", data={f"max_customers_{sales.id}": "300", f"max_claims_{sales.id}": "10",
                                      "reclaim_hours": "12"})
    limit = db.session.get(RoleLimit, sales.id)
    assert (limit.max_customers, limit.max_claims_per_day) == (300, 10)
    assert "300" in text(client.get("/pool/settings"))
    assert audit_rows("pool.created") and audit_rows("pool.rule_created") and audit_rows("pool.limit_updated")

    login_as("sales_manager")
    for url in ("/pool/settings", "/pool/limits", "/pool/pools/new", "/pool/rules/new"):
        assert client.get(url).status_code == 403
    assert client.post(f"/pool/rules/{rules[0].id}/delete").status_code == 403
    assert db.session.get(RecycleRule, rules[0].id) is not None
