"""Forms of the dictionaries and settings pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import AnyOf, DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .dictionary_services import LABEL_MAX, allowed_flags, flag_label


class FlagField(SelectField):
    """A select whose "no flag" is the empty option, also for a value stored as NULL or a form without it."""

    def process_data(self, value):
        super().process_data(value or "")


class DictionaryItemForm(FlaskForm):
    label = StringField(_l("Value"), validators=[DataRequired(), Length(max=LABEL_MAX)])
    flag = FlagField(_l("Meaning to the software"), choices=[], default="")
    sort_order = IntegerField(_l("Sort order"), validators=[Optional(), NumberRange(min=-99999, max=99999)])

    def set_kind(self, kind: str) -> DictionaryItemForm:
        """Offer the flags this dictionary's values may carry (none: the field is not shown)."""
        self.flag.choices = [("", _l("(none)"))] + [(flag, flag_label(flag)) for flag in allowed_flags(kind)]
        return self

    @property
    def has_flags(self) -> bool:
        return len(self.flag.choices) > 1

    def data_for_service(self) -> dict:
        return {"label": self.label.data, "flag": self.flag.data or None, "sort_order": self.sort_order.data}


class MoveForm(FlaskForm):
    direction = HiddenField(validators=[AnyOf(("up", "down"))])


class SettingsForm(FlaskForm):
    blocking_fields = SelectMultipleField(
        _l("A match on these fields blocks saving a customer"), choices=[],
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
