"""交接: the preview counts what moves, confirming moves customers and open reminders, others' ids lead nowhere,
and the list of customers whose owner is disabled."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from crm_server.core.errors import DomainError
from crm_server.core.models import RolePermission
from crm_server.core.types import utcnow
from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.pool import handover
from crm_server.reminders.models import Reminder

from .. import factories
from .helpers import audit_rows, changes, company, owner_changes


def reminder(user, customer, key, entity=("customers", None), done=False) -> Reminder:
    row = Reminder(user_id=user.id, kind="followup_due", title=f"跟进 {customer.name}", due_at=utcnow(),
                   entity_type=entity[0], entity_id=entity[1] or customer.id, source_key=key,
                   done_at=utcnow() if done else None)
    db.session.add(row)
    db.session.flush()
    return row


@pytest.fixture
def departing(app):
    """A disabled salesperson with two customers (contacts, a planned follow-up, reminders) and a colleague."""
    org = company()
    leaver = factories.make_user("sales", department=org.sh_sales, display_name="离职的张伟", is_active=False)
    receiver = factories.make_user("sales", department=org.sh_sales, display_name="接手的王芳")
    first = factories.make_customer(leaver, "交接一有限公司")
    second = factories.make_customer(leaver, "交接二有限公司")
    factories.make_contact(first, "联系人甲")
    factories.make_contact(first, "联系人乙")
    factories.make_contact(second, "联系人丙")
    planned = factories.make_followup(first, leaver, next_followup_at=utcnow() + dt.timedelta(days=2))
    factories.make_followup(second, leaver, next_followup_at=utcnow() - dt.timedelta(days=2),
                            next_done_at=utcnow())  # done already: not open
    reminders = [reminder(leaver, first, "followup:first"),
                 reminder(leaver, first, "followup:planned", entity=("followups", planned.id)),
                 reminder(leaver, second, "old", done=True)]
    stranger = factories.make_customer(factories.make_user("sales"), "别人的客户有限公司")
    reminder(receiver, stranger, "followup:first")  # the receiver already has a reminder with that source
    db.session.commit()
    return {"org": org, "leaver": leaver, "receiver": receiver, "customers": [first, second],
            "reminders": reminders, "stranger": stranger}


def test_preview_counts_what_moves(departing):
    director = factories.make_user("sales_director")
    plan = handover.preview(director, departing["leaver"])
    assert (plan.customers, plan.contacts, plan.planned_followups, plan.reminders) == (2, 3, 1, 2)
    assert [c.name for c in plan.rows] == ["交接一有限公司", "交接二有限公司"]
    first = departing["customers"][0]
    plan = handover.preview(director, departing["leaver"], [first.id])
    assert (plan.customers, plan.contacts, plan.planned_followups, plan.reminders) == (1, 2, 1, 2)
    names = {(user.display_name, count) for user, count in handover.departing_candidates(director)}
    assert ("离职的张伟", 2) in names
    assert handover.departing_candidates(director)[0][0].display_name == "离职的张伟"  # disabled first


def test_hand_over_moves_customers_and_open_reminders(departing):
    director = factories.make_user("sales_director")
    leaver, receiver = departing["leaver"], departing["receiver"]
    moved, reminders = handover.hand_over(director, receiver, leaver)
    db.session.commit()
    assert (moved, reminders) == (2, 1)
    for customer in departing["customers"]:
        db.session.refresh(customer)
        assert customer.owner_id == receiver.id
        change = owner_changes(customer.id)[-1]
        assert (change.kind, change.from_user_id, change.actor_id) == ("handover", leaver.id, director.id)
        assert "离职的张伟" in change.reason
    clash, moved_one, done = departing["reminders"]
    for row in departing["reminders"]:
        db.session.refresh(row)
    assert clash.user_id == leaver.id and clash.done_at is not None  # the receiver has one already: closed
    assert moved_one.user_id == receiver.id and moved_one.done_at is None
    assert done.user_id == leaver.id
    assert len(audit_rows("customer.transferred")) == 2
    [summary] = audit_rows("customer.handover")
    assert summary.entity_id == leaver.id and summary.actor_id == director.id
    assert changes(summary)["customers"] == [None, 2] and changes(summary)["to_user"] == [None, "接手的王芳"]


def test_hand_over_refuses_what_it_should(departing):
    director = factories.make_user("sales_director")
    leaver, receiver = departing["leaver"], departing["receiver"]
    with pytest.raises(DomainError):
        handover.hand_over(director, receiver, leaver, [departing["stranger"].id])
    with pytest.raises(DomainError):
        handover.hand_over(director, leaver, receiver)  # to a disabled user
    with pytest.raises(DomainError):
        handover.hand_over(factories.make_user("sales_manager"), receiver, leaver)  # no hand-over permission
    assert db.session.scalar(select(func.count(Customer.id)).where(Customer.owner_id == receiver.id)) == 0


def test_orphans_are_customers_of_disabled_users(departing):
    director = factories.make_user("sales_director")
    orphans = db.session.scalars(handover.orphans_query(director)).all()
    assert [c.name for c in orphans] == ["交接一有限公司", "交接二有限公司"]
    assert handover.orphan_count(director) == 2
    first = departing["customers"][0]
    moved, _reminders = handover.hand_over(director, departing["receiver"], None, [first.id])
    assert moved == 1 and handover.orphan_count(director) == 1
    with pytest.raises(DomainError):  # without a departing user only customers of disabled users
        handover.hand_over(director, departing["receiver"], None, [departing["stranger"].id])


def test_the_hand_over_pages(client, login_as, departing):
    login_as("sales_director")
    leaver, receiver = departing["leaver"], departing["receiver"]
    page = client.get("/pool/handover").get_data(as_text=True)
    assert "离职的张伟" in page and "接手的王芳" in page
    page = client.get(f"/pool/handover?from_user_id={leaver.id}&to_user_id={receiver.id}").get_data(as_text=True)
    assert "交接一有限公司" in page and "交接二有限公司" in page
    preview = client.post("/pool/handover/preview", data={"from_user_id": leaver.id, "to_user_id": receiver.id,
                                                          "scope": "all"}).get_data(as_text=True)
    assert 'id="preview-customers">2<' in preview and 'id="preview-contacts">3<' in preview
    assert 'id="preview-followups">1<' in preview and 'id="preview-reminders">2<' in preview
    # previewing changes nothing
    assert db.session.scalar(select(func.count(Customer.id)).where(Customer.owner_id == receiver.id)) == 0
    response = client.post("/pool/handover/confirm", data={"from_user_id": leaver.id, "to_user_id": receiver.id,
                                                           "scope": "all"}, follow_redirects=True)
    assert "接手的王芳" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Customer.id)).where(Customer.owner_id == receiver.id)) == 2
    assert len(audit_rows("customer.handover")) == 1


def test_the_hand_over_of_chosen_customers_refuses_others_ids(client, login_as, departing):
    login_as("sales_director")
    leaver, receiver = departing["leaver"], departing["receiver"]
    first, stranger = departing["customers"][0], departing["stranger"]
    for url in ("/pool/handover/preview", "/pool/handover/confirm"):
        response = client.post(url, data={"from_user_id": leaver.id, "to_user_id": receiver.id,
                                          "scope": "selected", "ids": [first.id, stranger.id]})
        assert response.status_code == 404
    db.session.expire_all()
    assert first.owner_id == leaver.id and stranger.owner_id != receiver.id
    client.post("/pool/handover/confirm", data={"from_user_id": leaver.id, "to_user_id": receiver.id,
                                                "scope": "selected", "ids": [first.id]})
    db.session.expire_all()
    assert first.owner_id == receiver.id and departing["customers"][1].owner_id == leaver.id


def test_a_manager_only_hands_over_what_is_in_scope(client, login_as, departing):
    org = departing["org"]
    manager = factories.make_user("sales_manager", department=org.bj_sales)
    manager.role.permission_rows.append(RolePermission(permission="customer.handover"))
    db.session.commit()
    login_as(manager)
    leaver = departing["leaver"]
    page = client.get("/pool/handover").get_data(as_text=True)
    assert "离职的张伟" not in page  # their customers are outside a Beijing manager's department
    response = client.post("/pool/handover/confirm", data={"from_user_id": leaver.id,
                                                           "to_user_id": manager.id, "scope": "all"},
                           follow_redirects=True)
    assert "alert-danger" in response.get_data(as_text=True)
    db.session.expire_all()
    assert all(c.owner_id == leaver.id for c in departing["customers"])


def test_the_orphans_page(client, login_as, departing):
    login_as("sales_director")
    receiver = departing["receiver"]
    page = client.get("/pool/orphans").get_data(as_text=True)
    assert "交接一有限公司" in page and "离职的张伟" in page and "别人的客户有限公司" not in page
    first = departing["customers"][0]
    preview = client.post("/pool/handover/preview", data={"to_user_id": receiver.id, "scope": "selected",
                                                          "ids": [first.id]}).get_data(as_text=True)
    assert 'id="preview-customers">1<' in preview
    assert client.post("/pool/handover/preview", data={"to_user_id": receiver.id, "scope": "selected",
                                                       "ids": [departing["stranger"].id]}).status_code == 404
    client.post("/pool/handover/confirm", data={"to_user_id": receiver.id, "scope": "selected", "ids": [first.id]})
    page = client.get("/pool/orphans").get_data(as_text=True)
    assert "交接一有限公司" not in page and "交接二有限公司" in page
    login_as("sales")
    assert client.get("/pool/orphans").status_code == 403
    assert client.get("/pool/handover").status_code == 403
