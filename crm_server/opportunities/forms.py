"""Forms of the opportunities domain: the opportunity with its lines and competitors, the stage change,
and the pipeline/stage administration. Amounts are text: the services parse them exactly (Decimal)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, FieldList, Form, FormField, SelectField, SelectMultipleField, \
    StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from .pipelines import KINDS
from ..core.forms import optional_int, strip as _strip

EXTRA_LINES = 3        # empty product lines offered without JavaScript
EXTRA_COMPETITORS = 2


class LineForm(Form):
    product_id = SelectField(_l("Product"), coerce=optional_int, validate_choice=False)
    description = StringField(_l("Description"), filters=[_strip], validators=[Length(max=200)])
    quantity = StringField(_l("Quantity"), filters=[_strip], default="1")
    unit_price = StringField(_l("Unit price"), filters=[_strip])
    discount_percent = StringField(_l("Discount (%)"), filters=[_strip], default="0")


class CompetitorLinkForm(Form):
    competitor_id = SelectField(_l("Competitor"), coerce=optional_int, validate_choice=False)
    offer_amount = StringField(_l("Their offer"), filters=[_strip])
    our_position = StringField(_l("Our position"), filters=[_strip], validators=[Length(max=500)])


class OpportunityForm(FlaskForm):
    name = StringField(_l("Opportunity name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the opportunity's name.")), Length(max=200)])
    amount = StringField(_l("Amount (元)"), filters=[_strip])
    amount_from_lines = BooleanField(_l("Amount = total of the product lines"))
    expected_close_date = DateField(_l("Expected close date"), validators=[Optional()])
    pipeline_id = SelectField(_l("Pipeline"), coerce=optional_int, validate_choice=False)
    stage_id = SelectField(_l("Stage"), coerce=optional_int, validate_choice=False)
    probability = StringField(_l("Probability %"), filters=[_strip],
                              description=_l("Empty: the stage's probability."))
    source_id = SelectField(_l("Source"), coerce=optional_int, validate_choice=False)
    campaign_id = SelectField(_l("Campaign"), coerce=optional_int, validate_choice=False)
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validate_choice=False)
    contact_ids = SelectMultipleField(_l("Contacts"), coerce=int, validate_choice=False)
    next_step = StringField(_l("Next step"), filters=[_strip], validators=[Length(max=500)])
    loss_reason = StringField(_l("Loss reason"), filters=[_strip], validators=[Length(max=500)])
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=4000)])
    lines = FieldList(FormField(LineForm), min_entries=0)
    competitors = FieldList(FormField(CompetitorLinkForm), min_entries=0)

    SERVICE_FIELDS = ("name", "amount", "amount_from_lines", "expected_close_date", "pipeline_id", "stage_id",
                      "probability", "source_id", "campaign_id", "owner_id", "contact_ids", "next_step", "loss_reason",
                      "remarks")

    def data_for_service(self) -> dict:
        data = {name: getattr(self, name).data for name in self.SERVICE_FIELDS}
        data["lines"] = [entry.data for entry in self.lines]
        data["competitors"] = [entry.data for entry in self.competitors]
        return data


class StageChangeForm(FlaskForm):
    """Move an opportunity to a stage: the kanban's drag and drop posts it too."""

    stage_id = SelectField(_l("Stage"), coerce=optional_int, validate_choice=False,
                           validators=[DataRequired(message=_l("Choose a stage."))])
    loss_reason = StringField(_l("Loss reason"), filters=[_strip], validators=[Length(max=500)])


class PipelineForm(FlaskForm):
    name = StringField(_l("Pipeline name"), filters=[_strip], validators=[DataRequired(), Length(max=60)])
    is_active = BooleanField(_l("Active"), default=True)
    is_default = BooleanField(_l("Default pipeline"))


class StageForm(FlaskForm):
    name = StringField(_l("Stage name"), filters=[_strip], validators=[DataRequired(), Length(max=60)])
    probability = StringField(_l("Probability %"), filters=[_strip], validators=[DataRequired()])
    kind = SelectField(_l("Stage type"), choices=list(KINDS.items()), default="open")
    is_active = BooleanField(_l("Active"), default=True)
