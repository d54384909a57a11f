"""Forms of quotes: the quote with its line rows, the approval decision, and the settings page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..customers.forms import optional_int
from .services import LineInput
from ..core.forms import strip as _strip

BLANK_ROWS = 3   # empty line rows offered below the lines, so that lines can be added without JavaScript
MAX_ROWS = 200


class LineForm(Form):
    """One line row; numbers are checked by the service, which names the line in its message."""

    product_id = StringField(_l("Product id"), filters=[_strip], validators=[Length(max=9)])
    description = StringField(_l("Description"), filters=[_strip], validators=[Length(max=200)])
    specification = StringField(_l("Specification"), filters=[_strip], validators=[Length(max=200)])
    unit = StringField(_l("Unit"), filters=[_strip], validators=[Length(max=20)])
    quantity = StringField(_l("Quantity"), filters=[_strip], validators=[Length(max=20)])
    unit_price = StringField(_l("Unit price"), filters=[_strip], validators=[Length(max=20)])
    discount_percent = StringField(_l("Discount %"), filters=[_strip], validators=[Length(max=10)])
    tax_rate = StringField(_l("Tax rate %"), filters=[_strip], validators=[Length(max=10)])

    def is_blank(self) -> bool:
        return not (self.product_id.data or self.description.data)

    def line_input(self) -> LineInput:
        product = self.product_id.data or ""
        return LineInput(product_id=int(product) if product.isdigit() else None,
                         description=self.description.data or None, specification=self.specification.data or None,
                         unit=self.unit.data or None, quantity=self.quantity.data or None,
                         unit_price=self.unit_price.data or None, discount_percent=self.discount_percent.data or None,
                         tax_rate=self.tax_rate.data or None)

    def validate_product_id(self, field):
        from wtforms.validators import ValidationError
        if field.data and not field.data.isdigit():
            raise ValidationError(_l("Enter a product id (a number), or leave it empty for a free line."))


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
