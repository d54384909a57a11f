"""System administration pages: branches and departments, users, roles, the audit log."""
from __future__ import annotations


from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from sqlalchemy import select

from ..core.audit import (ENTITY_LABELS, FIELD_LABELS, action_label, register_entity_labels,
                          register_field_labels)
from ..core.errors import DomainError
from ..core.models import Branch, Department, Role, User
from ..core.pagination import paginate
from ..core.permissions import PERMISSIONS, RECORD_TYPES, Permission, Scope, require
from ..core.roles import ADMIN, role_label
from ..core.web import date_arg as _date_arg, get_or_404 as _get_or_404, int_arg as _int_arg, save_form as _save
from ..extensions import db
from . import services
from .forms import BranchForm, DepartmentForm, PasswordResetForm, UserCreateForm, UserForm, role_form

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Readable names of what the organisation's audit rows record (core.audit keeps every domain's).
register_entity_labels({
    "users": _l("User"),
    "branches": _l("Branch"),
    "departments": _l("Department"),
    "roles": _l("Role"),
})
# Readable names of the fields audit rows record; others show as stored.
register_field_labels({
    "name": _l("Name"), "city": _l("City"), "address": _l("Address"), "phone": _l("Phone"),
    "sort_order": _l("Sort order"), "is_active": _l("Active"), "branch": _l("Branch"),
    "parent": _l("Parent department"), "username": _l("Username"), "display_name": _l("Name"),
    "email": _l("E-mail"), "title": _l("Job title"), "role": _l("Role"), "department": _l("Department"),
    "manager": _l("Manager"), "language": _l("Language"), "description": _l("Description"),
    "data_scope": _l("Default data scope"), "permissions": _l("Permissions"),
    "locked_until": _l("Locked until"),
})


# --- branches and departments -----------------------------------------------------------------

@bp.get("/departments")
@login_required
@require(Permission.ADMIN_ORG)
def departments():
    return render_template("admin/departments.html", trees=services.organisation_tree())


@bp.route("/branches/new", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_ORG)
def branch_create():
    form = BranchForm()
    if form.validate_on_submit():
        if _save(form, lambda: services.create_branch(current_user, **form.data_for_service()),
                 _("The branch has been created.")):
            return redirect(url_for("admin.departments"))
    return render_template("admin/branch_form.html", form=form, branch=None)


@bp.route("/branches/<int:branch_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_ORG)
def branch_edit(branch_id: int):
    branch = _get_or_404(Branch, branch_id)
    form = BranchForm(obj=branch)
    if form.validate_on_submit():
        if _save(form, lambda: services.update_branch(current_user, branch, **form.data_for_service()),
                 _("The branch has been saved.")):
            return redirect(url_for("admin.departments"))
    return render_template("admin/branch_form.html", form=form, branch=branch)


@bp.post("/branches/<int:branch_id>/delete")
@login_required
@require(Permission.ADMIN_ORG)
def branch_delete(branch_id: int):
    branch = _get_or_404(Branch, branch_id)
    try:
        services.delete_branch(current_user, branch)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("The branch has been deleted."), "success")
    return redirect(url_for("admin.departments"))


def _department_form(department: Department | None = None) -> DepartmentForm:
    form = DepartmentForm(obj=department)
    form.branch_id.choices = services.branch_choices()
    form.parent_id.choices = [("", _("(top level)"))] + [
        (dept_id, label) for dept_id, label in services.department_choices()
        if department is None or dept_id != department.id]
    if department is None and not form.is_submitted():
        # "Add a sub-department" links pass the branch and parent along.
        parent = db.session.get(Department, _int_arg("parent_id") or 0)
        form.parent_id.data = parent.id if parent else None
        form.branch_id.data = parent.branch_id if parent else _int_arg("branch_id")
    return form


@bp.route("/departments/new", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_ORG)
def department_create():
    form = _department_form()
    if form.validate_on_submit():
        if _save(form, lambda: services.create_department(current_user, **form.data_for_service()),
                 _("The department has been created.")):
            return redirect(url_for("admin.departments"))
    return render_template("admin/department_form.html", form=form, department=None)


@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_ORG)
def department_edit(department_id: int):
    department = _get_or_404(Department, department_id)
    form = _department_form(department)
    if form.validate_on_submit():
        if _save(form, lambda: services.update_department(current_user, department,
                                                          **form.data_for_service()),
                 _("The department has been saved.")):
            return redirect(url_for("admin.departments"))
    return render_template("admin/department_form.html", form=form, department=department)


@bp.post("/departments/<int:department_id>/remove")
@login_required
@require(Permission.ADMIN_ORG)
def department_remove(department_id: int):
    department = _get_or_404(Department, department_id)
    outcome = services.remove_department(current_user, department)
    db.session.commit()
    if outcome == "deleted":
        flash(_("The department has been deleted."), "success")
    else:
        flash(_("The department still has users or sub-departments, "
                "so it was deactivated instead of deleted."), "warning")
    return redirect(url_for("admin.departments"))


# --- users ------------------------------------------------------------------------------------

ACTIVE_FILTERS = {"1": True, "0": False}


@bp.get("/users")
@login_required
@require(Permission.ADMIN_USERS)
def users():
    search = request.args.get("q", "").strip()
    active = request.args.get("active", "")
    stmt = services.list_users(search=search or None, department_id=_int_arg("department"),
                               role_id=_int_arg("role"), active=ACTIVE_FILTERS.get(active))
    page = paginate(stmt, page=_int_arg("page") or 1, per_page=_int_arg("per_page") or 20)
    return render_template("admin/users.html", page=page, search=search, active=active,
                           department_id=_int_arg("department"), role_id=_int_arg("role"),
                           departments=services.department_choices(), roles=services.role_choices())


