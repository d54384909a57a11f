"""The reminder rules: the bell's count, the tabs by the site's calendar days, done, snooze, links."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.reminders import services
from crm_server.reminders.models import Reminder
from crm_server.reminders.services import NewReminder, remind, remind_many
from tests.factories import make_contact, make_customer, make_department, make_followup, make_user

# 2026-11-25 11:00 in Shanghai (UTC+8): the site's "today" is 25 November, which began at 11-24 16:00 UTC.
NOW = dt.datetime(2026, 11, 25, 3, 0)


def _reminder(user, title, due_at, **kw):
    reminder = remind(user.id, kw.pop("kind", "followup_due"), title, due_at, kw.pop("key", title),
                      kw.pop("entity_type", None), kw.pop("entity_id", None))
    for name, value in kw.items():
        setattr(reminder, name, value)
    db.session.flush()
    return reminder


def _titles(user, tab, now=NOW):
    return [r.title for r in db.session.scalars(services.tab_query(user, tab, services.window(now)))]


def test_remind_is_idempotent_per_user_and_source(app):
    user, other = make_user(), make_user()
    assert remind(user.id, "followup_due", "跟进 A", NOW, "followup:1") is not None
    assert remind(user.id, "followup_due", "跟进 A again", NOW, "followup:1") is None
    assert remind(other.id, "followup_due", "跟进 A", NOW, "followup:1") is not None
    assert db.session.scalar(select(db.func.count(Reminder.id))) == 2


def test_remind_many_adds_only_what_is_missing(app):
    user, other = make_user(), make_user()
    remind(user.id, "birthday", "old", NOW, "birthday:1:2026")
    items = [NewReminder(user.id, "birthday", "new", NOW, "birthday:1:2026"),
             NewReminder(other.id, "birthday", "other's", NOW, "birthday:1:2026"),
             NewReminder(user.id, "birthday", "second", NOW, "birthday:2:2026"),
             NewReminder(user.id, "birthday", "second twice", NOW, "birthday:2:2026")]
    assert remind_many(items) == 2
    assert remind_many(items) == 0
    assert sorted(db.session.scalars(select(Reminder.title))) == ["old", "other's", "second"]


def test_bell_counts_open_due_unsnoozed_reminders_of_the_user(app):
    user, other = make_user(), make_user()
    _reminder(user, "due", NOW - dt.timedelta(minutes=1))
    _reminder(user, "due now", NOW)
    _reminder(user, "later today", NOW + dt.timedelta(hours=2))
    _reminder(user, "done", NOW - dt.timedelta(days=1), done_at=NOW - dt.timedelta(hours=1))
    _reminder(user, "snoozed", NOW - dt.timedelta(days=1), snoozed_until=NOW + dt.timedelta(hours=1))
    _reminder(user, "snooze over", NOW - dt.timedelta(days=1), snoozed_until=NOW - dt.timedelta(minutes=5))
    _reminder(other, "someone else's", NOW - dt.timedelta(days=1))
    assert services.due_count(user.id, NOW) == 3
    assert services.due_count(other.id, NOW) == 1


def test_tabs_follow_the_site_calendar_day_not_utc(app):
    user = make_user()
    # 2026-11-25 01:00 in Shanghai is still 24 November in UTC
    now = dt.datetime(2026, 11, 24, 17, 0)
    _reminder(user, "yesterday evening local", dt.datetime(2026, 11, 24, 10, 0))   # 11-24 18:00 local
    _reminder(user, "last minute of yesterday", dt.datetime(2026, 11, 24, 15, 59))  # 11-24 23:59 local
    _reminder(user, "first minute of today", dt.datetime(2026, 11, 24, 16, 0))      # 11-25 00:00 local
    _reminder(user, "tonight", dt.datetime(2026, 11, 25, 15, 59))                   # 11-25 23:59 local
    _reminder(user, "tomorrow", dt.datetime(2026, 11, 25, 16, 0))                   # 11-26 00:00 local
    _reminder(user, "in seven days", dt.datetime(2026, 12, 2, 15, 0))               # 12-02 23:00 local
    _reminder(user, "in eight days", dt.datetime(2026, 12, 2, 16, 0))               # 12-03 00:00 local
    _reminder(user, "done", dt.datetime(2026, 11, 20), done_at=now - dt.timedelta(days=2))
    _reminder(user, "done long ago", dt.datetime(2026, 9, 1), done_at=now - dt.timedelta(days=40))

    assert _titles(user, "overdue", now) == ["yesterday evening local", "last minute of yesterday"]
    assert _titles(user, "today", now) == ["first minute of today", "tonight"]
    assert _titles(user, "upcoming", now) == ["tomorrow", "in seven days"]
    assert _titles(user, "done", now) == ["done"]
    assert services.tab_counts(user, services.window(now)) == {"overdue": 2, "today": 2, "upcoming": 2, "done": 1}


def test_a_snoozed_reminder_moves_to_the_day_it_comes_back(app):
    user = make_user()
    reminder = _reminder(user, "call back", NOW - dt.timedelta(days=2))
    assert _titles(user, "overdue") == ["call back"]
    services.snooze(user, reminder, "tomorrow", now=NOW)
    assert _titles(user, "overdue") == [] and _titles(user, "upcoming") == ["call back"]
    services.snooze(user, reminder, "hour", now=NOW)
    assert _titles(user, "today") == ["call back"]


def test_snooze_choices_in_site_time(app):
    # NOW is Wednesday 2026-11-25 11:00 in Shanghai
    assert services.snooze_until("hour", NOW) == NOW + dt.timedelta(hours=1)
    assert services.snooze_until("tomorrow", NOW) == dt.datetime(2026, 11, 26, 1, 0)  # 09:00 local
    assert services.snooze_until("week", NOW) == dt.datetime(2026, 11, 30, 1, 0)      # Monday 09:00 local
    # late on a Sunday evening UTC it is already Monday in Shanghai: next week is the Monday after
    assert services.snooze_until("week", dt.datetime(2026, 11, 29, 20, 0)) == dt.datetime(2026, 12, 7, 1, 0)
    with pytest.raises(DomainError):
        services.snooze_until("forever", NOW)


def test_done_and_snooze_are_audited_and_refuse_others(app):
    user, other = make_user(), make_user()
    reminder = _reminder(user, "跟进 甲公司", NOW - dt.timedelta(hours=1))
    services.snooze(user, reminder, "hour", now=NOW)
    services.mark_done(user, reminder, now=NOW)
    assert reminder.done_at == NOW
    actions = [a for a, in db.session.execute(select(AuditLog.action).order_by(AuditLog.id))]
    assert actions == ["reminder.snoozed", "reminder.done"]
    with pytest.raises(DomainError):
        services.snooze(user, reminder, "hour", now=NOW)  # already done

    theirs = _reminder(other, "theirs", NOW - dt.timedelta(hours=1))
    assert services.get_own_reminder(user, theirs.id) is None
    with pytest.raises(DomainError):
        services.mark_done(user, theirs)
    with pytest.raises(DomainError):
        services.snooze(user, theirs, "hour")
    assert theirs.done_at is None and theirs.snoozed_until is None


def test_mark_overdue_done_touches_only_own_overdue(app):
    user, other = make_user(), make_user()
    _reminder(user, "old 1", NOW - dt.timedelta(days=3))
    _reminder(user, "old 2", NOW - dt.timedelta(days=1))
    _reminder(user, "today", NOW - dt.timedelta(hours=1))
    _reminder(other, "other's old", NOW - dt.timedelta(days=3))
    assert services.mark_overdue_done(user, now=NOW) == 2
    db.session.flush()
    done = dict(db.session.execute(select(Reminder.title, Reminder.done_at)).tuples().all())
    assert done == {"old 1": NOW, "old 2": NOW, "today": None, "other's old": None}
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "reminder.overdue_done"))
    assert entry.actor_id == user.id and "2" in entry.entity_label
    assert services.mark_overdue_done(user, now=NOW) == 0


def test_record_url_finds_the_route_argument(app):
    with app.test_request_context():
        assert services.record_url("admin.user_edit", 5) == "/admin/users/5/edit"
        assert services.record_url("nonexistent.detail", 5) is None


def test_links_only_to_records_the_user_may_open(app, monkeypatch):
    monkeypatch.setattr(services, "record_url", lambda endpoint, record_id: f"/{endpoint}/{record_id}")
    department = make_department()
    user = make_user("sales", department=department)
    colleague = make_user("sales", department=department)
    mine, theirs = make_customer(user, "甲公司"), make_customer(colleague, "乙公司")
    gone = make_customer(user, "丙公司", deleted_at=utcnow())
    contact, their_contact = make_contact(mine, "张三"), make_contact(theirs, "李四")
    plan = make_followup(mine, user, next_followup_at=NOW)
    rows = [
        _reminder(user, "customer", NOW, entity_type="customers", entity_id=mine.id),
        _reminder(user, "their customer", NOW, entity_type="customers", entity_id=theirs.id),
        _reminder(user, "deleted customer", NOW, entity_type="customers", entity_id=gone.id),
        _reminder(user, "contact", NOW, entity_type="contacts", entity_id=contact.id),
        _reminder(user, "their contact", NOW, entity_type="contacts", entity_id=their_contact.id),
        _reminder(user, "follow-up", NOW, entity_type="followups", entity_id=plan.id),
        _reminder(user, "contract", NOW, entity_type="contracts", entity_id=7),
        _reminder(user, "nothing", NOW),
    ]
    links = services.record_links(user, rows)
    by_title = {r.title: links.get(r.id) for r in rows}
    assert by_title == {
        "customer": f"/customers.detail/{mine.id}", "their customer": None, "deleted customer": None,
        "contact": f"/contacts.detail/{contact.id}", "their contact": None,
        "follow-up": f"/customers.detail/{mine.id}", "contract": "/contracts.detail/7", "nothing": None,
    }


def test_contact_link_falls_back_to_its_customer(app, monkeypatch):
    monkeypatch.setattr(services, "record_url", lambda endpoint, record_id: (
        None if endpoint == "contacts.detail" else f"/{endpoint}/{record_id}"))
    user = make_user()
    customer = make_customer(user)
    contact = make_contact(customer)
    reminder = _reminder(user, "birthday", NOW, entity_type="contacts", entity_id=contact.id)
    assert services.record_links(user, [reminder]) == {reminder.id: f"/customers.detail/{customer.id}"}
