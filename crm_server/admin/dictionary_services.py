"""Rules for editing dictionaries (数据字典): values are added, renamed, reordered, deactivated, and deleted
only while no record uses them; a flag (a meaning to the software, e.g. status "deal") sits on one value."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, Table, case, func, select, true

from ..core import audit
from ..core.audit import diff
from ..core.dictionaries import DICTIONARIES, FLAG_LABELS, DictionaryItem
from ..core.errors import DomainError
from ..core.models import User
from ..extensions import db

audit.register_actions({
    "dictionary.item_created": _l("Added a dictionary value"),
    "dictionary.item_updated": _l("Edited a dictionary value"),
    "dictionary.item_deactivated": _l("Deactivated a dictionary value"),
    "dictionary.item_activated": _l("Activated a dictionary value"),
    "dictionary.item_deleted": _l("Deleted a dictionary value"),
})

LABEL_MAX = 60
SORT_STEP = 10


@dataclass
class DictionarySummary:
    kind: str
    label: str
    total: int
    active: int


def dictionary_label(kind: str) -> str:
    return str(DICTIONARIES[kind][0]) if kind in DICTIONARIES else kind


def dictionaries() -> list[DictionarySummary]:
    """Every registered dictionary with how many values it has (active ones apart), by label."""
    counts = {kind: (total, active or 0) for kind, total, active in db.session.execute(
        select(DictionaryItem.kind, func.count(DictionaryItem.id),
               func.sum(case((DictionaryItem.is_active == true(), 1), else_=0)))
        .group_by(DictionaryItem.kind).order_by(DictionaryItem.kind))}
    found = [DictionarySummary(kind, dictionary_label(kind), *counts.get(kind, (0, 0))) for kind in DICTIONARIES]
    return sorted(found, key=lambda d: d.label)


def allowed_flags(kind: str) -> list[str]:
    """The flags a dictionary's values may carry: those its starting values declare (e.g. status: new,
    deal, lost), since only those mean something to the software."""
    flags = []
    for _label, flag in DICTIONARIES.get(kind, (None, []))[1]:
        if flag and flag not in flags:
            flags.append(flag)
    return flags


def flag_label(flag: str | None) -> str:
    return str(FLAG_LABELS.get(flag, flag)) if flag else ""


def dictionary_references() -> list[tuple[Table, Column]]:
    """Every column with a foreign key to dictionary_items.id, found in the metadata, so that values used
    by modules added later are protected too."""
    target = DictionaryItem.__table__.c.id
    return [(table, fk.parent) for table in db.metadata.sorted_tables for fk in table.foreign_keys
            if fk.column is target]


def usage_counts(kind: str) -> dict[int, int]:
    """item id -> how many records use it, over every referencing column."""
    ids = select(DictionaryItem.id).where(DictionaryItem.kind == kind)
    counts: dict[int, int] = {}
    for _table, column in dictionary_references():
        rows = db.session.execute(select(column, func.count()).where(column.in_(ids)).group_by(column)
                                  .order_by(column))
        for item_id, count in rows:
            counts[item_id] = counts.get(item_id, 0) + count
    return counts


def items_of(kind: str) -> list[DictionaryItem]:
    """A dictionary's values, inactive ones included, in their order."""
    return list(db.session.scalars(select(DictionaryItem).where(DictionaryItem.kind == kind)
                                   .order_by(DictionaryItem.sort_order, DictionaryItem.id)))


def _in_use(item: DictionaryItem) -> bool:
    for _table, column in dictionary_references():
        if db.session.scalar(select(column).where(column == item.id).limit(1).order_by(column)) is not None:
            return True
    return False


def _state(item: DictionaryItem) -> dict:
    return {"kind": dictionary_label(item.kind), "label": item.label, "flag": flag_label(item.flag) or None,
            "sort_order": item.sort_order, "is_active": item.is_active}


def _record(actor: User | None, action: str, item: DictionaryItem, changes: dict | None) -> None:
    audit.record(actor, action, item, changes, label=f"{dictionary_label(item.kind)}: {item.label}")


def _check_kind(kind: str) -> None:
    if kind not in DICTIONARIES:
        raise DomainError(_("There is no such dictionary."))


def _clean_label(kind: str, label: str | None, item: DictionaryItem | None) -> str:
    label = (label or "").strip()
    if not label:
        raise DomainError(_("This field is required."), "label")
    if len(label) > LABEL_MAX:
        raise DomainError(_("At most %(n)d characters.", n=LABEL_MAX), "label")
    # Case-insensitive on every engine, as SQL Server's usual collation already is.
    taken = select(DictionaryItem.id).where(DictionaryItem.kind == kind,
                                            func.lower(DictionaryItem.label) == label.lower())
    if item is not None and item.id is not None:
        taken = taken.where(DictionaryItem.id != item.id)
    if db.session.scalar(taken.order_by(DictionaryItem.id).limit(1)) is not None:
        raise DomainError(_("This dictionary already has that value."), "label")
    return label


