"""Forms of contracts: the contract with its line rows, termination, transfer, files, templates and settings."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, FileField, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import optional_int
from ..core.forms import strip as _strip
from ..core.line_items import BLANK_ROWS, MAX_ROWS, LineForm, row_data  # noqa: F401  (the views use them)
from .models import TYPES
from .services import TYPE_LABELS


class ContractForm(FlaskForm):
    title = StringField(_l("Contract title"), filters=[_strip], validators=[DataRequired(), Length(max=200)])
    contract_type = SelectField(_l("Contract type"), choices=[(code, TYPE_LABELS[code]) for code in TYPES])
    contact_id = SelectField(_l("Signing contact"), coerce=optional_int, validate_choice=False)
    template_id = SelectField(_l("Contract template"), coerce=optional_int, validate_choice=False)
    sign_date = DateField(_l("Sign date"), validators=[Optional()])
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date"), validators=[DataRequired()])
    payment_terms = StringField(_l("Payment terms"), filters=[_strip], validators=[Length(max=200)])
    payment_days = StringField(_l("Payment period (days)"), filters=[_strip], validators=[Length(max=5)])
    amount = StringField(_l("Contract amount (tax included)"), filters=[_strip], validators=[Length(max=20)])
    overall_discount_percent = StringField(_l("Overall discount %"), filters=[_strip], validators=[Length(max=10)])
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=4000)])
    lines = FieldList(FormField(LineForm), min_entries=0, max_entries=MAX_ROWS)

    HEADER = ("title", "contract_type", "contact_id", "template_id", "sign_date", "start_date", "end_date",
              "payment_terms", "payment_days", "amount", "overall_discount_percent", "remarks")

    def add_blank_rows(self, count: int = BLANK_ROWS) -> None:
        for _i in range(count):
            if len(self.lines.entries) < MAX_ROWS:
                self.lines.append_entry()

    def set_rows(self, rows: list[dict]) -> None:
        while self.lines.entries:
            self.lines.pop_entry()
        for row in rows:
            self.lines.append_entry(row)
        self.add_blank_rows()

    def data_for_service(self) -> dict:
        data = {name: self[name].data for name in self.HEADER}
        data["lines"] = [row.form.line_input() for row in self.lines if not row.form.is_blank()]
        return data


class ReasonForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip], validators=[DataRequired(), Length(max=500)])


class TransferForm(FlaskForm):
    owner_id = SelectField(_l("New owner"), coerce=optional_int, validate_choice=False)


class FileForm(FlaskForm):
    file = FileField(_l("File"))
    is_signed_scan = BooleanField(_l("This is the signed scan"))


class TemplateForm(FlaskForm):
    name = StringField(_l("Template name"), filters=[_strip], validators=[DataRequired(), Length(max=100)])
    contract_type = SelectField(_l("For contract type"), choices=[("", _l("Every type"))]
                                + [(code, TYPE_LABELS[code]) for code in TYPES])
    body = TextAreaField(_l("Template text"), validators=[DataRequired(), Length(max=100000)])
    is_active = BooleanField(_l("Active"), default=True)
    is_default = BooleanField(_l("Default template for its type"))

    def data_for_service(self) -> dict:
        return {"name": self.name.data, "contract_type": self.contract_type.data or None, "body": self.body.data,
                "is_active": self.is_active.data, "is_default": self.is_default.data}


class SettingsForm(FlaskForm):
    number_pattern = StringField(_l("Contract number pattern"), filters=[_strip],
                                 validators=[DataRequired(), Length(max=60)])
    renewal_days = StringField(_l("Renewal reminder (days before the end)"), filters=[_strip],
                               validators=[DataRequired(), Length(max=3)])
