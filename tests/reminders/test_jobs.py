"""The reminder jobs: follow-up plans and birthdays become reminders once; the daily e-mail digest."""
from __future__ import annotations

import datetime as dt
import email

import pytest
from sqlalchemy import select

from crm_server.core.jobs import JOBS, run_job
from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.reminders import jobs, mail
from crm_server.reminders.models import Reminder
from crm_server.reminders.services import remind
from tests.factories import make_contact, make_customer, make_followup, make_user

NOW = dt.datetime(2026, 11, 25, 3, 0)  # 11:00 in Shanghai


def _reminders():
    return db.session.scalars(select(Reminder).order_by(Reminder.source_key)).all()


def test_jobs_are_registered():
    assert JOBS["reminders.generate"].interval == dt.timedelta(hours=1)
    assert JOBS["reminders.digest"].interval == dt.timedelta(days=1)


def test_followup_plans_due_within_a_day_or_past_become_reminders_once(app):
    owner, writer = make_user(display_name="王销售"), make_user()
    customer = make_customer(owner, "上海甲科技有限公司")
    soon = make_followup(customer, writer, next_followup_at=NOW + dt.timedelta(hours=20), next_step="送报价单")
    past = make_followup(customer, owner, next_followup_at=NOW - dt.timedelta(days=3), content="电话沟通了需求 " * 10)
    make_followup(customer, owner, next_followup_at=NOW + dt.timedelta(hours=30))  # not within 24 hours yet
    make_followup(customer, owner, next_followup_at=NOW - dt.timedelta(hours=1),
                  next_done_at=NOW - dt.timedelta(minutes=30))  # the plan was carried out
    make_followup(customer, owner)  # no plan
    deleted = make_customer(owner, "已删除公司", deleted_at=utcnow())
    make_followup(deleted, owner, next_followup_at=NOW - dt.timedelta(hours=1))
    in_pool = make_customer(None, "公海公司")
    make_followup(in_pool, owner, next_followup_at=NOW - dt.timedelta(hours=1))

    assert jobs.generate(NOW) == "2 follow-up, 0 birthday reminders; 0 closed"
    rows = _reminders()
    assert {(r.user_id, r.kind, r.source_key, r.entity_type, r.entity_id) for r in rows} == {
        (owner.id, "followup_due", f"followup:{past.id}", "customers", customer.id),
        (owner.id, "followup_due", f"followup:{soon.id}", "customers", customer.id)}
    by_key = {r.source_key: r for r in rows}
    assert by_key[f"followup:{soon.id}"].title == "跟进 上海甲科技有限公司: 送报价单"
    assert by_key[f"followup:{soon.id}"].due_at == NOW + dt.timedelta(hours=20)
    assert by_key[f"followup:{past.id}"].title.startswith("跟进 上海甲科技有限公司: 电话沟通了需求")
    assert len(by_key[f"followup:{past.id}"].title) < 100

    # running again (the job is hourly) makes no duplicates
    assert jobs.generate(NOW + dt.timedelta(hours=1)) == "0 follow-up, 0 birthday reminders; 0 closed"
    assert len(_reminders()) == 2


def test_a_plan_carried_out_or_a_customer_deleted_closes_its_reminder(app):
    owner = make_user()
    customer, other = make_customer(owner), make_customer(owner)
    plan = make_followup(customer, owner, next_followup_at=NOW - dt.timedelta(hours=1))
    other_plan = make_followup(other, owner, next_followup_at=NOW - dt.timedelta(hours=1))
    remind(owner.id, "birthday", "not a plan", NOW, "birthday:1:2026")
    jobs.generate(NOW)
    plan.next_done_at = NOW
    other.deleted_at = NOW
    db.session.flush()
    assert jobs.generate(NOW + dt.timedelta(hours=1)).endswith("2 closed")
    done = {r.source_key: r.done_at for r in _reminders()}
    assert done == {f"followup:{plan.id}": NOW + dt.timedelta(hours=1),
                    f"followup:{other_plan.id}": NOW + dt.timedelta(hours=1), "birthday:1:2026": None}


def test_a_transferred_customer_reminds_the_new_owner(app):
    first, second = make_user(), make_user()
    customer = make_customer(first)
    plan = make_followup(customer, first, next_followup_at=NOW)
    jobs.generate(NOW)
    customer.owner = second
    db.session.flush()
    jobs.generate(NOW)
    rows = {(r.user_id, r.done_at is None) for r in _reminders()}
    assert rows == {(first.id, False), (second.id, True)}
    assert {r.source_key for r in _reminders()} == {f"followup:{plan.id}"}


