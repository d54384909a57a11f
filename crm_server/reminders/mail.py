"""Sending one plain-text e-mail through the SMTP server of config.ini's [mail] section."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

TIMEOUT = 30  # seconds: a dead server must not hold the job's lease for long
_TRUE = {"1", "yes", "true", "on"}


def _flag(value) -> bool:
    return str(value or "").strip().lower() in _TRUE


def build_message(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body, subtype="plain", charset="utf-8")
    return message


def send_mail(settings, to: str, subject: str, body: str) -> None:
    """Send `body` as UTF-8 plain text to `to`. [mail] use_ssl = SMTP over SSL, use_tls = STARTTLS; a login
    when a username is set. Raises on any failure (the caller decides whether to go on)."""
    config = settings.mail
    server, port = config["server"], int(config.get("port") or 25)
    sender = config.get("sender") or config.get("username") or f"crm@{server}"
    message = build_message(sender, to, subject, body)
    smtp_class = smtplib.SMTP_SSL if _flag(config.get("use_ssl")) else smtplib.SMTP
    with smtp_class(server, port, timeout=TIMEOUT) as smtp:
        if _flag(config.get("use_tls")) and not _flag(config.get("use_ssl")):
            smtp.starttls()
            smtp.ehlo()
        if config.get("username"):
            smtp.login(config["username"], config.get("password") or "")
        smtp.send_message(message)
