"""LIKE searches that mean the same on every engine."""
from __future__ import annotations

ESCAPE = "\\"


def escape_like(term: str) -> str:
    """Escape LIKE wildcards, including '[' which SQL Server treats as a character class."""
    for char in (ESCAPE, "%", "_", "["):
        term = term.replace(char, ESCAPE + char)
    return term


def contains(column, term: str):
    """`column LIKE %term%` with the term taken literally."""
    return column.like(f"%{escape_like(term)}%", escape=ESCAPE)
