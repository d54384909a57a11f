"""Mass e-mail test helpers: a real SMTP server on localhost (aiosmtpd) that keeps what it receives and can refuse
or defer chosen recipients, and factories for templates and recipients."""
from __future__ import annotations

import email
import socket
from email import policy

from aiosmtpd.controller import Controller

from crm_server.extensions import db
from crm_server.mailing.models import MailTemplate
from tests import factories


class Inbox:
    """The aiosmtpd handler: keeps each delivered message; `refuse` addresses get 550, `defer` ones 451."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse: set[str] = set()
        self.defer: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.refuse:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address.lower() in self.defer:
            return "451 4.3.0 mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [message for _, rcpts, message in self.messages if address in rcpts]

    @property
    def recipients(self) -> list[str]:
        return [rcpt for _, rcpts, _ in self.messages for rcpt in rcpts]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """aiosmtpd's Controller on 127.0.0.1:<free port>, started and stopped around a test."""

    def __init__(self):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


def use_smtp(app, monkeypatch, port: int, rate: int = 60) -> None:
    """Point [mail] of the running app at the local server."""
    mail = app.config["CRM_SETTINGS"].mail
    for key, value in {"server": "127.0.0.1", "port": str(port), "sender": "CRM 系统 <crm@example.com>",
                       "username": "", "use_tls": "no", "use_ssl": "no",
                       "mass_rate_per_minute": str(rate)}.items():
        monkeypatch.setitem(mail, key, value)


def make_template(name="新品发布会邀请", subject="{{contact_name}}，诚邀参加{{company}}专场发布会",
                  body="尊敬的{{contact_name}}：\n\n{{customer_name}}的各位同仁好，我是{{my_name}}。\n客户经理：{{owner_name}}\n",
                  user=None) -> MailTemplate:
    template = MailTemplate(name=name, subject=subject, body=body, created_by_id=user.id if user else None)
    db.session.add(template)
    db.session.flush()
    return template


def department_with(manager_name="经理甲", sales_name="销售甲"):
    """A department with a sales manager and a salesperson in it."""
    department = factories.make_department()
    manager = factories.make_user("sales_manager", display_name=manager_name, department=department)
    sales = factories.make_user("sales", display_name=sales_name, department=department)
    return manager, sales
