"""Dictionaries and settings administration: values added, renamed, reordered, (de)activated, deleted when
unused; flags on one value each; the duplicate-check fields that block a save. All audited."""
from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from crm_server.admin import dictionary_services
from crm_server.core.audit import AuditLog
from crm_server.core.dictionaries import DICTIONARIES, DictionaryItem, choices, item_with_flag
from crm_server.core.errors import DomainError
from crm_server.customers.duplicates import BLOCKING_KEY, blocking_fields
from crm_server.extensions import db
from tests import factories


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def audit_rows(action: str) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def labels(kind: str) -> list[str]:
    return [item.label for item in dictionary_services.items_of(kind)]


def item(kind: str, label: str) -> DictionaryItem:
    return db.session.scalar(select(DictionaryItem).where(DictionaryItem.kind == kind,
                                                          DictionaryItem.label == label))


def invalid_fields(page: str) -> set[str]:
    tags = re.findall(r"<(?:input|select|textarea)[^>]*>", page)
    return {re.search(r'name="([^"]+)"', tag).group(1) for tag in tags if "is-invalid" in tag}


@pytest.fixture
def as_admin(login_as, admin):
    admin.language = "en"
    login_as(admin)
    return admin


def test_page_lists_every_registered_dictionary_and_the_chosen_ones_values(client, as_admin):
    page = page_of(client.get("/admin/dictionaries"))
    for kind in DICTIONARIES:
        assert f'id="dictionary-{kind}"' in page
    assert "Industry" in page and "Customer status" in page
    page = page_of(client.get("/admin/dictionaries", query_string={"kind": "customer_status"}))
    for label in ("潜在客户", "意向客户", "成交客户", "流失客户"):
        assert label in page
    deal = item("customer_status", "成交客户")
    row = page[page.index(f'id="item-{deal.id}"'):]
    assert "Deal won" in row[:row.index("</tr>")]
    assert "/admin/dictionaries" in page_of(client.get("/"))  # the sidebar entry


