"""Merging two customers: chosen values, everything referencing the merged one moves, one transaction, audit."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, true

from crm_server.contacts.models import Contact
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.types import utcnow
from crm_server.customers import merge
from crm_server.customers.models import Customer, CustomerCollaborator, CustomerTag, OwnerChange, Tag
from crm_server.extensions import db
from crm_server.followups.models import FollowUp

from .. import factories


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def audit_rows(action: str, entity_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == action)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    return db.session.scalars(stmt.order_by(AuditLog.id)).all()


def tag(customer: Customer, name: str) -> None:
    found = db.session.scalar(select(Tag).where(Tag.name == name))
    if found is None:
        found = Tag(name=name)
        db.session.add(found)
        db.session.flush()
    db.session.add(CustomerTag(customer_id=customer.id, tag_id=found.id))
    db.session.flush()


def collaborate(customer: Customer, user, can_edit: bool) -> None:
    db.session.add(CustomerCollaborator(customer_id=customer.id, user_id=user.id, can_edit=can_edit))
    db.session.flush()


@pytest.fixture
def team():
    """A sales department: its manager (who may merge) and two salespeople."""
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department, language="en", display_name="经理")
    alice = factories.make_user("sales", department=department, manager=manager, display_name="Alice")
    bob = factories.make_user("sales", department=department, manager=manager, display_name="Bob")
    return manager, alice, bob


def two_customers(alice, bob):
    now = utcnow()
    keep = factories.make_customer(alice, "上海华东贸易有限公司", phone="021-62345678", remarks="老客户",
                                   last_followup_at=now - dt.timedelta(days=5),
                                   next_followup_at=now + dt.timedelta(days=9))
    other = factories.make_customer(bob, "华东贸易（上海）", email="sales@huadong.cn", city="上海",
                                    credit_code="91310000MA1K000001", remarks="展会认识",
                                    industry=factories.dictionary_item("customer_industry"),
                                    last_followup_at=now - dt.timedelta(days=1),
                                    next_followup_at=now + dt.timedelta(days=2))
    return keep, other


# --- the generic walk --------------------------------------------------------------------------------

def test_walk_finds_every_table_referencing_customers(app):
    found = {(table.name, column.name) for table, column in merge.customer_references()}
    assert {("contacts", "customer_id"), ("followups", "customer_id"), ("customer_tags", "customer_id"),
            ("customer_collaborators", "customer_id"), ("customer_owner_changes", "customer_id")} <= found
    assert ("customers", "merged_into_id") not in found


# --- the service ---------------------------------------------------------------------------------------

def test_merge_moves_everything_and_keeps_the_chosen_values(app, team):
    manager, alice, bob = team
    carol = factories.make_user("sales", display_name="Carol")
    dave = factories.make_user("sales", display_name="Dave")
    keep, other = two_customers(alice, bob)
    kept_primary = factories.make_contact(keep, "张经理", is_primary=True)
    moved_primary = factories.make_contact(other, "李总", mobile="13800138000", is_primary=True)
    factories.make_contact(other, "王会计")
    followups = [factories.make_followup(other, bob, happened_at=utcnow() - dt.timedelta(minutes=m))
                 for m in (10, 20)]
    factories.make_followup(keep, alice)
    tag(keep, "重点客户")
    tag(other, "重点客户")
    tag(other, "展会")
    collaborate(keep, carol, False)
    collaborate(other, carol, True)   # edit wins
    collaborate(other, dave, False)
    collaborate(other, alice, True)   # the kept customer's owner needs no collaboration
    db.session.add(OwnerChange(customer_id=other.id, kind="created", to_user_id=bob.id))
    db.session.commit()
    other_next = other.next_followup_at
    latest = other.last_followup_at
    assert latest > keep.last_followup_at

    result = merge.merge_customers(manager, keep, other, {
        "name": "keep", "email": "other", "credit_code": "other", "city": "other", "industry": "other",
        "remarks": "both"})
    db.session.commit()
    db.session.expire_all()

    assert result.moved == {"contacts": 2, "followups": 2, "customer_tags": 1, "customer_collaborators": 1,
                            "customer_owner_changes": 1}
    keep, other = db.session.get(Customer, keep.id), db.session.get(Customer, other.id)
    assert (keep.name, keep.phone, keep.email, keep.city, keep.credit_code) == (
        "上海华东贸易有限公司", "021-62345678", "sales@huadong.cn", "上海", "91310000MA1K000001")
    assert keep.industry == factories.dictionary_item("customer_industry")
    assert keep.remarks == "老客户\n\n展会认识"
    assert keep.email_key == "sales@huadong.cn" and "李总" in keep.search_text and "13800138000" in keep.search_text
    assert keep.last_followup_at == latest and keep.next_followup_at == other_next  # max and min of the two

    count = lambda model, **kw: db.session.scalar(  # noqa: E731
        select(func.count()).select_from(model).filter_by(**kw))
    assert count(Contact, customer_id=keep.id) == 3 and count(Contact, customer_id=other.id) == 0
    assert count(FollowUp, customer_id=keep.id) == 3 and count(FollowUp, customer_id=other.id) == 0
    assert all(db.session.get(FollowUp, f.id).customer_id == keep.id for f in followups)
    assert sorted(t.name for t in keep.tags) == ["展会", "重点客户"]
    assert count(CustomerTag, customer_id=other.id) == 0
    collaborators = {c.user_id: c.can_edit for c in keep.collaborators}
    assert collaborators == {carol.id: True, dave.id: False}
    assert count(CustomerCollaborator, customer_id=other.id) == 0
    # one primary contact: the kept customer's
    assert [c.id for c in db.session.scalars(select(Contact).where(
        Contact.customer_id == keep.id, Contact.is_primary == true()))] == [kept_primary.id]
    assert db.session.get(Contact, moved_primary.id).customer_id == keep.id
    changes = db.session.scalars(select(OwnerChange).where(OwnerChange.customer_id == keep.id)
                                 .order_by(OwnerChange.id)).all()
    assert [c.kind for c in changes] == ["created", "merged"]
    assert (changes[1].from_user_id, changes[1].to_user_id, changes[1].actor_id) == (bob.id, alice.id, manager.id)

    assert other.deleted_at is not None and other.deleted_by_id == manager.id and other.merged_into_id == keep.id

    (kept_entry,) = audit_rows("customer.merged", keep.id)
    logged = json.loads(kept_entry.changes)
    assert logged["moved:contacts"] == [None, 2] and logged["moved:followups"] == [None, 2]
    assert logged["moved:customer_tags"] == [None, 1] and logged["email"] == [None, "sales@huadong.cn"]
    assert logged["merged_customer"] == [None, f"华东贸易（上海） (#{other.id})"]
    (merged_entry,) = audit_rows("customer.merged", other.id)
    assert json.loads(merged_entry.changes)["merged_into"] == [None, f"上海华东贸易有限公司 (#{keep.id})"]
    assert kept_entry.actor_id == merged_entry.actor_id == manager.id


def test_merge_refuses_itself_a_deleted_customer_and_a_user_without_the_permission(app, team):
    manager, alice, bob = team
    keep, other = two_customers(alice, bob)
    with pytest.raises(DomainError):
        merge.merge_customers(manager, keep, keep)
    with pytest.raises(DomainError):
        merge.merge_customers(alice, keep, other)  # salespeople may not merge
    other.deleted_at = utcnow()
    db.session.flush()
    with pytest.raises(DomainError, match="已被删除"):
        merge.merge_customers(manager, keep, other)
    with pytest.raises(DomainError, match="已被删除"):
        merge.merge_customers(manager, other, keep)


def test_merge_of_customers_without_related_rows(app, team):
    manager, alice, bob = team
    keep, other = two_customers(alice, alice)
    result = merge.merge_customers(manager, keep, other)
    assert result.moved == {} and other.merged_into_id == keep.id
    # by default each field keeps the kept customer's value, or takes the other's where it has none
    assert keep.remarks == "老客户" and keep.credit_code == "91310000MA1K000001" and keep.city == "上海"
    # the same owner: no owner change is recorded
    assert db.session.scalar(select(func.count(OwnerChange.id)).where(OwnerChange.kind == "merged")) == 0


# --- the pages -----------------------------------------------------------------------------------------

def test_pick_page_offers_likely_duplicates_the_user_may_edit(client, login_as, team):
    manager, alice, bob = team
    keep, other = two_customers(alice, bob)
    outsider = factories.make_customer(factories.make_user("sales"), "华东贸易有限公司")  # not in the department
    login_as(manager)
    page = page_of(client.get(f"/customers/{keep.id}/merge"))
    assert f"/customers/{keep.id}/merge/{other.id}" in page and "华东贸易（上海）" in page
    assert f"/merge/{outsider.id}" not in page
    found = page_of(client.get(f"/customers/{keep.id}/merge", query_string={"q": "华东"}))
    assert f"/merge/{outsider.id}" not in found and f"/merge/{other.id}" in found


def test_compare_page_and_merge_by_post(client, login_as, admin, team):
    manager, alice, bob = team
    keep, other = two_customers(alice, bob)
    factories.make_contact(other, "李总")
    factories.make_followup(other, bob)
    db.session.commit()
    login_as(manager)
    page = page_of(client.get(f"/customers/{keep.id}/merge/{other.id}"))
    assert "上海华东贸易有限公司" in page and "华东贸易（上海）" in page and "sales@huadong.cn" in page
    assert 'id="count-contacts"' in page and 'id="count-followups"' in page
    assert f"/customers/{other.id}/merge/{keep.id}" in page  # keep the other one instead

    response = client.post(f"/customers/{keep.id}/merge/{other.id}", data={
        "name": "other", "email": "other", "remarks": "keep"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/customers/{keep.id}")
    db.session.expire_all()
    assert db.session.get(Customer, keep.id).name == "华东贸易（上海）"
    assert db.session.get(Customer, other.id).merged_into_id == keep.id
    assert db.session.scalar(select(func.count(Contact.id)).where(Contact.customer_id == keep.id)) == 1
    assert len(audit_rows("customer.merged")) == 2
    page = page_of(client.get(f"/customers/{keep.id}"))
    assert "has been merged into" in page
    admin.language = "en"
    login_as(admin)
    audit_page = page_of(client.get("/admin/audit"))
    assert "Moved: Contacts" in audit_page and "Merged customer" in audit_page and "Merged into" in audit_page


def test_a_bad_choice_is_shown_and_nothing_changes(client, login_as, team):
    manager, alice, bob = team
    keep, other = two_customers(alice, bob)
    db.session.commit()
    login_as(manager)
    page = page_of(client.post(f"/customers/{keep.id}/merge/{other.id}", data={"name": "both"}))
    assert "invalid-feedback" in page
    db.session.expire_all()
    assert db.session.get(Customer, other.id).deleted_at is None and not audit_rows("customer.merged")


def test_salesperson_may_not_merge(client, login_as, team):
    manager, alice, bob = team
    keep, other = two_customers(alice, alice)
    db.session.commit()
    login_as(alice)
    assert client.get(f"/customers/{keep.id}/merge").status_code == 403
    assert client.post(f"/customers/{keep.id}/merge/{other.id}", data={}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Customer, other.id).deleted_at is None and not audit_rows("customer.merged")


def test_merging_a_customer_the_user_cannot_see_is_404_and_changes_nothing(client, login_as, team):
    manager, alice, bob = team
    keep = factories.make_customer(alice, "甲贸易有限公司")
    hidden = factories.make_customer(factories.make_user("sales"), "甲贸易（北京）")  # another department
    factories.make_contact(hidden, "赵总")
    db.session.commit()
    login_as(manager)
    assert client.get(f"/customers/{keep.id}/merge/{hidden.id}").status_code == 404
    assert client.post(f"/customers/{keep.id}/merge/{hidden.id}", data={"name": "other"}).status_code == 404
    assert client.post(f"/customers/{hidden.id}/merge/{keep.id}", data={}).status_code == 404
    assert client.get(f"/customers/{hidden.id}/merge").status_code == 404
    db.session.expire_all()
    assert db.session.get(Customer, hidden.id).deleted_at is None
    assert db.session.get(Customer, keep.id).name == "甲贸易有限公司"
    assert db.session.scalar(select(Contact.customer_id).where(Contact.name == "赵总")) == hidden.id
    assert not audit_rows("customer.merged")


def test_a_customer_shared_read_only_cannot_be_merged(client, login_as, team):
    manager, alice, bob = team
    keep = factories.make_customer(alice, "乙科技有限公司")
    shared = factories.make_customer(factories.make_user("sales"), "乙科技")
    collaborate(shared, manager, False)
    db.session.commit()
    login_as(manager)
    assert client.get(f"/customers/{keep.id}/merge/{shared.id}").status_code == 403
    assert client.post(f"/customers/{keep.id}/merge/{shared.id}", data={}).status_code == 403
    db.session.expire_all()
    assert db.session.get(Customer, shared.id).deleted_at is None


def test_merging_with_itself_or_a_deleted_customer_by_url(client, login_as, team):
    manager, alice, bob = team
    keep, other = two_customers(alice, bob)
    other.deleted_at = utcnow()
    db.session.commit()
    login_as(manager)
    response = client.post(f"/customers/{keep.id}/merge/{keep.id}", data={})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/customers/{keep.id}/merge")
    assert client.post(f"/customers/{keep.id}/merge/{other.id}", data={}).status_code == 404
    assert not audit_rows("customer.merged")
