"""The recycle bin: administrators list deleted customers and restore them; merged ones stay where they are."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.types import utcnow
from crm_server.customers import recycle_bin
from crm_server.customers.models import Customer
from crm_server.customers.services import delete_customers
from crm_server.extensions import db

from .. import factories


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def audit_rows(action: str) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def listed_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="binned-(\d+)"', page)]


@pytest.fixture
def as_admin(login_as, admin):
    admin.language = "en"
    login_as(admin)
    return admin


@pytest.fixture
def deleter():
    return factories.make_user("sales_director", display_name="删除人")  # sees every customer, may delete


def deleted(owner, name, by, **kw):
    customer = factories.make_customer(owner, name, **kw)
    delete_customers(by, [customer])
    return customer


def test_lists_deleted_customers_with_who_deleted_them_and_when(client, as_admin, deleter):
    owner = factories.make_user("sales", display_name="Alice")
    gone = deleted(owner, "已删除贸易有限公司", deleter)
    gone.deleted_at = dt.datetime(2026, 3, 1, 2, 30)  # UTC: 10:30 in Shanghai
    pooled = deleted(None, "公海里删掉的客户", deleter)
    factories.make_customer(owner, "还在用的客户")
    db.session.commit()
    page = page_of(client.get("/customers/recycle-bin"))
    assert set(listed_ids(page)) == {gone.id, pooled.id} and "还在用的客户" not in page
    row = page[page.index(f'id="binned-{gone.id}"'):]
    row = row[:row.index("</tr>")]
    assert "已删除贸易有限公司" in row and "Alice" in row and "删除人" in row and "2026-03-01 10:30" in row
    assert f'name="ids" value="{gone.id}"' in row and "Restore" in row
    assert "Public pool" in page
    assert "/customers/recycle-bin" in page_of(client.get("/"))  # the sidebar offers it


def test_search_filters_and_pagination_happen_in_the_database(client, as_admin, deleter):
    owner = factories.make_user("sales")
    now = utcnow()
    customers = []
    for n in range(25):
        customer = deleted(owner, f"批量客户{n:02d}", deleter)
        customer.deleted_at = now - dt.timedelta(minutes=n)
        customers.append(customer)
    phone_one = deleted(owner, "电话客户", deleter, phone="021-5555 0001")
    phone_one.deleted_at = now - dt.timedelta(days=2)
    db.session.commit()
    first = page_of(client.get("/customers/recycle-bin"))
    assert listed_ids(first) == [c.id for c in customers[:20]]  # newest deletions first
    second = page_of(client.get("/customers/recycle-bin", query_string={"page": 2}))
    assert listed_ids(second) == [c.id for c in customers[20:]] + [phone_one.id]
    assert "26 records, page 2 of 2" in second
    found = page_of(client.get("/customers/recycle-bin", query_string={"q": "批量客户07"}))
    assert listed_ids(found) == [customers[7].id]
    assert listed_ids(page_of(client.get("/customers/recycle-bin", query_string={"q": "5555"}))) == [phone_one.id]
    empty = page_of(client.get("/customers/recycle-bin", query_string={"q": "没有这个"}))
    assert listed_ids(empty) == [] and "No deleted customers match." in empty


def test_restore_one_brings_it_back_into_its_owners_list(client, login_as, as_admin, deleter):
    owner = factories.make_user("sales", display_name="Alice", language="en")
    customer = factories.make_customer(owner, "恢复测试有限公司")
    db.session.commit()
    login_as(deleter)
    assert client.post(f"/customers/{customer.id}/delete").status_code == 302  # the customers page's delete
    assert "回收站" in page_of(client.get("/customers/"))  # (shows, and so clears, the message)
    login_as(owner)
    assert "恢复测试有限公司" not in page_of(client.get("/customers/"))

    login_as(as_admin)
    assert f'id="binned-{customer.id}"' in page_of(client.get("/customers/recycle-bin"))
    response = client.post(f"/customers/recycle-bin/{customer.id}/restore")
    assert response.status_code == 302
    page = page_of(client.get("/customers/recycle-bin"))
    assert "恢复测试有限公司 has been restored." in page and f'id="binned-{customer.id}"' not in page
    db.session.expire_all()
    restored = db.session.get(Customer, customer.id)
    assert restored.deleted_at is None and restored.deleted_by_id is None and restored.owner_id == owner.id
    (entry,) = audit_rows("customer.restored")
    assert entry.entity_id == customer.id and entry.actor_id == as_admin.id
    changes = json.loads(entry.changes)
    assert changes["deleted_by"] == ["删除人", None] and changes["deleted_at"][1] is None

    login_as(owner)
    assert "恢复测试有限公司" in page_of(client.get("/customers/"))


def test_restore_the_checked_ones(client, as_admin, deleter):
    owner = factories.make_user("sales")
    a, b, c = (deleted(owner, name, deleter) for name in ("甲客户", "乙客户", "丙客户"))
    db.session.commit()
    response = client.post("/customers/recycle-bin/restore", data={"ids": [a.id, c.id]})
    assert response.status_code == 302
    assert "2 customers have been restored." in page_of(client.get("/customers/recycle-bin"))
    db.session.expire_all()
    assert [db.session.get(Customer, x.id).deleted_at is None for x in (a, b, c)] == [True, False, True]
    assert len(audit_rows("customer.restored")) == 2
    # nothing checked
    client.post("/customers/recycle-bin/restore", data={})
    assert "Choose the customers to restore." in page_of(client.get("/customers/recycle-bin"))


def test_a_customer_of_a_disabled_owner_is_restored_too(client, as_admin, deleter):
    owner = factories.make_user("sales", display_name="离职员工")
    customer = deleted(owner, "离职员工的客户", deleter)
    owner.is_active = False
    db.session.commit()
    page = page_of(client.get("/customers/recycle-bin"))
    assert "离职员工" in page and "Disabled" in page
    client.post(f"/customers/recycle-bin/{customer.id}/restore")
    db.session.expire_all()
    restored = db.session.get(Customer, customer.id)
    assert restored.deleted_at is None and restored.owner_id == owner.id


def test_merged_customers_are_marked_and_cannot_be_restored(client, as_admin, deleter):
    from crm_server.customers.merge import merge_customers
    owner = factories.make_user("sales")
    keep = factories.make_customer(owner, "合并后的客户")
    other = factories.make_customer(owner, "被合并的客户")
    merge_customers(as_admin, keep, other)
    db.session.commit()
    page = page_of(client.get("/customers/recycle-bin"))
    row = page[page.index(f'id="binned-{other.id}"'):]
    row = row[:row.index("</tr>")]
    assert "Merged" in row and "合并后的客户" in row and f'href="/customers/{keep.id}"' in row
    assert 'name="ids"' not in row and "restore" not in row
    assert listed_ids(page_of(client.get("/customers/recycle-bin", query_string={"show": "deleted"}))) == []
    assert listed_ids(page_of(client.get("/customers/recycle-bin", query_string={"show": "merged"}))) == [other.id]

    client.post(f"/customers/recycle-bin/{other.id}/restore")
    assert "cannot be restored" in page_of(client.get("/customers/recycle-bin"))
    client.post("/customers/recycle-bin/restore", data={"ids": [other.id]})
    db.session.expire_all()
    assert db.session.get(Customer, other.id).deleted_at is not None and not audit_rows("customer.restored")


def test_only_customers_in_the_bin_can_be_restored(client, as_admin):
    live = factories.make_customer(factories.make_user("sales"), "正常客户")
    db.session.commit()
    assert client.post(f"/customers/recycle-bin/{live.id}/restore").status_code == 404
    assert client.post("/customers/recycle-bin/999999/restore").status_code == 404
    client.post("/customers/recycle-bin/restore", data={"ids": [live.id]})
    assert "None of the chosen customers is in the recycle bin." in page_of(client.get("/customers/recycle-bin"))
    assert not audit_rows("customer.restored")


@pytest.mark.parametrize("role", ["sales", "sales_manager", "sales_director"])
def test_others_get_403_and_nothing_changes(client, login_as, deleter, role):
    owner = factories.make_user("sales")
    customer = deleted(owner, "回收站里的客户", deleter)
    db.session.commit()
    login_as(role, language="en")
    assert client.get("/customers/recycle-bin").status_code == 403
    assert client.post(f"/customers/recycle-bin/{customer.id}/restore").status_code == 403
    assert client.post("/customers/recycle-bin/restore", data={"ids": [customer.id]}).status_code == 403
    assert "/customers/recycle-bin" not in page_of(client.get("/"))
    db.session.expire_all()
    assert db.session.get(Customer, customer.id).deleted_at is not None and not audit_rows("customer.restored")


def test_the_bin_follows_the_data_scope_of_whoever_was_given_it(app, deleter):
    """A role given the recycle bin with a department scope sees and restores only its department's customers."""
    from crm_server.core.models import RolePermission
    from crm_server.customers.access import CustomerPermission
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    manager.role.permission_rows.append(RolePermission(permission=CustomerPermission.RECYCLE_BIN))
    mine = deleted(factories.make_user("sales", department=department), "本部门的客户", deleter)
    theirs = deleted(factories.make_user("sales"), "别的部门的客户", deleter)
    db.session.flush()
    rows = db.session.execute(recycle_bin.recycle_bin_query(manager)).all()
    assert [row[0].id for row in rows] == [mine.id]
    with pytest.raises(DomainError):
        recycle_bin.restore_customers(manager, [theirs.id])
    assert [c.id for c in recycle_bin.restore_customers(manager, [mine.id, theirs.id])] == [mine.id]
    assert theirs.deleted_at is not None
