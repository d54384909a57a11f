"""Forms of signing in, first-start setup and password change."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.@-]+$",
                       message=_l("Use letters, digits and _ . @ - only."))


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Remember me"))


class SetupForm(FlaskForm):
    company_name = StringField(_l("Company name"), validators=[Length(max=100)])
    username = StringField(_l("Administrator username"),
                           validators=[DataRequired(), Length(min=2, max=64), USERNAME_RULE])
    display_name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Confirm password"),
                            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=128)])
    confirm = PasswordField(_l("Confirm new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The passwords differ."))])
