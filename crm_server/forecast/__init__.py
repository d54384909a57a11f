"""销售预期 / 业绩目标: quotas per person and month, commits per quarter, and the forecast of a fiscal quarter."""
from flask_babel import lazy_gettext as _l

from ..core import audit
from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..core.permissions import Permission
from . import access  # noqa: F401  (registers the permissions)
from .access import ForecastPermission
from .periods import FISCAL_START_KEY
from .views import bp

register_nav("forecast.index", "bi-graph-up-arrow", _l("Forecast"), permission=ForecastPermission.VIEW, order=45)
register_nav("forecast.quotas", "bi-bullseye", _l("Quotas"), permission=ForecastPermission.MANAGE_QUOTAS, order=46)
register_nav("forecast.settings", "bi-calendar3", _l("Fiscal year"), _l("System administration"),
             Permission.ADMIN_DICTIONARIES, order=935)
register_entity_labels({"sales_quotas": _l("Quota"), "sales_commits": _l("Commit")})
register_field_labels({FISCAL_START_KEY: _l("Month the fiscal year starts in")})
audit.register_actions({
    "quota.updated": _l("Set quotas"),
    "forecast.commit_updated": _l("Entered a forecast commit"),
    "forecast.settings_updated": _l("Changed the fiscal year start"),
})

__all__ = ["bp"]
