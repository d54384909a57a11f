"""Activity statistics for managers: calls, visits, new and claimed customers per person and period."""
from flask_babel import lazy_gettext as _l

from ..core.navigation import register_nav
from . import services  # noqa: F401  (registers the activity.view_team permission)
from .views import bp

register_nav("activity.index", "bi-bar-chart", _l("Activity"), order=60)

__all__ = ["bp"]
