"""The roles a new installation starts with, and how they are created."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from .models import Role, RolePermission
from .permissions import PERMISSIONS, Permission, Scope

ADMIN = "admin"

# code -> (stored name, label for the UI, default data scope, permission codes or "*" for all)
BUILTIN_ROLES = {
    ADMIN: ("系统管理员", _l("System administrator"), Scope.ALL, "*"),
    "sales_director": ("销售总监", _l("Sales director"), Scope.ALL, (Permission.ADMIN_AUDIT,)),
    "sales_manager": ("销售经理", _l("Sales manager"), Scope.DEPARTMENT, ()),
    "sales": ("销售人员", _l("Salesperson"), Scope.OWN, ()),
    "service": ("客服人员", _l("Service staff"), Scope.OWN, ()),
    "finance": ("财务", _l("Finance"), Scope.ALL, ()),
}


def role_label(role: Role) -> str:
    """A built-in role's name in the user's language; an administrator's own role as they named it."""
    if role.is_builtin and role.code in BUILTIN_ROLES and role.name == BUILTIN_ROLES[role.code][0]:
        return str(BUILTIN_ROLES[role.code][1])
    return role.name


def ensure_builtin_roles() -> list[Role]:
    """Create the built-in roles that are missing; never changes a role an administrator edited."""
    existing = {r.code for r in db.session.scalars(select(Role))}
    created = []
    for code, (name, _label, scope, permissions) in BUILTIN_ROLES.items():
        if code in existing:
            continue
        role = Role(code=code, name=name, is_builtin=True, data_scope=scope)
        codes = PERMISSIONS.keys() if permissions == "*" else permissions
        role.permission_rows = [RolePermission(permission=p) for p in codes]
        db.session.add(role)
        created.append(role)
    if created:
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
