"""合同: numbered contracts from won opportunities, accepted quotes or from scratch, approval through the flows,
revisions, templates with merge fields and 大写金额, PDF and print view, renewal reminders."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..core.roles import register_reference_data
from ..customers.sections import register_section as register_customer_section
from ..opportunities.sections import register_section as register_opportunity_section
from . import access, approval, jobs, panels, services  # noqa: F401  (permissions, document type, the jobs)
from .access import ContractPermission
from .views import bp

register_nav("contracts.index", "bi-file-earmark-check", _l("Contracts"), order=36)
register_nav("contracts.renewals", "bi-arrow-repeat", _l("Due for renewal"), order=36.5)
register_nav("contracts.templates", "bi-file-earmark-richtext", _l("Contract templates"),
             section=_l("System administration"), permission=ContractPermission.TEMPLATES, order=916)
register_nav("contracts.settings", "bi-sliders", _l("Contract settings"), section=_l("System administration"),
             permission=ContractPermission.TEMPLATES, order=917)
register_entity_labels({"contracts": _l("Contract"), "contract_templates": _l("Contract template")})
register_field_labels({
    "contract_type": _l("Contract type"), "sign_date": _l("Sign date"), "start_date": _l("Start date"),
    "end_date": _l("End date"), "payment_days": _l("Payment period (days)"), "amount": _l("Amount"),
    "termination_reason": _l("Termination reason"), "renewed_from": _l("Renewal of"),
    "renewal_reminded_at": _l("Renewal reminded at"), "is_signed_scan": _l("Signed scan"), "file": _l("File"),
    "approval_flow": _l("Approval flow"), "revision": _l("Revision"), "renewal_days": _l("Renewal reminder days"),
    "quote": _l("Quote"), "body": _l("Template text"), "is_default": _l("Default"),
})
register_customer_section("contracts", _l("Contracts"), "contracts/_section.html", panels.customer_section, order=45)
register_opportunity_section("contracts", _l("Contracts"), "contracts/_section.html", panels.opportunity_section,
                             order=25)
register_reference_data(services.ensure_default_template)

__all__ = ["bp"]
