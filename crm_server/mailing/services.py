"""The rules of mass e-mail: templates, queueing a send, retrying, cancelling, unsubscribing, progress counts."""
from __future__ import annotations

import json

from flask_babel import gettext as _
from sqlalchemy import func, select, update

from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import scope_condition
from ..core.types import utcnow
from ..core.validation import clean_text
from ..extensions import db
from . import merge
from .access import MAIL_JOB
from .models import MailJob, MailRecipient, MailSuppression, MailTemplate
from .recipients import Audience, Candidate, normalise_address, plan, unsubscribe_token

MAX_RECIPIENTS = 20_000  # one send; a larger list is split by its filters


# --- templates ----------------------------------------------------------------------------------

def _check_merge_fields(text: str, field: str) -> None:
    unknown = merge.unknown_fields(text)
    if unknown:
        raise DomainError(_("Unknown merge field: %(names)s. Available: %(known)s",
                            names=", ".join("{{%s}}" % name for name in unknown),
                            known=", ".join("{{%s}}" % name for name in merge.FIELDS)), field)


def clean_message(subject: str | None, body: str | None) -> tuple[str, str]:
    """A subject (one line) and body checked for length and merge fields."""
    subject = clean_text(subject, 200, "subject", required=True)
    if "\n" in subject or "\r" in subject:
        raise DomainError(_("The subject must be one line."), "subject")
    body = clean_text(body, 20_000, "body", required=True)
    _check_merge_fields(subject, "subject")
    _check_merge_fields(body, "body")
    return subject, body


def save_template(actor: User, template: MailTemplate | None, name: str | None, subject: str | None,
                  body: str | None) -> MailTemplate:
    """Create (template None) or change an e-mail template."""
    name = clean_text(name, 100, "name", required=True)
    subject, body = clean_message(subject, body)
    if template is None:
        template = MailTemplate(name=name, subject=subject, body=body, created_by_id=actor.id)
        db.session.add(template)
        db.session.flush()
        audit.record(actor, "mail_template.created", template)
        return template
    before = audit.snapshot(template, ("name", "subject", "body"))
    template.name, template.subject, template.body = name, subject, body
    db.session.flush()
    changes = audit.diff(before, audit.snapshot(template, ("name", "subject", "body")))
    if changes:
        audit.record(actor, "mail_template.updated", template, changes)
    return template


def delete_template(actor: User, template: MailTemplate) -> None:
    """Delete a template; jobs sent from it keep their own copy of the subject and body."""
    audit.record(actor, "mail_template.deleted", template)
    db.session.execute(update(MailJob).where(MailJob.template_id == template.id).values(template_id=None)
                       .execution_options(synchronize_session=False))
    db.session.delete(template)
    db.session.flush()


def preview(subject: str, body: str, candidate: Candidate) -> tuple[str, str]:
    """The subject and body as `candidate` would receive them."""
    return merge.fill(subject, candidate.values), merge.fill(body, candidate.values)


# --- jobs ---------------------------------------------------------------------------------------

def visible_jobs(user: User):
    """Jobs of senders within the user's data scope for mass e-mail (their own at least)."""
    return select(MailJob).where((MailJob.sender_id == user.id) | scope_condition(user, MailJob.sender_id, MAIL_JOB))


def get_job(user: User, job_id: int) -> MailJob | None:
    return db.session.scalar(visible_jobs(user).where(MailJob.id == job_id))


def queue_job(actor: User, subject: str | None, body: str | None, audience: Audience, base_url: str,
              template: MailTemplate | None = None, audience_label: str | None = None) -> MailJob:
    """Queue a send to the audience: one pending row per address that may be mailed (unsubscribed and
    bounced addresses are recorded as skipped). Nothing is sent here: the `mailing.send` job sends."""
    subject, body = clean_message(subject, body)
    found = plan(actor, audience)
    if not found.recipients:
        raise DomainError(_("Nobody to send to: no recipient with a valid address that may be mailed."))
    if len(found.recipients) > MAX_RECIPIENTS:
        raise DomainError(_("At most %(n)d recipients in one send: narrow the filters.", n=MAX_RECIPIENTS))
    job = MailJob(subject=subject, body=body, sender_id=actor.id, base_url=base_url.rstrip("/")[:300],
                  template_id=template.id if template is not None else None, status="queued",
                  audience=(audience_label or audience.kind)[:500])
    db.session.add(job)
    db.session.flush()
    rows = [_row(job, c, "pending", None) for c in found.recipients]
    rows += [_row(job, c, "skipped", reason) for c, reason in found.suppressed]
    for start in range(0, len(rows), 500):
        db.session.add_all([MailRecipient(**row) for row in rows[start:start + 500]])
        db.session.flush()
    refresh_counts(job)
    audit.record(actor, "mail_job.queued", job, {"count": [None, len(found.recipients)]})
    return job


