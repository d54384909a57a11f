"""Forms of approvals: a decision's comment, and the flow editor with its condition and step rows."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from ..core.forms import optional_int
from ..core.forms import strip as _strip
from .services import ConditionInput, StepInput

BLANK_CONDITIONS = 2  # empty rows offered below the filled ones, so rows are added without JavaScript
BLANK_STEPS = 2
MAX_ROWS = 12


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), filters=[_strip], validators=[Optional(), Length(max=500)])


class ConditionForm(Form):
    fact = SelectField(_l("Fact"), validate_choice=False)
    operator = SelectField(_l("Comparison"), validate_choice=False)
    value = StringField(_l("Value"), filters=[_strip], validators=[Length(max=60)])

    def data_for_service(self) -> ConditionInput:
        return ConditionInput(fact=self.fact.data or None, operator=self.operator.data or None,
                              value=self.value.data or None)


class StepForm(Form):
    name = StringField(_l("Step name"), filters=[_strip], validators=[Length(max=100)])
    approver_kind = SelectField(_l("Approver"), validate_choice=False)
    user_id = SelectField(_l("User"), coerce=optional_int, validate_choice=False)
    role_id = SelectField(_l("Role"), coerce=optional_int, validate_choice=False)

    def data_for_service(self) -> StepInput:
        return StepInput(name=self.name.data or None, approver_kind=self.approver_kind.data or None,
                         user_id=self.user_id.data, role_id=self.role_id.data)


class FlowForm(FlaskForm):
    name = StringField(_l("Flow name"), filters=[_strip], validators=[Length(max=100)])
    priority = StringField(_l("Priority (smaller is tried first)"), filters=[_strip], validators=[Length(max=6)])
    is_active = BooleanField(_l("Active"), default=True)
    description = TextAreaField(_l("Description"), filters=[_strip], validators=[Length(max=500)])
    conditions = FieldList(FormField(ConditionForm), min_entries=0, max_entries=MAX_ROWS)
    steps = FieldList(FormField(StepForm), min_entries=0, max_entries=MAX_ROWS)

    def add_blank_rows(self) -> None:
        for _i in range(BLANK_CONDITIONS):
            if len(self.conditions.entries) < MAX_ROWS:
                self.conditions.append_entry()
        for _i in range(BLANK_STEPS):
            if len(self.steps.entries) < MAX_ROWS:
                self.steps.append_entry()

    def data_for_service(self) -> dict:
        return {"name": self.name.data, "priority": self.priority.data, "is_active": self.is_active.data,
                "description": self.description.data,
                "conditions": [row.form.data_for_service() for row in self.conditions],
                "steps": [row.form.data_for_service() for row in self.steps]}
