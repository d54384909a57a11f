"""Forms of quotes: the quote with its line rows, the approval decision, and the settings page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..customers.forms import optional_int
from ..core.forms import strip as _strip
from ..core.line_items import BLANK_ROWS, MAX_ROWS, LineForm  # noqa: F401  (BLANK_ROWS: the views)


class QuoteForm(FlaskForm):
    customer_id = SelectField(_l("Customer"), coerce=optional_int, validate_choice=False)
    opportunity_id = SelectField(_l("Opportunity"), coerce=optional_int, validate_choice=False)
    contact_id = SelectField(_l("Contact"), coerce=optional_int, validate_choice=False)
    title = StringField(_l("Title"), filters=[_strip], validators=[Length(max=200)])
    quote_date = DateField(_l("Quote date"), validators=[DataRequired()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])
    price_list_id = SelectField(_l("Price list"), coerce=optional_int, validate_choice=False)
    delivery_terms = StringField(_l("Delivery"), filters=[_strip], validators=[Length(max=200)])
    payment_terms = StringField(_l("Payment terms"), filters=[_strip], validators=[Length(max=200)])
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=4000)])
    overall_discount_percent = StringField(_l("Overall discount %"), filters=[_strip], validators=[Length(max=10)])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=MAX_ROWS)

    HEADER = ("opportunity_id", "contact_id", "title", "quote_date", "valid_until", "price_list_id",
              "delivery_terms", "payment_terms", "remarks", "overall_discount_percent")

    def add_blank_rows(self, count: int = BLANK_ROWS) -> None:
        for _i in range(count):
            if len(self.lines.entries) < MAX_ROWS:
                self.lines.append_entry()

    def data_for_service(self) -> dict:
        data = {name: self[name].data for name in self.HEADER}
        data["lines"] = [row.form.line_input() for row in self.lines if not row.form.is_blank()]
        return data


class DecisionForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), filters=[_strip], validators=[Optional(), Length(max=500)])


class SettingsForm(FlaskForm):
    number_pattern = StringField(_l("Quote number pattern"), filters=[_strip],
                                 validators=[DataRequired(), Length(max=60)])


def settings_form(roles, data=None):
    """The numbering pattern and one maximum discount field per role."""

    class Settings(SettingsForm):
        pass

    for role in roles:
        setattr(Settings, f"limit_{role.id}", StringField(_l("Maximum discount %"), filters=[_strip],
                                                          validators=[Length(max=10)]))
    return Settings(data=data)
