"""审批流: flows per document type (conditions choose one, ordered steps name the approvers), the requests
documents go through, "waiting for me", and the timeline panel documents show."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from . import services
from .views import bp

register_nav("approvals.index", "bi-check2-square", _l("Approvals"), order=39)
register_nav("approvals.flows", "bi-diagram-3", _l("Approval flows"), section=_l("System administration"),
             permission=services.FLOWS, order=916)
register_entity_labels({"approval_requests": _l("Approval request"), "approval_flows": _l("Approval flow")})
register_field_labels({
    "flow": _l("Approval flow"), "approvers": _l("Approvers"), "step": _l("Step"), "comment": _l("Comment"),
    "priority": _l("Priority"), "conditions": _l("Conditions"), "steps": _l("Steps"),
})

__all__ = ["bp"]
