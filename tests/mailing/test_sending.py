"""Queueing and sending mass e-mail through a real SMTP server on localhost: the delivered messages, bounces,
temporary failures and retries, the rate limit, cancelling, and addresses never mailed again."""
from __future__ import annotations

import json
import re

import pytest
from email.header import decode_header
from sqlalchemy import func, select

from crm_server.core.audit import AuditLog
from crm_server.core.jobs import JOBS, run_job
from crm_server.extensions import db
from crm_server.mailing import sender, services
from crm_server.mailing.models import MailJob, MailRecipient, MailSuppression
from crm_server.mailing.recipients import Audience, plan
from tests import factories

from .helpers import department_with, free_port, make_template, use_smtp

BASE = "http://crm.example.com/"


@pytest.fixture
def people(app):
    manager, sales = department_with("王经理", "李销售")
    customer = factories.make_customer(sales, "上海星辰电子有限公司")
    other = factories.make_customer(manager, "苏州明达机械有限公司")
    contacts = {
        "zhang": factories.make_contact(customer, "张伟", email="zhang.wei@xingchen.cn"),
        "li": factories.make_contact(customer, "李娜", email="Li.Na@XingChen.cn "),
        "dup": factories.make_contact(other, "李娜（重复）", email="li.na@xingchen.cn"),
        "bad": factories.make_contact(other, "错误地址", email="not-an-address"),
        "none": factories.make_contact(other, "无邮箱"),
        "wu": factories.make_contact(other, "吴磊", email="wu.lei@mingda.com"),
    }
    db.session.commit()
    return {"manager": manager, "sales": sales, "customer": customer, "other": other, **contacts}


def queue(user, body=None, subject=None, **audience):
    template = make_template(user=user)
    job = services.queue_job(user, subject or template.subject, body or template.body,
                             Audience(**audience), BASE, template)
    db.session.commit()
    return job


def recipient(job, address) -> MailRecipient:
    return db.session.scalar(select(MailRecipient).where(MailRecipient.job_id == job.id,
                                                         MailRecipient.address == address))


def test_plan_skips_empty_invalid_and_duplicate_addresses(people):
    found = plan(people["manager"], Audience())
    assert sorted(c.address for c in found.recipients) == ["li.na@xingchen.cn", "wu.lei@mingda.com",
                                                           "zhang.wei@xingchen.cn"]
    assert (found.empty, found.invalid, found.duplicate) == (1, 1, 1)


def test_delivered_messages_carry_utf8_subject_body_merge_fields_and_unsubscribe(people, smtp):
    job = queue(people["manager"])
    assert (job.status, job.total_count, job.pending_count) == ("queued", 3, 3)
    assert run_job("mailing.send").startswith("ran: sent 3")
    db.session.expire_all()

    assert sorted(smtp.inbox.recipients) == ["li.na@xingchen.cn", "wu.lei@mingda.com", "zhang.wei@xingchen.cn"]
    message = smtp.inbox.to("zhang.wei@xingchen.cn")[0]
    raw_subject = message.get("Subject", failobj=None)
    assert str(raw_subject) == "张伟，诚邀参加上海星辰电子有限公司专场发布会"
    raw = message.as_bytes()
    assert b"=?utf-8?" in raw.split(b"\n\n", 1)[0].lower()  # RFC 2047 in the header block, not raw UTF-8
    assert "".join(part.decode(cs or "ascii") if isinstance(part, bytes) else part
                   for part, cs in decode_header(re.search(rb"^Subject: (.*(?:\n[ \t].*)*)", raw,
                                                           re.M).group(1).decode("ascii"))) \
        == "张伟，诚邀参加上海星辰电子有限公司专场发布会"
    assert message["To"].addresses[0].display_name == "张伟"
    assert message["From"].addresses[0].addr_spec == "crm@example.com"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    body = message.get_content()
    assert "尊敬的张伟：" in body
    assert "上海星辰电子有限公司的各位同仁好，我是王经理。" in body
    assert "客户经理：李销售" in body
    assert "{{" not in body
    row = recipient(job, "zhang.wei@xingchen.cn")
    url = f"http://crm.example.com/mailing/unsubscribe/{row.unsubscribe_token}"
    assert message["List-Unsubscribe"] == f"<{url}>"
    assert url in body
    assert len(row.unsubscribe_token) >= 40
    # the other customer's contact got their own values
    assert "客户经理：王经理" in smtp.inbox.to("wu.lei@mingda.com")[0].get_content()

    job = db.session.get(MailJob, job.id)
    assert (job.status, job.sent_count, job.pending_count) == ("done", 3, 0)
    assert row.status == "sent" and row.sent_at is not None and row.attempts == 1
    assert json.loads(row.merge_values)["contact_name"] == "张伟"


