"""System administration: branches, departments, users, roles, dictionaries and the audit log."""
from flask_babel import lazy_gettext as _l

from ..core.navigation import register_nav
from ..core.permissions import Permission
from . import dictionary_views  # noqa: F401  (its routes are on the same blueprint)
from .views import bp

_ADMIN = _l("System administration")
register_nav("admin.users", "bi-people", _l("Users"), _ADMIN, Permission.ADMIN_USERS, order=900)
register_nav("admin.departments", "bi-diagram-3", _l("Branches and departments"), _ADMIN, Permission.ADMIN_ORG,
             order=910)
register_nav("admin.roles", "bi-shield-lock", _l("Roles and permissions"), _ADMIN, Permission.ADMIN_ROLES,
             order=920)
register_nav("admin.dictionaries", "bi-book", _l("Dictionaries and settings"), _ADMIN,
             Permission.ADMIN_DICTIONARIES, order=930)
register_nav("admin.audit", "bi-journal-text", _l("Audit log"), _ADMIN, Permission.ADMIN_AUDIT, order=990)

__all__ = ["bp"]
