"""Small pieces the forms of every domain share."""
from __future__ import annotations


def optional_int(value):
    """A select's value as an id, or None for the empty option."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def strip(value):
    """A field filter: text without surrounding spaces."""
    return value.strip() if isinstance(value, str) else value
