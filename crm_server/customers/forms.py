"""Forms of the customer file: the customer itself, transfer, collaborators, bulk actions, saved views."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from .services import CREDIT_RATINGS, KINDS, MAX_TAGS, TAG_LENGTH, normalise_credit_code, tag_names
from ..core.forms import optional_int, strip as _strip

PHONE_RULE = Regexp(r"^[0-9 +\-()]{5,40}$",
                    message=_l("Enter a phone number: digits, spaces, + - and brackets, 5 to 40 characters."))
EMAIL_RULE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address."))


class CustomerForm(FlaskForm):
    name = StringField(_l("Customer name"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter the customer's name.")), Length(max=200)])
    short_name = StringField(_l("Short name"), filters=[_strip], validators=[Length(max=100)])
    kind = SelectField(_l("Type"), choices=list(KINDS.items()), default="company")
    industry_id = SelectField(_l("Industry"), coerce=optional_int, validate_choice=False)
    source_id = SelectField(_l("Source"), coerce=optional_int, validate_choice=False)
    level_id = SelectField(_l("Level"), coerce=optional_int, validate_choice=False)
    status_id = SelectField(_l("Status"), coerce=optional_int, validate_choice=False)
    credit_rating = SelectField(_l("Credit rating"), choices=[("", "—")] + [(r, r) for r in CREDIT_RATINGS])
    province = StringField(_l("Province"), filters=[_strip], validators=[Length(max=30)])
    city = StringField(_l("City"), filters=[_strip], validators=[Length(max=30)])
    district = StringField(_l("District"), filters=[_strip], validators=[Length(max=30)])
    address = StringField(_l("Address"), filters=[_strip], validators=[Length(max=200)])
    phone = StringField(_l("Phone"), filters=[_strip], validators=[Optional(), PHONE_RULE])
    email = StringField(_l("E-mail"), filters=[_strip], validators=[Optional(), Length(max=120), EMAIL_RULE])
    website = StringField(_l("Website"), filters=[_strip], validators=[Length(max=200)])
    credit_code = StringField(_l("Unified social credit code"), filters=[normalise_credit_code], validators=[
        Optional(), Regexp(r"^[0-9A-Z]{18}$", message=_l("A unified social credit code has 18 letters and digits."))])
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=4000)])
    tags = StringField(_l("Tags"), filters=[_strip], validators=[Length(max=(TAG_LENGTH + 1) * MAX_TAGS)])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, validate_choice=False)
    confirm_duplicates = BooleanField(_l("Save anyway: this is a different customer"))

    SERVICE_FIELDS = ("name", "short_name", "kind", "industry_id", "source_id", "level_id", "status_id",
                      "credit_rating", "province", "city", "district", "address", "phone", "email", "website",
                      "credit_code", "remarks")

    def validate_tags(self, field):
        from ..core.errors import DomainError
        try:
            tag_names(field.data)
        except DomainError as exc:
            raise ValidationError(exc.message) from None

    def validate_industry_id(self, field):
        self._valid_choice(field)

    def validate_source_id(self, field):
        self._valid_choice(field)

    def validate_level_id(self, field):
        self._valid_choice(field)

    def validate_status_id(self, field):
        self._valid_choice(field)

    def validate_owner_id(self, field):
        if self.owner_id.choices:
            self._valid_choice(field)

    @staticmethod
    def _valid_choice(field):
        if field.data is not None and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a value from the list."))

    def data_for_service(self, with_owner: bool = False) -> dict:
        data = {name: self[name].data for name in self.SERVICE_FIELDS}
        data["tags"] = tag_names(self.tags.data)
        data["confirm_duplicates"] = bool(self.confirm_duplicates.data)
        if with_owner:
            data["owner_id"] = self.owner_id.data
        return data


class TransferForm(FlaskForm):
    to_user_id = SelectField(_l("New owner"), coerce=optional_int, validate_choice=False,
                             validators=[DataRequired(message=_l("Choose the new owner."))])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=500)])


class CollaboratorForm(FlaskForm):
    user_id = SelectField(_l("Colleague"), coerce=optional_int, validate_choice=False,
                          validators=[DataRequired(message=_l("Choose a colleague."))])
    can_edit = BooleanField(_l("May edit"))


class SaveViewForm(FlaskForm):
    view_name = StringField(_l("View name"), filters=[_strip],
                            validators=[DataRequired(message=_l("Name the view.")), Length(max=60)])
    query = HiddenField()
    columns = HiddenField()
