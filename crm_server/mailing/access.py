"""Who may send mass e-mail, and whose sends a user sees (the data scope of the sender)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.permissions import register_permission, register_record_type

MAIL_JOB = register_record_type("mail_job", _l("Mass e-mails"))


class MailingPermission:
    SEND = register_permission("mailing.send", _l("Send mass e-mail and edit e-mail templates"), _l("Mass e-mail"),
                               default_roles=("sales_director", "sales_manager"))
