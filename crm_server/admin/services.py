"""System administration rules: branches, departments, users, roles, and reading the audit log."""
from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, true
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.audit import AuditLog, diff, snapshot
from ..core.errors import DomainError
from ..core.i18n import LANGUAGE_NAMES
from ..core.models import Branch, Department, Role, RoleDataScope, RolePermission, User
from ..core.permissions import PERMISSIONS, RECORD_TYPES, Scope
from ..core.roles import ADMIN, role_label
from ..core.search import contains
from ..core.security import check_password_rules, hash_password, new_session_token
from ..core.types import utcnow
from ..extensions import db
from ..core.validation import clean_text as _text

audit.register_actions({
    "branch.created": _l("Created a branch"),
    "branch.updated": _l("Edited a branch"),
    "branch.deleted": _l("Deleted a branch"),
    "department.created": _l("Created a department"),
    "department.updated": _l("Edited a department"),
    "department.deactivated": _l("Deactivated a department"),
    "department.deleted": _l("Deleted a department"),
    "user.created": _l("Created a user"),
    "user.updated": _l("Edited a user"),
    "user.password_reset": _l("Reset a user's password"),
    "user.disabled": _l("Disabled a user"),
    "user.enabled": _l("Enabled a user"),
    "role.created": _l("Created a role"),
    "role.updated": _l("Edited a role"),
    "role.deleted": _l("Deleted a role"),
})

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]+$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
BRANCH_FIELDS = ("name", "city", "address", "phone", "sort_order", "is_active")
DEPARTMENT_FIELDS = ("name", "branch", "parent", "sort_order", "is_active")
# Relationships rather than ids: the audit log then shows names, not numbers.
USER_FIELDS = ("username", "display_name", "email", "phone", "title", "role", "department", "manager",
               "language", "is_active")


def _gone(state: dict) -> dict | None:
    """Changes for a deleted record: each value it had, to nothing."""
    return {k: [v, None] for k, v in state.items() if v is not None} or None


def _same_name(column, name: str):
    # Case-insensitive on every engine, as SQL Server's usual collation already is.
    return func.lower(column) == name.lower()


# --- branches ---------------------------------------------------------------------------------

def _branch_values(branch: Branch | None, name, city, address, phone, sort_order, is_active) -> dict:
    name = _text(name, 100, "name", required=True)
    taken = select(Branch.id).where(_same_name(Branch.name, name))
    if branch is not None and branch.id is not None:
        taken = taken.where(Branch.id != branch.id)
    if db.session.scalar(taken) is not None:
        raise DomainError(_("A branch with this name already exists."), "name")
    return {"name": name, "city": _text(city, 50, "city"), "address": _text(address, 200, "address"),
            "phone": _text(phone, 40, "phone"), "sort_order": sort_order or 0, "is_active": bool(is_active)}


def create_branch(actor: User | None, *, name: str, city: str | None = None, address: str | None = None,
                  phone: str | None = None, sort_order: int | None = 0, is_active: bool = True) -> Branch:
    """Add a branch; its name must be unique."""
    branch = Branch(**_branch_values(None, name, city, address, phone, sort_order, is_active))
    db.session.add(branch)
    db.session.flush()
    audit.record(actor, "branch.created", branch, diff({}, snapshot(branch, BRANCH_FIELDS)))
    return branch


def update_branch(actor: User | None, branch: Branch, *, name: str, city: str | None = None,
                  address: str | None = None, phone: str | None = None, sort_order: int | None = 0,
                  is_active: bool = True) -> Branch:
    """Edit a branch; records the changed fields."""
    values = _branch_values(branch, name, city, address, phone, sort_order, is_active)
    before = snapshot(branch, BRANCH_FIELDS)
    for key, value in values.items():
        setattr(branch, key, value)
    db.session.flush()
    changes = diff(before, snapshot(branch, BRANCH_FIELDS))
    if changes:
        audit.record(actor, "branch.updated", branch, changes)
    return branch


def delete_branch(actor: User | None, branch: Branch) -> None:
    """Delete a branch that has no departments (one with departments is deactivated instead)."""
    if db.session.scalar(select(func.count(Department.id)).where(Department.branch_id == branch.id)):
        raise DomainError(_("This branch still has departments. Deactivate it instead."))
    audit.record(actor, "branch.deleted", branch, _gone(snapshot(branch, BRANCH_FIELDS)))
    db.session.delete(branch)
    db.session.flush()


