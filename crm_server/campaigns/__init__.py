"""市场活动: marketing campaigns, the customers linked to them, and what they earned (leads, conversions,
opportunities, won amount, cost per lead, ROI)."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..customers.merge import register_merge_label
from ..customers.sections import register_section as register_customer_section
from . import access, dictionaries  # noqa: F401  (registers permissions and the campaign type dictionary)
from . import views
from .access import CampaignPermission
from .views import bp

register_nav("campaigns.index", "bi-megaphone", _l("Campaigns"), permission=CampaignPermission.VIEW, order=38)
register_customer_section("campaigns", _l("Campaigns"), "campaigns/_customer_section.html", views.customer_section,
                          order=60)
register_merge_label("campaign_customers", _l("Campaigns"))
register_entity_labels({"campaigns": _l("Campaign")})
register_field_labels({
    "start_date": _l("Start date"), "end_date": _l("End date"), "budget": _l("Budget (元)"),
    "actual_cost": _l("Actual cost (元)"), "campaign": _l("Campaign"), "customers": _l("Customers"),
})

__all__ = ["bp"]
