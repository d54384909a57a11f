"""Dictionaries (数据字典): the values administrators edit for drop-downs such as industry, source, level, status."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Index, Integer, Unicode, select, true
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .models import TimestampMixin


class DictionaryItem(TimestampMixin, db.Model):
    """One value of one dictionary. `flag` marks values with a meaning to the software (e.g. status 'deal')."""

    __tablename__ = "dictionary_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(Unicode(40), nullable=False)
    label: Mapped[str] = mapped_column(Unicode(60), nullable=False)
    flag: Mapped[str | None] = mapped_column(Unicode(20))
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    __table_args__ = (Index("uq_dictionary_items_kind_label", "kind", "label", unique=True),
                      Index("ix_dictionary_items_kind_sort", "kind", "sort_order", "id"))

    def __str__(self) -> str:
        return self.label


# kind -> (label for the UI, [(value, flag)] a new installation starts with)
DICTIONARIES: dict[str, tuple[object, list[tuple[str, str | None]]]] = {}


def register_dictionary(kind: str, label, defaults: list[tuple[str, str | None]]) -> str:
    DICTIONARIES[kind] = (label, defaults)
    return kind


def ensure_default_items() -> int:
    """Create the starting values of dictionaries that have none yet; never touches an edited dictionary."""
    present = set(db.session.scalars(select(DictionaryItem.kind).distinct()))
    added = 0
    for kind, (_label, defaults) in DICTIONARIES.items():
        if kind in present:
            continue
        for order, (label, flag) in enumerate(defaults, start=1):
            db.session.add(DictionaryItem(kind=kind, label=label, flag=flag, sort_order=order * 10))
            added += 1
    if added:
        db.session.flush()
    return added


def items(kind: str, include_inactive: bool = False) -> list[DictionaryItem]:
    stmt = select(DictionaryItem).where(DictionaryItem.kind == kind)
    if not include_inactive:
        stmt = stmt.where(DictionaryItem.is_active == true())
    return list(db.session.scalars(stmt.order_by(DictionaryItem.sort_order, DictionaryItem.id)))


def choices(kind: str, blank: str | None = None, keep_id: int | None = None) -> list[tuple]:
    """(id, label) pairs for a select; `keep_id` keeps a deactivated value a record still holds."""
    rows = [(item.id, item.label) for item in items(kind, include_inactive=False)]
    if keep_id and keep_id not in {value for value, _ in rows}:
        item = db.session.get(DictionaryItem, keep_id)
        if item is not None and item.kind == kind:
            rows.append((item.id, item.label))
    return ([("", blank)] if blank is not None else []) + rows


def item_with_flag(kind: str, flag: str) -> DictionaryItem | None:
    return db.session.scalar(select(DictionaryItem).where(DictionaryItem.kind == kind, DictionaryItem.flag == flag)
                             .order_by(DictionaryItem.sort_order, DictionaryItem.id).limit(1))


FLAG_LABELS = {"deal": _l("Deal won"), "lost": _l("Churned"), "new": _l("New customer")}
