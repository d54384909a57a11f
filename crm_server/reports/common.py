"""Small pieces the report definitions share: names of people, departments, branches and dictionary values for
grouped ids, percentages, and a "compared with" figure."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from ..core.dictionaries import DictionaryItem
from ..core.models import Branch, Department, User
from ..extensions import db

ZERO = Decimal("0.00")
TOP = 15  # bars per chart; the table beside it lists everyone


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


def percent(part, whole) -> Decimal | None:
    """part / whole in percent with one decimal, None when the whole is zero."""
    if not whole:
        return None
    return (Decimal(part or 0) * 100 / Decimal(whole)).quantize(Decimal("0.1"))


def _names(model, attribute: str, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    column = getattr(model, attribute)
    return {key: name for key, name in db.session.execute(select(model.id, column).where(model.id.in_(ids)))}


def user_names(ids) -> dict[int, str]:
    return _names(User, "display_name", ids)


def department_names(ids) -> dict[int, str]:
    return _names(Department, "name", ids)


def branch_names(ids) -> dict[int, str]:
    return _names(Branch, "name", ids)


def dictionary_labels(ids) -> dict[int, str]:
    return _names(DictionaryItem, "label", ids)
