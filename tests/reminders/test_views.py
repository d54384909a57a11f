"""The reminder centre through HTTP: the bell on every page, the tabs, done, snooze, and others' reminders."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select

from crm_server.core.audit import AuditLog
from crm_server.extensions import db
from crm_server.reminders import services
from crm_server.reminders.models import Reminder
from crm_server.reminders.services import remind
from tests.factories import make_customer, make_user


def _bell(html: str) -> str | None:
    match = re.search(r'id="reminder-count">([^<]*)<', html)
    return match.group(1) if match else None


def _row(html: str, reminder_id: int) -> str | None:
    match = re.search(rf'<tr id="reminder-{reminder_id}".*?</tr>', html, re.S)
    return match.group(0) if match else None


@pytest.fixture
def times(app):
    """Due times in each tab for this moment, by the site's calendar."""
    w = services.window()
    return {"overdue": w.now - dt.timedelta(days=3), "today": w.today_start + (w.now - w.today_start) / 2,
            "upcoming": w.tomorrow_start + dt.timedelta(hours=10), "later": w.upcoming_end + dt.timedelta(days=3)}


@pytest.fixture
def mine(app, login_as, times):
    """A signed-in salesperson with one reminder per tab (and one further away), and a colleague's reminder."""
    user = login_as("sales", display_name="王芳")
    other = make_user("sales", display_name="李雷")
    rows = {name: remind(user.id, "followup_due", f"跟进 {name}", due, f"followup:{name}")
            for name, due in times.items()}
    rows["theirs"] = remind(other.id, "followup_due", "跟进 别人的客户", times["overdue"], "followup:theirs")
    db.session.commit()
    return user, other, rows


def test_the_bell_counts_due_reminders_on_every_page(client, mine):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert _bell(html) == "2"  # overdue + due earlier today; upcoming and the colleague's are not counted
    assert 'href="/reminders/"' in html and 'id="reminder-bell"' in html
    assert _bell(client.get("/reminders/?tab=upcoming").get_data(as_text=True)) == "2"


def test_no_badge_without_due_reminders(client, login_as):
    login_as("sales")
    html = client.get("/").get_data(as_text=True)
    assert 'id="reminder-bell"' in html and _bell(html) is None


def test_the_bell_costs_one_count_query_per_page(app, client, mine):
    statements = []

    def remember(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        assert _bell(client.get("/").get_data(as_text=True)) == "2"
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    on_reminders = [s for s in statements if re.search(r"\breminders\b", s)]
    assert len(on_reminders) == 1 and "count(" in on_reminders[0].lower()


def test_the_tabs_show_own_reminders_by_day(client, mine):
    user, other, rows = mine
    html = client.get("/reminders/").get_data(as_text=True)  # overdue first when there is any
    assert 'id="tab-overdue" href="/reminders/?tab=overdue"' in html and "active" in html
    assert "跟进 overdue" in html and "跟进 today" not in html and "别人的客户" not in html
    assert 'id="overdue-done-form"' in html
    html = client.get("/reminders/?tab=today").get_data(as_text=True)
    assert "跟进 today" in html and "跟进 overdue" not in html and 'id="overdue-done-form"' not in html
    html = client.get("/reminders/?tab=upcoming").get_data(as_text=True)
    assert "跟进 upcoming" in html and "跟进 later" not in html
    html = client.get("/reminders/?tab=done").get_data(as_text=True)
    assert 'id="reminders-empty"' in html


def test_marking_done_drops_the_count(client, mine):
    user, other, rows = mine
    response = client.post(f"/reminders/{rows['overdue'].id}/done", data={"tab": "overdue"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/reminders/?tab=overdue")
    db.session.refresh(rows["overdue"])
    assert rows["overdue"].done_at is not None
    html = client.get("/reminders/?tab=done").get_data(as_text=True)
    assert _bell(html) == "1"
    assert _row(html, rows["overdue"].id) is not None and "reminder-done" not in _row(html, rows["overdue"].id)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "reminder.done"))
    assert (entry.actor_id, entry.entity_id, entry.entity_label) == (user.id, rows["overdue"].id, "跟进 overdue")


def test_snooze_hides_it_until_later(client, mine):
    user, other, rows = mine
    response = client.post(f"/reminders/{rows['today'].id}/snooze", data={"until": "tomorrow", "tab": "today"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert _bell(html) == "1"
    assert "跟进 today" in html  # in the flash message
    db.session.refresh(rows["today"])
    assert rows["today"].snoozed_until == services.snooze_until("tomorrow")
    upcoming = client.get("/reminders/?tab=upcoming").get_data(as_text=True)
    assert "reminder-snoozed" in _row(upcoming, rows["today"].id)


def test_an_unknown_snooze_is_refused(client, mine):
    user, other, rows = mine
    html = client.post(f"/reminders/{rows['today'].id}/snooze", data={"until": "forever"},
                       follow_redirects=True).get_data(as_text=True)
    assert "alert-danger" in html
    db.session.refresh(rows["today"])
    assert rows["today"].snoozed_until is None


def test_another_users_reminder_cannot_be_touched(client, mine):
    user, other, rows = mine
    theirs = rows["theirs"]
    assert client.post(f"/reminders/{theirs.id}/done").status_code == 404
    assert client.post(f"/reminders/{theirs.id}/snooze", data={"until": "hour"}).status_code == 404
    assert client.post("/reminders/999999/done").status_code == 404
    db.session.refresh(theirs)
    assert theirs.done_at is None and theirs.snoozed_until is None
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action.like("reminder.%"))) is None


def test_mark_all_overdue_done(client, mine):
    user, other, rows = mine
    extra = remind(user.id, "birthday", "生日 overdue", rows["overdue"].due_at, "birthday:1:2026")
    db.session.commit()
    html = client.post("/reminders/overdue/done", follow_redirects=True).get_data(as_text=True)
    assert "alert-success" in html and 'id="reminders-empty"' in html
    assert _bell(html) == "1"
    done = {r.title for r in db.session.scalars(select(Reminder).where(Reminder.done_at.is_not(None)))}
    assert done == {"跟进 overdue", extra.title}
    db.session.refresh(rows["theirs"])
    assert rows["theirs"].done_at is None


def test_reminders_link_to_visible_records(app, client, mine):
    user, other, rows = mine
    customer = make_customer(user, "甲公司")
    hidden = make_customer(other, "乙公司")
    linked = remind(user.id, "followup_due", "跟进 甲公司", rows["overdue"].due_at, "followup:a", "customers",
                    customer.id)
    unlinked = remind(user.id, "followup_due", "跟进 乙公司", rows["overdue"].due_at, "followup:b", "customers",
                      hidden.id)
    db.session.commit()
    html = client.get("/reminders/?tab=overdue").get_data(as_text=True)
    assert "<a " not in _row(html, unlinked.id)
    if "customers.detail" in app.view_functions:  # the customers pages are there: the link is to the customer
        assert f'href="/customers/{customer.id}' in _row(html, linked.id)
    else:  # without them the reminder still shows, unlinked
        assert "跟进 甲公司" in _row(html, linked.id)


def test_the_sidebar_and_sign_in_required(app, client, login_as):
    assert client.get("/reminders/").status_code == 302
    assert client.post("/reminders/1/done").status_code == 302
    login_as("sales")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/reminders/"' in html and 'href="/activity/"' in html
