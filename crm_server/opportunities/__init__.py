"""商机: pipelines and stages, opportunities with product lines, contacts and competitors, the kanban board,
stage history and the funnel figures."""
from flask_babel import lazy_gettext as _l

from ..contacts.sections import register_contact_panel
from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..customers.sections import register_section as register_customer_section
from . import access, dictionaries, pipelines  # noqa: F401  (registers permissions, dictionaries, reference data)
from . import pipeline_views, views  # noqa: F401  (pipeline_views' routes are on the same blueprint)
from .access import OpportunityPermission
from .views import bp

register_nav("opportunities.index", "bi-briefcase", _l("Opportunities"), order=35)
register_nav("opportunities.kanban", "bi-kanban", _l("Pipeline board"), order=36)
register_nav("opportunities.pipelines_index", "bi-signpost-split", _l("Pipelines and stages"),
             _l("System administration"), OpportunityPermission.PIPELINES, order=960)
register_customer_section("opportunities", _l("Opportunities"), "opportunities/_customer_section.html",
                          views.customer_section, order=35)
register_contact_panel("opportunities", _l("Opportunities"), "opportunities/_contact_panel.html",
                       views.contact_panel, order=35)
register_entity_labels({"opportunities": _l("Opportunity"), "pipelines": _l("Pipeline"), "stages": _l("Stage")})
register_field_labels({
    "amount": _l("Amount"), "amount_from_lines": _l("Amount from lines"),
    "expected_close_date": _l("Expected close date"), "pipeline": _l("Pipeline"), "stage": _l("Stage"),
    "probability": _l("Probability"), "closed_on": _l("Won/lost on"), "loss_reason": _l("Loss reason"),
    "next_step": _l("Next step"), "lines": _l("Product lines"), "contacts": _l("Contacts"),
    "competitors": _l("Competitors"), "is_default": _l("Default"), "kind": _l("Stage type"),
})

__all__ = ["bp"]
