"""The follow-up form. Times are entered in the site's time zone and handed to the services in UTC."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, MultipleFileField, SelectField, SelectMultipleField, StringField, \
    TextAreaField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.forms import optional_int
from . import attachments, services

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends


class FollowUpForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=list(services.KINDS.items()), default="call",
                       validators=[DataRequired()])
    happened_at = DateTimeLocalField(_l("When"), format=LOCAL_FORMAT, validators=[DataRequired()])
    # The service decides whether a contact belongs to the customer (and says so beside this field).
    contact_id = SelectField(_l("Contact"), coerce=optional_int, validate_choice=False)
    # one of the customer's open opportunities (issue 4): the service checks it belongs to the customer
    opportunity_id = SelectField(_l("Opportunity"), coerce=optional_int, validate_choice=False, choices=[])
    content = TextAreaField(_l("What was discussed"),
                            validators=[DataRequired(), Length(max=services.CONTENT_MAX)])
    outcome = StringField(_l("Outcome"), validators=[Length(max=500)])
    next_step = StringField(_l("Next step"), validators=[Length(max=500)])
    next_followup_at = DateTimeLocalField(_l("Next follow-up"), format=LOCAL_FORMAT, validators=[Optional()])
    files = MultipleFileField(_l("Attachments"))

    def data_for_service(self) -> dict:
        return {
            "contact_id": self.contact_id.data,
            "opportunity_id": self.opportunity_id.data,
            "kind": self.kind.data,
            "happened_at": services.to_utc(self.happened_at.data),
            "content": self.content.data,
            "outcome": self.outcome.data,
            "next_step": self.next_step.data,
            "next_followup_at": services.to_utc(self.next_followup_at.data),
            "files": [f for f in (self.files.data or []) if getattr(f, "filename", None)],
        }


class FollowUpEditForm(FollowUpForm):
    remove_attachments = SelectMultipleField(_l("Remove attachments"), coerce=int, choices=[],
                                             widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def data_for_service(self) -> dict:
        return {**super().data_for_service(), "remove_attachment_ids": self.remove_attachments.data or []}


FILES_HELP = _l("Up to %(n)d files of at most %(mb)d MB each: %(types)s.", n=attachments.MAX_FILES,
                mb=attachments.MAX_FILE_SIZE // (1024 * 1024), types=", ".join(sorted(attachments.ALLOWED_EXTENSIONS)))
