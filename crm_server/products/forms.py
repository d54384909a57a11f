"""Forms of the catalogue: products, categories, price lists and their prices."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import optional_int, strip as _strip


class ProductForm(FlaskForm):
    # Prices are text fields: the service reads them as exact Decimals and explains what is wrong.
    code = StringField(_l("Product code"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the product code.")), Length(max=40)])
    name = StringField(_l("Product name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the product name.")), Length(max=200)])
    category_id = SelectField(_l("Category"), coerce=optional_int, validate_choice=False)
    specification = StringField(_l("Specification"), filters=[_strip], validators=[Length(max=200)])
    unit = StringField(_l("Unit"), filters=[_strip], validators=[Length(max=20)])
    list_price = StringField(_l("List price (yuan)"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter a price."))])
    cost = StringField(_l("Cost (yuan)"), filters=[_strip])
    tax_rate = StringField(_l("Tax rate (%)"), filters=[_strip], default="13")
    is_on_sale = BooleanField(_l("On sale"), default=True)
    description = TextAreaField(_l("Description"), validators=[Length(max=4000)])
    picture = FileField(_l("Picture"))
    remove_picture = BooleanField(_l("Remove the picture"))

    SERVICE_FIELDS = ("code", "name", "category_id", "specification", "unit", "list_price", "cost", "tax_rate",
                      "is_on_sale", "description", "picture")

    def validate_category_id(self, field):
        if field.data is not None and field.data not in {value for value, _label in field.choices}:
            field.errors.append(_l("Choose a category from the list."))

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in self.SERVICE_FIELDS}


class CategoryForm(FlaskForm):
    name = StringField(_l("Category name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the category name.")), Length(max=100)])
    parent_id = SelectField(_l("Parent category"), coerce=optional_int, validate_choice=False)


class RenameCategoryForm(FlaskForm):
    name = StringField(_l("Category name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the category name.")), Length(max=100)])


class PriceListForm(FlaskForm):
    name = StringField(_l("Price list name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the price list name.")), Length(max=100)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_to = DateField(_l("Valid to"), validators=[Optional()])
    is_active = BooleanField(_l("Active"), default=True)
    description = StringField(_l("Description"), filters=[_strip], validators=[Length(max=500)])

    SERVICE_FIELDS = ("name", "valid_from", "valid_to", "is_active", "description")

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in self.SERVICE_FIELDS}


class PriceForm(FlaskForm):
    product_code = StringField(_l("Product code"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the product code.")), Length(max=40)])
    price = StringField(_l("Price (yuan)"), filters=[_strip], validators=[DataRequired(message=_l("Enter a price."))])


class ConfirmForm(FlaskForm):
    """Only the CSRF token: for buttons that post (on/off sale, delete, move)."""
