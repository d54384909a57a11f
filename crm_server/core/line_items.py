"""The product lines quotes and contracts share: what a line row of a form holds (LineForm, checked only for
length: the numbers are checked by the domain's service, which names the line in its message) and what is handed
to the service (LineInput)."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from wtforms import Form, StringField
from wtforms.validators import Length, ValidationError

from .forms import strip as _strip

BLANK_ROWS = 3  # empty line rows offered below the lines, so that lines can be added without JavaScript
MAX_ROWS = 200


@dataclass
class LineInput:
    product_id: int | None = None
    description: str | None = None
    specification: str | None = None
    unit: str | None = None
    quantity: object = None
    unit_price: object = None
    discount_percent: object = None
    tax_rate: object = None


class LineForm(Form):
    """One line row: a product of the catalogue (its id) or a free line."""

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
        if field.data and not field.data.isdigit():
            raise ValidationError(_l("Enter a product id (a number), or leave it empty for a free line."))


ROW_FIELDS = ("product_id", "description", "specification", "unit", "quantity", "unit_price", "discount_percent",
              "tax_rate")


def row_data(lines) -> list[dict]:
    """Form rows (text) from lines: stored lines or LineInputs alike (empty values as empty text)."""
    return [{name: "" if getattr(line, name) is None else str(getattr(line, name)) for name in ROW_FIELDS}
            for line in lines]