# --- departments ------------------------------------------------------------------------------

def _descendant_ids(department_id: int) -> set[int]:
    """Ids of the departments below one, at any depth (not itself). Walked in Python: the tree is small
    and a walk with a visited set cannot loop even if bad data ever held a cycle."""
    children: dict[int | None, list[int]] = {}
    for dept_id, parent_id in db.session.execute(select(Department.id, Department.parent_id)):
        children.setdefault(parent_id, []).append(dept_id)
    found: set[int] = set()
    pending = list(children.get(department_id, []))
    while pending:
        current = pending.pop()
        if current in found or current == department_id:
            continue
        found.add(current)
        pending.extend(children.get(current, []))
    return found


def _department_values(department: Department | None, name, branch_id, parent_id, sort_order,
                       is_active) -> dict:
    name = _text(name, 100, "name", required=True)
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None:
        raise DomainError(_("Choose a branch."), "branch_id")
    parent = db.session.get(Department, parent_id) if parent_id else None
    if parent_id and parent is None:
        raise DomainError(_("The parent department does not exist."), "parent_id")
    existing_id = department.id if department is not None else None
    if parent is not None:
        below_itself = existing_id is not None and (parent.id == existing_id
                                                    or parent.id in _descendant_ids(existing_id))
        if below_itself:
            raise DomainError(_("A department cannot be placed under itself or one of its sub-departments."),
                              "parent_id")
        if parent.branch_id != branch.id:
            raise DomainError(_("The parent department must be in the same branch."), "parent_id")
    taken = select(Department.id).where(
        Department.branch_id == branch.id, _same_name(Department.name, name),
        Department.parent_id == parent.id if parent is not None else Department.parent_id.is_(None))
    if existing_id is not None:
        taken = taken.where(Department.id != existing_id)
    if db.session.scalar(taken) is not None:
        raise DomainError(_("A department with this name already exists at this level."), "name")
    return {"name": name, "branch": branch, "parent": parent, "sort_order": sort_order or 0,
            "is_active": bool(is_active)}


def create_department(actor: User | None, *, name: str, branch_id: int, parent_id: int | None = None,
                      sort_order: int | None = 0, is_active: bool = True) -> Department:
    """Add a department to a branch, optionally under a parent in the same branch."""
    department = Department(**_department_values(None, name, branch_id, parent_id, sort_order, is_active))
    db.session.add(department)
    db.session.flush()
    audit.record(actor, "department.created", department, diff({}, snapshot(department, DEPARTMENT_FIELDS)))
    return department


def update_department(actor: User | None, department: Department, *, name: str, branch_id: int,
                      parent_id: int | None = None, sort_order: int | None = 0,
                      is_active: bool = True) -> Department:
    """Edit a department; moving it to another branch moves its whole subtree along."""
    values = _department_values(department, name, branch_id, parent_id, sort_order, is_active)
    before = snapshot(department, DEPARTMENT_FIELDS)
    moving = department.branch_id != values["branch"].id
    for key, value in values.items():
        setattr(department, key, value)
    if moving:
        descendants = _descendant_ids(department.id)
        if descendants:
            for child in db.session.scalars(select(Department).where(Department.id.in_(descendants))):
                old_branch = str(child.branch)
                child.branch = values["branch"]
                audit.record(actor, "department.updated", child, {"branch": [old_branch, str(child.branch)]})
    db.session.flush()
    changes = diff(before, snapshot(department, DEPARTMENT_FIELDS))
    if changes:
        audit.record(actor, "department.updated", department, changes)
    return department


def remove_department(actor: User | None, department: Department) -> str:
    """Delete an empty department; one that still has users or sub-departments is deactivated instead.

    Returns "deleted" or "deactivated".
    """
    has_users = db.session.scalar(select(func.count(User.id)).where(User.department_id == department.id))
    has_children = db.session.scalar(
        select(func.count(Department.id)).where(Department.parent_id == department.id))
    if has_users or has_children:
        if department.is_active:
            department.is_active = False
            db.session.flush()
            audit.record(actor, "department.deactivated", department, {"is_active": [True, False]})
        return "deactivated"
    audit.record(actor, "department.deleted", department, _gone(snapshot(department, DEPARTMENT_FIELDS)))
    db.session.delete(department)
    db.session.flush()
    return "deleted"


