"""联系人: the people at each customer."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..customers.sections import register_section
from . import services
from .views import bp

register_nav("contacts.index", "bi-person-lines-fill", _l("Contacts"), order=20)
register_entity_labels({"contacts": _l("Contact")})
register_field_labels({"mobile": _l("Mobile"), "wechat": _l("WeChat"), "birthday": _l("Birthday"),
                       "gender": _l("Gender"), "decision_role": _l("Decision role"),
                       "is_primary": _l("Primary contact"), "customer": _l("Customer")})
register_section("contacts", _l("Contacts"), "contacts/_section.html", services.section_context, order=10)

__all__ = ["bp"]
