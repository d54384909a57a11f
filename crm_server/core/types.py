"""Column types that behave the same on SQL Server, SQLite, PostgreSQL and MariaDB."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.dialects import mssql
from sqlalchemy.types import TypeDecorator

FEN = Decimal("0.01")


def utcnow() -> dt.datetime:
    """Naive UTC now: what every *_at column stores (Python-side, since func.now() is local on SQL Server)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class UTCDateTime(TypeDecorator):
    """A UTC timestamp stored naive; DATETIME2 on SQL Server (DATETIME is 3 ms and starts in 1753)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "mssql":
            return dialect.type_descriptor(mssql.DATETIME2(precision=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value


class Money(TypeDecorator):
    """Exact money: NUMERIC(18, 2) where the engine keeps decimals, integer fen on SQLite (its NUMERIC is a float)."""

    impl = Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount = Decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)
        if dialect.name == "sqlite":
            return int(amount * 100)
        return amount

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(FEN)
        return Decimal(value).quantize(FEN)

    @property
    def python_type(self):
        return Decimal


class Quantity(Money):
    """An exact quantity with two decimals (e.g. 2.50 吨), stored like Money."""

    impl = Numeric(18, 2)
    cache_ok = True


class Percent(Money):
    """A percentage with two decimals (discount 12.50, tax rate 13.00), stored like Money."""

    impl = Numeric(7, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(7, 2, asdecimal=True))
