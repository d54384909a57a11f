"""Forms of the forecast pages: the quota grid (one amount per person and month), a commit, the fiscal year."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError

from .services import MAX_AMOUNT

MONTH_NAMES = (_l("January"), _l("February"), _l("March"), _l("April"), _l("May"), _l("June"), _l("July"),
               _l("August"), _l("September"), _l("October"), _l("November"), _l("December"))


def parse_amount(raw: str | None) -> Decimal | None:
    """An amount in 元 as typed: blank is None; thousands separators and a leading ¥ are allowed.
    Raises ValueError with the message to show beside the field."""
    text = (raw or "").strip().replace(",", "").replace("，", "").replace(" ", "").lstrip("¥￥")
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(_("Enter an amount in yuan, such as 150000 or 150000.50.")) from None
    if not amount.is_finite():
        raise ValueError(_("Enter an amount in yuan, such as 150000 or 150000.50."))
    if amount < 0:
        raise ValueError(_("The amount cannot be negative."))
    if amount != amount.quantize(Decimal("0.01")):
        raise ValueError(_("An amount has at most two decimals (fen)."))
    if amount > MAX_AMOUNT:
        raise ValueError(_("The amount is too large."))
    return amount.quantize(Decimal("0.01"))


def _amount(form, field) -> None:
    try:
        field.amount = parse_amount(field.data)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


def cell_name(user_id: int, fiscal_month: int) -> str:
    return f"q_{user_id}_{fiscal_month}"


def quota_form(people, months, quotas, formdata=None):
    """The quota grid: a text field per person and fiscal month (q_<user id>_<1..12>), filled from `quotas`
    ({user id: {(calendar year, month): amount}})."""

    class QuotaForm(FlaskForm):
        pass

    data = {}
    for user in people:
        for n, month in enumerate(months, start=1):
            name = cell_name(user.id, n)
            setattr(QuotaForm, name, StringField(_l("Quota"), validators=[_amount]))
            amount = quotas.get(user.id, {}).get(month)
            data[name] = "" if amount is None else f"{amount:.2f}"
    return QuotaForm(formdata=formdata, data=data) if formdata is not None else QuotaForm(data=data)


def grid_amounts(form, people, months) -> dict[int, dict[tuple[int, int], Decimal | None]]:
    """{user id: {(calendar year, month): amount or None}} from a validated grid."""
    return {user.id: {month: getattr(form[cell_name(user.id, n)], "amount", None)
                      for n, month in enumerate(months, start=1)} for user in people}


class CommitForm(FlaskForm):
    amount = StringField(_l("My commit for this quarter (yuan)"), validators=[_amount])


class FiscalYearForm(FlaskForm):
    start_month = SelectField(_l("The fiscal year starts in"), coerce=int,
                              choices=[(n, label) for n, label in enumerate(MONTH_NAMES, start=1)])