def test_birthdays_across_the_new_year(app):
    owner = make_user()
    customer = make_customer(owner, "甲公司")
    # 2026-12-30 10:00 in Shanghai: today and the next three days run into 2027
    now = dt.datetime(2026, 12, 30, 2, 0)
    contacts = {md: make_contact(customer, f"联系人{md}", birthday=dt.date(1980 + i, int(md[:2]), int(md[3:])))
                for i, md in enumerate(("12-29", "12-30", "12-31", "01-01", "01-02", "01-03"))}
    make_contact(customer, "已删除", birthday=dt.date(1990, 12, 31), deleted_at=utcnow())
    make_contact(make_customer(None), "公海联系人", birthday=dt.date(1990, 12, 31))
    make_contact(make_customer(owner, deleted_at=utcnow()), "删除客户的联系人", birthday=dt.date(1990, 12, 31))

    assert jobs.generate(now) == "0 follow-up, 4 birthday reminders; 0 closed"
    rows = {r.source_key: r for r in _reminders()}
    expected = {
        f"birthday:{contacts['12-30'].id}:2026": dt.datetime(2026, 12, 30, 1, 0),  # 09:00 local
        f"birthday:{contacts['12-31'].id}:2026": dt.datetime(2026, 12, 31, 1, 0),
        f"birthday:{contacts['01-01'].id}:2027": dt.datetime(2027, 1, 1, 1, 0),
        f"birthday:{contacts['01-02'].id}:2027": dt.datetime(2027, 1, 2, 1, 0),
    }
    assert {key: r.due_at for key, r in rows.items()} == expected
    reminder = rows[f"birthday:{contacts['01-01'].id}:2027"]
    assert (reminder.title, reminder.kind, reminder.user_id) == ("联系人01-01 (甲公司) 生日 01-01", "birthday", owner.id)
    assert (reminder.entity_type, reminder.entity_id) == ("contacts", contacts["01-01"].id)

    # the next day's run adds only 3 January; next year's birthdays are new reminders
    assert jobs.generate(now + dt.timedelta(days=1)).startswith("0 follow-up, 1 birthday")
    assert jobs.generate(dt.datetime(2027, 12, 30, 2, 0)).startswith("0 follow-up, 4 birthday")


def test_local_date_decides_the_birthday_not_utc(app):
    owner = make_user()
    contact = make_contact(make_customer(owner), birthday=dt.date(1985, 3, 5))
    # 2027-03-01 17:00 UTC is already 2 March 01:00 in Shanghai: 5 March is within three days
    assert jobs.generate(dt.datetime(2027, 3, 1, 17, 0)).startswith("0 follow-up, 1 birthday")
    assert _reminders()[0].source_key == f"birthday:{contact.id}:2027"


def test_29_february_is_remembered_on_the_28th_in_other_years(app):
    owner = make_user()
    contact = make_contact(make_customer(owner), birthday=dt.date(1988, 2, 29))
    assert jobs.birthday_days(dt.date(2027, 2, 27))["02-29"] == dt.date(2027, 2, 28)
    assert "02-29" not in jobs.birthday_days(dt.date(2028, 2, 24))
    jobs.generate(dt.datetime(2027, 2, 27, 2, 0))
    assert [(r.source_key, r.due_at) for r in _reminders()] == [
        (f"birthday:{contact.id}:2027", dt.datetime(2027, 2, 28, 1, 0))]


def test_run_job_runs_the_generator(app):
    owner = make_user()
    make_followup(make_customer(owner), owner, next_followup_at=utcnow() - dt.timedelta(hours=1))
    db.session.commit()
    assert run_job("reminders.generate", holder="test").startswith("ran: 1 follow-up")
    assert len(_reminders()) == 1


# --- the digest -----------------------------------------------------------------------------------

@pytest.fixture
def outbox(app, monkeypatch):
    """send_mail replaced: records (to, subject, body); addresses starting "bad" fail like a refusing server."""
    sent = []

    def fake_send(settings, to, subject, body):
        if to.startswith("bad"):
            raise OSError("550 mailbox unavailable")
        sent.append((to, subject, body))

    monkeypatch.setattr(mail, "send_mail", fake_send)
    return sent


@pytest.fixture
def mail_configured(app, monkeypatch):
    monkeypatch.setitem(app.config["CRM_SETTINGS"].mail, "server", "smtp.example.com")


def test_digest_needs_a_mail_server(app, outbox, monkeypatch):
    monkeypatch.setitem(app.config["CRM_SETTINGS"].mail, "server", "")
    user = make_user(email="wang@example.com")
    remind(user.id, "followup_due", "跟进 甲公司", NOW - dt.timedelta(hours=1), "followup:1")
    assert jobs.digest(NOW) == "mail not configured"
    assert outbox == [] and _reminders()[0].emailed_at is None


