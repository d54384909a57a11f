"""Document numbers from a pattern (e.g. BJ{yyyy}{mm}{dd}-{seq:04}) and a counter row per series and period."""
from __future__ import annotations

import datetime as dt
import re

from flask_babel import gettext as _
from sqlalchemy import Integer, Unicode, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .errors import DomainError

TOKEN = re.compile(r"\{(yyyy|yy|mm|dd|seq)(?::0(\d))?\}")
ALLOWED_LITERAL = re.compile(r"^[^{}\s]*$")
MAX_NUMBER_LENGTH = 30


class NumberCounter(db.Model):
    """The last number given in a series (e.g. "quote") and period (e.g. "20261125" when the pattern has {dd})."""

    __tablename__ = "number_counters"
    series: Mapped[str] = mapped_column(Unicode(30), primary_key=True)
    period: Mapped[str] = mapped_column(Unicode(10), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


def check_pattern(pattern: str | None, field: str = "number_pattern") -> str:
    """A valid pattern: known tokens only, exactly one {seq}, no spaces or stray braces between them."""
    pattern = (pattern or "").strip()
    if not pattern:
        raise DomainError(_("This field is required."), field)
    tokens = [m.group(1) for m in TOKEN.finditer(pattern)]
    literal = TOKEN.sub("", pattern)
    if tokens.count("seq") != 1 or not ALLOWED_LITERAL.match(literal) or len(pattern) > 60:
        raise DomainError(_("Use text without spaces and the tokens {yyyy} {yy} {mm} {dd}, with exactly one "
                            "{seq} (e.g. {seq:04} for 0001)."), field)
    if len(format_number(pattern, dt.date(2099, 12, 31), 10 ** 6 - 1)) > MAX_NUMBER_LENGTH:
        raise DomainError(_("Numbers made from this pattern would be longer than %(n)d characters.",
                            n=MAX_NUMBER_LENGTH), field)
    return pattern


def period_of(pattern: str, on: dt.date) -> str:
    """The counter restarts each day, month or year, by the finest date token of the pattern (never: "all")."""
    tokens = {m.group(1) for m in TOKEN.finditer(pattern)}
    if "dd" in tokens:
        return on.strftime("%Y%m%d")
    if "mm" in tokens:
        return on.strftime("%Y%m")
    if tokens & {"yyyy", "yy"}:
        return on.strftime("%Y")
    return "all"


def format_number(pattern: str, on: dt.date, seq: int) -> str:
    def replace(match: re.Match) -> str:
        token, width = match.group(1), match.group(2)
        if token == "seq":
            return str(seq).zfill(int(width or 1))
        return {"yyyy": on.strftime("%Y"), "yy": on.strftime("%y"), "mm": on.strftime("%m"),
                "dd": on.strftime("%d")}[token]
    return TOKEN.sub(replace, pattern)


def _ensure_counter(series: str, period: str) -> None:
    """Create the counter row if missing. SQLite has one writer at a time, so INSERT OR IGNORE in the caller's
    transaction is race-free there; elsewhere the row is made in its own short transaction, because two
    transactions inserting the same new key (or updating a missing one) can deadlock on MariaDB's gap locks."""
    key = (NumberCounter.series == series) & (NumberCounter.period == period)
    if db.session.scalar(select(NumberCounter.value).where(key)) is not None:
        return
    row = insert(NumberCounter).values(series=series, period=period, value=0)
    if db.engine.dialect.name == "sqlite":
        db.session.execute(row.prefix_with("OR IGNORE", dialect="sqlite"))
        return
    with db.engine.connect() as connection:
        try:
            connection.execute(row)
            connection.commit()
        except IntegrityError:
            connection.rollback()


def next_value(series: str, period: str) -> int:
    """Take the next value of a counter in the caller's transaction: one UPDATE ... SET value = value + 1
    locks the row until the caller commits, so concurrent callers queue and never get the same value, and a
    rolled-back caller gives its value back."""
    _ensure_counter(series, period)
    key = (NumberCounter.series == series) & (NumberCounter.period == period)
    db.session.execute(update(NumberCounter).where(key).values(value=NumberCounter.value + 1)
                       .execution_options(synchronize_session=False))
    return db.session.scalar(select(NumberCounter.value).where(key).execution_options(populate_existing=True))


def next_number(series: str, pattern: str, on: dt.date) -> str:
    """The next number of a series from its pattern, e.g. next_number("quote", "BJ{yyyy}{mm}{dd}-{seq:04}", day)
    -> "BJ20261125-0001". The caller's unique constraint on the number is the last line of defence."""
    return format_number(pattern, on, next_value(series, period_of(pattern, on)))


def stored_pattern(setting_key: str, default: str) -> str:
    """The number pattern an administrator set for a series (a site setting), else its default."""
    from .site_settings import get_setting
    return get_setting(setting_key) or default


def change_pattern(actor, setting_key: str, default: str, pattern: str, audit_action: str) -> bool:
    """Check and store a series' number pattern, audited; False when it is unchanged. The caller checks the
    actor's permission."""
    from . import audit
    from .site_settings import set_setting
    pattern = check_pattern(pattern)
    before = stored_pattern(setting_key, default)
    if pattern == before:
        return False
    set_setting(setting_key, pattern)
    audit.record(actor, audit_action, None, {"number_pattern": [before, pattern]}, label=pattern)
    return True
