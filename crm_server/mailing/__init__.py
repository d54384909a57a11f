"""群发: e-mail templates with merge fields, mass sends queued as jobs and sent in the background, unsubscribes."""
import datetime as dt

from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.audit import register_entity_labels, register_field_labels
from ..core.jobs import register_job
from ..core.navigation import register_nav
from . import access, sender
from .views import bp

register_nav("mailing.index", "bi-envelope-paper", _l("Mass e-mail"), permission=access.MailingPermission.SEND,
             order=58)
register_job("mailing.send", sender.send_pending, dt.timedelta(minutes=1), lease=dt.timedelta(minutes=15),
             description="send queued mass e-mail at [mail] mass_rate_per_minute")
register_entity_labels({"mail_templates": _l("E-mail template"), "mail_jobs": _l("Mass e-mail"),
                        "mail_suppressions": _l("E-mail address")})
register_field_labels({"subject": _l("Subject"), "body": _l("Body"), "count": _l("Count")})
audit.register_actions({
    "mail_template.created": _l("Created an e-mail template"),
    "mail_template.updated": _l("Changed an e-mail template"),
    "mail_template.deleted": _l("Deleted an e-mail template"),
    "mail_job.queued": _l("Queued a mass e-mail"),
    "mail_job.retried": _l("Retried the failed e-mails of a mass e-mail"),
    "mail_job.cancelled": _l("Cancelled a mass e-mail"),
    "mail_address.unsubscribed": _l("An address unsubscribed from mass e-mail"),
    "mail_address.bounced": _l("An address bounced (refused by the mail server)"),
})

__all__ = ["bp"]
