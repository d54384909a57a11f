"""The contact form: formats are checked beside each field, the services check them again."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from . import services

EMAIL_RULE = Regexp(services.EMAIL_PATTERN.pattern, message=_l("Enter a valid e-mail address."))


def _phone_rule(mobile: bool):
    def check(form, field):
        value = (field.data or "").strip()
        if value:
            problem = services.mobile_problem(value) if mobile else services.phone_problem(value)
            if problem:
                raise ValidationError(problem)
    return check


class ContactForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    title = StringField(_l("Job title"), validators=[Length(max=60)])
    department = StringField(_l("Department"), validators=[Length(max=60)])
    mobile = StringField(_l("Mobile"), validators=[Length(max=40), _phone_rule(mobile=True)])
    phone = StringField(_l("Office phone"), validators=[Length(max=40), _phone_rule(mobile=False)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=120), EMAIL_RULE])
    wechat = StringField(_l("WeChat"), validators=[Length(max=60)])
    birthday = DateField(_l("Birthday"), validators=[Optional()])
    gender = SelectField(_l("Gender"), choices=[("", _l("(not given)"))] + list(services.GENDERS.items()))
    decision_role = SelectField(_l("Role in the decision"),
                                choices=[("", _l("(not given)"))] + list(services.DECISION_ROLES.items()))
    is_primary = BooleanField(_l("Primary contact"))
    remarks = TextAreaField(_l("Remarks"), validators=[Length(max=2000)])

    FIELDS = ("name", "title", "department", "mobile", "phone", "email", "wechat", "birthday", "gender",
              "decision_role", "is_primary", "remarks")

    def data_for_service(self) -> dict:
        return {name: self[name].data for name in self.FIELDS}