@dataclass
class DepartmentNode:
    department: Department
    depth: int
    user_count: int
    children: list[DepartmentNode]


@dataclass
class BranchTree:
    branch: Branch
    roots: list[DepartmentNode]
    user_count: int


def organisation_tree() -> list[BranchTree]:
    """Every branch with its department tree and user counts: three queries, whatever the size."""
    branches = db.session.scalars(select(Branch).order_by(Branch.sort_order, Branch.name, Branch.id)).all()
    departments = db.session.scalars(
        select(Department).order_by(Department.sort_order, Department.name, Department.id)).all()
    counts = dict(db.session.execute(
        select(User.department_id, func.count(User.id)).where(User.department_id.is_not(None))
        .group_by(User.department_id)).all())
    by_parent: dict[int | None, list[Department]] = {}
    for department in departments:
        by_parent.setdefault(department.parent_id, []).append(department)

    def build(department: Department, depth: int, seen: set[int]) -> DepartmentNode:
        seen.add(department.id)
        children = [build(child, depth + 1, seen) for child in by_parent.get(department.id, [])
                    if child.id not in seen]
        return DepartmentNode(department, depth, counts.get(department.id, 0), children)

    trees = []
    for branch in branches:
        roots = [build(d, 0, set()) for d in by_parent.get(None, []) if d.branch_id == branch.id]
        total = sum(counts.get(d.id, 0) for d in departments if d.branch_id == branch.id)
        trees.append(BranchTree(branch, roots, total))
    return trees


def department_choices(include_inactive: bool = True) -> list[tuple[int, str]]:
    """(id, "Branch / indented department") for selects, in tree order."""
    options = []

    def walk(nodes: list[DepartmentNode]) -> None:
        for node in nodes:
            department = node.department
            if include_inactive or department.is_active:
                # A full-width space per level: indentation that survives inside an <option>.
                label = f"{department.branch.name} / {'　' * node.depth}{department.name}"
                if not department.is_active:
                    label = f"{label} {_('(inactive)')}"
                options.append((department.id, label))
            walk(node.children)

    for tree in organisation_tree():
        walk(tree.roots)
    return options


def branch_choices() -> list[tuple[int, str]]:
    branches = db.session.scalars(select(Branch).order_by(Branch.sort_order, Branch.name, Branch.id))
    return [(branch.id, branch.name) for branch in branches]


# --- users ------------------------------------------------------------------------------------

def list_users(search: str | None = None, department_id: int | None = None, role_id: int | None = None,
               active: bool | None = None) -> Select:
    """The users list query, sorted by name; a department filter includes its sub-departments."""
    stmt = select(User).options(joinedload(User.department).joinedload(Department.branch),
                                joinedload(User.manager))
    if search:
        stmt = stmt.where(or_(contains(User.username, search), contains(User.display_name, search),
                              contains(User.phone, search)))
    if department_id:
        stmt = stmt.where(User.department_id.in_({department_id} | _descendant_ids(department_id)))
    if role_id:
        stmt = stmt.where(User.role_id == role_id)
    if active is not None:
        stmt = stmt.where(User.is_active == active)  # "= 1" on SQL Server, where "IS 1" is an error
    return stmt.order_by(User.display_name, User.id)


def user_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(User.id, User.display_name, User.username, User.is_active)
                              .order_by(User.display_name, User.id))
    inactive = _("(disabled)")
    return [(r.id, f"{r.display_name} ({r.username})" + ("" if r.is_active else f" {inactive}"))
            for r in rows]


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count(User.id)).join(Role, User.role_id == Role.id)
                             .where(Role.code == ADMIN, User.is_active == true(), User.id != user.id)) or 0


def _check_admin_kept(actor: User | None, user: User, role: Role, is_active: bool) -> None:
    """The last active administrator cannot be disabled or demoted; no one disables themself."""
    if actor is not None and user.id is not None and user.id == actor.id and not is_active:
        raise DomainError(_("You cannot disable your own account."), "is_active")
    was_admin = user.id is not None and user.is_active and user.role is not None and user.role.code == ADMIN
    stays_admin = is_active and role.code == ADMIN
    if was_admin and not stays_admin and not _other_active_admins(user):
        field = "role_id" if is_active else "is_active"
        raise DomainError(_("This is the last active administrator: keep the role and the account active, "
                            "or make another user administrator first."), field)


