"""The filter form of the activity statistics (a GET form: it changes nothing, so it needs no CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField
from wtforms.validators import Optional

PERIOD_CHOICES = [("today", _l("Today")), ("week", _l("This week")), ("month", _l("This month")),
                  ("custom", _l("Date range"))]
GROUP_CHOICES = [("person", _l("Per person")), ("day", _l("Per person and day")),
                 ("week", _l("Per person and week")), ("month", _l("Per person and month"))]


class ActivityFilterForm(FlaskForm):
    class Meta:
        csrf = False

    period = SelectField(_l("Period"), choices=PERIOD_CHOICES, default="month")
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    group = SelectField(_l("Show"), choices=GROUP_CHOICES, default="person")

    def data_for_service(self) -> dict:
        return {"period": self.period.data, "date_from": self.date_from.data, "date_to": self.date_to.data,
                "grouping": self.group.data}
