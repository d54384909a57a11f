"""Contact rules: one primary contact per customer, validation, the customer's search column, audit, access."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select, true

from crm_server.contacts import services
from crm_server.contacts.models import Contact
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.search import contains
from crm_server.customers.models import Customer, CustomerCollaborator
from crm_server.extensions import db
from tests import factories


def audit_rows(action: str) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def primaries(customer) -> list[str]:
    return db.session.scalars(select(Contact.name).where(Contact.customer_id == customer.id,
                                                         Contact.deleted_at.is_(None),
                                                         Contact.is_primary == true())).all()


def found_by_keyword(term: str) -> list[int]:
    """What the customer keyword search reads: the normalised search column."""
    return db.session.scalars(select(Customer.id).where(contains(Customer.search_text, term))
                              .order_by(Customer.id)).all()


@pytest.fixture
def owner(app):
    return factories.make_user("sales", display_name="王销售")


@pytest.fixture
def customer(owner):
    return factories.make_customer(owner, "上海华东贸易有限公司")


def test_first_contact_is_primary_and_the_mark_moves(app, owner, customer):
    first = services.create_contact(owner, customer, name="张伟", mobile="138 0013 8000")
    second = services.create_contact(owner, customer, name="李娜")
    assert first.is_primary and not second.is_primary
    third = services.create_contact(owner, customer, name="刘洋", is_primary=True)
    assert primaries(customer) == ["刘洋"] and not first.is_primary and third.is_primary

    services.set_primary(owner, second)
    db.session.flush()
    assert primaries(customer) == ["李娜"]
    entry = audit_rows("contact.primary_set")[-1]
    assert json.loads(entry.changes) == {"is_primary": [False, True], "previous_primary": ["刘洋", None]}
    assert entry.entity_label == "李娜 · 上海华东贸易有限公司"

    services.update_contact(owner, first, name="张伟", is_primary=True)
    assert primaries(customer) == ["张伟"]
    with pytest.raises(DomainError) as error:
        services.update_contact(owner, first, name="张伟", is_primary=False)
    assert error.value.field == "is_primary"


def test_deleting_the_primary_contact_promotes_the_oldest_remaining(app, owner, customer):
    first = services.create_contact(owner, customer, name="张伟")
    second = services.create_contact(owner, customer, name="李娜")
    services.create_contact(owner, customer, name="刘洋")
    services.delete_contact(owner, first)
    db.session.flush()
    assert first.deleted_at is not None and not first.is_primary
    assert primaries(customer) == ["李娜"] and second.is_primary
    entry = audit_rows("contact.deleted")[-1]
    changes = json.loads(entry.changes)
    assert changes["name"] == ["张伟", None] and changes["new_primary"] == [None, "李娜"]
    # a deleted contact is kept (follow-ups still name it) but is gone from the customer's contacts
    assert [c.name for c in services.contacts_of(customer)] == ["李娜", "刘洋"]


def test_customer_is_found_by_a_contacts_mobile_and_name_until_it_is_deleted(app, owner, customer):
    other = factories.make_customer(owner, "北京星辰科技有限公司")
    contact = services.create_contact(owner, customer, name="Zhang Wei", mobile="+86 139-1234-5678")
    db.session.flush()
    assert found_by_keyword("139-1234") == [customer.id]
    assert found_by_keyword("zhang wei") == [customer.id]  # lower-cased
    services.update_contact(owner, contact, name="Zhang Wei", mobile="13712345678", phone="021-5555 0001")
    db.session.flush()
    assert found_by_keyword("139-1234") == []
    assert found_by_keyword("13712345678") == [customer.id] and found_by_keyword("5555 0001") == [customer.id]
    services.delete_contact(owner, contact)
    db.session.flush()
    assert found_by_keyword("13712345678") == [] and found_by_keyword("星辰") == [other.id]


def test_fields_are_stored_and_audited(app, owner, customer):
    contact = services.create_contact(
        owner, customer, name=" 张伟 ", title="采购经理", department="采购部", mobile="13800138000",
        phone="(021) 6234-5678", email="zhang@example.cn", wechat="zhangwei88", birthday=dt.date(1985, 3, 7),
        gender="male", decision_role="purchaser", remarks="喜欢喝茶")
    assert contact.name == "张伟" and contact.birthday_md == "03-07" and contact.mobile_digits == "13800138000"
    assert contact.created_by_id == owner.id and contact.is_primary
    entry = audit_rows("contact.created")[-1]
    changes = json.loads(entry.changes)
    assert changes["name"] == [None, "张伟"] and changes["birthday"] == [None, "1985-03-07"]
    assert entry.actor_id == owner.id and entry.entity_type == "contacts" and entry.entity_id == contact.id

    services.update_contact(owner, contact, name="张伟", title="采购总监", mobile="13800138000",
                            birthday=dt.date(1985, 12, 1), decision_role="decision_maker")
    assert contact.birthday_md == "12-01" and contact.email is None
    changes = json.loads(audit_rows("contact.updated")[-1].changes)
    assert changes["title"] == ["采购经理", "采购总监"] and changes["decision_role"] == ["purchaser", "decision_maker"]
    assert changes["email"] == ["zhang@example.cn", None] and "name" not in changes


@pytest.mark.parametrize("field, value", [
    ("name", "  "), ("name", "名" * 61), ("mobile", "12345678901"), ("mobile", "1380013800"),
    ("mobile", "abc-123"), ("phone", "12"), ("phone", "021#6234"), ("email", "not-an-address"),
    ("gender", "unknown"), ("decision_role", "boss"), ("wechat", "w" * 61),
])
def test_invalid_values_are_refused_beside_their_field(app, owner, customer, field, value):
    values = {"name": "张伟", field: value}
    with pytest.raises(DomainError) as error:
        services.create_contact(owner, customer, **values)
    assert error.value.field == field
    assert db.session.scalar(select(Contact.id).where(Contact.customer_id == customer.id)) is None


def test_birthday_cannot_be_in_the_future(app, owner, customer):
    with pytest.raises(DomainError) as error:
        services.create_contact(owner, customer, name="张伟", birthday=services.site_today() + dt.timedelta(days=1))
    assert error.value.field == "birthday"
    assert services.create_contact(owner, customer, name="张伟", birthday=services.site_today()).birthday_md


def test_mobile_accepts_mainland_and_other_numbers(app, owner, customer):
    for number in ("13800138000", "+86 138 0013 8000", "138-0013-8000", "+852 9123 4567", "021-62345678"):
        assert services.create_contact(owner, customer, name="X", mobile=number).mobile == number


def test_only_those_who_may_edit_the_customer_may_change_its_contacts(app, owner, customer):
    contact = services.create_contact(owner, customer, name="张伟")
    stranger = factories.make_user("sales")
    reader = factories.make_user("sales")
    db.session.add(CustomerCollaborator(customer=customer, user=reader, can_edit=False))
    editor = factories.make_user("sales")
    db.session.add(CustomerCollaborator(customer=customer, user=editor, can_edit=True))
    db.session.flush()
    for user in (stranger, reader):
        with pytest.raises(DomainError):
            services.create_contact(user, customer, name="冒名")
        with pytest.raises(DomainError):
            services.update_contact(user, contact, name="改名")
        with pytest.raises(DomainError):
            services.delete_contact(user, contact)
        with pytest.raises(DomainError):
            services.set_primary(user, contact)
    assert contact.name == "张伟" and contact.deleted_at is None
    added = services.create_contact(editor, customer, name="协作添加")
    assert added.customer_id == customer.id


def test_manager_in_scope_may_edit_and_reads_go_through_the_customer(app):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    seller = factories.make_user("sales", department=department)
    outsider = factories.make_user("sales", department=factories.make_department())
    customer = factories.make_customer(seller)
    contact = services.create_contact(manager, customer, name="经理添加")
    assert contact.is_primary
    db.session.commit()
    assert services.get_contact(manager, contact.id, editable=True) is contact
    assert services.get_contact(seller, contact.id) is contact
    from werkzeug.exceptions import NotFound
    with pytest.raises(NotFound):
        services.get_contact(outsider, contact.id)
    services.delete_contact(seller, contact)
    with pytest.raises(NotFound):
        services.get_contact(seller, contact.id)


def test_customer_in_recycle_bin_or_pool_has_no_visible_contacts(app, owner, customer):
    from crm_server.core.types import utcnow
    from werkzeug.exceptions import NotFound
    contact = services.create_contact(owner, customer, name="张伟")
    customer.deleted_at = utcnow()
    db.session.flush()
    with pytest.raises(NotFound):
        services.get_contact(owner, contact.id)
    with pytest.raises(DomainError):
        services.create_contact(owner, customer, name="回收站")
