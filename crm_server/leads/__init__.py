"""线索: leads, the lead pool and its round-robin assignment, duplicate check and merge, follow-ups, and
conversion into customer, contact and opportunity."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from . import access, dictionaries  # noqa: F401  (registers permissions, the record type and the dictionary)
from . import admin_views, customer_section  # noqa: F401  (routes on the same blueprint; the customer page)
from . import scoring_views, web_form_views  # noqa: F401  (scoring rules, web forms: routes on the same blueprint)
from .views import FIELD_LABELS, bp

register_nav("leads.index", "bi-funnel", _l("Leads"), order=12)
register_nav("leads.team", "bi-shuffle", _l("Lead assignment team"), section=_l("System administration"),
             permission=access.LeadPermission.ASSIGN_RULES, order=935)
register_entity_labels({"leads": _l("Lead"), "lead_assignees": _l("Lead assignment team")})
register_field_labels(FIELD_LABELS)

__all__ = ["bp"]
