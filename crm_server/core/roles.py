"""The roles a new installation starts with, and how they are created."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from .models import Role, RolePermission
from .permissions import PERMISSIONS, Scope

ADMIN = "admin"

# code -> (stored name, label for the UI, default data scope, permission codes or "*" for all)
BUILTIN_ROLES = {
    ADMIN: ("系统管理员", _l("System administrator"), Scope.ALL, "*"),
    "sales_director": ("销售总监", _l("Sales director"), Scope.ALL, ()),
    "sales_manager": ("销售经理", _l("Sales manager"), Scope.DEPARTMENT, ()),
    "sales": ("销售人员", _l("Salesperson"), Scope.OWN, ()),
    "service": ("客服人员", _l("Service staff"), Scope.OWN, ()),
    "finance": ("财务", _l("Finance"), Scope.ALL, ()),
}
# Permissions already offered to the built-in roles; a permission a new module registers is granted to its
# default roles once, so an administrator who later takes it away is not overruled at the next start.
KNOWN_PERMISSIONS_KEY = "roles.known_permissions"


def role_label(role: Role) -> str:
    """A built-in role's name in the user's language; an administrator's own role as they named it."""
    if role.is_builtin and role.code in BUILTIN_ROLES and role.name == BUILTIN_ROLES[role.code][0]:
        return str(BUILTIN_ROLES[role.code][1])
    return role.name


def _default_codes(role_code: str) -> set[str]:
    permissions = BUILTIN_ROLES[role_code][3]
    if permissions == "*":
        return set(PERMISSIONS)
    return set(permissions) | {code for code, d in PERMISSIONS.items() if role_code in d.default_roles}


def ensure_builtin_roles() -> list[Role]:
    """Create the built-in roles that are missing, and grant permissions that modules registered since the
    last start to their default roles; never takes away what an administrator gave or changes a name."""
    from .site_settings import get_setting, set_setting
    roles = {r.code: r for r in db.session.scalars(select(Role))}
    stored = get_setting(KNOWN_PERMISSIONS_KEY)
    # Before the list was kept, the administrator role held every permission there was.
    known = set(stored.split(",")) if stored else set().union(*(r.permissions for r in roles.values()))
    new_codes = set(PERMISSIONS) - known
    for code, role in roles.items():
        if code in BUILTIN_ROLES and role.is_builtin:
            for permission in sorted((_default_codes(code) & new_codes) - role.permissions):
                role.permission_rows.append(RolePermission(permission=permission))
    created = []
    for code, (name, _label, scope, _permissions) in BUILTIN_ROLES.items():
        if code in roles:
            continue
        role = Role(code=code, name=name, is_builtin=True, data_scope=scope)
        role.permission_rows = [RolePermission(permission=p) for p in sorted(_default_codes(code))]
        db.session.add(role)
        created.append(role)
    if new_codes or stored is None:
        set_setting(KNOWN_PERMISSIONS_KEY, ",".join(sorted(set(PERMISSIONS) | known)))
    db.session.flush()
    return created


def grant_all_to_admin() -> None:
    """The administrator role always holds every permission, including those new modules register."""
    role = db.session.scalar(select(Role).where(Role.code == ADMIN))
    if role is None:
        return
    missing = set(PERMISSIONS) - role.permissions
    for code in sorted(missing):
        role.permission_rows.append(RolePermission(permission=code))
    if missing:
        db.session.flush()


# Domains add what they need to exist (e.g. a default public pool); each must be idempotent and only flush.
REFERENCE_DATA_HOOKS: list = []


def register_reference_data(func):
    REFERENCE_DATA_HOOKS.append(func)
    return func


def ensure_reference_data() -> None:
    """What every installation needs before anyone signs in: built-in roles, starting dictionary values, and
    what domains registered. Runs at every start (and in the test fixtures); changes nothing already there."""
    from .dictionaries import ensure_default_items
    ensure_builtin_roles()
    grant_all_to_admin()
    ensure_default_items()
    for hook in REFERENCE_DATA_HOOKS:
        hook()
