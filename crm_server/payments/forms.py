"""Forms of the payments domain: the plan editor's rows and quick split, a payment, a refund, an invoice."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, Form, FormField, HiddenField, SelectField, StringField, \
    TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.fields import IntegerField

from ..core.forms import optional_int
from ..core.forms import strip as _strip
from .models import INVOICE_TYPES, METHODS
from .services import INVOICE_TYPE_LABELS, METHOD_LABELS, InstalmentInput

BLANK_ROWS = 2
MAX_ROWS = 120


class InstalmentRowForm(Form):
    id = HiddenField()
    due_date = DateField(_l("Due date"), validators=[Optional()])
    amount = StringField(_l("Amount"), filters=[_strip], validators=[Length(max=20)])
    remarks = StringField(_l("Remarks"), filters=[_strip], validators=[Length(max=200)])

    def is_blank(self) -> bool:
        return not (self.due_date.raw_data and self.due_date.raw_data[0]) and not self.amount.data \
            and not self.id.data

    def row_input(self) -> InstalmentInput:
        return InstalmentInput(due_date=self.due_date.data, amount=self.amount.data or None,
                               remarks=self.remarks.data or None,
                               id=int(self.id.data) if (self.id.data or "").isdigit() else None)


class PlanForm(FlaskForm):
    rows = FieldList(FormField(InstalmentRowForm), min_entries=0, max_entries=MAX_ROWS)
    split_count = IntegerField(_l("Number of instalments"), validators=[Optional(), NumberRange(1, MAX_ROWS)])
    split_first_due = DateField(_l("First due date"), validators=[Optional()])
    split_months = IntegerField(_l("Months between instalments"), validators=[Optional(), NumberRange(0, 60)])

    def add_blank_rows(self, count: int = BLANK_ROWS) -> None:
        for _i in range(count):
            if len(self.rows.entries) < MAX_ROWS:
                self.rows.append_entry()

    def set_rows(self, rows: list[dict]) -> None:
        while self.rows.entries:
            self.rows.pop_entry()
        for row in rows:
            self.rows.append_entry(row)
        self.add_blank_rows()

    def row_inputs(self) -> list[InstalmentInput]:
        return [row.form.row_input() for row in self.rows if not row.form.is_blank()]


def _method_choices():
    return [(code, METHOD_LABELS[code]) for code in METHODS]


class PaymentForm(FlaskForm):
    received_on = DateField(_l("Date received"), validators=[DataRequired()])
    amount = StringField(_l("Amount"), filters=[_strip], validators=[DataRequired(), Length(max=20)])
    method = SelectField(_l("Payment method"), choices=_method_choices)
    account = StringField(_l("Receiving account"), filters=[_strip], validators=[Length(max=100)])
    reference = StringField(_l("Transaction reference"), filters=[_strip], validators=[Length(max=100)])
    instalment_id = SelectField(_l("Match to instalment first"), coerce=optional_int, validate_choice=False)
    remarks = TextAreaField(_l("Remarks"), filters=[_strip], validators=[Length(max=500)])
    confirm_excess = BooleanField(_l("Record the amount above the outstanding anyway"))

    def data_for_service(self) -> dict:
        names = ("received_on", "amount", "method", "account", "reference", "remarks", "instalment_id",
                 "confirm_excess")
        return {name: self[name].data for name in names}


class RefundForm(FlaskForm):
    received_on = DateField(_l("Date refunded"), validators=[DataRequired()])
    amount = StringField(_l("Refund amount"), filters=[_strip], validators=[DataRequired(), Length(max=20)])
    method = SelectField(_l("Payment method"), choices=_method_choices)
    account = StringField(_l("Paying account"), filters=[_strip], validators=[Length(max=100)])
    reference = StringField(_l("Transaction reference"), filters=[_strip], validators=[Length(max=100)])
    remarks = TextAreaField(_l("Reason for the refund"), filters=[_strip], validators=[DataRequired(), Length(max=500)])

    def data_for_service(self) -> dict:
        names = ("received_on", "amount", "method", "account", "reference", "remarks")
        return {name: self[name].data for name in names}


class InvoiceForm(FlaskForm):
    number = StringField(_l("Invoice number"), filters=[_strip], validators=[DataRequired(), Length(max=30)])
    invoice_type = SelectField(_l("Invoice type"),
                               choices=lambda: [(code, INVOICE_TYPE_LABELS[code]) for code in INVOICE_TYPES])
    amount = StringField(_l("Amount (tax included)"), filters=[_strip], validators=[DataRequired(), Length(max=20)])
    tax_rate = StringField(_l("Tax rate %"), filters=[_strip], validators=[Length(max=10)])
    issued_on = DateField(_l("Date of issue"), validators=[DataRequired()])
    title = StringField(_l("Invoice title"), filters=[_strip], validators=[Length(max=200)])
    remarks = TextAreaField(_l("Remarks"), filters=[_strip], validators=[Length(max=500)])
    confirm_excess = BooleanField(_l("Issue the amount above what is left to invoice anyway"))

    def data_for_service(self) -> dict:
        names = ("number", "invoice_type", "amount", "tax_rate", "issued_on", "title", "remarks", "confirm_excess")
        return {name: self[name].data for name in names}


class ConfirmForm(FlaskForm):
    """A POST with only the CSRF token (delete, void)."""