def _check_manager(user: User, manager: User) -> None:
    if user.id is not None and manager.id == user.id:
        raise DomainError(_("A user cannot be their own manager."), "manager_id")
    seen = set()
    current = manager.manager
    while current is not None and current.id not in seen:
        if user.id is not None and current.id == user.id:
            raise DomainError(_("This manager reports to the user, directly or indirectly: that would be a "
                                "cycle."), "manager_id")
        seen.add(current.id)
        current = current.manager


def _user_values(actor: User | None, user: User, *, username, display_name, email, phone, title, role_id,
                 department_id, manager_id, language, is_active) -> dict:
    """Validate everything before changing anything, so a refused edit leaves the user as it was."""
    username = _text(username, 64, "username", required=True)
    if not USERNAME_PATTERN.match(username):
        raise DomainError(_("Use letters, digits and _ . @ - only."), "username")
    taken = select(User.id).where(_same_name(User.username, username))
    if user.id is not None:
        taken = taken.where(User.id != user.id)
    if db.session.scalar(taken) is not None:
        raise DomainError(_("This username is already taken."), "username")
    email = _text(email, 120, "email")
    if email and not EMAIL_PATTERN.match(email):
        raise DomainError(_("Enter a valid e-mail address."), "email")
    role = db.session.get(Role, role_id) if role_id else None
    if role is None:
        raise DomainError(_("Choose a role."), "role_id")
    department = db.session.get(Department, department_id) if department_id else None
    if department_id and department is None:
        raise DomainError(_("The department does not exist."), "department_id")
    manager = db.session.get(User, manager_id) if manager_id else None
    if manager_id and manager is None:
        raise DomainError(_("The manager does not exist."), "manager_id")
    if manager is not None:
        _check_manager(user, manager)
    if language and language not in LANGUAGE_NAMES:
        raise DomainError(_("Unknown language."), "language")
    _check_admin_kept(actor, user, role, bool(is_active))
    return {"username": username, "display_name": _text(display_name, 64, "display_name", required=True),
            "email": email, "phone": _text(phone, 40, "phone"), "title": _text(title, 64, "title"),
            "role": role, "department": department, "manager": manager, "language": language or None,
            "is_active": bool(is_active)}


def create_user(actor: User | None, *, username: str, display_name: str, password: str, role_id: int,
                email: str | None = None, phone: str | None = None, title: str | None = None,
                department_id: int | None = None, manager_id: int | None = None,
                language: str | None = None, is_active: bool = True) -> User:
    """Add a user account with a password that follows the password rules."""
    user = User()
    values = _user_values(actor, user, username=username, display_name=display_name, email=email,
                          phone=phone, title=title, role_id=role_id, department_id=department_id,
                          manager_id=manager_id, language=language, is_active=is_active)
    check_password_rules(password or "")
    for key, value in values.items():
        setattr(user, key, value)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.created", user, diff({}, snapshot(user, USER_FIELDS)))
    return user


def update_user(actor: User | None, user: User, *, username: str, display_name: str, role_id: int,
                email: str | None = None, phone: str | None = None, title: str | None = None,
                department_id: int | None = None, manager_id: int | None = None,
                language: str | None = None, is_active: bool = True) -> User:
    """Edit a user's account details; the password is changed by reset_password."""
    values = _user_values(actor, user, username=username, display_name=display_name, email=email,
                          phone=phone, title=title, role_id=role_id, department_id=department_id,
                          manager_id=manager_id, language=language, is_active=is_active)
    before = snapshot(user, USER_FIELDS)
    for key, value in values.items():
        setattr(user, key, value)
    db.session.flush()
    changes = diff(before, snapshot(user, USER_FIELDS))
    if changes:
        audit.record(actor, "user.updated", user, changes)
    return user


