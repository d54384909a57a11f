"""Making reminders: every module calls `remind`; the reminder centre and the digest read them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ..extensions import db
from .models import Reminder


def remind(user_id: int, kind: str, title: str, due_at: dt.datetime, source_key: str,
           entity_type: str | None = None, entity_id: int | None = None) -> Reminder | None:
    """Add a reminder for a user unless one with the same `source_key` exists for them (jobs run repeatedly).
    Returns the new reminder, or None when it already existed. Only flushes."""
    exists = db.session.scalar(select(Reminder.id).where(Reminder.user_id == user_id,
                                                         Reminder.source_key == source_key))
    if exists is not None:
        return None
    reminder = Reminder(user_id=user_id, kind=kind, title=title[:200], due_at=due_at, source_key=source_key[:120],
                        entity_type=entity_type, entity_id=entity_id)
    db.session.add(reminder)
    db.session.flush()
    return reminder
