"""Merge fields: `{{name}}` in a subject or body replaced by plain text. No template engine runs on user input."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

FIELDS = {
    "customer_name": _l("Customer name"),
    "contact_name": _l("Contact name"),
    "lead_name": _l("Lead name"),
    "company": _l("Company"),
    "owner_name": _l("Owner name"),
    "my_name": _l("My name"),
}
PATTERN = re.compile(r"\{\{\s*([^{}\s]*)\s*\}\}")


def unknown_fields(text: str | None) -> list[str]:
    """Names inside {{ }} that are not merge fields, in order of appearance, once each."""
    seen: list[str] = []
    for match in PATTERN.finditer(text or ""):
        name = match.group(1)
        if name not in FIELDS and name not in seen:
            seen.append(name)
    return seen


def fill(text: str, values: dict[str, str]) -> str:
    """`text` with every known merge field replaced by its value (empty when the recipient has none)."""
    def replace(match: re.Match) -> str:
        name = match.group(1)
        return str(values.get(name) or "") if name in FIELDS else match.group(0)
    return PATTERN.sub(replace, text or "")
