"""The audit log: who did what, when, from where, with field-level before/after."""
from __future__ import annotations

import datetime as dt
import decimal
import enum
import json

from flask import has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, Unicode, UnicodeText, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .models import User
from .types import UTCDateTime, utcnow


class AuditLog(db.Model):
    __tablename__ = "audit_logs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Kept as text too: the entry must still read right after the user is renamed.
    actor_name: Mapped[str | None] = mapped_column(Unicode(64))
    action: Mapped[str] = mapped_column(Unicode(64), nullable=False, index=True)
    entity_type: Mapped[str | None] = mapped_column(Unicode(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    entity_label: Mapped[str | None] = mapped_column(Unicode(200))
    changes: Mapped[str | None] = mapped_column(UnicodeText)  # JSON {field: [before, after]}
    ip: Mapped[str | None] = mapped_column(Unicode(45))

    actor: Mapped[User | None] = relationship(lazy="joined")

    __table_args__ = (Index("ix_audit_logs_entity", "entity_type", "entity_id"),)

    @property
    def change_items(self) -> list[tuple[str, object, object]]:
        if not self.changes:
            return []
        return [(name, pair[0], pair[1]) for name, pair in json.loads(self.changes).items()]


def _plain(value):
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def snapshot(obj, fields) -> dict:
    """The current values of `fields` on `obj`, for comparing after an edit."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


# Never written to the log, whatever the caller passes.
SECRET_FIELDS = {"password", "password_hash", "session_token"}


def record(actor: User | None, action: str, entity=None, changes: dict | None = None,
           label: str | None = None) -> AuditLog:
    """Add an audit row in the current transaction (the caller commits with the change it describes)."""
    entity_type = entity_id = None
    if entity is not None:
        entity_type = entity.__tablename__
        state = inspect(entity)
        if state.identity is None:
            db.session.flush([entity])
        entity_id = inspect(entity).identity[0]
        label = label or str(entity)
    if changes:
        changes = {k: [_plain(v[0]), _plain(v[1])] for k, v in changes.items() if k not in SECRET_FIELDS}
    ip = None
    if has_request_context():
        ip = (request.remote_addr or "")[:45] or None
    row = AuditLog(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.display_name if actor is not None else None,
        action=action, entity_type=entity_type, entity_id=entity_id,
        entity_label=(label or "")[:200] or None,
        changes=json.dumps(changes, ensure_ascii=False) if changes else None, ip=ip,
    )
    db.session.add(row)
    return row


# Readable names of actions for the audit page and the workbench; domains add theirs.
ACTION_LABELS: dict[str, object] = {}


def register_actions(labels: dict[str, object]) -> None:
    ACTION_LABELS.update(labels)


# Readable names of the tables (entity types) and fields audit rows name, for pages that show the log;
# each domain registers its own. The first registration of a name wins.
ENTITY_LABELS: dict[str, object] = {}
FIELD_LABELS: dict[str, object] = {}


def register_entity_labels(labels: dict[str, object]) -> None:
    for key, label in labels.items():
        ENTITY_LABELS.setdefault(key, label)


def register_field_labels(labels: dict[str, object]) -> None:
    for key, label in labels.items():
        FIELD_LABELS.setdefault(key, label)


def action_label(action: str) -> str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


register_actions({
    "setup.completed": _l("Completed first-start setup"),
    "user.signed_in": _l("Signed in"),
    "user.locked": _l("Account locked after failed sign-ins"),
    "user.password_changed": _l("Changed password"),
    "user.language_changed": _l("Changed language"),
})
