"""Permissions for actions, and the scoped query every list, detail, export, chart and API reads through."""
from __future__ import annotations

import functools
from dataclasses import dataclass

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import Select, select, true

from ..extensions import db
from .models import Department, User


class Scope:
    """数据范围: which owners' records a role sees."""

    OWN = "own"
    SUBORDINATES = "subordinates"  # own and those who report to me, at any depth
    DEPARTMENT = "department"      # my department and its sub-departments
    BRANCH = "branch"
    ALL = "all"

    ORDER = (OWN, SUBORDINATES, DEPARTMENT, BRANCH, ALL)
    LABELS = {
        OWN: _l("Own records"),
        SUBORDINATES: _l("Own and subordinates"),
        DEPARTMENT: _l("Own department"),
        BRANCH: _l("Own branch"),
        ALL: _l("All"),
    }


@dataclass(frozen=True)
class PermissionDef:
    code: str
    label: object
    group: object
    default_roles: tuple[str, ...] = ()  # built-in roles that hold it out of the box


# Domains register their permissions and record types at import; the role editor lists them.
PERMISSIONS: dict[str, PermissionDef] = {}
RECORD_TYPES: dict[str, object] = {}


def register_permission(code: str, label, group, default_roles: tuple[str, ...] = ()) -> str:
    PERMISSIONS[code] = PermissionDef(code, label, group, tuple(default_roles))
    return code


def register_record_type(code: str, label) -> str:
    RECORD_TYPES[code] = label
    return code


class Permission:
    """Permissions of the foundation; modules add theirs with register_permission."""

    ADMIN_ORG = register_permission("admin.org", _l("Manage branches and departments"), _l("Administration"))
    ADMIN_USERS = register_permission("admin.users", _l("Manage users"), _l("Administration"))
    ADMIN_ROLES = register_permission("admin.roles", _l("Manage roles and permissions"), _l("Administration"))
    ADMIN_AUDIT = register_permission("admin.audit", _l("View the audit log"), _l("Administration"),
                                      default_roles=("sales_director",))
    ADMIN_DICTIONARIES = register_permission("admin.dictionaries", _l("Edit dictionaries and settings"),
                                             _l("Administration"))


def require(*permissions: str):
    """View decorator: 403 unless the signed-in user's role has every permission named."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from ..extensions import login_manager
                return login_manager.unauthorized()
            if not all(current_user.can(p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def _department_tree(root_id: int):
    """Ids of a department and every department below it, as a recursive CTE (no ids pass through Python)."""
    tree = select(Department.id).where(Department.id == root_id).cte("dept_tree", recursive=True)
    tree = tree.union_all(select(Department.id).where(Department.parent_id == tree.c.id))
    return select(tree.c.id)


def _subordinate_ids(user_id: int):
    """Ids of a user and everyone reporting to them at any depth, as a recursive CTE."""
    tree = select(User.id).where(User.id == user_id).cte("report_tree", recursive=True)
    tree = tree.union_all(select(User.id).where(User.manager_id == tree.c.id))
    return select(tree.c.id)


OWN_ONLY = "own-only"


def visible_owner_ids(user: User, record_type: str | None = None):
    """A SELECT of the user ids whose records `user` may see; None when the scope is all, OWN_ONLY for own."""
    scope = user.role.scope_for(record_type)
    if scope == Scope.ALL:
        return None
    if scope == Scope.SUBORDINATES:
        return _subordinate_ids(user.id)
    if scope == Scope.DEPARTMENT and user.department_id is not None:
        return select(User.id).where(User.department_id.in_(_department_tree(user.department_id)))
    if scope == Scope.BRANCH and user.department_id is not None:
        return (select(User.id).join(Department, User.department_id == Department.id)
                .where(Department.branch_id == user.branch_id))
    # own, or a department/branch scope for a user who belongs to none: only their own records
    return OWN_ONLY


def scope_condition(user: User, owner_column, record_type: str | None = None):
    """The WHERE clause: `owner_column` is a user within `user`'s data scope (to combine with OR, e.g. sharing)."""
    owners = visible_owner_ids(user, record_type)
    if owners is None:
        return true()
    if owners is OWN_ONLY:
        return owner_column == user.id
    return owner_column.in_(owners)


def scoped(stmt: Select, user: User, owner_column, record_type: str | None = None) -> Select:
    """Restrict `stmt` to records whose `owner_column` is a user within `user`'s data scope."""
    return stmt.where(scope_condition(user, owner_column, record_type))


def can_see_owner(user: User, owner_id: int | None, record_type: str | None = None) -> bool:
    """Whether a record owned by `owner_id` is within the user's scope (for a record already loaded)."""
    owners = visible_owner_ids(user, record_type)
    if owners is None:
        return True
    if owner_id is None:
        return False
    if owners is OWN_ONLY:
        return owner_id == user.id
    return db.session.execute(select(User.id).where(User.id == owner_id, User.id.in_(owners))).first() \
        is not None
