"""Checks every service applies to what it is given, whoever calls it (a form, the CLI, an import, a job)."""
from __future__ import annotations

import unicodedata

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
