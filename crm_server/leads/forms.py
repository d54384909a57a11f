"""Forms of the leads domain: the lead, its follow-ups, invalid, assignment, conversion and the assignment team."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from ..core.forms import optional_int
from ..core.forms import strip as _strip
from ..followups.services import KINDS as FOLLOWUP_KINDS
from ..followups.services import to_utc
from .models import COMPANY_SIZES
from .services import URGENCY_LABELS

PHONE_RULE = Regexp(r"^[0-9 +\-()]{5,40}$",
                    message=_l("Use digits, spaces, + - and parentheses (5 to 40 characters)."))
EMAIL_RULE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address."))
AMOUNT_RULE = Regexp(r"^\d{1,16}(\.\d{1,2})?$", message=_l("Enter an amount in yuan, e.g. 50000 or 12500.50."))
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def _valid_choice(field):
    if field.data is not None and field.data not in {value for value, _label in field.choices}:
        raise ValidationError(_l("Choose a value from the list."))


class LeadForm(FlaskForm):
    name = StringField(_l("Contact person"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the person's name.")), Length(max=60)])
    company = StringField(_l("Company"), filters=[_strip], validators=[Length(max=200)])
    title = StringField(_l("Job title"), filters=[_strip], validators=[Length(max=60)])
    mobile = StringField(_l("Mobile"), filters=[_strip], validators=[Optional(), PHONE_RULE])
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), PHONE_RULE])
    email = StringField(_l("E-mail"), filters=[_strip], validators=[Optional(), Length(max=120), EMAIL_RULE])
    source_id = SelectField(_l("Source"), coerce=optional_int, validate_choice=False)
    campaign_id = SelectField(_l("Campaign"), coerce=optional_int, validate_choice=False)
    industry_id = SelectField(_l("Industry"), coerce=optional_int, validate_choice=False)
    company_size = SelectField(_l("Company size"), choices=[("", "—")] + [(s, s) for s in COMPANY_SIZES], default="")
    requirement = TextAreaField(_l("Requirement"), validators=[Length(max=4000)])
    budget = StringField(_l("Budget (yuan)"), filters=[_strip], validators=[Optional(), AMOUNT_RULE])
    urgency = SelectField(_l("Urgency"), choices=list(URGENCY_LABELS.items()), default="normal")
    province = StringField(_l("Province"), filters=[_strip], validators=[Length(max=30)])
    city = StringField(_l("City"), filters=[_strip], validators=[Length(max=30)])
    address = StringField(_l("Address"), filters=[_strip], validators=[Length(max=200)])
    # "" me, "auto" round robin, "pool" the lead pool, or a user's id (with lead.assign)
    assign = SelectField(_l("Owner"), validate_choice=False, default="")
    confirm_duplicates = BooleanField(_l("Save anyway: this is a different lead"))

    SERVICE_FIELDS = ("name", "company", "title", "mobile", "phone", "email", "source_id", "campaign_id",
                      "industry_id", "company_size", "requirement", "budget", "urgency", "province", "city",
                      "address")

    def validate_source_id(self, field):
        _valid_choice(field)

    def validate_industry_id(self, field):
        _valid_choice(field)

    def validate_campaign_id(self, field):
        _valid_choice(field)

    def validate_assign(self, field):
        if self.assign.choices and field.data not in {str(value) for value, _label in field.choices}:
            raise ValidationError(_l("Choose a value from the list."))

    def data_for_service(self) -> dict:
        data = {name: self[name].data for name in self.SERVICE_FIELDS}
        data["confirm_duplicates"] = bool(self.confirm_duplicates.data)
        return data

    def assignment(self) -> dict:
        value = self.assign.data or ""
        if value.isdigit():
            return {"owner_id": int(value)}
        return {"assign": value or "self"}


class LeadFollowUpForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(FOLLOWUP_KINDS.items()), default="call", validators=[DataRequired()])
    happened_at = DateTimeLocalField(_l("When"), format=LOCAL_FORMAT, validators=[DataRequired()])
    content = TextAreaField(_l("What was discussed"), validators=[DataRequired(), Length(max=5000)])
    outcome = StringField(_l("Outcome"), validators=[Length(max=500)])
    next_step = StringField(_l("Next step"), validators=[Length(max=500)])
    next_followup_at = DateTimeLocalField(_l("Next follow-up"), format=LOCAL_FORMAT, validators=[Optional()])

    def data_for_service(self) -> dict:
        return {"kind": self.kind.data, "happened_at": to_utc(self.happened_at.data), "content": self.content.data,
                "outcome": self.outcome.data, "next_step": self.next_step.data,
                "next_followup_at": to_utc(self.next_followup_at.data)}


class InvalidForm(FlaskForm):
    reason = TextAreaField(_l("Why is this lead invalid?"), validators=[
        DataRequired(message=_l("Say why the lead is invalid.")), Length(max=500)])


class AssignForm(FlaskForm):
    to_user_id = SelectField(_l("Assign to"), coerce=optional_int, validate_choice=False,
                             validators=[DataRequired(message=_l("Choose the new owner."))])


class ConvertForm(FlaskForm):
    customer_id = SelectField(_l("Customer"), coerce=optional_int, validate_choice=False)
    customer_name = StringField(_l("New customer's name"), filters=[_strip], validators=[Length(max=200)])
    contact_name = StringField(_l("Contact's name"), filters=[_strip], validators=[Length(max=60)])
    create_deal = BooleanField(_l("Also create an opportunity"))
    opportunity_name = StringField(_l("Opportunity name"), filters=[_strip], validators=[Length(max=200)])
    amount = StringField(_l("Amount (yuan)"), filters=[_strip], validators=[Optional(), AMOUNT_RULE])
    pipeline_id = SelectField(_l("Pipeline"), coerce=optional_int, validate_choice=False)
    stage_id = SelectField(_l("Stage"), coerce=optional_int, validate_choice=False)
    expected_close_date = DateField(_l("Expected close date"), validators=[Optional()])

    def validate_customer_id(self, field):
        _valid_choice(field)

    def data_for_service(self) -> dict:
        names = ("customer_id", "customer_name", "contact_name", "create_deal", "opportunity_name", "amount",
                 "pipeline_id", "stage_id", "expected_close_date")
        return {name: self[name].data for name in names}


class AssigneeForm(FlaskForm):
    user_id = SelectField(_l("Salesperson"), coerce=optional_int, validate_choice=False,
                          validators=[DataRequired(message=_l("Choose a colleague."))])
    receives_a_grade = BooleanField(_l("Receives A-grade leads (senior)"))
    is_active = BooleanField(_l("Receives leads now"), default=True)