def test_add_rename_and_reject_a_duplicate_label(client, as_admin):
    response = client.post("/admin/dictionaries/customer_source/items", data={"label": "  抖音  ", "flag": ""})
    assert response.status_code == 302
    assert labels("customer_source")[-1] == "抖音"
    added = item("customer_source", "抖音")
    (entry,) = audit_rows("dictionary.item_created")
    assert entry.entity_id == added.id and entry.actor_id == as_admin.id
    assert json.loads(entry.changes)["label"] == [None, "抖音"]
    assert "抖音" in page_of(client.get("/admin/dictionaries", query_string={"kind": "customer_source"}))

    page = page_of(client.post("/admin/dictionaries/customer_source/items", data={"label": "抖音"}))
    assert "already has that value" in page and "label" in invalid_fields(page)
    client.post("/admin/dictionaries/customer_level/items", data={"label": "E（Test）"})
    page = page_of(client.post("/admin/dictionaries/customer_level/items", data={"label": "e（test）"}))
    assert "already has that value" in page  # case-insensitive, on every engine

    page = page_of(client.get(f"/admin/dictionaries/items/{added.id}/edit"))
    assert 'value="抖音"' in page
    response = client.post(f"/admin/dictionaries/items/{added.id}/edit", data={"label": "抖音直播", "sort_order": "5"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (added.label, added.sort_order) == ("抖音直播", 5) and labels("customer_source")[0] == "抖音直播"
    (entry,) = audit_rows("dictionary.item_updated")
    assert json.loads(entry.changes) == {"label": ["抖音", "抖音直播"], "sort_order": [90, 5]}
    page = page_of(client.post(f"/admin/dictionaries/items/{added.id}/edit", data={"label": "展会"}))
    assert "already has that value" in page and "label" in invalid_fields(page)
    page = page_of(client.post(f"/admin/dictionaries/items/{added.id}/edit", data={"label": ""}))
    assert "label" in invalid_fields(page)


def test_reorder_with_up_and_down(client, as_admin):
    first, second = labels("customer_level")[:2]
    moved = item("customer_level", second)
    client.post(f"/admin/dictionaries/items/{moved.id}/move", data={"direction": "up"})
    db.session.expire_all()
    assert labels("customer_level")[:2] == [second, first]
    assert {json.dumps(json.loads(e.changes)) for e in audit_rows("dictionary.item_updated")} == {
        json.dumps({"sort_order": [20, 10]}), json.dumps({"sort_order": [10, 20]})}
    client.post(f"/admin/dictionaries/items/{moved.id}/move", data={"direction": "up"})  # already first
    db.session.expire_all()
    assert labels("customer_level")[:2] == [second, first]
    assert client.post(f"/admin/dictionaries/items/{moved.id}/move", data={"direction": "sideways"}).status_code == 400


def test_deactivate_activate_and_delete_only_unused_values(client, as_admin):
    used = factories.dictionary_item("customer_industry", "制造业")
    unused = factories.dictionary_item("customer_industry", "其他")
    factories.make_customer(factories.make_user("sales"), "用制造业的客户", industry=used)
    db.session.commit()
    page = page_of(client.get("/admin/dictionaries", query_string={"kind": "customer_industry"}))
    used_row = page[page.index(f'id="item-{used.id}"'):]
    used_row = used_row[:used_row.index("</tr>")]
    assert re.search(r'class="text-end item-usage">1<', used_row) and "/delete" not in used_row

    client.post(f"/admin/dictionaries/items/{used.id}/delete")
    assert "Records use this value" in page_of(client.get("/admin/dictionaries"))
    assert db.session.get(DictionaryItem, used.id) is not None and not audit_rows("dictionary.item_deleted")

    client.post(f"/admin/dictionaries/items/{used.id}/deactivate")
    db.session.expire_all()
    assert not used.is_active and [e.entity_id for e in audit_rows("dictionary.item_deactivated")] == [used.id]
    assert used.id not in [value for value, _label in choices("customer_industry")]  # new records cannot choose it
    client.post(f"/admin/dictionaries/items/{used.id}/activate")
    db.session.expire_all()
    assert used.is_active and len(audit_rows("dictionary.item_activated")) == 1

    unused_id = unused.id
    client.post(f"/admin/dictionaries/items/{unused_id}/delete")
    db.session.expire_all()
    assert db.session.get(DictionaryItem, unused_id) is None
    (entry,) = audit_rows("dictionary.item_deleted")
    assert entry.entity_id == unused_id and json.loads(entry.changes)["label"] == ["其他", None]


def test_a_flag_sits_on_one_value_and_moves_when_given_to_another(client, as_admin):
    old_deal = item("customer_status", "成交客户")
    client.post("/admin/dictionaries/customer_status/items", data={"label": "已签约", "flag": "deal"})
    db.session.expire_all()
    new_deal = item("customer_status", "已签约")
    assert item_with_flag("customer_status", "deal").id == new_deal.id and old_deal.flag is None
    taken = [e for e in audit_rows("dictionary.item_updated") if e.entity_id == old_deal.id]
    assert json.loads(taken[0].changes) == {"flag": ["Deal won", None]}

    # a flagged value keeps its flag until another takes it, and cannot be deactivated or deleted
    page = page_of(client.post(f"/admin/dictionaries/items/{new_deal.id}/edit", data={"label": "已签约", "flag": ""}))
    assert "flag" in invalid_fields(page) and "give it to another value" in page
    client.post(f"/admin/dictionaries/items/{new_deal.id}/deactivate")
    client.post(f"/admin/dictionaries/items/{new_deal.id}/delete")
    db.session.expire_all()
    assert new_deal.is_active and db.session.get(DictionaryItem, new_deal.id).flag == "deal"

    client.post(f"/admin/dictionaries/items/{old_deal.id}/edit", data={"label": "成交客户", "flag": "deal"})
    db.session.expire_all()
    assert item_with_flag("customer_status", "deal").id == old_deal.id and new_deal.flag is None
    assert [i.flag for i in dictionary_services.items_of("customer_status")].count("deal") == 1


def test_flags_only_where_the_dictionary_declares_them(client, as_admin):
    page = page_of(client.get("/admin/dictionaries", query_string={"kind": "customer_industry"}))
    assert 'name="flag"' not in page
    page = page_of(client.post("/admin/dictionaries/customer_industry/items", data={"label": "新行业", "flag": "deal"}))
    assert item("customer_industry", "新行业") is None and "Not a valid choice" in page
    with pytest.raises(DomainError):
        dictionary_services.create_item(as_admin, "customer_industry", label="新行业", flag="deal")
    with pytest.raises(DomainError):
        dictionary_services.create_item(as_admin, "no_such_dictionary", label="x")
    assert client.post("/admin/dictionaries/no_such_dictionary/items", data={"label": "x"}).status_code == 404


def test_settings_choose_the_duplicate_fields_that_block_a_save(client, as_admin):
    page = page_of(client.get("/admin/settings"))
    assert re.search(r'<input[^>]*checked[^>]*value="credit_code"|<input[^>]*value="credit_code"[^>]*checked', page)
    response = client.post("/admin/settings", data={"blocking_fields": ["name", "phone"]})
    assert response.status_code == 302
    assert blocking_fields() == {"name", "phone"}
    (entry,) = audit_rows("settings.updated")
    assert json.loads(entry.changes) == {BLOCKING_KEY: ["credit_code", "name,phone"]}
    client.post("/admin/settings", data={"blocking_fields": ["name", "phone"]})
    assert len(audit_rows("settings.updated")) == 1  # nothing changed, nothing logged
    client.post("/admin/settings", data={})
    assert blocking_fields() == set()
    page = page_of(client.post("/admin/settings", data={"blocking_fields": ["shoe_size"]}))
    assert "blocking_fields" in invalid_fields(page) and blocking_fields() == set()
    audit_page = page_of(client.get("/admin/audit"))
    assert "Duplicate check: fields that block saving" in audit_page


def test_salesperson_gets_403_and_nothing_changes(client, login_as):
    value = factories.dictionary_item("customer_source")
    login_as("sales", language="en")
    for url in ("/admin/dictionaries", f"/admin/dictionaries/items/{value.id}/edit", "/admin/settings"):
        assert client.get(url).status_code == 403, url
    posts = {"/admin/dictionaries/customer_source/items": {"label": "新来源"},
             f"/admin/dictionaries/items/{value.id}/edit": {"label": "改名"},
             f"/admin/dictionaries/items/{value.id}/move": {"direction": "down"},
             f"/admin/dictionaries/items/{value.id}/deactivate": {},
             f"/admin/dictionaries/items/{value.id}/delete": {},
             "/admin/settings": {"blocking_fields": ["name"]}}
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    db.session.expire_all()
    assert db.session.get(DictionaryItem, value.id).label == value.label and value.is_active
    assert item("customer_source", "新来源") is None and blocking_fields() == {"credit_code"}
    assert not db.session.scalars(select(AuditLog).where(AuditLog.action.like("dictionary.%"))).all()
    assert "/admin/dictionaries" not in page_of(client.get("/"))


def test_an_unknown_value_is_404(client, as_admin):
    assert client.get("/admin/dictionaries/items/999999/edit").status_code == 404
    assert client.post("/admin/dictionaries/items/999999/delete").status_code == 404
