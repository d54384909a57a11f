"""Forms of the campaigns domain. Amounts are text: the services parse them exactly (Decimal)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import optional_int, strip as _strip


class CampaignForm(FlaskForm):
    name = StringField(_l("Campaign name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the campaign's name.")), Length(max=200)])
    kind_id = SelectField(_l("Type"), coerce=optional_int, validate_choice=False)
    status = SelectField(_l("Status"), validate_choice=False)
    start_date = DateField(_l("Start date"), validators=[DataRequired(message=_l("Enter the start date."))])
    end_date = DateField(_l("End date"), validators=[Optional()])
    budget = StringField(_l("Budget (元)"), filters=[_strip])
    actual_cost = StringField(_l("Actual cost (元)"), filters=[_strip])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validate_choice=False)
    description = TextAreaField(_l("Description"), validators=[Length(max=4000)])

    SERVICE_FIELDS = ("name", "kind_id", "status", "start_date", "end_date", "budget", "actual_cost", "owner_id",
                      "description")

    def data_for_service(self) -> dict:
        return {name: getattr(self, name).data for name in self.SERVICE_FIELDS}


class LinkCustomersForm(FlaskForm):
    customer_ids = SelectMultipleField(_l("Customers"), coerce=int, validate_choice=False)
    note = StringField(_l("Note (invited, attended ...)"), filters=[_strip], validators=[Length(max=200)])
