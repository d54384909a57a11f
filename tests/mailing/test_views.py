"""Mass e-mail pages through the test client: templates and their checks, count and preview, sending, progress,
retry and cancel, the public unsubscribe page, and who may not."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from crm_server.core.jobs import run_job
from crm_server.extensions import db
from crm_server.mailing.models import MailJob, MailRecipient, MailSuppression, MailTemplate
from tests import factories

from .helpers import department_with, make_template


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def team(app, login_as):
    manager, sales = department_with("王经理", "李销售")
    customer = factories.make_customer(sales, "上海星辰电子有限公司")
    contacts = [factories.make_contact(customer, name, email=address) for name, address in (
        ("张伟", "zhang.wei@xingchen.cn"), ("李娜", "li.na@xingchen.cn"), ("陈静", "chen.jing@xingchen.cn"))]
    template = make_template(user=manager)
    db.session.commit()
    return {"manager": manager, "sales": sales, "customer": customer, "contacts": contacts, "template": template}


def compose(client, template, action="send", **extra):
    data = {"template_id": template.id, "subject": template.subject, "body": template.body, "kind": "contacts",
            "action": action, **extra}
    return client.post("/mailing/new", data=data)


def test_template_with_an_unknown_merge_field_is_refused_beside_the_field(client, login_as, team):
    login_as(team["manager"])
    response = client.post("/mailing/templates/new", data={"name": "节日问候", "subject": "{{contact_name}}，节日快乐",
                                                           "body": "亲爱的{{ nickname }}：节日快乐"})
    page = text_of(response)
    assert re.search(r'name="body"[^>]*is-invalid|is-invalid[^>]*name="body"', page)
    assert "{{nickname}}" in page
    assert count(MailTemplate) == 1

    response = client.post("/mailing/templates/new", data={"name": "节日问候", "subject": "{{contact_name}}，节日快乐",
                                                           "body": "亲爱的{{contact_name}}：节日快乐\n{{my_name}}"})
    assert response.status_code == 302
    saved = db.session.scalar(select(MailTemplate).where(MailTemplate.name == "节日问候"))
    assert saved.body.endswith("{{my_name}}")
    assert "节日问候" in text_of(client.get("/mailing/templates/"))


def test_count_and_preview_against_a_chosen_recipient_send_nothing(client, login_as, team):
    login_as(team["manager"])
    page = text_of(compose(client, team["template"], action="preview", preview_address="li.na@xingchen.cn"))
    assert 'data-count="3"' in page
    assert re.search(r'id="preview-subject">李娜，诚邀参加上海星辰电子有限公司专场发布会<', page)
    assert "尊敬的李娜：" in page and "我是王经理" in page
    assert count(MailJob) == 0 and count(MailRecipient) == 0


def test_send_queues_a_job_whose_progress_and_recipients_are_shown(client, login_as, team, smtp):
    login_as(team["manager"])
    response = compose(client, team["template"])
    assert response.status_code == 302
    job = db.session.scalar(select(MailJob))
    assert response.headers["Location"].endswith(f"/mailing/jobs/{job.id}")
    assert (job.total_count, job.status, job.base_url) == (3, "queued", "http://localhost")
    progress = client.get(f"/mailing/jobs/{job.id}/progress.json").get_json()
    progress.pop("status_label")
    assert progress == {"id": job.id, "status": "queued", "total": 3, "sent": 0, "failed": 0, "bounced": 0,
                        "skipped": 0, "pending": 3, "finished": 0, "percent": 0}

    run_job("mailing.send")
    progress = client.get(f"/mailing/jobs/{job.id}/progress.json").get_json()
    assert (progress["status"], progress["sent"], progress["finished"], progress["percent"]) == ("done", 3, 3, 100)
    page = text_of(client.get(f"/mailing/jobs/{job.id}"))
    assert 'id="mail-progress" max="3" value="3"' in page
    assert len(re.findall(r'class="mail-recipient" data-address="[^"]+" data-status="sent"', page)) == 3
    assert len(smtp.inbox.messages) == 3
    assert str(job.id) in text_of(client.get("/mailing/"))


def test_retry_and_cancel_through_the_pages(client, login_as, team, smtp):
    login_as(team["manager"])
    smtp.inbox.defer.add("chen.jing@xingchen.cn")
    compose(client, team["template"])
    job = db.session.scalar(select(MailJob))
    run_job("mailing.send")
    page = text_of(client.get(f"/mailing/jobs/{job.id}?status=failed"))
    assert re.findall(r'data-address="([^"]+)" data-status="failed"', page) == ["chen.jing@xingchen.cn"]
    assert "451" in page
    smtp.inbox.defer.clear()
    assert client.post(f"/mailing/jobs/{job.id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(MailJob, job.id).pending_count == 1
    assert client.post(f"/mailing/jobs/{job.id}/cancel").status_code == 302
    db.session.expire_all()
    job = db.session.get(MailJob, job.id)
    assert (job.status, job.skipped_count, job.sent_count) == ("cancelled", 1, 2)
    run_job("mailing.send")
    assert "chen.jing@xingchen.cn" not in smtp.inbox.recipients


def test_unsubscribe_page_confirms_before_unsubscribing_and_needs_no_login(app, client, login_as, team, smtp):
    login_as(team["manager"])
    compose(client, team["template"])
    job = db.session.scalar(select(MailJob))
    run_job("mailing.send")
    message = smtp.inbox.to("zhang.wei@xingchen.cn")[0]
    url = re.search(r"http://localhost(/mailing/unsubscribe/\w+)", message.get_content()).group(1)
    client.post("/logout")
    with client.session_transaction() as session:
        session.clear()

    page = text_of(client.get(url))
    assert "zhang.wei@xingchen.cn" in page and 'id="unsubscribe-form"' in page
    assert count(MailSuppression) == 0  # a link scanner that only opens the page unsubscribes nobody

    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(url, data={}).status_code == 400  # no CSRF token: refused
        assert count(MailSuppression) == 0
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text_of(client.get(url))).group(1)
        page = text_of(client.post(url, data={"csrf_token": token}))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert 'id="unsubscribed"' in page
    assert db.session.scalar(select(MailSuppression.reason)) == "unsubscribed"
    assert client.get("/mailing/unsubscribe/" + "0" * 48).status_code == 404

    # a second send skips the address, at queue time
    login_as(team["manager"])
    compose(client, team["template"])
    second = db.session.scalar(select(MailJob).where(MailJob.id != job.id))
    assert (second.total_count, second.pending_count, second.skipped_count) == (3, 2, 1)
    run_job("mailing.send")
    assert smtp.inbox.recipients.count("zhang.wei@xingchen.cn") == 1


def test_a_salesperson_without_the_permission_cannot_send(client, login_as, team):
    login_as(team["sales"])
    assert client.get("/mailing/").status_code == 403
    assert client.get("/mailing/new").status_code == 403
    assert compose(client, team["template"]).status_code == 403
    assert client.post("/mailing/templates/new", data={"name": "x", "subject": "x", "body": "x"}).status_code == 403
    assert count(MailJob) == 0 and count(MailTemplate) == 1


def test_posted_ids_of_contacts_the_sender_cannot_see_queue_nothing(client, login_as, team):
    outsider, _ = department_with("赵经理", "钱销售")
    db.session.commit()
    login_as(outsider)
    ids = ",".join(str(c.id) for c in team["contacts"])
    page = text_of(compose(client, team["template"], contact_ids=ids))
    assert "alert-danger" in page
    assert count(MailJob) == 0 and count(MailRecipient) == 0
    page = text_of(compose(client, team["template"], action="preview", contact_ids=ids))
    assert 'data-count="0"' in page and "xingchen" not in page


def test_another_departments_send_is_hidden(client, login_as, team, smtp):
    login_as(team["manager"])
    compose(client, team["template"])
    job = db.session.scalar(select(MailJob))
    outsider, _ = department_with("赵经理", "钱销售")
    db.session.commit()
    login_as(outsider)
    for url in (f"/mailing/jobs/{job.id}", f"/mailing/jobs/{job.id}/progress.json"):
        assert client.get(url).status_code == 404
    for url in (f"/mailing/jobs/{job.id}/cancel", f"/mailing/jobs/{job.id}/retry"):
        assert client.post(url).status_code == 404
    assert f'data-job-id="{job.id}"' not in text_of(client.get("/mailing/"))
    db.session.expire_all()
    assert db.session.get(MailJob, job.id).status == "queued"
    director = factories.make_user("sales_director")
    login_as(director)
    assert client.get(f"/mailing/jobs/{job.id}").status_code == 200
