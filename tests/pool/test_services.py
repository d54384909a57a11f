"""公海 rules: releasing, claiming with holding and daily limits, pool scoping by branch, assigning, and the
administration of pools, recycling rules and limits."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm_server.core.errors import DomainError
from crm_server.core.roles import ensure_reference_data
from crm_server.core.types import utcnow
from crm_server.customers.models import Customer, CustomerCollaborator, OwnerChange
from crm_server.extensions import db
from crm_server.pool import services
from crm_server.pool.models import PublicPool, RecycleRule, RoleLimit

from .. import factories
from .helpers import audit_rows, changes, company, owner_changes, pool_customer, set_limit


def test_a_default_pool_exists_once(app):
    pools = db.session.scalars(select(PublicPool)).all()
    assert [(p.name, p.is_default, p.is_active) for p in pools] == [("公海", True, True)]
    ensure_reference_data()
    ensure_reference_data()
    assert db.session.scalar(select(func.count(PublicPool.id))) == 1


def test_pool_permissions_go_to_the_sales_roles(app):
    for code in ("sales_director", "sales_manager", "sales"):
        assert "pool.use" in factories.role(code).permissions
        assert "pool.manage" not in factories.role(code).permissions
    assert "pool.use" not in factories.role("service").permissions
    assert {"pool.use", "pool.manage"} <= factories.role("admin").permissions


# --- releasing --------------------------------------------------------------------------------

def test_the_owner_releases_with_a_reason(app):
    org = company(with_branch_pool=False)
    alice = factories.make_user("sales", department=org.sh_sales)
    colleague = factories.make_user("sales", department=org.sh_sales)
    customer = factories.make_customer(alice, "上海华东贸易有限公司", next_followup_at=utcnow())
    factories.make_followup(customer, alice)
    db.session.add(CustomerCollaborator(customer=customer, user=colleague, can_edit=True))
    db.session.flush()

    assert services.release_customers(alice, [customer], "  客户暂无需求  ") == 1
    db.session.commit()
    db.session.refresh(customer)
    assert customer.owner_id is None and customer.pool_id == services.default_pool().id
    assert customer.released_at is not None and customer.owner_since is None
    assert customer.next_followup_at is None and customer.last_followup_at is not None  # history kept
    assert db.session.scalar(select(func.count()).select_from(CustomerCollaborator)) == 0
    [change] = owner_changes(customer.id)
    assert (change.kind, change.from_user_id, change.to_user_id, change.actor_id, change.reason) == (
        "released", alice.id, None, alice.id, "客户暂无需求")
    [row] = audit_rows("customer.released", customer.id)
    assert row.actor_id == alice.id
    assert changes(row)["owner"] == [alice.display_name, None]
    assert changes(row)["pool"] == [None, "公海"]
    assert changes(row)["reason"] == [None, "客户暂无需求"]


def test_a_reason_is_required(app):
    alice = factories.make_user("sales")
    customer = factories.make_customer(alice)
    with pytest.raises(DomainError) as error:
        services.release_customers(alice, [customer], "   ")
    assert error.value.field == "reason"
    assert customer.owner_id == alice.id


def test_released_to_the_pool_of_the_owners_branch_when_it_is_active(app):
    org = company()
    bob = factories.make_user("sales", department=org.bj_sales)
    first, second = factories.make_customer(bob), factories.make_customer(bob)
    services.release_customers(bob, [first], "换人跟进")
    assert first.pool_id == org.bj_pool.id
    org.bj_pool.is_active = False
    services.release_customers(bob, [second], "换人跟进")
    assert second.pool_id == services.default_pool().id


def test_only_the_owner_or_a_manager_in_scope_may_release(app):
    org = company()
    manager = factories.make_user("sales_manager", department=org.sh_sales)
    alice = factories.make_user("sales", department=org.sh_sales, manager=manager)
    bob = factories.make_user("sales", department=org.sh_sales)
    other_manager = factories.make_user("sales_manager", department=org.bj_sales)
    customer = factories.make_customer(alice)
    db.session.add(CustomerCollaborator(customer=customer, user=bob, can_edit=True))
    db.session.flush()
    for intruder in (bob, other_manager):  # a collaborator who may edit, a manager of another department
        with pytest.raises(DomainError):
            services.release_customers(intruder, [customer], "不要了")
        assert customer.owner_id == alice.id
    assert services.release_customers(manager, [customer], "重新分配") == 1
    assert owner_changes(customer.id)[-1].actor_id == manager.id


def test_a_pool_customer_cannot_be_released_again(app):
    alice = factories.make_user("sales")
    customer = pool_customer("已在公海的客户")
    with pytest.raises(DomainError):
        services.release_customers(alice, [customer], "再放一次")


# --- claiming ---------------------------------------------------------------------------------

def test_claiming_takes_the_customer(app):
    alice = factories.make_user("sales")
    customer = pool_customer("浙江远航物流有限公司")
    assert services.claim_customers(alice, [customer]) == 1
    db.session.commit()
    db.session.refresh(customer)
    assert customer.owner_id == alice.id and customer.pool_id is None and customer.released_at is None
    assert customer.owner_since is not None
    [change] = owner_changes(customer.id)
    assert (change.kind, change.from_user_id, change.to_user_id, change.actor_id) == ("claimed", None, alice.id,
                                                                                      alice.id)
    [row] = audit_rows("customer.claimed", customer.id)
    assert changes(row) == {"owner": [None, alice.display_name], "pool": ["公海", None]}


def test_holding_limit(app):
    set_limit("sales", max_customers=2)
    alice = factories.make_user("sales")
    factories.make_customer(alice)
    gone = factories.make_customer(alice)
    gone.deleted_at = utcnow()  # the recycle bin does not count
    first, second = pool_customer("甲公司"), pool_customer("乙公司")
    with pytest.raises(DomainError) as error:
        services.claim_customers(alice, [first, second])
    assert "2" in error.value.message and "1" in error.value.message
    assert first.owner_id is None and second.owner_id is None
    services.claim_customers(alice, [first])
    with pytest.raises(DomainError) as error:
        services.claim_customers(alice, [second])
    assert "2" in error.value.message
    # another role has no limit
    assert services.claim_customers(factories.make_user("sales_manager"), [second]) == 1


def test_local_midnight_in_shanghai():
    # 15:59 UTC is 23:59 in Shanghai: the day began at 16:00 UTC the day before
    assert services.local_midnight_utc(dt.datetime(2026, 11, 24, 15, 59)) == dt.datetime(2026, 11, 23, 16, 0)
    # 16:01 UTC is 00:01 the next day in Shanghai
    assert services.local_midnight_utc(dt.datetime(2026, 11, 24, 16, 1)) == dt.datetime(2026, 11, 24, 16, 0)


def test_daily_claim_limit_counts_from_midnight_in_the_site_time_zone(app):
    set_limit("sales", max_claims_per_day=2)
    alice = factories.make_user("sales")
    midnight = services.local_midnight_utc()
    earlier, today = factories.make_customer(alice), factories.make_customer(alice)
    db.session.add_all([
        OwnerChange(customer=earlier, kind="claimed", to_user_id=alice.id, actor_id=alice.id,
                    at=midnight - dt.timedelta(minutes=1)),   # yesterday evening: does not count
        OwnerChange(customer=today, kind="claimed", to_user_id=alice.id, actor_id=alice.id,
                    at=midnight + dt.timedelta(minutes=1)),   # just after midnight: counts
    ])
    db.session.flush()
    assert services.claimed_today(alice) == 1
    first, second = pool_customer("丙公司"), pool_customer("丁公司")
    with pytest.raises(DomainError) as error:
        services.claim_customers(alice, [first, second])
    assert "2" in error.value.message
    services.claim_customers(alice, [first])
    with pytest.raises(DomainError) as error:
        services.claim_customers(alice, [second])
    assert second.owner_id is None


def test_the_previous_owner_waits_before_claiming_back(app):
    alice, bob = factories.make_user("sales"), factories.make_user("sales")
    customer = factories.make_customer(alice)
    services.release_customers(alice, [customer], "暂不跟进")
    with pytest.raises(DomainError) as error:
        services.claim_customers(alice, [customer])
    assert "24" in error.value.message
    services.set_reclaim_hours(factories.make_user("admin"), 0)
    assert services.claim_customers(alice, [customer]) == 1
    services.release_customers(alice, [customer], "还是不要")
    assert services.claim_customers(bob, [customer]) == 1


def test_pool_scoping_by_branch(app):
    org = company()
    sh_user = factories.make_user("sales", department=org.sh_sales)
    bj_user = factories.make_user("sales", department=org.bj_sales)
    nobody = factories.make_user("sales")  # in no department: the default pool only
    director = factories.make_user("sales_director", department=org.sh_sales)
    common = pool_customer("公共客户")
    legacy = factories.make_customer(None, "没有公海的旧客户")  # no pool: counts as the default pool
    beijing = pool_customer("北京客户", org.bj_pool)
    company_wide = PublicPool(name="大客户公海")
    db.session.add(company_wide)
    db.session.flush()
    big = pool_customer("大客户", company_wide)

    def names(user, pool_id=None):
        stmt = services.pool_customers(user, pool_id=pool_id).order_by(Customer.name, Customer.id)
        return {c.name for c in db.session.scalars(stmt)}

    assert names(sh_user) == names(nobody) == {common.name, legacy.name, big.name}
    assert names(bj_user) == {common.name, legacy.name, big.name, beijing.name}
    assert names(director) == {common.name, legacy.name, big.name, beijing.name}  # scope "all": every pool
    assert names(bj_user, org.bj_pool.id) == {beijing.name}
    assert names(bj_user, services.default_pool().id) == {common.name, legacy.name}
    assert names(sh_user, org.bj_pool.id) == set()
    with pytest.raises(DomainError):
        services.claim_customers(sh_user, [beijing])
    assert beijing.owner_id is None
    assert services.claim_customers(bj_user, [beijing]) == 1


def test_a_customer_someone_claimed_first_is_refused(app):
    alice, bob = factories.make_user("sales"), factories.make_user("sales")
    customer = pool_customer("抢手客户")
    services.claim_customers(alice, [customer])
    with pytest.raises(DomainError):
        services.claim_customers(bob, [customer])
    assert customer.owner_id == alice.id


def test_pool_list_filters_and_sort(app):
    alice = factories.make_user("sales")
    level_a = factories.dictionary_item("customer_level")
    industry = factories.dictionary_item("customer_industry", "信息技术")
    old = pool_customer("杭州云帆科技有限公司", released_days_ago=10, city="杭州", level_id=level_a.id,
                        industry_id=industry.id)
    new = pool_customer("南京长江贸易有限公司", released_days_ago=1, city="南京", phone="025-8888 1234")

    def names(**kw):
        return [c.name for c in db.session.scalars(services.pool_list_query(alice, services.PoolFilters(**kw)))]

    assert names() == [new.name, old.name]
    assert names(sort="released_asc") == [old.name, new.name]
    assert names(text="云帆") == [old.name]
    assert names(text="8888") == [new.name]
    assert names(level_id=level_a.id) == names(industry_id=industry.id) == names(city="杭") == [old.name]
    today = utcnow().date()
    assert names(released_from=today - dt.timedelta(days=3)) == [new.name]
    assert names(released_to=today - dt.timedelta(days=5)) == [old.name]
    assert names(text="100%") == []


# --- assigning from the pool ------------------------------------------------------------------

def test_a_manager_assigns_from_the_pool_within_scope(app):
    org = company()
    manager = factories.make_user("sales_manager", department=org.sh_sales)
    alice = factories.make_user("sales", department=org.sh_sales)
    outsider = factories.make_user("sales", department=org.bj_sales)
    first, second = pool_customer("戊公司"), pool_customer("己公司")
    with pytest.raises(DomainError):
        services.assign_from_pool(manager, [first], outsider)
    with pytest.raises(DomainError):
        services.assign_from_pool(alice, [first], alice)  # a salesperson may not assign
    assert services.assign_from_pool(manager, [first], alice) == 1
    assert first.owner_id == alice.id and first.pool_id is None
    assert owner_changes(first.id)[-1].kind == "assigned"
    assert audit_rows("customer.assigned", first.id)
    set_limit("sales", max_customers=1)
    with pytest.raises(DomainError) as error:
        services.assign_from_pool(manager, [second], alice)
    assert alice.display_name in error.value.message
    assert second.owner_id is None


# --- administration ---------------------------------------------------------------------------

def test_pools_are_administered(app):
    admin = factories.make_user("admin")
    org = company(with_branch_pool=False)
    default = services.default_pool()
    branch_pool = services.create_pool(admin, name="上海公海", branch_id=org.shanghai.id)
    assert branch_pool.branch_id == org.shanghai.id and not branch_pool.is_default
    with pytest.raises(DomainError) as error:
        services.create_pool(admin, name="上海公海")
    assert error.value.field == "name"
    with pytest.raises(DomainError):
        services.update_pool(admin, default, name="公海", is_default=False)
    with pytest.raises(DomainError):
        services.delete_pool(admin, default)

    waiting = pool_customer("上海待认领客户", branch_pool)
    assert services.update_pool(admin, branch_pool, name="上海公海", branch_id=org.shanghai.id,
                                is_active=False) == 1
    db.session.refresh(waiting)
    assert waiting.pool_id == default.id
    services.update_pool(admin, branch_pool, name="上海公海", branch_id=org.shanghai.id, is_default=True)
    db.session.refresh(default)
    assert branch_pool.is_default and not default.is_default
    assert services.default_pool().id == branch_pool.id
    services.delete_pool(admin, default)
    assert [p.name for p in db.session.scalars(select(PublicPool))] == ["上海公海"]
    assert [r.action for r in audit_rows("pool.created")] == ["pool.created"]
    assert audit_rows("pool.updated") and audit_rows("pool.deleted")
    with pytest.raises(DomainError):
        services.create_pool(factories.make_user("sales"), name="私人公海")


def test_recycling_rules_are_administered(app):
    admin = factories.make_user("admin")
    level_a = factories.dictionary_item("customer_level")
    rule = services.create_rule(admin, level_id=level_a.id, no_followup_days=30, warn_days=3)
    assert services.rule_name(rule) == level_a.label
    with pytest.raises(DomainError) as error:
        services.create_rule(admin, level_id=level_a.id, no_deal_days=90)
    assert error.value.field == "level_id"
    with pytest.raises(DomainError) as error:
        services.create_rule(admin, level_id=None, no_followup_days=5, warn_days=5)
    assert error.value.field == "warn_days"
    with pytest.raises(DomainError):
        services.create_rule(admin, level_id=factories.dictionary_item("customer_industry").id, no_followup_days=5)
    default_rule = services.create_rule(admin, level_id=None, no_followup_days=60, no_deal_days=180, warn_days=0)
    services.update_rule(admin, rule, level_id=level_a.id, no_followup_days=45, warn_days=5)
    assert changes(audit_rows("pool.rule_updated")[0]) == {"no_followup_days": [30, 45], "warn_days": [3, 5]}
    assert [r.id for r in services.rules()] == [rule.id, default_rule.id]
    services.delete_rule(admin, rule)
    assert db.session.scalar(select(func.count(RecycleRule.id))) == 1
    assert audit_rows("pool.rule_created") and audit_rows("pool.rule_deleted")


def test_role_limits_are_administered(app):
    admin = factories.make_user("admin")
    sales = factories.role("sales")
    assert services.set_role_limit(admin, sales, 200, 5)
    assert not services.set_role_limit(admin, sales, 200, 5)
    row = db.session.get(RoleLimit, sales.id)
    assert (row.max_customers, row.max_claims_per_day) == (200, 5)
    assert services.set_role_limit(admin, sales, None, None)
    assert db.session.get(RoleLimit, sales.id) is None
    assert [changes(r) for r in audit_rows("pool.limit_updated")] == [
        {"max_customers": [None, 200], "max_claims_per_day": [None, 5]},
        {"max_customers": [200, None], "max_claims_per_day": [5, None]}]
    with pytest.raises(DomainError):
        services.set_role_limit(admin, sales, -1, None)
    assert services.set_reclaim_hours(admin, 48) and services.reclaim_hours() == 48
    assert changes(audit_rows("pool.settings_updated")[0]) == {"reclaim_block_hours": [24, 48]}