def reset_password(actor: User | None, user: User, password: str) -> None:
    """Set a new password for a user, end all their sessions and unlock the account."""
    check_password_rules(password or "", "new_password")
    changes = {}
    if user.locked_until is not None:
        changes["locked_until"] = [user.locked_until, None]
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()  # the user's sessions and remember-me cookies end here
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    audit.record(actor, "user.password_reset", user, changes or None)


def set_user_active(actor: User | None, user: User, active: bool) -> None:
    """Disable (records stay, sign-in refused) or enable a user."""
    if user.is_active == active:
        return
    _check_admin_kept(actor, user, user.role, active)
    user.is_active = active
    db.session.flush()
    audit.record(actor, "user.enabled" if active else "user.disabled", user,
                 {"is_active": [not active, active]})


def create_user_from_cli(username: str, password: str, role_code: str, display_name: str | None = None,
                         department_name: str | None = None) -> User:
    """`crm-server create-user`: roles by code and departments by name; raises DomainError when refused."""
    role = db.session.scalar(select(Role).where(Role.code == role_code))
    if role is None:
        codes = ", ".join(db.session.scalars(select(Role.code).order_by(Role.code)))
        raise DomainError(_("Unknown role %(code)s. Roles: %(codes)s", code=role_code, codes=codes),
                          "role_id")
    department_id = None
    if department_name:
        ids = db.session.scalars(select(Department.id).where(Department.name == department_name.strip())
                                 .order_by(Department.id)).all()
        if not ids:
            raise DomainError(_("There is no department named %(name)s.", name=department_name),
                              "department_id")
        if len(ids) > 1:
            raise DomainError(_("Several departments are named %(name)s; give the user a department on the "
                                "users page instead.", name=department_name), "department_id")
        department_id = ids[0]
    return create_user(None, username=username, display_name=display_name or username, password=password,
                       role_id=role.id, department_id=department_id)


# --- roles ------------------------------------------------------------------------------------

def roles_with_user_counts() -> list[tuple[Role, int]]:
    counts = dict(db.session.execute(select(User.role_id, func.count(User.id)).group_by(User.role_id)).all())
    roles = db.session.scalars(select(Role).order_by(Role.is_builtin.desc(), Role.name, Role.id)).all()
    return [(role, counts.get(role.id, 0)) for role in roles]


def role_choices() -> list[tuple[int, str]]:
    return [(r.id, role_label(r)) for r in db.session.scalars(select(Role).order_by(Role.name, Role.id))]


def _role_state(role: Role) -> dict:
    state = {"name": role.name, "description": role.description, "data_scope": role.data_scope,
             "permissions": ", ".join(sorted(role.permissions))}
    for row in role.scope_rows:
        state[f"scope:{row.record_type}"] = row.scope
    return state


def _role_diff(before: dict, after: dict) -> dict:
    keys = before.keys() | after.keys()
    return diff({k: before.get(k) for k in keys}, {k: after.get(k) for k in keys})


def _next_role_code() -> str:
    numbers = [int(code[5:]) for code in db.session.scalars(select(Role.code).where(Role.code.like("role%")))
               if code.startswith("role_") and code[5:].isdigit()]
    return f"role_{max(numbers, default=0) + 1}"


def _role_values(role: Role | None, name, description, data_scope, scopes) -> dict:
    name = _text(name, 64, "name", required=True)
    taken = select(Role.id).where(_same_name(Role.name, name))
    if role is not None and role.id is not None:
        taken = taken.where(Role.id != role.id)
    if db.session.scalar(taken) is not None:
        raise DomainError(_("A role with this name already exists."), "name")
    if data_scope not in Scope.ORDER:
        raise DomainError(_("Choose a data scope."), "data_scope")
    cleaned = {}
    for record_type, scope in (scopes or {}).items():
        if record_type not in RECORD_TYPES:
            continue
        if scope and scope not in Scope.ORDER:
            raise DomainError(_("Choose a data scope."), f"scope_{record_type}")
        cleaned[record_type] = scope or None
    return {"name": name, "description": _text(description, 255, "description"), "data_scope": data_scope,
            "scopes": cleaned}


