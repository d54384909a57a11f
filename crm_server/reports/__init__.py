"""图表统计 / 报表: reports of every module that is installed, drawn with matplotlib, exported to Excel and CSV."""
from flask_babel import lazy_gettext as _l

from ..core.navigation import register_nav
from . import sales  # noqa: F401  (registers the report)
from . import activity, customers, leads  # noqa: F401
from . import forecast, money  # noqa: F401
from .views import bp

register_nav("reports.index", "bi-bar-chart-line", _l("Reports"), order=61)

__all__ = ["bp"]
