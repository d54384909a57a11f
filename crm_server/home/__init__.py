"""The workbench: the first page after signing in."""
from flask_babel import lazy_gettext as _l

from ..core.navigation import register_nav
from .views import bp

register_nav("home.index", "bi-speedometer2", _l("Workbench"), order=0)

__all__ = ["bp"]