def _fill_user_choices(form: UserForm, user: User | None = None) -> None:
    form.role_id.choices = services.role_choices()
    form.department_id.choices = [("", _("(none)"))] + services.department_choices()
    form.manager_id.choices = [("", _("(none)"))] + [
        (uid, label) for uid, label in services.user_choices() if user is None or uid != user.id]


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_USERS)
def user_create():
    form = UserCreateForm()
    _fill_user_choices(form)
    if not form.is_submitted():
        sales = db.session.scalar(select(Role).where(Role.code == "sales"))
        form.role_id.data = sales.id if sales else None
    if form.validate_on_submit():
        if _save(form, lambda: services.create_user(current_user, **form.data_for_service()),
                 _("The user has been created.")):
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_USERS)
def user_edit(user_id: int):
    user = _get_or_404(User, user_id)
    form = UserForm(obj=user)
    if not form.is_submitted():
        form.language.data = user.language or ""
    _fill_user_choices(form, user)
    if form.validate_on_submit():
        if _save(form, lambda: services.update_user(current_user, user, **form.data_for_service()),
                 _("The user has been saved.")):
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_USERS)
def user_reset_password(user_id: int):
    user = _get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        if _save(form, lambda: services.reset_password(current_user, user, form.new_password.data),
                 _("The password has been reset. The user's sessions have ended.")):
            if user.id == current_user.id:
                login_user(user)  # own password: this session stays, the others end
            return redirect(url_for("admin.users"))
    return render_template("admin/user_password.html", form=form, user=user)


def _set_active(user_id: int, active: bool):
    user = _get_or_404(User, user_id)
    try:
        services.set_user_active(current_user, user, active)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("The user has been enabled.") if active else _("The user has been disabled."), "success")
    # Back to the list page the button was on, filters and page kept; only ever to that page.
    users_url = url_for("admin.users", _external=True)
    back = request.referrer if request.referrer and request.referrer.startswith(users_url) else None
    return redirect(back or url_for("admin.users"))


@bp.post("/users/<int:user_id>/disable")
@login_required
@require(Permission.ADMIN_USERS)
def user_disable(user_id: int):
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/enable")
@login_required
@require(Permission.ADMIN_USERS)
def user_enable(user_id: int):
    return _set_active(user_id, True)


# --- roles ------------------------------------------------------------------------------------

def _permission_groups() -> list[tuple[str, list]]:
    groups: dict[str, list] = {}
    for definition in PERMISSIONS.values():
        groups.setdefault(str(definition.group), []).append(definition)
    return list(groups.items())


def _role_form(role: Role | None = None):
    form = role_form(obj=role)
    form.permissions.choices = [(code, str(d.label)) for code, d in PERMISSIONS.items()]
    if role is not None and not form.is_submitted():
        form.permissions.data = sorted(role.permissions)
        for code in RECORD_TYPES:
            form[form.scope_field_name(code)].data = next(
                (row.scope for row in role.scope_rows if row.record_type == code), "")
    return form


def _render_role_form(form, role: Role | None):
    return render_template("admin/role_form.html", form=form, role=role, groups=_permission_groups(),
                           all_permissions=role is not None and role.code == ADMIN,
                           chosen=set(form.permissions.data or []))


@bp.get("/roles")
@login_required
@require(Permission.ADMIN_ROLES)
def roles():
    return render_template("admin/roles.html", roles=services.roles_with_user_counts(),
                           scope_labels=Scope.LABELS)


@bp.route("/roles/new", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_ROLES)
def role_create():
    form = _role_form()
    if form.validate_on_submit():
        if _save(form, lambda: services.create_role(current_user, **form.data_for_service()),
                 _("The role has been created.")):
            return redirect(url_for("admin.roles"))
    return _render_role_form(form, None)


@bp.route("/roles/<int:role_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_ROLES)
def role_edit(role_id: int):
    role = _get_or_404(Role, role_id)
    form = _role_form(role)
    if form.validate_on_submit():
        if _save(form, lambda: services.update_role(current_user, role, **form.data_for_service()),
                 _("The role has been saved.")):
            return redirect(url_for("admin.roles"))
    return _render_role_form(form, role)


@bp.post("/roles/<int:role_id>/delete")
@login_required
@require(Permission.ADMIN_ROLES)
def role_delete(role_id: int):
    role = _get_or_404(Role, role_id)
    label = role_label(role)
    try:
        services.delete_role(current_user, role)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("The role %(name)s has been deleted.", name=label), "success")
    return redirect(url_for("admin.roles"))


# --- audit log --------------------------------------------------------------------------------

@bp.get("/audit")
@login_required
@require(Permission.ADMIN_AUDIT)
def audit():
    filters = services.AuditFilters(
        actor_id=_int_arg("actor"), action=request.args.get("action") or None,
        entity_type=request.args.get("entity_type") or None, date_from=_date_arg("date_from"),
        date_to=_date_arg("date_to"), text=request.args.get("q", "").strip() or None)
    stmt = services.audit_query(filters, current_app.config["CRM_SETTINGS"].timezone)
    page = paginate(stmt, page=_int_arg("page") or 1, per_page=_int_arg("per_page") or 50)
    actions = sorted(((code, action_label(code)) for code in services.audit_actions_in_use()),
                     key=lambda pair: pair[1])
    entity_types = [(code, str(ENTITY_LABELS.get(code, code)))
                    for code in services.audit_entity_types_in_use()]
    return render_template("admin/audit.html", page=page, filters=filters, actors=services.user_choices(),
                           actions=actions, entity_types=entity_types, entity_type_labels=ENTITY_LABELS,
                           field_labels=FIELD_LABELS)
