"""Settings administrators change in the browser (as opposed to config.ini, which IT edits on the server)."""
from __future__ import annotations

from sqlalchemy import Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .models import TimestampMixin


class SiteSetting(TimestampMixin, db.Model):
    __tablename__ = "site_settings"
    name: Mapped[str] = mapped_column(Unicode(64), primary_key=True)  # not "key": reserved on SQL Server
    value: Mapped[str | None] = mapped_column(UnicodeText)


def get_setting(key: str, default: str | None = None) -> str | None:
    row = db.session.get(SiteSetting, key)
    return row.value if row is not None and row.value is not None else default


def set_setting(key: str, value: str | None) -> tuple[str | None, str | None]:
    """Store a value; returns (before, after) for the caller's audit row. Only flushes."""
    row = db.session.get(SiteSetting, key)
    before = row.value if row is not None else None
    if row is None:
        row = SiteSetting(name=key)
        db.session.add(row)
    row.value = value
    db.session.flush()
    return before, value


def get_list(key: str, default: tuple[str, ...] = ()) -> list[str]:
    value = get_setting(key)
    if value is None:
        return list(default)
    return [part for part in value.split(",") if part]
