"""Checks every service applies to what it is given, whoever calls it (a form, the CLI, an import, a job)."""
from __future__ import annotations

import unicodedata
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from .errors import DomainError


def clean_text(value: str | None, max_length: int, field: str, required: bool = False) -> str | None:
    """Stripped text (NFC: one code point per character, as a paste from Word or WeChat may not have) or None;
    too long, or missing when required, raises DomainError for `field`."""
    value = unicodedata.normalize("NFC", value or "").strip()
    if not value:
        if required:
            raise DomainError(_("This field is required."), field)
        return None
    if len(value) > max_length:
        raise DomainError(_("At most %(n)d characters.", n=max_length), field)
    return value


def clean_decimal(value, field: str, low: Decimal, high: Decimal, default: Decimal | None = None,
                  prefix: str = "") -> Decimal:
    """An exact amount, quantity or percentage with at most two decimals between `low` and `high` ("1,234.5"
    accepted); empty gives `default` or, without one, "required". `prefix` names the row ("第 2 行：")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise DomainError(prefix + _("This field is required."), field)
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise DomainError(prefix + _("Enter a number."), field) from None
    if not number.is_finite() or number < low or number > high:
        raise DomainError(prefix + _("Enter a number from %(low)s to %(high)s.", low=low, high=high), field)
    if number != number.quantize(Decimal("0.01")):
        raise DomainError(prefix + _("At most two decimals."), field)
    return number


def clean_percent(value, field: str, prefix: str = "") -> Decimal:
    """A percentage from 0 to 100 (empty: 0.00)."""
    return clean_decimal(value, field, Decimal(0), Decimal(100), Decimal("0.00"), prefix)