def _check_flag(kind: str, flag: str | None, item: DictionaryItem | None, active: bool) -> str | None:
    flag = flag or None
    if flag is not None and flag not in allowed_flags(kind):
        raise DomainError(_("This dictionary has no such meaning."), "flag")
    if item is not None and item.flag and item.flag != flag:
        raise DomainError(_("The software needs a value meaning \"%(flag)s\": give it to another value "
                            "instead.", flag=flag_label(item.flag)), "flag")
    if flag is not None and not active:
        raise DomainError(_("Activate the value before giving it a meaning."), "flag")
    return flag


def _take_flag(actor: User | None, kind: str, flag: str | None, item: DictionaryItem | None) -> None:
    """A flag sits on one value per dictionary: the value holding it now gives it up (audited)."""
    if flag is None:
        return
    holders = select(DictionaryItem).where(DictionaryItem.kind == kind, DictionaryItem.flag == flag)
    if item is not None and item.id is not None:
        holders = holders.where(DictionaryItem.id != item.id)
    for holder in db.session.scalars(holders.order_by(DictionaryItem.id)):
        holder.flag = None
        db.session.flush()
        _record(actor, "dictionary.item_updated", holder, {"flag": [flag_label(flag), None]})


def create_item(actor: User | None, kind: str, *, label: str, flag: str | None = None,
                sort_order: int | None = None) -> DictionaryItem:
    """Add a value at the end of a dictionary (or at `sort_order`), optionally taking a flag."""
    _check_kind(kind)
    label = _clean_label(kind, label, None)
    flag = _check_flag(kind, flag, None, True)
    if sort_order is None:
        last = db.session.scalar(select(func.max(DictionaryItem.sort_order)).where(DictionaryItem.kind == kind))
        sort_order = (last or 0) + SORT_STEP
    _take_flag(actor, kind, flag, None)
    item = DictionaryItem(kind=kind, label=label, flag=flag, sort_order=sort_order, is_active=True)
    db.session.add(item)
    db.session.flush()
    _record(actor, "dictionary.item_created", item, diff({}, _state(item)))
    return item


def update_item(actor: User | None, item: DictionaryItem, *, label: str, flag: str | None = None,
                sort_order: int | None = None) -> DictionaryItem:
    """Rename a value, move it in the order, or give it a flag (taken from the value that had it).
    Records keep pointing at the value, so a rename shows everywhere at once."""
    label = _clean_label(item.kind, label, item)
    flag = _check_flag(item.kind, flag, item, item.is_active)
    before = _state(item)
    _take_flag(actor, item.kind, flag, item)
    item.label, item.flag = label, flag
    if sort_order is not None:
        item.sort_order = sort_order
    db.session.flush()
    changes = diff(before, _state(item))
    if changes:
        _record(actor, "dictionary.item_updated", item, changes)
    return item


def move_item(actor: User | None, item: DictionaryItem, direction: str) -> None:
    """Move a value one place up or down; the dictionary's order is renumbered in steps of ten."""
    if direction not in ("up", "down"):
        raise DomainError(_("Choose up or down."))
    ordered = items_of(item.kind)
    index = next(i for i, candidate in enumerate(ordered) if candidate.id == item.id)
    target = index - 1 if direction == "up" else index + 1
    if target < 0 or target >= len(ordered):
        return
    ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, candidate in enumerate(ordered, start=1):
        new_order = position * SORT_STEP
        if candidate.sort_order != new_order:
            old_order = candidate.sort_order
            candidate.sort_order = new_order
            _record(actor, "dictionary.item_updated", candidate, {"sort_order": [old_order, new_order]})
    db.session.flush()


def set_item_active(actor: User | None, item: DictionaryItem, active: bool) -> None:
    """Deactivate a value (records keep it; new records cannot choose it) or activate it again."""
    if item.is_active == active:
        return
    if not active and item.flag:
        raise DomainError(_("The software needs a value meaning \"%(flag)s\": give it to another value "
                            "before deactivating this one.", flag=flag_label(item.flag)))
    item.is_active = active
    db.session.flush()
    _record(actor, "dictionary.item_activated" if active else "dictionary.item_deactivated", item,
            {"is_active": [not active, active]})


def delete_item(actor: User | None, item: DictionaryItem) -> None:
    """Delete a value no record uses; one in use can only be deactivated, so nothing loses its value."""
    if item.flag:
        raise DomainError(_("The software needs a value meaning \"%(flag)s\": give it to another value "
                            "before deleting this one.", flag=flag_label(item.flag)))
    if _in_use(item):
        raise DomainError(_("Records use this value, so it cannot be deleted. Deactivate it instead."))
    state = _state(item)
    _record(actor, "dictionary.item_deleted", item, {k: [v, None] for k, v in state.items() if v is not None})
    db.session.delete(item)
    db.session.flush()
