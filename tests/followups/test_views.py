"""The follow-up pages through the test client: logging from the customer, the timeline, the list and its
filters, my plans, and what another salesperson cannot reach."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import func, select

from crm_server.contacts import services as contacts
from crm_server.core.audit import AuditLog
from crm_server.core.types import utcnow
from crm_server.customers.models import CustomerCollaborator
from crm_server.extensions import db
from crm_server.followups import services
from crm_server.followups.models import FollowUp
from tests import factories

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def invalid_fields(page: str) -> set[str]:
    tags = re.findall(r"<(?:input|select|textarea)[^>]*>", page)
    return {re.search(r'name="([^"]+)"', tag).group(1) for tag in tags if "is-invalid" in tag}


def local_input(value: dt.datetime) -> str:
    """A UTC time as a datetime-local field of the Shanghai site sends it."""
    return services.to_local(value).strftime("%Y-%m-%dT%H:%M")


def followup_form(**values) -> dict:
    data = {"kind": "call", "happened_at": local_input(utcnow() - H), "contact_id": "", "content": "电话沟通需求",
            "outcome": "", "next_step": "", "next_followup_at": ""}
    data.update(values)
    return data


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def seller(login_as):
    return login_as("sales", display_name="王销售", language="en")


@pytest.fixture
def customer(seller):
    customer = factories.make_customer(seller, "上海华东贸易有限公司")
    db.session.commit()
    return customer


def test_log_from_the_customer_page_and_see_it_in_the_timeline(client, seller, customer):
    contact = contacts.create_contact(seller, customer, name="张伟")
    db.session.commit()
    page = page_of(client.get(f"/customers/{customer.id}"))
    section = page[page.index('id="followups"'):]
    # the section carries the form to log one, posting to this customer
    assert f'action="/followups/new?customer_id={customer.id}"' in section and "张伟" in section

    happened = utcnow().replace(second=0, microsecond=0) - 2 * H
    planned = happened + 3 * D
    response = client.post(f"/followups/new?customer_id={customer.id}", data=followup_form(
        kind="visit", happened_at=local_input(happened), contact_id=str(contact.id), content="上门演示产品",
        outcome="客户认可", next_step="发报价单", next_followup_at=local_input(planned)))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/customers/{customer.id}#followups")
    followup = db.session.scalar(select(FollowUp))
    assert (followup.kind, followup.contact_id, followup.user_id) == ("visit", contact.id, seller.id)
    assert followup.happened_at == happened and followup.next_followup_at == planned
    db.session.refresh(customer)
    assert customer.last_followup_at == happened and customer.next_followup_at == planned
    assert json.loads(db.session.scalar(select(AuditLog.changes).where(AuditLog.action == "followup.created")))[
        "next_step"] == [None, "发报价单"]

    page = page_of(client.get(f"/customers/{customer.id}"))
    item = page[page.index(f'id="followup-{followup.id}"'):]
    item = item[:item.index("</li>")]
    for text in ("Visit", "上门演示产品", "客户认可", "发报价单", "王销售", "张伟", "bi-geo-alt", "Planned",
                 services.to_local(happened).strftime("%Y-%m-%d %H:%M")):
        assert text in item, text
    assert f"/followups/{followup.id}/edit" in item  # the author, on the same day


def test_the_timeline_is_newest_first_with_a_more_link(client, seller, customer):
    now = utcnow()
    for n in range(12):
        factories.make_followup(customer, seller, content=f"第{n:02d}次", happened_at=now - (n + 1) * H)
    db.session.commit()
    page = page_of(client.get(f"/customers/{customer.id}"))
    shown = re.findall(r'class="timeline-content">(第\d+次)<', page)
    assert shown == [f"第{n:02d}次" for n in range(10)]
    more = re.search(r'id="followups-more"\s+href="([^"]+)"', page)
    assert more and "followups_shown=20" in more.group(1)
    page = page_of(client.get(more.group(1).replace("&amp;", "&")))
    assert re.findall(r'class="timeline-content">(第\d+次)<', page) == [f"第{n:02d}次" for n in range(12)]
    assert 'id="followups-more"' not in page


def test_errors_show_beside_the_fields_and_nothing_is_saved(client, seller, customer):
    page = page_of(client.post(f"/followups/new?customer_id={customer.id}", data=followup_form(
        content="", happened_at="yesterday")))
    assert invalid_fields(page) == {"content", "happened_at"}
    future = utcnow() + 2 * H
    page = page_of(client.post(f"/followups/new?customer_id={customer.id}",
                               data=followup_form(happened_at=local_input(future))))
    assert invalid_fields(page) == {"happened_at"} and "cannot lie in the future" in page
    page = page_of(client.post(f"/followups/new?customer_id={customer.id}", data=followup_form(
        next_followup_at=local_input(utcnow() - 3 * H))))
    assert invalid_fields(page) == {"next_followup_at"} and "must come after this one" in page
    assert count(FollowUp) == 0


def test_a_contact_of_another_customer_cannot_be_attached(client, seller, customer):
    other = factories.make_customer(seller, "北京星辰科技有限公司")
    theirs = contacts.create_contact(seller, other, name="别家联系人")
    db.session.commit()
    page = page_of(client.post(f"/followups/new?customer_id={customer.id}",
                               data=followup_form(contact_id=str(theirs.id))))
    assert invalid_fields(page) == {"contact_id"} and "Choose one of this customer&#39;s contacts." in page
    assert count(FollowUp) == 0

    # and not by editing one either
    followup = factories.make_followup(customer, seller)
    db.session.commit()
    page = page_of(client.post(f"/followups/{followup.id}/edit", data=followup_form(contact_id=str(theirs.id))))
    assert invalid_fields(page) == {"contact_id"}
    db.session.expire_all()
    assert followup.contact_id is None


def test_another_salesperson_cannot_reach_a_follow_up_by_its_id(client, login_as, seller, customer):
    followup = services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="机密内容")
    db.session.commit()
    intruder = login_as("sales", language="en")
    own = factories.make_customer(intruder, "自己的客户")
    db.session.commit()
    assert client.get(f"/followups/new?customer_id={customer.id}").status_code == 404
    assert client.post(f"/followups/new?customer_id={customer.id}", data=followup_form()).status_code == 404
    assert client.get(f"/followups/{followup.id}/edit").status_code == 404
    assert client.post(f"/followups/{followup.id}/edit", data=followup_form(content="改")).status_code == 404
    assert client.post(f"/followups/{followup.id}/delete").status_code == 404
    assert "机密内容" not in page_of(client.get("/followups/"))
    assert "机密内容" not in page_of(client.get(f"/followups/?customer={customer.id}"))
    # a contact of the other's customer cannot be slipped into a follow-up of one's own
    secret = contacts.create_contact(seller, customer, name="张伟")
    db.session.commit()
    page = page_of(client.post(f"/followups/new?customer_id={own.id}", data=followup_form(contact_id=str(secret.id))))
    assert invalid_fields(page) == {"contact_id"}
    db.session.expire_all()
    assert count(FollowUp) == 1 and followup.content == "机密内容"
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action.like("followup.%"))) == 1


def test_read_only_collaborator_reads_the_timeline_but_cannot_log(client, login_as, seller, customer):
    services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="共享内容")
    reader = factories.make_user("sales", language="en")
    db.session.add(CustomerCollaborator(customer=customer, user=reader, can_edit=False))
    db.session.commit()
    login_as(reader)
    page = page_of(client.get(f"/customers/{customer.id}"))
    assert "共享内容" in page and f'action="/followups/new?customer_id={customer.id}"' not in page
    assert client.get(f"/followups/new?customer_id={customer.id}").status_code == 403
    assert client.post(f"/followups/new?customer_id={customer.id}", data=followup_form()).status_code == 403
    assert count(FollowUp) == 1


def test_author_edits_within_a_day_and_then_only_deletes(client, seller, customer):
    followup = services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="初稿")
    db.session.commit()
    form = page_of(client.get(f"/followups/{followup.id}/edit"))
    assert "初稿" in form and local_input(followup.happened_at) in form
    response = client.post(f"/followups/{followup.id}/edit", data=followup_form(
        kind="wechat", happened_at=local_input(followup.happened_at), content="改稿"))
    assert response.status_code == 302
    db.session.expire_all()
    assert followup.kind == "wechat" and followup.content == "改稿"

    followup.created_at = utcnow() - 25 * H
    db.session.commit()
    assert client.get(f"/followups/{followup.id}/edit").status_code == 403
    assert client.post(f"/followups/{followup.id}/edit", data=followup_form(content="再改")).status_code == 403
    page = page_of(client.get(f"/customers/{customer.id}"))
    assert f"/followups/{followup.id}/edit" not in page and f"/followups/{followup.id}/delete" in page
    assert client.post(f"/followups/{followup.id}/delete").status_code == 302
    assert count(FollowUp) == 0
    db.session.refresh(customer)
    assert customer.last_followup_at is None


def test_colleague_cannot_delete_and_manager_can(client, login_as, seller, customer):
    department = factories.make_department()
    seller.department = department
    editor = factories.make_user("sales", language="en")
    db.session.add(CustomerCollaborator(customer=customer, user=editor, can_edit=True))
    followup = services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="销售记录")
    db.session.commit()
    login_as(editor)
    assert client.post(f"/followups/{followup.id}/delete").status_code == 403
    assert client.get(f"/followups/{followup.id}/edit").status_code == 403
    assert count(FollowUp) == 1
    login_as(factories.make_user("sales_manager", department=department, language="en"))
    assert client.post(f"/followups/{followup.id}/delete").status_code == 302
    assert count(FollowUp) == 0


def test_list_filters_by_author_kind_dates_and_customer(client, seller, customer):
    other = factories.make_customer(seller, "北京星辰科技有限公司")
    editor = factories.make_user("sales", display_name="协作人")
    db.session.add(CustomerCollaborator(customer=customer, user=editor, can_edit=True))
    contact = factories.make_contact(customer, "张伟")
    factories.make_followup(customer, seller, kind="call", content="三月电话", contact=contact,
                            happened_at=dt.datetime(2026, 3, 1, 16, 30))   # 2 March 00:30 in Shanghai
    factories.make_followup(customer, editor, kind="visit", content="协作拜访",
                            happened_at=dt.datetime(2026, 3, 5, 2, 0))
    factories.make_followup(other, seller, kind="email", content="邮件报价",
                            happened_at=dt.datetime(2026, 2, 10, 2, 0))
    stranger = factories.make_user("sales")
    factories.make_followup(factories.make_customer(stranger), stranger, content="别人的记录")
    db.session.commit()

    def contents(query: str = "") -> list[str]:
        return re.findall(r'class="timeline-content">([^<]+)<', page_of(client.get("/followups/" + query)))

    assert contents() == ["协作拜访", "三月电话", "邮件报价"]
    assert contents(f"?user={editor.id}") == ["协作拜访"]
    assert contents("?kind=email") == ["邮件报价"]
    assert contents("?date_from=2026-03-02&date_to=2026-03-02") == ["三月电话"]
    assert contents("?date_from=2026-03-03") == ["协作拜访"]
    assert contents("?date_to=2026-03-01") == ["邮件报价"]
    assert contents(f"?customer={other.id}") == ["邮件报价"]
    assert contents(f"?contact={contact.id}") == ["三月电话"]
    assert "张伟" in page_of(client.get(f"/followups/?contact={contact.id}"))
    page = page_of(client.get("/followups/"))
    assert "北京星辰科技有限公司" in page and "bi-envelope" in page


def test_list_pages_in_the_database(client, seller, customer):
    for n in range(25):
        factories.make_followup(customer, seller, content=f"记录{n:02d}", happened_at=utcnow() - (n + 1) * H)
    db.session.commit()
    page = page_of(client.get("/followups/?page=2"))
    assert re.findall(r'class="timeline-content">([^<]+)<', page) == [f"记录{n:02d}" for n in range(20, 25)]
    assert "25 records, page 2 of 2" in page


def test_a_long_list_counts_up_to_a_limit_and_says_there_are_more(client, seller, customer, monkeypatch):
    from crm_server.followups import views
    monkeypatch.setattr(views, "LIST_COUNT_LIMIT", 21)
    for n in range(25):
        factories.make_followup(customer, seller, content=f"记录{n:02d}", happened_at=utcnow() - (n + 1) * H,
                                kind="visit" if n < 3 else "call")
    db.session.commit()
    page = page_of(client.get("/followups/?page=2"))
    assert re.findall(r'class="timeline-content">([^<]+)<', page) == [f"记录{n:02d}" for n in range(20, 25)]
    assert "More than 21 records (narrow them with the filters), page 2 of the first 2" in page
    narrowed = page_of(client.get("/followups/?kind=visit"))
    assert "3 records, page 1 of 1" in narrowed and "More than" not in narrowed


def test_plans_for_today_and_overdue(client, seller, customer):
    start = services.day_start_utc(services.local_today())
    overdue_customer = factories.make_customer(seller, "逾期客户")
    services.log_followup(seller, customer, kind="call", happened_at=utcnow() - H, content="约了今天",
                          next_step="今天回电", next_followup_at=start + D - dt.timedelta(minutes=1))
    services.log_followup(seller, overdue_customer, kind="call", happened_at=start - 3 * D, content="约了前天",
                          next_step="前天拜访", next_followup_at=start - 2 * D)
    db.session.commit()
    today = page_of(client.get("/followups/today"))
    assert "今天回电" in today and "前天拜访" not in today and "上海华东贸易有限公司" in today
    assert f"/followups/new?customer_id={customer.id}" in today
    overdue = page_of(client.get("/followups/overdue"))
    assert "前天拜访" in overdue and "今天回电" not in overdue
    assert re.search(r'id="tab-overdue">[^<]*<span class="badge text-bg-danger">1</span>', overdue.replace("\n", ""))

    # logging the next follow-up of the overdue customer completes the plan
    client.post(f"/followups/new?customer_id={overdue_customer.id}", data=followup_form(content="补打电话"))
    assert "前天拜访" not in page_of(client.get("/followups/overdue"))


def test_new_follow_up_without_a_customer_offers_the_editable_customers(client, seller, customer):
    page = page_of(client.get("/followups/new?q=华东"))
    assert f"/followups/new?customer_id={customer.id}" in page


def test_sidebar_offers_follow_ups(client, seller):
    assert 'href="/followups/"' in page_of(client.get("/"))