def test_a_refused_recipient_bounces_and_is_never_mailed_again(people, smtp):
    smtp.inbox.refuse.add("wu.lei@mingda.com")
    job = queue(people["manager"])
    run_job("mailing.send")
    db.session.expire_all()
    row = recipient(job, "wu.lei@mingda.com")
    assert row.status == "bounced"
    assert row.error.startswith("550") and "mailbox unavailable" in row.error
    assert db.session.scalar(select(MailSuppression.reason).where(
        MailSuppression.address == "wu.lei@mingda.com")) == "bounced"
    assert db.session.get(MailJob, job.id).bounced_count == 1
    assert "wu.lei@mingda.com" not in smtp.inbox.recipients

    again = queue(people["manager"])
    assert recipient(again, "wu.lei@mingda.com").status == "skipped"
    assert again.pending_count == 2
    run_job("mailing.send")
    assert smtp.inbox.recipients.count("zhang.wei@xingchen.cn") == 2
    assert "wu.lei@mingda.com" not in smtp.inbox.recipients


def test_a_temporary_refusal_fails_and_retry_sends_it(people, smtp):
    smtp.inbox.defer.add("li.na@xingchen.cn")
    job = queue(people["manager"])
    run_job("mailing.send")
    db.session.expire_all()
    row = recipient(job, "li.na@xingchen.cn")
    assert row.status == "failed" and row.error.startswith("451")
    assert db.session.scalar(select(func.count()).select_from(MailSuppression)) == 0
    job = db.session.get(MailJob, job.id)
    assert (job.status, job.failed_count, job.sent_count) == ("done", 1, 2)

    smtp.inbox.defer.clear()
    assert services.retry_failed(people["manager"], job) == 1
    db.session.commit()
    assert job.status == "sending" and job.pending_count == 1
    run_job("mailing.send")
    db.session.expire_all()
    row = recipient(job, "li.na@xingchen.cn")
    assert (row.status, row.attempts, row.error) == ("sent", 2, None)
    assert db.session.get(MailJob, job.id).status == "done"
    assert smtp.inbox.recipients.count("li.na@xingchen.cn") == 1
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "mail_job.retried"))
    with pytest.raises(services.DomainError):
        services.retry_failed(people["manager"], db.session.get(MailJob, job.id))


def test_an_unreachable_server_fails_the_message_and_keeps_the_rest_queued(app, people, monkeypatch):
    use_smtp(app, monkeypatch, free_port())  # nothing listens there
    job = queue(people["manager"])
    summary = run_job("mailing.send")
    assert summary == "ran: failed 1"
    db.session.expire_all()
    job = db.session.get(MailJob, job.id)
    assert (job.failed_count, job.pending_count, job.status) == (1, 2, "sending")
    failed = db.session.scalar(select(MailRecipient).where(MailRecipient.job_id == job.id,
                                                           MailRecipient.status == "failed"))
    assert "Connection" in failed.error or "refused" in failed.error.lower()


def test_the_rate_limits_messages_per_run_and_progress_is_committed(app, people, smtp, monkeypatch):
    monkeypatch.setitem(app.config["CRM_SETTINGS"].mail, "mass_rate_per_minute", "2")
    job = queue(people["manager"])
    assert run_job("mailing.send") == "ran: sent 2"
    assert len(smtp.inbox.messages) == 2
    db.session.expire_all()
    job = db.session.get(MailJob, job.id)
    assert (job.status, job.sent_count, job.pending_count) == ("sending", 2, 1)
    assert run_job("mailing.send") == "ran: sent 1"
    assert len(smtp.inbox.messages) == 3
    assert run_job("mailing.send") == "ran: nothing to send"
    db.session.expire_all()
    assert db.session.get(MailJob, job.id).status == "done"


