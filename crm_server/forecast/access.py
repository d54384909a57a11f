"""Permissions of the forecast domain; whose figures a user sees is the data scope of opportunities."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.permissions import register_permission

_GROUP = _l("Forecast and quotas")


class ForecastPermission:
    VIEW = register_permission("forecast.view", _l("See the sales forecast (own figures, or the data scope's)"),
                               _GROUP, default_roles=("sales_director", "sales_manager", "sales", "finance"))
    MANAGE_QUOTAS = register_permission("quota.manage", _l("Set the quotas of the people in one's data scope"),
                                        _GROUP, default_roles=("sales_director", "sales_manager"))
