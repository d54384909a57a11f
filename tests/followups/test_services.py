"""Follow-up rules: the customer's last/next follow-up times, plans and their completion, validation, who may
log, edit and delete, and the audit rows."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from crm_server.contacts import services as contacts
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.types import utcnow
from crm_server.customers.models import CustomerCollaborator
from crm_server.extensions import db
from crm_server.followups import services
from crm_server.followups.models import FollowUp
from tests import factories

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def audit_rows(action: str) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def whole_seconds(value: dt.datetime) -> dt.datetime:
    # MariaDB keeps whole seconds: compare what every engine stores
    return value.replace(microsecond=0)


@pytest.fixture
def owner(app):
    return factories.make_user("sales", display_name="王销售")


@pytest.fixture
def customer(owner):
    return factories.make_customer(owner, "上海华东贸易有限公司")


def log(actor, customer, happened_at, next_followup_at=None, **kw):
    return services.log_followup(actor, customer, kind=kw.pop("kind", "call"), happened_at=happened_at,
                                 content=kw.pop("content", "电话沟通"), next_followup_at=next_followup_at, **kw)


def reload(*objects):
    db.session.flush()
    for obj in objects:
        db.session.refresh(obj)


def test_logging_sets_last_and_next_and_completes_earlier_plans(app, owner, customer):
    now = whole_seconds(utcnow())
    first = log(owner, customer, now - 10 * D, next_followup_at=now - 7 * D)
    second = log(owner, customer, now - 9 * D, next_followup_at=now + 3 * D)
    reload(customer, first, second)
    # the second follow-up is the contact the first one planned
    assert first.next_done_at == now - 9 * D and second.next_done_at is None
    assert customer.last_followup_at == now - 9 * D and customer.next_followup_at == now + 3 * D

    third = log(owner, customer, now - H, content="拜访", kind="visit")
    reload(customer, second, third)
    assert second.next_done_at == now - H and third.next_followup_at is None
    assert customer.last_followup_at == now - H and customer.next_followup_at is None
    entry = audit_rows("followup.created")[-1]
    changes = json.loads(entry.changes)
    assert changes["plans_completed"] == [None, 1] and changes["customer"] == [None, "上海华东贸易有限公司"]
    assert changes["kind"] == [None, "visit"] and changes["content"] == [None, "拜访"]
    assert entry.actor_id == owner.id and entry.entity_type == "followups" and entry.entity_id == third.id


def test_a_back_dated_follow_up_completes_only_plans_made_before_it(app, owner, customer):
    now = whole_seconds(utcnow())
    recent = log(owner, customer, now - 2 * D, next_followup_at=now + 2 * D)
    old = log(owner, customer, now - 5 * D, next_followup_at=now + 5 * D, content="补录")
    reload(customer, recent, old)
    assert recent.next_done_at is None and old.next_done_at == now - 2 * D  # the later one followed it up
    assert customer.last_followup_at == now - 2 * D and customer.next_followup_at == now + 2 * D


def test_next_is_the_earliest_open_plan(app, owner, customer):
    now = whole_seconds(utcnow())
    other = factories.make_customer(owner)
    log(owner, other, now - 3 * H, next_followup_at=now + H)  # another customer's plan does not count
    log(owner, customer, now - 2 * H, next_followup_at=now + 4 * D)
    reload(customer)
    assert customer.next_followup_at == now + 4 * D
    log(owner, customer, now - H, next_followup_at=now + 2 * D)
    reload(customer)
    assert customer.next_followup_at == now + 2 * D


def test_edit_and_delete_work_the_plans_and_times_out_again(app, owner, customer):
    now = whole_seconds(utcnow())
    first = log(owner, customer, now - 3 * D, next_followup_at=now - 2 * D)
    second = log(owner, customer, now - 2 * D, next_followup_at=now + D)
    reload(customer, first)
    assert first.next_done_at == now - 2 * D

    services.delete_followup(owner, second)
    reload(customer, first)
    # the plan the deleted follow-up completed is open again
    assert first.next_done_at is None
    assert customer.last_followup_at == now - 3 * D and customer.next_followup_at == now - 2 * D
    entry = audit_rows("followup.deleted")[-1]
    assert json.loads(entry.changes)["content"] == ["电话沟通", None]

    third = log(owner, customer, now - H)
    reload(first)
    assert first.next_done_at == now - H
    # moved before the first one, the third no longer completes its plan
    services.update_followup(owner, third, kind="call", happened_at=now - 4 * D, content="改期",
                             next_followup_at=now + 2 * D)
    reload(customer, first, third)
    assert first.next_done_at is None and third.next_done_at == now - 3 * D
    assert customer.last_followup_at == now - 3 * D and customer.next_followup_at == now - 2 * D
    changes = json.loads(audit_rows("followup.updated")[-1].changes)
    assert changes["content"] == ["电话沟通", "改期"] and set(changes) >= {"happened_at", "next_followup_at"}


def test_deleting_the_only_follow_up_clears_the_customer_times(app, owner, customer):
    only = log(owner, customer, utcnow() - H, next_followup_at=utcnow() + D)
    services.delete_followup(owner, only)
    reload(customer)
    assert customer.last_followup_at is None and customer.next_followup_at is None


@pytest.mark.parametrize("values, field", [
    ({"kind": "fax"}, "kind"),
    ({"content": "   "}, "content"),
    ({"content": "x" * 5001}, "content"),
    ({"outcome": "x" * 501}, "outcome"),
    ({"next_step": "x" * 501}, "next_step"),
    ({"happened_at": None}, "happened_at"),
])
def test_invalid_values_are_refused_beside_their_field(app, owner, customer, values, field):
    data = {"kind": "call", "happened_at": utcnow() - H, "content": "沟通", **values}
    with pytest.raises(DomainError) as error:
        services.log_followup(owner, customer, **data)
    assert error.value.field == field
    assert db.session.scalar(select(FollowUp.id)) is None


def test_times_must_make_sense(app, owner, customer):
    now = utcnow()
    with pytest.raises(DomainError) as error:
        log(owner, customer, now + dt.timedelta(minutes=6))
    assert error.value.field == "happened_at"
    assert log(owner, customer, now + dt.timedelta(minutes=4))  # a clock a little ahead is fine
    with pytest.raises(DomainError) as error:
        log(owner, customer, now - H, next_followup_at=now - 2 * H)
    assert error.value.field == "next_followup_at"
    with pytest.raises(DomainError):
        log(owner, customer, now - H, next_followup_at=now - H)
    # aware times are taken as such: 08:00 in Shanghai is 00:00 UTC
    shanghai = dt.timezone(dt.timedelta(hours=8))
    followup = log(owner, customer, dt.datetime(2026, 3, 2, 8, 0, tzinfo=shanghai))
    assert followup.happened_at == dt.datetime(2026, 3, 2, 0, 0)


def test_the_contact_must_belong_to_the_customer(app, owner, customer):
    other = factories.make_customer(owner, "北京星辰科技有限公司")
    theirs = contacts.create_contact(owner, other, name="别家联系人")
    ours = contacts.create_contact(owner, customer, name="张伟")
    with pytest.raises(DomainError) as error:
        log(owner, customer, utcnow() - H, contact_id=theirs.id)
    assert error.value.field == "contact_id"
    with pytest.raises(DomainError):
        log(owner, customer, utcnow() - H, contact_id=999999)
    followup = log(owner, customer, utcnow() - H, contact_id=ours.id)
    assert followup.contact is ours
    # a deleted contact cannot be chosen for a new follow-up, but an edit keeps the one it had
    contacts.delete_contact(owner, ours)
    with pytest.raises(DomainError):
        log(owner, customer, utcnow() - H, contact_id=ours.id)
    services.update_followup(owner, followup, contact_id=ours.id, kind="call", happened_at=followup.happened_at,
                             content="补充")
    assert followup.contact_id == ours.id and followup.content == "补充"


def test_who_may_log(app, owner, customer):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    owner.department = department
    stranger = factories.make_user("sales")
    reader = factories.make_user("sales")
    editor = factories.make_user("sales")
    db.session.add_all([CustomerCollaborator(customer=customer, user=reader, can_edit=False),
                        CustomerCollaborator(customer=customer, user=editor, can_edit=True)])
    db.session.flush()
    for user in (stranger, reader):
        with pytest.raises(DomainError):
            log(user, customer, utcnow() - H)
    assert db.session.scalar(select(FollowUp.id)) is None
    assert log(editor, customer, utcnow() - H).user_id == editor.id
    assert log(manager, customer, utcnow() - H).user_id == manager.id
    assert log(owner, customer, utcnow() - H).user_id == owner.id


def test_who_may_edit_and_delete(app, owner, customer):
    department = factories.make_department()
    manager = factories.make_user("sales_manager", department=department)
    owner.department = department
    editor = factories.make_user("sales")
    db.session.add(CustomerCollaborator(customer=customer, user=editor, can_edit=True))
    db.session.flush()
    mine = log(owner, customer, utcnow() - 2 * H)
    theirs = log(editor, customer, utcnow() - H)

    assert services.may_edit(owner, mine) and services.may_delete(owner, mine)
    assert not services.may_edit(owner, theirs) and not services.may_delete(owner, theirs)  # no manager
    assert services.may_edit(manager, theirs) and services.may_delete(manager, theirs)
    with pytest.raises(DomainError):
        services.update_followup(owner, theirs, kind="call", happened_at=theirs.happened_at, content="改")
    with pytest.raises(DomainError):
        services.delete_followup(owner, theirs)

    mine.created_at = utcnow() - 25 * H  # the author's day to correct it has passed
    db.session.flush()
    assert not services.may_edit(owner, mine) and services.may_delete(owner, mine)
    with pytest.raises(DomainError):
        services.update_followup(owner, mine, kind="call", happened_at=mine.happened_at, content="改")
    assert services.may_edit(manager, mine)
    services.update_followup(manager, mine, kind="visit", happened_at=mine.happened_at, content="经理更正")
    assert mine.kind == "visit" and audit_rows("followup.updated")[-1].actor_id == manager.id
    rights = services.permissions_for(owner, [mine, theirs])
    assert rights == {mine.id: (False, True), theirs.id: (False, False)}
    assert services.permissions_for(manager, [mine, theirs]) == {mine.id: (True, True), theirs.id: (True, True)}

    # the author who no longer sees the customer (it was handed to someone else) cannot touch it either
    customer.owner = factories.make_user("sales")
    db.session.delete(db.session.get(CustomerCollaborator, (customer.id, editor.id)))
    db.session.flush()
    assert not services.may_edit(editor, theirs) and not services.may_delete(editor, theirs)


def test_plans_today_and_overdue_are_the_users_own_on_their_own_customers(app, owner, customer):
    today = services.local_today()
    start = services.day_start_utc(today)
    end_of_today = start + D - dt.timedelta(minutes=1)
    colleague = factories.make_user("sales")
    theirs = factories.make_customer(colleague)
    db.session.add(CustomerCollaborator(customer=theirs, user=owner, can_edit=True))
    other_customer = factories.make_customer(owner)

    due_today = log(owner, customer, utcnow() - H, next_followup_at=end_of_today)
    overdue = log(owner, other_customer, start - 3 * D, next_followup_at=start - 2 * D)
    log(owner, theirs, utcnow() - H, next_followup_at=end_of_today)          # not their customer
    later = factories.make_customer(owner)
    log(owner, later, utcnow() - H, next_followup_at=start + 2 * D)          # not due yet
    db.session.flush()

    def listed(which):
        return db.session.scalars(services.plans_query(owner, which)).unique().all()

    assert listed("today") == [due_today] and listed("overdue") == [overdue]
    assert services.plan_counts(owner) == {"today": 1, "overdue": 1}
    assert services.plan_counts(colleague) == {"today": 0, "overdue": 0}
    log(owner, other_customer, utcnow() - H, content="补上了")  # completes the overdue plan
    assert listed("overdue") == []


def test_dates_of_the_site_time_zone(app):
    assert services.day_start_utc(dt.date(2026, 3, 2)) == dt.datetime(2026, 3, 1, 16, 0)
    assert services.to_utc(dt.datetime(2026, 3, 2, 9, 30)) == dt.datetime(2026, 3, 2, 1, 30)
    assert services.to_local(dt.datetime(2026, 3, 2, 1, 30)) == dt.datetime(2026, 3, 2, 9, 30)
