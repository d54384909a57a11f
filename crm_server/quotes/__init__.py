"""报价单: numbered quotes with versions, discount approval, a PDF and a print view."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..core.roles import register_reference_data
from ..customers.sections import register_section as register_customer_section
from ..opportunities.sections import register_section as register_opportunity_section
from . import access, jobs, sections, services  # noqa: F401  (permissions, record type, the expiry job)
from .views import bp

register_nav("quotes.index", "bi-file-earmark-text", _l("Quotes"), order=34)
register_nav("quotes.settings", "bi-percent", _l("Quote settings"), section=_l("System administration"),
             permission=access.QuotePermission.DISCOUNT_RULES, order=915)
register_entity_labels({"quotes": _l("Quote")})
register_field_labels({
    "number_pattern": _l("Quote number pattern"), "max_discount_percent": _l("Maximum discount %"),
    "overall_discount_percent": _l("Overall discount %"), "quote_date": _l("Quote date"),
    "valid_until": _l("Valid until"), "price_list": _l("Price list"), "delivery_terms": _l("Delivery"),
    "payment_terms": _l("Payment terms"), "total": _l("Grand total"), "lines": _l("Lines"),
    "approval_comment": _l("Approval comment"), "approval_flow": _l("Approval flow"), "version": _l("Version"),
    "opportunity": _l("Opportunity"),
})
register_customer_section("quotes", _l("Quotes"), "quotes/_section.html", sections.customer_section, order=40)
register_opportunity_section("quotes", _l("Quotes"), "quotes/_section.html", sections.opportunity_section,
                             order=20)
register_reference_data(services.ensure_default_limits)

__all__ = ["bp"]