def test_digest_mails_each_user_once_and_goes_on_after_a_failure(app, outbox, mail_configured):
    wang = make_user(display_name="王芳", email="wang@example.com")
    bad = make_user(email="bad@example.com")
    no_address = make_user(email=None)
    gone = make_user(email="gone@example.com", is_active=False)
    overdue = remind(wang.id, "followup_due", "跟进 甲公司: 送报价单", dt.datetime(2026, 11, 23, 2, 0), "followup:1")
    today = remind(wang.id, "birthday", "张三 (甲公司) 生日 11-25", dt.datetime(2026, 11, 25, 1, 0), "birthday:1:2026")
    later_today = remind(wang.id, "followup_due", "跟进 乙公司", dt.datetime(2026, 11, 25, 12, 0), "followup:2")
    remind(wang.id, "followup_due", "明天的", dt.datetime(2026, 11, 25, 16, 0), "followup:3")  # tomorrow local
    done = remind(wang.id, "followup_due", "已完成", NOW - dt.timedelta(days=1), "followup:4")
    done.done_at = NOW
    snoozed = remind(wang.id, "followup_due", "推迟到明天", NOW - dt.timedelta(days=1), "followup:5")
    snoozed.snoozed_until = dt.datetime(2026, 11, 26, 1, 0)
    for user in (bad, no_address, gone):
        remind(user.id, "followup_due", "跟进 丙公司", NOW - dt.timedelta(hours=1), "followup:6")
    db.session.commit()

    assert jobs.digest(NOW) == "sent 1, failed 1"
    assert len(outbox) == 1
    to, subject, body = outbox[0]
    assert (to, subject) == ("wang@example.com", "CRM 今日提醒 (3)")
    assert body.startswith("王芳，您好：")
    assert "【已逾期】跟进 甲公司: 送报价单（2026-11-23 10:00）" in body
    assert "张三 (甲公司) 生日 11-25（2026-11-25 09:00）" in body
    assert "跟进 乙公司（2026-11-25 20:00）" in body
    assert "明天的" not in body and "已完成" not in body and "推迟到明天" not in body

    emailed = {r.id for r in _reminders() if r.emailed_at is not None}
    assert emailed == {overdue.id, today.id, later_today.id}

    # the next run mails nothing again to Wang; the failed address is tried again
    outbox.clear()
    assert jobs.digest(NOW + dt.timedelta(hours=1)) == "sent 0, failed 1"
    assert outbox == []


def test_digest_through_run_job(app, outbox, mail_configured):
    user = make_user(email="li@example.com")
    remind(user.id, "followup_due", "跟进 丁公司", utcnow() - dt.timedelta(minutes=5), "followup:9")
    db.session.commit()
    assert run_job("reminders.digest", holder="test") == "ran: sent 1"
    assert [subject for _to, subject, _body in outbox] == ["CRM 今日提醒 (1)"]


class FakeSMTP:
    """Stands in for smtplib.SMTP / SMTP_SSL and remembers what was asked of it."""

    instances: list = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.calls, self.messages = host, port, [], []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.calls.append("quit")

    def starttls(self):
        self.calls.append("starttls")

    def ehlo(self):
        self.calls.append("ehlo")

    def login(self, username, password):
        self.calls.append(("login", username, password))

    def send_message(self, message):
        self.messages.append(message)


class FakeSMTPSSL(FakeSMTP):
    pass


class Settings:
    def __init__(self, **mail_settings):
        self.mail = {"server": "smtp.example.com", "port": "587", "username": "", "password": "",
                     "use_tls": "no", "use_ssl": "no", "sender": "crm@example.com", **mail_settings}


@pytest.fixture
def fake_smtp(monkeypatch):
    FakeSMTP.instances = []
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(mail.smtplib, "SMTP_SSL", FakeSMTPSSL)
    return FakeSMTP.instances


def test_send_mail_starttls_login_and_utf8(fake_smtp):
    mail.send_mail(Settings(use_tls="yes", username="crm", password="秘密"), "wang@example.com",
                   "CRM 今日提醒 (1)", "王芳，您好：\n跟进 甲公司\n")
    smtp = fake_smtp[0]
    assert type(smtp) is FakeSMTP and (smtp.host, smtp.port) == ("smtp.example.com", 587)
    assert smtp.calls == ["starttls", "ehlo", ("login", "crm", "秘密"), "quit"]
    parsed = email.message_from_bytes(smtp.messages[0].as_bytes(), policy=email.policy.default)
    assert parsed["From"] == "crm@example.com" and parsed["To"] == "wang@example.com"
    assert parsed["Subject"] == "CRM 今日提醒 (1)"
    assert parsed.get_content_type() == "text/plain" and parsed.get_content_charset() == "utf-8"
    assert parsed.get_content() == "王芳，您好：\n跟进 甲公司\n"


def test_send_mail_over_ssl_without_login(fake_smtp):
    mail.send_mail(Settings(use_ssl="yes", port="465", sender=""), "li@example.com", "s", "b")
    smtp = fake_smtp[0]
    assert type(smtp) is FakeSMTPSSL and smtp.port == 465
    assert smtp.calls == ["quit"]
    assert smtp.messages[0]["From"] == "crm@smtp.example.com"
