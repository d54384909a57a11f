"""跟进记录: calls, visits and messages logged against customers, with attachments."""
from flask_babel import lazy_gettext as _l

from ..contacts.sections import register_contact_panel
from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..customers.sections import register_section
from .views import bp, contact_panel, customer_section

register_nav("followups.index", "bi-chat-left-text", _l("Follow-ups"), order=30)
register_entity_labels({"followups": _l("Follow-up")})
register_field_labels({"happened_at": _l("Time"), "content": _l("Content"), "outcome": _l("Outcome"),
                       "next_step": _l("Next step"), "next_followup_at": _l("Next follow-up"),
                       "contact": _l("Contact"), "attachments": _l("Attachments")})
register_section("followups", _l("Follow-ups"), "followups/_section.html", customer_section, order=20)
register_contact_panel("followups", _l("Follow-ups"), "followups/_contact_panel.html", contact_panel, order=10)

__all__ = ["bp"]
