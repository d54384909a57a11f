"""Forms of system administration: branch, department, user, password reset, role."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange, Optional, Regexp

from ..core.i18n import LANGUAGE_NAMES
from ..core.permissions import RECORD_TYPES, Scope

USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.@-]+$", message=_l("Use letters, digits and _ . @ - only."))
EMAIL_RULE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address."))


def optional_int(value):
    """Coerce a select's value to an id, or None for the empty "none" option."""
    if value in (None, "", "None"):
        return None
    return int(value)


def sort_order_field():
    return IntegerField(_l("Sort order"), default=0,
                        validators=[Optional(), NumberRange(min=-9999, max=9999)])


class BranchForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    city = StringField(_l("City"), validators=[Length(max=50)])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    sort_order = sort_order_field()
    is_active = BooleanField(_l("Active"), default=True)

    def data_for_service(self) -> dict:
        return {name: self[name].data
                for name in ("name", "city", "address", "phone", "sort_order", "is_active")}


class DepartmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])
    branch_id = SelectField(_l("Branch"), coerce=optional_int, validators=[DataRequired()])
    parent_id = SelectField(_l("Parent department"), coerce=optional_int)
    sort_order = sort_order_field()
    is_active = BooleanField(_l("Active"), default=True)

    def data_for_service(self) -> dict:
        return {name: self[name].data
                for name in ("name", "branch_id", "parent_id", "sort_order", "is_active")}


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64), USERNAME_RULE])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=120), EMAIL_RULE])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    title = StringField(_l("Job title"), validators=[Length(max=64)])
    role_id = SelectField(_l("Role"), coerce=optional_int, validators=[DataRequired()])
    department_id = SelectField(_l("Department"), coerce=optional_int)
    manager_id = SelectField(_l("Manager"), coerce=optional_int)
    language = SelectField(_l("Language"),
                           choices=[("", _l("Site default"))] + list(LANGUAGE_NAMES.items()))
    is_active = BooleanField(_l("Active (may sign in)"), default=True)

    FIELDS = ("username", "display_name", "email", "phone", "title", "role_id", "department_id", "manager_id",
              "language", "is_active")

    def data_for_service(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}


class UserCreateForm(UserForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Confirm password"), validators=[
        DataRequired(), EqualTo("password", message=_l("The passwords differ."))])

    def data_for_service(self) -> dict:
        return {**super().data_for_service(), "password": self.password.data}


class PasswordResetForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Confirm new password"), validators=[
        DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))])


SCOPE_CHOICES = [(code, Scope.LABELS[code]) for code in Scope.ORDER]


class RoleForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    description = StringField(_l("Description"), validators=[Length(max=255)])
    permissions = SelectMultipleField(_l("Permissions"), choices=[], validate_choice=False)
    data_scope = SelectField(_l("Default data scope"), choices=SCOPE_CHOICES)

    @staticmethod
    def scope_field_name(record_type: str) -> str:
        return f"scope_{record_type}"

    def scope_fields(self) -> list:
        return [self[self.scope_field_name(code)] for code in RECORD_TYPES]

    def data_for_service(self) -> dict:
        return {"name": self.name.data, "description": self.description.data,
                "permissions": list(self.permissions.data or []), "data_scope": self.data_scope.data,
                "scopes": {code: self[self.scope_field_name(code)].data or None for code in RECORD_TYPES}}


def role_form(**kwargs) -> RoleForm:
    """A RoleForm with one scope select per record type registered by the modules loaded now."""

    class BoundRoleForm(RoleForm):
        pass

    for code, label in RECORD_TYPES.items():
        setattr(BoundRoleForm, RoleForm.scope_field_name(code),
                SelectField(label, choices=[("", _l("Same as the default"))] + SCOPE_CHOICES, default=""))
    return BoundRoleForm(**kwargs)
