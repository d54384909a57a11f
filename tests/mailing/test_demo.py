"""The demo mass e-mail: two templates and one finished send, all recorded as delivered, the same on every run."""
from __future__ import annotations

from sqlalchemy import func, select

from crm_server.contacts.models import Contact
from crm_server.demo import seed_demo
from crm_server.extensions import db
from crm_server.mailing import merge
from crm_server.mailing.models import MailJob, MailRecipient, MailTemplate


def test_demo_has_two_templates_and_one_finished_send(app):
    result = seed_demo()
    db.session.commit()
    templates = db.session.scalars(select(MailTemplate).order_by(MailTemplate.id)).all()
    assert [t.name for t in templates] == ["新品发布会邀请", "节日问候"]
    for template in templates:
        assert merge.unknown_fields(template.subject) == merge.unknown_fields(template.body) == []
    job = db.session.scalar(select(MailJob))
    assert result["mail_jobs"] == 1 and result["mail_recipients"] == job.total_count >= 10
    assert (job.status, job.sent_count, job.pending_count, job.template_id) == \
        ("done", job.total_count, 0, templates[1].id)
    statuses = set(db.session.scalars(select(MailRecipient.status)))
    assert statuses == {"sent"}
    # every recipient is a live contact with that address, each address once
    rows = db.session.execute(select(MailRecipient.address, Contact.email).join(
        Contact, MailRecipient.source_id == Contact.id)).all()
    assert len(rows) == job.total_count and all(a == e.strip().lower() for a, e in rows)
    assert db.session.scalar(select(func.count(func.distinct(MailRecipient.address)))) == job.total_count