def _row(job: MailJob, candidate: Candidate, status: str, error: str | None) -> dict:
    return {"job_id": job.id, "address": candidate.address, "name": (candidate.name or "")[:200] or None,
            "source_type": candidate.source_type, "source_id": candidate.source_id,
            "merge_values": json.dumps(candidate.values, ensure_ascii=False),
            "unsubscribe_token": unsubscribe_token(candidate.address), "status": status, "error": error}


def status_counts(job_id: int) -> dict[str, int]:
    rows = db.session.execute(select(MailRecipient.status, func.count()).where(MailRecipient.job_id == job_id)
                              .group_by(MailRecipient.status)).tuples().all()
    return dict(rows)


def refresh_counts(job: MailJob) -> None:
    """The job's counts from its recipients (one grouped query), and done once nothing is pending."""
    counts = status_counts(job.id)
    job.total_count = sum(counts.values())
    job.sent_count, job.failed_count = counts.get("sent", 0), counts.get("failed", 0)
    job.bounced_count, job.skipped_count = counts.get("bounced", 0), counts.get("skipped", 0)
    if job.status in ("queued", "sending") and not counts.get("pending"):
        job.status = "done"
        job.finished_at = job.finished_at or utcnow()
    db.session.flush()


def retry_failed(actor: User, job: MailJob) -> int:
    """Put the job's failed recipients back in the queue (bounced ones stay: the server refused them)."""
    if job.status == "cancelled":
        raise DomainError(_("A cancelled send cannot be retried."))
    count = db.session.execute(
        update(MailRecipient).where(MailRecipient.job_id == job.id, MailRecipient.status == "failed")
        .values(status="pending", error=None).execution_options(synchronize_session=False)).rowcount
    if not count:
        raise DomainError(_("No failed recipients to retry."))
    job.status, job.finished_at = "sending" if job.started_at else "queued", None
    refresh_counts(job)
    audit.record(actor, "mail_job.retried", job, {"count": [None, count]})
    return count


def cancel_job(actor: User, job: MailJob) -> int:
    """Stop a send: recipients not yet mailed are skipped."""
    if job.status not in ("queued", "sending"):
        raise DomainError(_("Only a send still in progress can be cancelled."))
    count = db.session.execute(
        update(MailRecipient).where(MailRecipient.job_id == job.id, MailRecipient.status == "pending")
        .values(status="skipped", error="cancelled").execution_options(synchronize_session=False)).rowcount
    job.status, job.finished_at = "cancelled", utcnow()
    refresh_counts(job)
    audit.record(actor, "mail_job.cancelled", job, {"count": [None, count]})
    return count


# --- unsubscribe and bounces --------------------------------------------------------------------

def address_for_token(token: str) -> str | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(select(MailRecipient.address).where(MailRecipient.unsubscribe_token == token)
                             .order_by(MailRecipient.id).limit(1))


def is_suppressed(address: str) -> str | None:
    return db.session.scalar(select(MailSuppression.reason).where(MailSuppression.address == address))


def suppress(address: str, reason: str, detail: str | None = None) -> bool:
    """Put an address on the list never to mail again; False if it was there already."""
    address = normalise_address(address)
    if is_suppressed(address) is not None:
        return False
    entry = MailSuppression(address=address, reason=reason, detail=(detail or "")[:500] or None)
    db.session.add(entry)
    db.session.flush()
    audit.record(None, f"mail_address.{reason}", entry, label=address)
    return True


def unsubscribe(token: str) -> str | None:
    """Unsubscribe the address the token belongs to (its mail still queued is skipped when its turn comes).
    Returns the address, or None for an unknown token."""
    address = address_for_token(token)
    if address is None:
        return None
    suppress(address, "unsubscribed")
    return address
