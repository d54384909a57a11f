"""Forms of the public pool: releasing, assigning, hand-over, and the pool administration pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional


def optional_int(value):
    """Coerce a select's value to an id, or None for the empty option."""
    if value in (None, "", "None"):
        return None
    return int(value)


class ReleaseForm(FlaskForm):
    reason = TextAreaField(_l("Reason for releasing"), validators=[DataRequired(), Length(max=500)])


class AssignForm(FlaskForm):
    to_user_id = SelectField(_l("Assign to"), coerce=optional_int, validators=[DataRequired()])


class HandoverForm(FlaskForm):
    """Step one of a hand-over: who leaves and who takes over (read from the query string)."""

    class Meta:
        csrf = False  # a GET form: it only chooses what the next page shows

    from_user_id = SelectField(_l("Departing user"), coerce=optional_int, validators=[DataRequired()])
    to_user_id = SelectField(_l("Receiving user"), coerce=optional_int, validators=[DataRequired()])
    reason = StringField(_l("Note (optional)"), validators=[Length(max=500)])


class PoolForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    branch_id = SelectField(_l("Branch"), coerce=optional_int)
    is_default = BooleanField(_l("Default pool (customers of branches without a pool of their own go here)"))
    is_active = BooleanField(_l("Active"), default=True)

    def data_for_service(self) -> dict:
        return {name: self[name].data for name in ("name", "branch_id", "is_default", "is_active")}


def _days_field(label, low=1, high=3650):
    return IntegerField(label, validators=[Optional(), NumberRange(min=low, max=high)])


class RecycleRuleForm(FlaskForm):
    level_id = SelectField(_l("Customer level"), coerce=optional_int)
    no_followup_days = _days_field(_l("Days without a follow-up"))
    no_deal_days = _days_field(_l("Days without a deal"))
    warn_days = IntegerField(_l("Warn the owner this many days before"), default=3,
                             validators=[Optional(), NumberRange(min=0, max=365)])
    is_active = BooleanField(_l("Active"), default=True)

    def data_for_service(self) -> dict:
        return {name: self[name].data
                for name in ("level_id", "no_followup_days", "no_deal_days", "warn_days", "is_active")}


def limits_form(roles, data=None):
    """One form with a holding limit and a daily claim limit per role, and the reclaim wait."""

    class LimitsForm(FlaskForm):
        reclaim_hours = IntegerField(_l("Hours before a previous owner may claim a customer back (0 = no wait)"),
                                     validators=[Optional(), NumberRange(min=0, max=720)])

    for role in roles:
        setattr(LimitsForm, f"max_customers_{role.id}",
                _days_field(_l("Customers held at most"), low=0, high=1_000_000))
        setattr(LimitsForm, f"max_claims_{role.id}", _days_field(_l("Claims per day at most"), low=0, high=100_000))
    return LimitsForm(data=data)