def test_unsubscribed_after_queueing_is_skipped_at_send_time(people, smtp):
    job = queue(people["manager"])
    token = recipient(job, "zhang.wei@xingchen.cn").unsubscribe_token
    assert services.unsubscribe(token) == "zhang.wei@xingchen.cn"
    db.session.commit()
    run_job("mailing.send")
    db.session.expire_all()
    row = recipient(job, "zhang.wei@xingchen.cn")
    assert (row.status, row.error) == ("skipped", "unsubscribed")
    assert "zhang.wei@xingchen.cn" not in smtp.inbox.recipients
    job = db.session.get(MailJob, job.id)
    assert (job.sent_count, job.skipped_count, job.status) == (2, 1, "done")
    # and at queue time: recorded as skipped, never pending
    again = queue(people["manager"])
    assert recipient(again, "zhang.wei@xingchen.cn").status == "skipped"


def test_cancel_skips_what_is_not_sent(people, smtp):
    job = queue(people["manager"])
    assert services.cancel_job(people["manager"], job) == 3
    db.session.commit()
    assert run_job("mailing.send") == "ran: nothing to send"
    assert smtp.inbox.messages == []
    job = db.session.get(MailJob, job.id)
    assert (job.status, job.skipped_count) == ("cancelled", 3)
    with pytest.raises(services.DomainError):
        services.cancel_job(people["manager"], job)


def test_only_contacts_of_visible_customers_are_queued(people):
    outsider_manager, outsider = department_with("赵经理", "钱销售")
    hidden = factories.make_customer(outsider, "北京远方科技有限公司")
    hidden_contact = factories.make_contact(hidden, "孙强", email="sun.qiang@yuanfang.cn")
    db.session.commit()
    # the outsider's manager may not see the first department's customers: ids posted are ignored
    with pytest.raises(services.DomainError):
        queue(outsider_manager, contact_ids=[people["zhang"].id, people["wu"].id])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(MailRecipient)) == 0
    job = queue(people["manager"], contact_ids=[people["zhang"].id, hidden_contact.id])
    assert [r.address for r in db.session.scalars(select(MailRecipient).where(MailRecipient.job_id == job.id))] \
        == ["zhang.wei@xingchen.cn"]


def test_filters_by_level_industry_tag_and_decision_role(people):
    from crm_server.customers.models import Tag
    from tests.factories import dictionary_item
    level = dictionary_item("customer_level")
    people["customer"].level_id = level.id
    people["zhang"].decision_role = "decision_maker"
    tag = Tag(name="重点客户")
    db.session.add(tag)
    people["other"].tags.append(tag)
    db.session.flush()
    addresses = lambda **kw: sorted(c.address for c in plan(people["manager"], Audience(**kw)).recipients)  # noqa
    assert addresses(level_id=level.id) == ["li.na@xingchen.cn", "zhang.wei@xingchen.cn"]
    assert addresses(decision_role="decision_maker") == ["zhang.wei@xingchen.cn"]
    assert addresses(tag_id=tag.id) == ["li.na@xingchen.cn", "wu.lei@mingda.com"]


def test_unknown_merge_fields_are_refused(people):
    with pytest.raises(services.DomainError) as caught:
        services.clean_message("你好 {{contact_name}}", "{{ contact_name }} {{discount}}")
    assert caught.value.field == "body" and "{{discount}}" in caught.value.message
    with pytest.raises(services.DomainError) as caught:
        services.clean_message("{{name}}", "正文")
    assert caught.value.field == "subject"


def test_merge_fill_does_not_run_template_code():
    from crm_server.mailing import merge
    values = {"contact_name": "{{my_name}} {% if 1 %}x{% endif %}"}
    assert merge.fill("您好 {{contact_name}} {{ config }} {{7*7}}", values) == \
        "您好 {{my_name}} {% if 1 %}x{% endif %} {{ config }} {{7*7}}"


def test_the_job_is_registered_to_run_every_minute():
    import datetime as dt
    assert JOBS["mailing.send"].interval == dt.timedelta(minutes=1)
    assert JOBS["mailing.send"].func is sender.send_pending


def test_without_a_mail_server_nothing_is_sent(app, people, monkeypatch):
    monkeypatch.setitem(app.config["CRM_SETTINGS"].mail, "server", "")
    job = queue(people["manager"])
    assert run_job("mailing.send") == "ran: mail not configured"
    assert db.session.get(MailJob, job.id).pending_count == 3
