"""Customer rules: create/edit with the duplicate check, owners and scope, transfer, soft delete, tags, levels,
collaborators, the scoped list, saved views; every write leaves its audit row."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.dictionaries import DictionaryItem
from crm_server.core.errors import DomainError
from crm_server.core.site_settings import set_setting
from crm_server.core.types import utcnow
from crm_server.customers import services
from crm_server.customers.access import visible_customers
from crm_server.customers.dictionaries import INDUSTRY, LEVEL, STATUS
from crm_server.customers.duplicates import BLOCKING_KEY
from crm_server.customers.models import Customer, CustomerCollaborator, OwnerChange, SavedView, Tag
from crm_server.customers.services import CustomerFilters, DuplicateWarning
from crm_server.extensions import db

from .. import factories


def audit_rows(action: str, entity_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == action)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_type == "customers", AuditLog.entity_id == entity_id)
    return list(db.session.scalars(stmt.order_by(AuditLog.id)))


def changes(row: AuditLog) -> dict:
    return json.loads(row.changes) if row.changes else {}


def visible_names(user) -> list[str]:
    return sorted(db.session.scalars(visible_customers(user, select(Customer.name))))


def create(actor, name="上海华东贸易有限公司", **kw):
    return services.create_customer(actor, name=name, **kw)


# --- create -------------------------------------------------------------------------------------

def test_create_sets_owner_normal_forms_owner_change_and_audit(app):
    alice = factories.make_user("sales", display_name="Alice")
    industry = factories.dictionary_item(INDUSTRY, "制造业")
    level = factories.dictionary_item(LEVEL)
    customer = create(alice, short_name="华东贸易", phone="+86 021-6234 5678", email="Info@HuaDong.cn",
                      credit_code=" 91310000ma1k00000x ", industry_id=industry.id, level_id=level.id,
                      province="上海", city="上海市", tags="重点客户，展会, 重点客户", remarks="老客户介绍")
    db.session.commit()

    assert customer.owner_id == alice.id and customer.created_by_id == alice.id
    assert customer.updated_by_id == alice.id and customer.owner_since is not None
    assert customer.credit_code == "91310000MA1K00000X"
    assert customer.name_key == "华东贸易" and customer.phone_digits == "02162345678"
    assert customer.email_key == "info@huadong.cn"
    assert "华东贸易" in customer.search_text and "+86 021-6234 5678" in customer.search_text
    assert [tag.name for tag in customer.tags] == ["展会", "重点客户"]
    assert customer.last_deal_at is None

    change = db.session.scalar(select(OwnerChange).where(OwnerChange.customer_id == customer.id))
    assert (change.kind, change.from_user_id, change.to_user_id) == ("created", None, alice.id)
    assert change.actor_id == alice.id
    (row,) = audit_rows("customer.created", customer.id)
    recorded = changes(row)
    assert row.actor_id == alice.id and row.entity_label == "上海华东贸易有限公司"
    assert recorded["industry"] == [None, "制造业"]  # labels, not ids
    assert recorded["level"] == [None, level.label]
    assert recorded["owner"] == [None, "Alice"]
    assert recorded["tags"] == [None, "展会, 重点客户"]


def test_create_with_a_deal_status_sets_last_deal(app):
    alice = factories.make_user("sales")
    deal = db.session.scalar(select(DictionaryItem).where(DictionaryItem.kind == STATUS,
                                                          DictionaryItem.flag == "deal"))
    customer = create(alice, status_id=deal.id)
    assert customer.last_deal_at is not None


@pytest.mark.parametrize("field, value", [
    ("name", "  "), ("phone", "abc-123"), ("phone", "123"), ("email", "not-an-address"),
    ("credit_code", "12345"), ("credit_code", "91310000MA1K00000!"), ("kind", "robot"),
    ("credit_rating", "AAAA"), ("industry_id", 999999), ("short_name", "长" * 101),
])
def test_create_refuses_bad_values_beside_the_field(app, field, value):
    alice = factories.make_user("sales")
    values = {"name": "某某科技有限公司", field: value}
    with pytest.raises(DomainError) as caught:
        services.create_customer(alice, **values)
    assert caught.value.field == field
    db.session.rollback()
    assert db.session.scalar(select(Customer.id)) is None


def test_a_dictionary_value_of_another_kind_or_deactivated_is_refused_but_kept_when_held(app):
    alice = factories.make_user("sales")
    level = factories.dictionary_item(LEVEL)
    with pytest.raises(DomainError) as caught:
        create(alice, industry_id=level.id)  # a level is not an industry
    assert caught.value.field == "industry_id"
    customer = create(alice, level_id=level.id)
    level.is_active = False
    db.session.flush()
    with pytest.raises(DomainError) as caught:
        create(alice, name="另一家公司", level_id=level.id)
    assert caught.value.field == "level_id"
    services.update_customer(alice, customer, remarks="改备注")  # keeps the deactivated level it holds
    assert customer.level_id == level.id and customer.remarks == "改备注"


def test_tags_are_reused_case_insensitively_and_limited(app):
    alice = factories.make_user("sales")
    create(alice, name="甲公司", tags=["VIP"])
    create(alice, name="乙公司", tags="vip, 新客户")
    assert sorted(db.session.scalars(select(Tag.name))) == ["VIP", "新客户"]
    with pytest.raises(DomainError) as caught:
        create(alice, name="丙公司", tags=["长" * 41])
    assert caught.value.field == "tags"
    with pytest.raises(DomainError):
        create(alice, name="丁公司", tags=[f"标签{i}" for i in range(21)])


# --- owners -------------------------------------------------------------------------------------

def test_only_a_user_with_the_transfer_permission_gives_a_new_customer_to_someone_in_scope(app):
    department = factories.make_department()
    other_department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    colleague = factories.make_user("sales", department=department)
    stranger = factories.make_user("sales", department=other_department)
    departed = factories.make_user("sales", department=department, is_active=False)

    with pytest.raises(DomainError) as caught:
        create(colleague, owner_id=manager.id)  # a salesperson has no transfer permission
    assert caught.value.field == "owner_id"
    for wrong in (stranger, departed):
        with pytest.raises(DomainError) as caught:
            create(manager, name=f"客户{wrong.id}", owner_id=wrong.id)
        assert caught.value.field == "owner_id"
    customer = create(manager, owner_id=colleague.id)
    assert customer.owner_id == colleague.id and customer.created_by_id == manager.id
    assert changes(audit_rows("customer.created", customer.id)[0])["owner"][1] == colleague.display_name


# --- duplicates ---------------------------------------------------------------------------------

def test_a_match_on_a_blocking_field_refuses_naming_the_customer_and_its_owner(app):
    bob = factories.make_user("sales", display_name="王小明")
    alice = factories.make_user("sales")
    factories.make_customer(bob, "甲贸易有限公司", credit_code="91310000MA1K000001")
    with pytest.raises(DomainError) as caught:
        create(alice, name="完全不同的名字", credit_code="91310000ma1k000001", confirm_duplicates=True)
    assert caught.value.field == "credit_code" and not isinstance(caught.value, DuplicateWarning)
    assert "甲贸易有限公司" in caught.value.message and "王小明" in caught.value.message


def test_other_matches_warn_until_confirmed(app):
    bob = factories.make_user("sales")
    alice = factories.make_user("sales")
    theirs = factories.make_customer(bob, "华东贸易（上海）", phone="021-62345678")
    with pytest.raises(DuplicateWarning) as caught:
        create(alice, phone="02162345678")
    (match,) = caught.value.matches
    assert (match.customer_id, sorted(match.fields), match.visible) == (theirs.id, ["name", "phone"], False)
    db.session.rollback()
    assert db.session.scalar(select(Customer.id).where(Customer.owner_id == alice.id)) is None

    customer = create(alice, phone="02162345678", confirm_duplicates=True)
    assert customer.id and customer.owner_id == alice.id


def test_administrators_can_make_the_name_block(app):
    alice = factories.make_user("sales")
    factories.make_customer(None, "星辰科技有限公司")  # in the public pool
    set_setting(BLOCKING_KEY, "name")
    with pytest.raises(DomainError) as caught:
        create(alice, name="北京星辰科技", confirm_duplicates=True)
    assert caught.value.field == "name" and "星辰科技有限公司" in caught.value.message


# --- edit ---------------------------------------------------------------------------------------

def test_update_audits_changed_fields_with_labels_and_sets_last_deal(app):
    alice = factories.make_user("sales")
    first, second = (factories.dictionary_item(LEVEL, label) for label in ("A（重点客户）", "B（普通客户）"))
    deal = db.session.scalar(select(DictionaryItem).where(DictionaryItem.kind == STATUS,
                                                          DictionaryItem.flag == "deal"))
    customer = create(alice, level_id=first.id, phone="021-1111 2222")
    updated = services.update_customer(alice, customer, name="上海华东贸易有限公司", level_id=second.id,
                                       status_id=deal.id, phone="021-1111 2222", tags=["老客户"])
    assert updated is customer and customer.last_deal_at is not None
    (row,) = audit_rows("customer.updated", customer.id)
    assert changes(row) == {"level": ["A（重点客户）", "B（普通客户）"], "status": [None, deal.label],
                            "tags": [None, "老客户"]}
    services.update_customer(alice, customer, remarks=None)  # nothing changed: no row
    assert len(audit_rows("customer.updated", customer.id)) == 1


def test_update_checks_duplicates_on_changed_fields_only_and_never_against_itself(app):
    alice = factories.make_user("sales")
    bob = factories.make_user("sales")
    customer = create(alice, name="甲公司", phone="13800138000")
    services.update_customer(alice, customer, name="甲公司", phone="138 0013 8000")  # itself: no warning
    factories.make_customer(bob, "乙贸易有限公司", phone="13900139000", credit_code="91310000MA1K000001")
    db.session.commit()
    with pytest.raises(DuplicateWarning):
        services.update_customer(alice, customer, name="乙贸易")
    db.session.rollback()
    with pytest.raises(DomainError) as caught:
        services.update_customer(alice, customer, credit_code="91310000MA1K000001", confirm_duplicates=True)
    assert caught.value.field == "credit_code"
    db.session.rollback()
    services.update_customer(alice, customer, name="乙贸易", confirm_duplicates=True)
    assert customer.name == "乙贸易"


def test_update_with_a_new_owner_is_a_transfer(app):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    alice = factories.make_user("sales", department=department)
    customer = create(alice)
    with pytest.raises(DomainError) as caught:
        services.update_customer(alice, customer, owner_id=manager.id)
    assert caught.value.field == "owner_id"
    services.update_customer(manager, customer, owner_id=manager.id)
    assert customer.owner_id == manager.id
    assert changes(audit_rows("customer.transferred", customer.id)[0])["owner"][1] == manager.display_name


# --- transfer -----------------------------------------------------------------------------------

def test_transfer_moves_owner_and_records_each_customer(app):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    alice = factories.make_user("sales", department=department, display_name="Alice")
    bob = factories.make_user("sales", department=department, display_name="Bob")
    first, second = factories.make_customer(alice), factories.make_customer(alice)
    already = factories.make_customer(bob)
    first.owner_since = utcnow() - dt.timedelta(days=30)
    moved = services.transfer_customers(manager, [first, second, already], bob, reason="离职交接")
    assert moved == 2
    assert first.owner_id == bob.id and first.owner_since > utcnow() - dt.timedelta(minutes=1)
    rows = db.session.scalars(select(OwnerChange).where(OwnerChange.kind == "transferred")
                              .order_by(OwnerChange.id)).all()
    assert [(r.customer_id, r.from_user_id, r.to_user_id, r.actor_id, r.reason) for r in rows] == [
        (first.id, alice.id, bob.id, manager.id, "离职交接"), (second.id, alice.id, bob.id, manager.id, "离职交接")]
    (row,) = audit_rows("customer.transferred", first.id)
    assert changes(row) == {"owner": ["Alice", "Bob"], "reason": [None, "离职交接"]}


def test_transfer_out_of_the_pool_is_an_assignment_and_clears_the_pool(app):
    from crm_server.pool.models import PublicPool
    pool = PublicPool(name="默认公海", is_default=True)
    db.session.add(pool)
    manager = factories.make_user("sales_manager", department=factories.make_department())
    db.session.flush()
    pooled = factories.make_customer(None, pool_id=pool.id, released_at=utcnow())
    assert services.transfer_customers(manager, [pooled], manager) == 1
    assert (pooled.owner_id, pooled.pool_id, pooled.released_at) == (manager.id, None, None)
    change = db.session.scalar(select(OwnerChange).where(OwnerChange.customer_id == pooled.id))
    assert (change.kind, change.from_user_id) == ("assigned", None)
    assert len(audit_rows("customer.assigned", pooled.id)) == 1


def test_transfer_refuses_a_disabled_user_or_one_outside_the_scope(app):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    alice = factories.make_user("sales", department=department)
    stranger = factories.make_user("sales", department=factories.make_department())
    departed = factories.make_user("sales", department=department, is_active=False)
    customer = factories.make_customer(alice)
    for target in (stranger, departed, None):
        with pytest.raises(DomainError) as caught:
            services.transfer_customers(manager, [customer], target)
        assert caught.value.field == "to_user_id"
    assert customer.owner_id == alice.id and not audit_rows("customer.transferred")


# --- delete, tags, level ------------------------------------------------------------------------

def test_delete_is_soft_audited_and_needs_the_permission(app):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    alice = factories.make_user("sales", department=department)
    customer = factories.make_customer(alice, "要删除的客户")
    with pytest.raises(DomainError):
        services.delete_customers(alice, [customer])
    assert customer.deleted_at is None
    assert services.delete_customers(manager, [customer]) == 1
    assert customer.deleted_at is not None and customer.deleted_by_id == manager.id
    assert db.session.get(Customer, customer.id) is not None  # still stored, in the recycle bin
    assert visible_names(alice) == [] and visible_names(manager) == []
    assert len(audit_rows("customer.deleted", customer.id)) == 1
    assert services.delete_customers(manager, [customer]) == 0  # already deleted


def test_add_tags_and_set_level_audit_only_what_changed(app):
    alice = factories.make_user("sales")
    tagged = factories.make_customer(alice)
    plain = factories.make_customer(alice)
    services.add_tags(alice, [tagged], ["展会"])
    assert services.add_tags(alice, [tagged, plain], "展会, 重点") == 2
    assert [t.name for t in tagged.tags] == ["展会", "重点"] and [t.name for t in plain.tags] == ["展会", "重点"]
    assert [changes(r)["tags"] for r in audit_rows("customer.tagged", tagged.id)] == [
        [None, "展会"], ["展会", "展会, 重点"]]
    with pytest.raises(DomainError):
        services.add_tags(alice, [tagged], " , ")

    level = factories.dictionary_item(LEVEL)
    assert services.set_level(alice, [tagged, plain], level.id) == 2
    assert services.set_level(alice, [tagged], level.id) == 0
    assert changes(audit_rows("customer.updated", plain.id)[0]) == {"level": [None, level.label]}
    level.is_active = False
    with pytest.raises(DomainError):
        services.set_level(alice, [tagged], level.id)


# --- collaborators and scope --------------------------------------------------------------------

def test_collaborators_see_the_customer_and_edit_only_with_the_edit_right(app):
    from crm_server.customers.access import can_edit
    alice, bob, carol = (factories.make_user("sales") for _ in range(3))
    departed = factories.make_user("sales", is_active=False)
    customer = factories.make_customer(alice, "共享客户")
    assert visible_names(bob) == []

    services.set_collaborator(alice, customer, bob, can_edit=False)
    assert visible_names(bob) == ["共享客户"] and not can_edit(bob, customer)
    with pytest.raises(DomainError):
        services.set_collaborator(bob, customer, carol, can_edit=False)  # read-only: may not share
    with pytest.raises(DomainError) as caught:
        services.set_collaborator(alice, customer, departed, can_edit=False)
    assert caught.value.field == "user_id"
    with pytest.raises(DomainError):
        services.set_collaborator(alice, customer, alice, can_edit=True)  # the owner

    services.set_collaborator(alice, customer, bob, can_edit=True)
    assert can_edit(bob, customer)
    services.set_collaborator(bob, customer, carol, can_edit=False)
    assert visible_names(carol) == ["共享客户"]
    assert [changes(r)["collaborator"][1] for r in audit_rows("customer.shared", customer.id)] == [
        f"{bob.display_name} (read only)", f"{bob.display_name} (may edit)", f"{carol.display_name} (read only)"]

    services.remove_collaborator(alice, customer, bob)
    assert db.session.get(CustomerCollaborator, (customer.id, bob.id)) is None and visible_names(bob) == []
    services.remove_collaborator(carol, customer, carol)  # anyone may leave
    assert visible_names(carol) == [] and len(audit_rows("customer.unshared", customer.id)) == 2


def test_list_is_scoped_filtered_and_ordered_with_the_id_last(app):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    alice = factories.make_user("sales", department=department)
    bob = factories.make_user("sales", department=factories.make_department())
    same_a = factories.make_customer(alice, "同名公司")
    same_b = factories.make_customer(alice, "同名公司")
    factories.make_customer(bob, "外部门公司")
    shared = factories.make_customer(bob, "共享给Alice")
    services.set_collaborator(bob, shared, alice, can_edit=False)

    def names(user, filters=None, sort="name", direction="asc"):
        return [(c.name, c.id) for c in db.session.scalars(
            services.list_customers(user, filters, sort, direction)).unique()]

    assert names(alice) == sorted([("同名公司", same_a.id), ("同名公司", same_b.id), ("共享给Alice", shared.id)])
    assert [n for n, _ in names(manager)] == ["同名公司", "同名公司"]
    assert names(manager, direction="desc") == [("同名公司", same_b.id), ("同名公司", same_a.id)]
    assert [n for n, _ in names(alice, CustomerFilters(scope="shared"))] == ["共享给Alice"]
    assert [n for n, _ in names(alice, CustomerFilters(scope="mine"))] == ["同名公司", "同名公司"]
    assert names(alice, sort="bogus")  # an unknown sort falls back to the default


@pytest.mark.parametrize("segments_per_page", [0, 100], ids=["as-one-statement", "segment-by-segment"])
def test_each_page_of_the_list_is_the_same_slice_of_the_full_order_for_every_sort(
        app, monkeypatch, segments_per_page):
    """The list page reads sorts with empty values, dictionary order or owners as segments: page by page it must
    give exactly the order of the full list (exports use that one), empty values last in both directions."""
    from crm_server.core import pagination
    from crm_server.core.dictionaries import items
    monkeypatch.setattr(pagination, "MAX_SEGMENTS_PER_PAGE", segments_per_page)
    department = factories.make_department()
    director = factories.make_user("sales_director", department=department)
    owners = [factories.make_user("sales", department=department, display_name=name) for name in ("王五", "张三")]
    levels, industries = items(LEVEL), items(INDUSTRY)
    provinces = (None, "浙江省", "广东省")
    base = utcnow() - dt.timedelta(days=40)
    for n in range(23):
        maybe = n % 3 != 0  # every third customer leaves the nullable fields empty
        customer = factories.make_customer(
            owners[n % 2], f"排序客户{n % 5}", kind="individual" if n % 4 == 0 else "company",
            level=levels[n % len(levels)] if maybe else None, industry=industries[n % 2] if n % 5 else None,
            credit_rating="ABC"[n % 3] if maybe else None, province=provinces[n % 3],
            city="杭州市" if n % 2 else None, address=f"路{n % 4}号" if maybe else None,
            phone=f"0571-8888{n % 6:04d}" if n % 2 else None, email=None, credit_code=None,
            last_followup_at=base + dt.timedelta(days=n % 7) if maybe else None,
            next_followup_at=base + dt.timedelta(days=n % 4) if n % 2 else None,
            last_deal_at=None)
        customer.owner_since = base + dt.timedelta(hours=n % 5)
    db.session.flush()
    for sort in services.SORT_KEYS:
        for direction in ("asc", "desc"):
            full = [c.id for c in db.session.scalars(
                services.list_customers(director, None, sort, direction)).unique()]
            assert len(full) == 23
            paged = []
            for number in (1, 2):
                page = services.customer_page(director, None, sort, direction, page=number, per_page=20)
                assert page.total == 23
                paged += [c.id for c in page.items]
            assert paged == full, (sort, direction)
    # empty values last whichever the direction
    for direction in ("asc", "desc"):
        rows = services.customer_page(director, None, "level", direction, per_page=50).items
        assert [c.level_id is None for c in rows] == sorted(c.level_id is None for c in rows)
    # and with a filter narrowing the segments
    filtered = services.customer_page(director, CustomerFilters(province="浙江省"), "last_followup_at", "asc").items
    assert filtered and all(c.province == "浙江省" for c in filtered)
    # a keyword search reads few matches by id, and many as any other filter: the same rows in the same order
    for few in (1000, 2):
        monkeypatch.setattr(services, "FEW_MATCHES", few)
        for sort in ("updated_at", "level", "address"):
            keyword = CustomerFilters(q="8888")  # the phones' digits: 11 customers have one
            full = [c.id for c in db.session.scalars(services.list_customers(director, keyword, sort)).unique()]
            page = services.customer_page(director, keyword, sort, per_page=20)
            assert len(full) == page.total == 11 and [c.id for c in page.items] == full, (few, sort)


# --- saved views --------------------------------------------------------------------------------

def test_saved_views_belong_to_their_user_and_replace_by_name(app):
    alice, bob = factories.make_user("sales"), factories.make_user("sales")
    first = services.save_view(alice, "我的重点客户", "?level=3&sort=name", ["level", "phone"])
    again = services.save_view(alice, "我的重点客户", "level=4", ["owner"])
    assert again.id == first.id and (again.query, again.columns) == ("level=4", "owner")
    assert services.get_saved_view(bob, first.id) is None
    with pytest.raises(DomainError):
        services.delete_view(bob, first)
    assert [v.name for v in services.saved_views(alice)] == ["我的重点客户"] and services.saved_views(bob) == []
    with pytest.raises(DomainError) as caught:
        services.save_view(alice, " ", "", [])
    assert caught.value.field == "view_name"
    services.delete_view(alice, first)
    assert db.session.scalar(select(SavedView.id)) is None
    assert len(audit_rows("customer_view.saved")) == 2 and len(audit_rows("customer_view.deleted")) == 1
