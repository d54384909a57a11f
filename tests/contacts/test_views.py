"""The contact pages through the test client: what a salesperson sees and does, and what others cannot reach."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from crm_server.contacts import services
from crm_server.contacts.models import Contact
from crm_server.core.audit import AuditLog
from crm_server.customers.models import CustomerCollaborator
from crm_server.extensions import db
from tests import factories


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def invalid_fields(page: str) -> set[str]:
    tags = re.findall(r"<(?:input|select|textarea)[^>]*>", page)
    return {re.search(r'name="([^"]+)"', tag).group(1) for tag in tags if "is-invalid" in tag}


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == action))


@pytest.fixture
def seller(login_as):
    """A salesperson, signed in, reading English (the assertions quote the English messages)."""
    return login_as("sales", display_name="王销售", language="en")


@pytest.fixture
def customer(seller):
    customer = factories.make_customer(seller, "上海华东贸易有限公司")
    db.session.commit()
    return customer


def contact_form(**values) -> dict:
    data = {"name": "张伟", "title": "", "department": "", "mobile": "", "phone": "", "email": "", "wechat": "",
            "birthday": "", "gender": "", "decision_role": "", "remarks": ""}
    data.update(values)
    return data


def test_add_contact_from_the_customer_and_see_it_on_the_customer_page(client, seller, customer):
    form = page_of(client.get(f"/contacts/new?customer_id={customer.id}"))
    assert "上海华东贸易有限公司" in form and 'name="mobile"' in form
    response = client.post(f"/contacts/new?customer_id={customer.id}", data=contact_form(
        name="张伟", title="采购经理", mobile="138 0013 8000", email="zhang@example.cn", birthday="1985-03-07",
        decision_role="decision_maker", gender="male"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer.id}#contacts")
    contact = db.session.scalar(select(Contact).where(Contact.customer_id == customer.id))
    assert (contact.name, contact.mobile, contact.birthday_md, contact.is_primary) == (
        "张伟", "138 0013 8000", "03-07", True)
    assert audit_count("contact.created") == 1

    page = page_of(client.get(f"/customers/{customer.id}"))
    section = page[page.index('id="contacts"'):]
    assert "张伟" in section and "138 0013 8000" in section and "Decision maker" in section
    assert f"/contacts/{contact.id}/edit" in section  # the owner may edit
    assert "Primary" in section

    detail = page_of(client.get(f"/contacts/{contact.id}"))
    assert "zhang@example.cn" in detail and "1985-03-07" in detail and "上海华东贸易有限公司" in detail
    # the customer keyword search now finds the customer by its contact's name and mobile
    assert "上海华东贸易有限公司" in page_of(client.get("/customers/?q=张伟"))
    assert "上海华东贸易有限公司" in page_of(client.get("/customers/?q=13800138000"))


def test_save_and_add_another_returns_to_an_empty_form(client, seller, customer):
    response = client.post(f"/contacts/new?customer_id={customer.id}",
                           data=contact_form(name="张伟", then="another"))
    assert response.headers["Location"].endswith(f"/contacts/new?customer_id={customer.id}")


def test_format_errors_show_beside_the_fields(client, seller, customer):
    page = page_of(client.post(f"/contacts/new?customer_id={customer.id}", data=contact_form(
        name="", mobile="12345678901", phone="abc", email="nobody", birthday="2999-01-01")))
    assert invalid_fields(page) == {"name", "mobile", "phone", "email"}
    assert "A mainland mobile number has 11 digits" in page and "Enter a valid e-mail address." in page
    # the future birthday passes the form's format check and is refused by the service, beside the field
    page = page_of(client.post(f"/contacts/new?customer_id={customer.id}",
                               data=contact_form(birthday="2999-01-01")))
    assert invalid_fields(page) == {"birthday"} and "The birthday cannot be in the future." in page
    assert db.session.scalar(select(func.count(Contact.id))) == 0 and audit_count("contact.created") == 0


def test_edit_make_primary_and_delete(client, seller, customer):
    first = services.create_contact(seller, customer, name="张伟")
    second = services.create_contact(seller, customer, name="李娜")
    db.session.commit()
    form = page_of(client.get(f"/contacts/{second.id}/edit"))
    assert 'value="李娜"' in form
    response = client.post(f"/contacts/{second.id}/edit", data=contact_form(name="李娜", title="总经理",
                                                                            decision_role="decision_maker"))
    assert response.headers["Location"].endswith(f"/contacts/{second.id}")
    db.session.expire_all()
    assert second.title == "总经理" and second.decision_role == "decision_maker"

    response = client.post(f"/contacts/{second.id}/primary")
    assert response.headers["Location"].endswith(f"/customers/{customer.id}#contacts")
    db.session.expire_all()
    assert second.is_primary and not first.is_primary

    # unmarking the primary contact is refused beside the checkbox
    page = page_of(client.post(f"/contacts/{second.id}/edit", data=contact_form(name="李娜")))
    assert invalid_fields(page) == {"is_primary"}

    response = client.post(f"/contacts/{second.id}/delete")
    assert response.status_code == 302
    db.session.expire_all()
    assert second.deleted_at is not None and first.is_primary
    assert client.get(f"/contacts/{second.id}").status_code == 404
    assert "李娜" not in page_of(client.get("/contacts/"))


@pytest.mark.parametrize("few_customers", [1000, 0], ids=["by-matching-customers", "all-contacts"])
def test_list_searches_filters_sorts_and_pages_in_the_database(
        client, seller, customer, monkeypatch, few_customers):
    monkeypatch.setattr(services, "FEW_CUSTOMERS", few_customers)
    other_customer = factories.make_customer(seller, "北京星辰科技有限公司")
    this_month = services.site_today().replace(day=1, year=1990)
    factories.make_contact(customer, "张伟", mobile="13800138000", decision_role="decision_maker",
                           birthday=this_month)
    factories.make_contact(other_customer, "李娜", mobile="13912345678", decision_role="purchaser")
    for n in range(23):
        factories.make_contact(other_customer, f"Batch {n:02d}")
    stranger = factories.make_user("sales")
    hidden = factories.make_customer(stranger, "别人的客户")
    factories.make_contact(hidden, "看不见", mobile="13800138001")
    db.session.commit()

    def names(query: str) -> list[str]:
        page = page_of(client.get("/contacts/" + query))
        return re.findall(r'class="contact-name"><a href="/contacts/\d+">([^<]+)</a>', page)

    assert names("?q=张") == ["张伟"]
    assert names("?q=1380013") == ["张伟"]          # the hidden customer's 13800138001 is not listed
    assert names("?q=138-0013-8000") == ["张伟"]    # typed with dashes, found by its digits
    assert set(names("?q=星辰&per_page=50")) == {"李娜"} | {f"Batch {n:02d}" for n in range(23)}
    assert names("?decision_role=purchaser") == ["李娜"]
    assert names("?birthday=month") == ["张伟"]
    assert names(f"?customer={customer.id}") == ["张伟"]
    assert "看不见" not in names(f"?customer={hidden.id}")  # an id the user may not see is ignored
    first_page = names("?sort=name")
    assert len(first_page) == 20 and first_page[0] == "Batch 00"
    second_page = page_of(client.get("/contacts/?sort=name&page=2"))
    assert "25 records, page 2 of 2" in second_page and "张伟" in second_page
    assert "看不见" not in page_of(client.get("/contacts/?per_page=100"))


def test_another_salesperson_cannot_reach_a_contact_by_its_id(client, login_as, customer, seller):
    contact = services.create_contact(seller, customer, name="张伟", mobile="13800138000")
    db.session.commit()
    login_as("sales", language="en")
    assert client.get(f"/contacts/{contact.id}").status_code == 404
    assert client.get(f"/contacts/{contact.id}/edit").status_code == 404
    assert client.post(f"/contacts/{contact.id}/edit", data=contact_form(name="改名")).status_code == 404
    assert client.post(f"/contacts/{contact.id}/delete").status_code == 404
    assert client.post(f"/contacts/{contact.id}/primary").status_code == 404
    assert client.get(f"/contacts/new?customer_id={customer.id}").status_code == 404
    assert client.post(f"/contacts/new?customer_id={customer.id}", data=contact_form(name="冒名")).status_code == 404
    assert "张伟" not in page_of(client.get("/contacts/"))
    db.session.expire_all()
    assert contact.name == "张伟" and contact.deleted_at is None
    assert db.session.scalar(select(func.count(Contact.id))) == 1
    assert audit_count("contact.updated") == 0 and audit_count("contact.deleted") == 0


def test_read_only_collaborator_sees_but_cannot_change(client, login_as, customer, seller):
    contact = services.create_contact(seller, customer, name="张伟")
    reader = factories.make_user("sales", language="en")
    db.session.add(CustomerCollaborator(customer=customer, user=reader, can_edit=False))
    db.session.commit()
    login_as(reader)
    detail = page_of(client.get(f"/contacts/{contact.id}"))
    assert "张伟" in detail and f"/contacts/{contact.id}/edit" not in detail
    assert client.get(f"/contacts/{contact.id}/edit").status_code == 403
    assert client.post(f"/contacts/{contact.id}/delete").status_code == 403
    assert client.get(f"/contacts/new?customer_id={customer.id}").status_code == 403
    section = page_of(client.get(f"/customers/{customer.id}"))
    assert "张伟" in section and f"/contacts/new?customer_id={customer.id}" not in section
    db.session.expire_all()
    assert contact.deleted_at is None


def test_new_contact_without_a_customer_offers_the_editable_customers(client, seller, customer):
    stranger = factories.make_user("sales")
    factories.make_customer(stranger, "上海别家贸易有限公司")
    db.session.commit()
    page = page_of(client.get("/contacts/new?q=上海"))
    assert f"/contacts/new?customer_id={customer.id}" in page and "上海别家" not in page


def test_contact_page_lists_its_follow_ups(client, seller, customer):
    contact = services.create_contact(seller, customer, name="张伟")
    other = services.create_contact(seller, customer, name="李娜")
    factories.make_followup(customer, seller, contact=contact, content="谈了报价")
    factories.make_followup(customer, seller, contact=other, content="与李娜沟通")
    factories.make_followup(customer, seller, content="无联系人",
                            happened_at=dt.datetime(2026, 1, 5, 2, 0))
    db.session.commit()
    page = page_of(client.get(f"/contacts/{contact.id}"))
    panel = page[page.index('id="followups"'):]
    assert "谈了报价" in panel and "与李娜沟通" not in panel and "无联系人" not in panel
    assert f"/followups/new?customer_id={customer.id}&amp;contact_id={contact.id}" in panel


def test_sidebar_offers_contacts(client, seller):
    assert 'href="/contacts/"' in page_of(client.get("/"))
