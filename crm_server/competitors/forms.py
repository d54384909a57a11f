"""The competitor form."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from .services import PRICE_LEVELS, TEXT_LIMIT
from ..core.forms import strip as _strip


class CompetitorForm(FlaskForm):
    name = StringField(_l("Competitor name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the competitor's name.")), Length(max=200)])
    website = StringField(_l("Website"), filters=[_strip], validators=[Length(max=200)])
    price_level = SelectField(_l("Price level"), choices=[("", "—")] + list(PRICE_LEVELS.items()))
    products = TextAreaField(_l("Their products"), validators=[Length(max=TEXT_LIMIT)])
    strengths = TextAreaField(_l("Strengths"), validators=[Length(max=TEXT_LIMIT)])
    weaknesses = TextAreaField(_l("Weaknesses"), validators=[Length(max=TEXT_LIMIT)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=TEXT_LIMIT)])

    SERVICE_FIELDS = ("name", "website", "price_level", "products", "strengths", "weaknesses", "notes")

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in self.SERVICE_FIELDS}