def _set_permissions(role: Role, wanted: set[str]) -> None:
    if role.code == ADMIN:
        wanted = set(PERMISSIONS)  # the administrator role always keeps every permission
    # Codes no module registers today (a module removed) are kept: this form cannot show them.
    wanted = {p for p in wanted if p in PERMISSIONS} | (role.permissions - set(PERMISSIONS))
    for row in list(role.permission_rows):
        if row.permission not in wanted:
            role.permission_rows.remove(row)
    have = role.permissions
    for code in sorted(wanted - have):
        role.permission_rows.append(RolePermission(permission=code))


def _set_scopes(role: Role, scopes: dict[str, str | None]) -> None:
    rows = {row.record_type: row for row in role.scope_rows}
    for record_type, scope in scopes.items():
        row = rows.get(record_type)
        if scope is None and row is not None:
            role.scope_rows.remove(row)
        elif scope is not None and row is not None:
            row.scope = scope
        elif scope is not None:
            role.scope_rows.append(RoleDataScope(record_type=record_type, scope=scope))


def create_role(actor: User | None, *, name: str, description: str | None = None,
                permissions: list[str] | set[str] = (), data_scope: str = Scope.OWN,
                scopes: dict[str, str | None] | None = None) -> Role:
    """Add a role with a generated code ("role_<n>"), its permissions and data scopes."""
    values = _role_values(None, name, description, data_scope, scopes)
    role = Role(code=_next_role_code(), name=values["name"], description=values["description"],
                data_scope=data_scope, is_builtin=False)
    _set_permissions(role, set(permissions))
    _set_scopes(role, values["scopes"])
    db.session.add(role)
    db.session.flush()
    audit.record(actor, "role.created", role, _role_diff({}, _role_state(role)))
    return role


def update_role(actor: User | None, role: Role, *, name: str, description: str | None = None,
                permissions: list[str] | set[str] = (), data_scope: str = Scope.OWN,
                scopes: dict[str, str | None] | None = None) -> Role:
    """Edit a role (built-in ones too; the code never changes)."""
    values = _role_values(role, name, description, data_scope, scopes)
    before = _role_state(role)
    role.name, role.description, role.data_scope = values["name"], values["description"], data_scope
    _set_permissions(role, set(permissions))
    _set_scopes(role, values["scopes"])
    db.session.flush()
    changes = _role_diff(before, _role_state(role))
    if changes:
        audit.record(actor, "role.updated", role, changes)
    return role


def delete_role(actor: User | None, role: Role) -> None:
    """Delete a role of the site's own that no user holds."""
    if role.is_builtin:
        raise DomainError(_("Built-in roles cannot be deleted."))
    if db.session.scalar(select(func.count(User.id)).where(User.role_id == role.id)):
        raise DomainError(_("Users still hold this role. Give them another role first."))
    audit.record(actor, "role.deleted", role, _gone(_role_state(role)))
    db.session.delete(role)
    db.session.flush()


# --- audit log --------------------------------------------------------------------------------

@dataclass
class AuditFilters:
    actor_id: int | None = None
    action: str | None = None
    entity_type: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    text: str | None = None


def _utc_start_of(day: dt.date, timezone: str) -> dt.datetime:
    """Midnight of a day in the site's time zone, as the naive UTC the log stores."""
    local = dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(timezone))
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def audit_query(filters: AuditFilters, timezone: str) -> Select:
    """The audit log, newest first, narrowed by the filters (dates are whole days in the site time zone)."""
    stmt = select(AuditLog)
    if filters.actor_id:
        stmt = stmt.where(AuditLog.actor_id == filters.actor_id)
    if filters.action:
        stmt = stmt.where(AuditLog.action == filters.action)
    if filters.entity_type:
        stmt = stmt.where(AuditLog.entity_type == filters.entity_type)
    if filters.date_from:
        stmt = stmt.where(AuditLog.at >= _utc_start_of(filters.date_from, timezone))
    if filters.date_to:
        stmt = stmt.where(AuditLog.at < _utc_start_of(filters.date_to + dt.timedelta(days=1), timezone))
    if filters.text:
        stmt = stmt.where(contains(AuditLog.entity_label, filters.text))
    return stmt.order_by(AuditLog.at.desc(), AuditLog.id.desc())


def audit_actions_in_use() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def audit_entity_types_in_use() -> list[str]:
    return list(db.session.scalars(select(AuditLog.entity_type).where(AuditLog.entity_type.is_not(None))
                                   .distinct().order_by(AuditLog.entity_type)))
