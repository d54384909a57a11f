"""Forms of mass e-mail: a template, and the send form (message, recipients, preview)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..core.forms import optional_int, strip

BODY_HELP = _l("Plain text. Merge fields: {{customer_name}}, {{contact_name}}, {{lead_name}}, {{company}}, "
               "{{owner_name}}, {{my_name}}. An unsubscribe link is added at the end of every message.")


class TemplateForm(FlaskForm):
    name = StringField(_l("Template name"), filters=[strip], validators=[DataRequired(), Length(max=100)])
    subject = StringField(_l("Subject"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Body"), validators=[DataRequired(), Length(max=20_000)])


class ComposeForm(FlaskForm):
    """Posted with action=preview (count and preview, nothing saved) or action=send (queue the send)."""

    template_id = SelectField(_l("Template"), coerce=optional_int, validate_choice=False)
    subject = StringField(_l("Subject"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Body"), validators=[DataRequired(), Length(max=20_000)])
    kind = SelectField(_l("Send to"), default="contacts")
    level_id = SelectField(_l("Customer level"), coerce=optional_int, validate_choice=False)
    industry_id = SelectField(_l("Industry"), coerce=optional_int, validate_choice=False)
    tag_id = SelectField(_l("Tag"), coerce=optional_int, validate_choice=False)
    decision_role = SelectField(_l("Role in the decision"), validate_choice=False)
    contact_ids = StringField(_l("Only these contacts"), filters=[strip])
    lead_status = SelectField(_l("Lead status"), validate_choice=False)
    lead_grade = SelectField(_l("Lead grade"), validate_choice=False)
    lead_source = SelectField(_l("Lead source"), coerce=optional_int, validate_choice=False)
    campaign_id = SelectField(_l("Campaign"), coerce=optional_int, validate_choice=False)
    preview_address = SelectField(_l("Preview as"), validate_choice=False)
