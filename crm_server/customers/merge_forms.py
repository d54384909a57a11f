"""Forms of the duplicate check, the merge page and the recycle bin."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField, StringField
from wtforms.validators import Length, Optional, Regexp

from .merge import BOTH, COMBINABLE_FIELDS, KEEP, MERGE_FIELDS, OTHER, default_choice

PHONE_RULE = Regexp(r"^[0-9 +\-()]{5,40}$",
                    message=_l("Use digits, spaces, +, - and parentheses (5 to 40 characters)."))
EMAIL_RULE = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Enter a valid e-mail address."))


class DuplicateCheckForm(FlaskForm):
    """The duplicate-check toolbar: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Optional(), PHONE_RULE])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=120), EMAIL_RULE])
    credit_code = StringField(_l("Credit code"), validators=[Optional(), Length(max=18)])

    FIELDS = ("name", "phone", "email", "credit_code")

    def has_input(self) -> bool:
        return any((self[name].data or "").strip() for name in self.FIELDS)

    def data_for_service(self) -> dict:
        """The fields to search on; one that failed its format rule is left out."""
        return {name: (self[name].data or "").strip() or None if not self[name].errors else None
                for name in self.FIELDS}


class MergeForm(FlaskForm):
    """One radio per field: keep this customer's value, take the other's (or, for remarks, both)."""

    def field_names(self) -> list[str]:
        return list(MERGE_FIELDS)

    def choices(self) -> dict[str, str]:
        return {name: self[name].data for name in MERGE_FIELDS}


def merge_form(keep, other, **kwargs) -> MergeForm:
    """A MergeForm whose defaults keep each of `keep`'s values, or take `other`'s where `keep` has none."""

    class BoundMergeForm(MergeForm):
        pass

    for name, label in MERGE_FIELDS.items():
        options = [(KEEP, _l("This customer's value")), (OTHER, _l("The other customer's value"))]
        if name in COMBINABLE_FIELDS:
            options.append((BOTH, _l("Both")))
        setattr(BoundMergeForm, name, RadioField(label, choices=options, default=default_choice(name, keep, other)))
    return BoundMergeForm(**kwargs)


class RestoreForm(FlaskForm):
    """The recycle bin's restore buttons: the checked customers (or the one the row's button names)."""

    ids = SelectMultipleField(_l("Customers"), coerce=int, validate_choice=False)
