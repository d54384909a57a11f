"""The `mailing.send` job: sends queued mass e-mail at [mail] mass_rate_per_minute through the [mail] server.

Each message is committed as soon as the server has answered, so the progress page moves while a send runs
and a crash loses at most the message being sent."""
from __future__ import annotations

import json
import logging
import smtplib
from email.headerregistry import Address

from flask import current_app
from sqlalchemy import select

from ..core.types import utcnow
from ..extensions import db
from ..reminders import mail
from . import merge
from .models import MailJob, MailRecipient
from .services import is_suppressed, refresh_counts, suppress

log = logging.getLogger(__name__)

DEFAULT_RATE = 60
FOOTER = "\n\n--\n如不希望再收到此类邮件，请打开以下链接退订 / To stop receiving these e-mails, unsubscribe here:\n{url}\n"


def rate_per_run(settings) -> int:
    value = str((settings.mail or {}).get("mass_rate_per_minute") or "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_RATE


def unsubscribe_url(job: MailJob, recipient: MailRecipient) -> str:
    return f"{job.base_url}/mailing/unsubscribe/{recipient.unsubscribe_token}"


def build(settings, job: MailJob, recipient: MailRecipient):
    """The message as the recipient gets it: merge fields filled, a footer and a List-Unsubscribe header."""
    values = json.loads(recipient.merge_values or "{}")
    url = unsubscribe_url(job, recipient)
    config = settings.mail
    sender = config.get("sender") or config.get("username") or f"crm@{config['server']}"
    to = str(Address(display_name=recipient.name or "", addr_spec=recipient.address))
    message = mail.build_message(sender, to, merge.fill(job.subject, values),
                                 merge.fill(job.body, values).rstrip() + FOOTER.format(url=url))
    message["List-Unsubscribe"] = f"<{url}>"
    message["Precedence"] = "bulk"
    return message


def _connect(settings) -> smtplib.SMTP:
    config = settings.mail
    server, port = config["server"], int(config.get("port") or 25)
    use_ssl = mail._flag(config.get("use_ssl"))
    smtp = (smtplib.SMTP_SSL if use_ssl else smtplib.SMTP)(server, port, timeout=mail.TIMEOUT)
    if mail._flag(config.get("use_tls")) and not use_ssl:
        smtp.starttls()
        smtp.ehlo()
    if config.get("username"):
        smtp.login(config["username"], config.get("password") or "")
    return smtp


def _reason(code, text) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}"[:500]


def _send_one(settings, smtp, job: MailJob, recipient: MailRecipient) -> tuple[str, bool]:
    """Send and record the outcome on the row: (status, whether the connection is still usable)."""
    recipient.attempts += 1
    try:
        smtp.send_message(build(settings, job, recipient))
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()), (0, b""))
        recipient.error = _reason(code, text)
        if 500 <= code < 600:
            recipient.status = "bounced"
            suppress(recipient.address, "bounced", recipient.error)
        else:
            recipient.status = "failed"
        return recipient.status, True
    except smtplib.SMTPResponseException as exc:
        recipient.status, recipient.error = "failed", _reason(exc.smtp_code, exc.smtp_error)
        return "failed", not isinstance(exc, smtplib.SMTPServerDisconnected)
    except (smtplib.SMTPException, OSError) as exc:
        recipient.status, recipient.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
        return "failed", False
    recipient.status, recipient.error, recipient.sent_at = "sent", None, utcnow()
    return "sent", True


def send_pending() -> str:
    """Job `mailing.send`: up to [mail] mass_rate_per_minute queued messages, oldest send first."""
    settings = current_app.config["CRM_SETTINGS"]
    if not (settings.mail or {}).get("server"):
        return "mail not configured"
    ids = db.session.scalars(
        select(MailRecipient.id).join(MailJob, MailRecipient.job_id == MailJob.id)
        .where(MailRecipient.status == "pending", MailJob.status.in_(("queued", "sending")))
        .order_by(MailRecipient.job_id, MailRecipient.id).limit(rate_per_run(settings))).all()
    outcome: dict[str, int] = {}
    smtp = None
    try:
        for recipient_id in ids:
            recipient = db.session.get(MailRecipient, recipient_id)
            job = recipient.job
            if recipient.status != "pending" or job.status not in ("queued", "sending"):
                continue  # cancelled or unsubscribed since the list was read
            if job.status == "queued":
                job.status, job.started_at = "sending", utcnow()
            reason = is_suppressed(recipient.address)
            if reason is not None:  # unsubscribed or bounced after the send was queued
                recipient.status, recipient.error, usable = "skipped", reason, True
            else:
                if smtp is None:
                    try:
                        smtp = _connect(settings)
                    except (smtplib.SMTPException, OSError) as exc:
                        recipient.attempts += 1
                        recipient.status, recipient.error = "failed", f"{type(exc).__name__}: {exc}"[:500]
                        refresh_counts(job)
                        db.session.commit()
                        outcome["failed"] = outcome.get("failed", 0) + 1
                        break  # the server is unreachable: the rest wait for the next run
                _, usable = _send_one(settings, smtp, job, recipient)
            outcome[recipient.status] = outcome.get(recipient.status, 0) + 1
            refresh_counts(job)
            db.session.commit()  # a sent mail cannot be taken back: record it before the next one
            if not usable:
                _close(smtp)
                smtp = None
    finally:
        _close(smtp)
    _finish_idle_jobs()
    return ", ".join(f"{status} {count}" for status, count in sorted(outcome.items())) or "nothing to send"


def _close(smtp) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _finish_idle_jobs() -> None:
    """Jobs still open with nothing pending (e.g. the last ones were skipped elsewhere) are done."""
    pending = select(MailRecipient.job_id).where(MailRecipient.status == "pending")
    for job in db.session.scalars(select(MailJob).where(MailJob.status.in_(("queued", "sending")),
                                                        MailJob.id.not_in(pending)).order_by(MailJob.id)):
        refresh_counts(job)
    db.session.commit()
