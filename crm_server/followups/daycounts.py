"""The follow-up counts per user and site day (followup_day_counts), kept in step with the follow-ups.

Every follow-up the ORM inserts, changes (author, time or kind) or deletes moves the counts in the same flush,
so in the same transaction: log_followup, update_followup, delete_followup, the lead conversion (which hands
the logged follow-ups to the colleague who had the conversation), the test factories. A session listener
does it rather than a call in each service, so a new code path that writes follow-ups cannot forget it.
Bulk loads that insert follow-ups with Core statements (the demo seeder, the benchmark data set) bypass it and
call rebuild_day_counts() at the end. The day is the local date of happened_at in the site's time zone.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import defaultdict

from sqlalchemy import delete, event, insert, inspect, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ..core.models import User
from ..extensions import db
from ..reminders.services import local_date, site_zone
from .models import FollowUp, FollowUpDayCount, activity_metric

METRICS = ("calls", "visits", "other")
TABLE = FollowUpDayCount.__table__
BATCH = 5000          # follow-ups read per batch by rebuild_day_counts
INSERT_BATCH = 500    # rows per INSERT (5 parameters a row: within SQL Server's 2,100)
ID_CHUNK = 1000
MOVING = ("user_id", "user", "happened_at", "kind")  # attributes that move a follow-up to another count


def metric_of(kind: str) -> str:
    """calls, visits or other: the activity statistics' own mapping."""
    return activity_metric(kind)


def add(user_id: int, day: dt.date, metric: str, delta: int, session: Session | None = None) -> None:
    """Add `delta` to one count in the caller's transaction, safely under concurrency on every engine: an
    UPDATE first (the row usually exists); else an INSERT inside a SAVEPOINT, and when a concurrent
    transaction inserted the same row first (IntegrityError), the UPDATE again, which then finds it.
    MariaDB/MySQL differ (see _create_apart): an UPDATE that finds no row takes a gap lock there, and two
    transactions holding one then both inserting deadlock; so a missing row is made apart first."""
    if not delta:
        return
    if metric not in METRICS:
        raise ValueError(metric)
    session = session or db.session
    connection = session.connection()
    key = (TABLE.c.user_id == user_id) & (TABLE.c.day == day)
    bump = update(TABLE).where(key).values({metric: TABLE.c[metric] + delta})
    dialect = connection.dialect.name
    if dialect in ("mysql", "mariadb"):
        # a plain (non-locking) read; a row it misses may exist already, which the separate INSERT then finds
        if connection.execute(select(TABLE.c.user_id).where(key)).first() is not None \
                or _create_apart(connection.engine, user_id, day):
            if connection.execute(bump).rowcount:
                return
    elif connection.execute(bump).rowcount:
        return
    row = insert(TABLE).values(user_id=user_id, day=day, **{m: delta if m == metric else 0 for m in METRICS})
    if dialect == "sqlite":
        connection.execute(row)  # one writer at a time: the UPDATE above already holds the write lock
        return
    savepoint = connection.begin_nested()
    try:
        connection.execute(row)
    except IntegrityError:
        savepoint.rollback()
        if not connection.execute(bump).rowcount:
            raise
    else:
        savepoint.commit()


def _create_apart(engine, user_id: int, day: dt.date) -> bool:
    """MariaDB/MySQL: make the (zero) row in a short transaction of its own, as core.numbering makes its counter
    rows, so concurrent first follow-ups of a user's day neither deadlock on gap locks nor on the shared locks
    a duplicate-key error leaves. True: the row exists now, committed. False: the caller inserts it in its own
    transaction, because the user is not committed yet (made in the caller's transaction: nobody else can
    write counts for them) or is locked by the caller (changed in its transaction: waiting for it would hang)."""
    users = User.__table__
    with engine.connect() as apart:
        if apart.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
            apart.rollback()
            return False
        apart.execute(text("SET SESSION innodb_lock_wait_timeout = 2"))  # the foreign-key check's wait
        try:
            apart.execute(insert(TABLE).values(user_id=user_id, day=day, calls=0, visits=0, other=0))
            apart.commit()
        except IntegrityError:
            apart.rollback()   # a concurrent transaction made it
        except OperationalError:
            apart.rollback()   # the user row is locked (by the caller, most likely)
            return False
        finally:
            apart.execute(text("SET SESSION innodb_lock_wait_timeout = DEFAULT"))
            apart.commit()
    return True


def apply(deltas: dict[tuple[int, dt.date, str], int], session: Session | None = None) -> None:
    """Apply {(user id, day, metric): delta}, in key order (concurrent writers take the rows in one order)."""
    for (user_id, day, metric), delta in sorted(deltas.items()):
        add(user_id, day, metric, delta, session)


def _zone() -> zoneinfo.ZoneInfo:
    return site_zone()


# --- the session listener ------------------------------------------------------------------------------

PENDING = "crm_followup_day_counts"


def _moves(followup: FollowUp) -> bool:
    attrs = inspect(followup).attrs
    return any(attrs[name].history.has_changes() for name in MOVING)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    """Note the follow-ups this flush inserts, moves or deletes, with the counts they stand in now (read from
    the database: an attribute changed without being loaded first has no old value in its history)."""
    new = [o for o in session.new if isinstance(o, FollowUp)]
    moved = [o for o in session.dirty if isinstance(o, FollowUp) and _moves(o)]
    gone = [o for o in session.deleted if isinstance(o, FollowUp)]
    if not (new or moved or gone):
        return
    ids = sorted({inspect(o).identity[0] for o in moved + gone if inspect(o).identity})
    stored: dict[int, tuple] = {}
    for start in range(0, len(ids), ID_CHUNK):
        stored.update((row[0], tuple(row[1:])) for row in session.execute(
            select(FollowUp.id, FollowUp.user_id, FollowUp.happened_at, FollowUp.kind)
            .where(FollowUp.id.in_(ids[start:start + ID_CHUNK]))))
    pending = session.info.setdefault(PENDING, [])
    pending.append((new, [(o, stored.get(inspect(o).identity[0])) for o in moved if inspect(o).identity],
                    [stored.get(inspect(o).identity[0]) for o in gone if inspect(o).identity]))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    """Move the counts, in the flush's transaction."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    zone = _zone()
    deltas: dict[tuple[int, dt.date, str], int] = defaultdict(int)

    def count(values, delta: int) -> None:
        if values is None:
            return
        user_id, happened_at, kind = values
        deltas[(user_id, local_date(happened_at, zone), metric_of(kind))] += delta

    for new, moved, gone in pending:
        for followup in new:
            count((followup.user_id, followup.happened_at, followup.kind), 1)
        for followup, before in moved:
            count(before, -1)
            count((followup.user_id, followup.happened_at, followup.kind), 1)
        for before in gone:
            count(before, -1)
    apply({k: v for k, v in deltas.items() if v}, session)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(PENDING, None)  # a failed flush leaves nothing to apply


# --- the whole table from the follow-ups ----------------------------------------------------------------

def recount(session: Session | None = None,
            zone: zoneinfo.ZoneInfo | None = None) -> dict[tuple[int, dt.date], list[int]]:
    """{(user id, site day): [calls, visits, other]} counted from the follow-ups, read in batches by id."""
    session = session or db.session
    zone = zone or _zone()
    counts: dict[tuple[int, dt.date], list[int]] = {}
    index = {m: i for i, m in enumerate(METRICS)}
    last = 0
    while True:
        rows = session.execute(select(FollowUp.id, FollowUp.user_id, FollowUp.kind, FollowUp.happened_at)
                               .where(FollowUp.id > last).order_by(FollowUp.id).limit(BATCH)).all()
        if not rows:
            return counts
        for _id, user_id, kind, happened_at in rows:
            key = (user_id, local_date(happened_at, zone))
            figures = counts.get(key)
            if figures is None:
                figures = counts[key] = [0, 0, 0]
            figures[index[metric_of(kind)]] += 1
        last = rows[-1][0]


def rebuild_day_counts(session: Session | None = None) -> int:
    """Recompute the whole table from the follow-ups (after bulk loads, or to repair it), in the caller's
    transaction. Returns the number of rows written."""
    session = session or db.session
    counts = recount(session)
    session.execute(delete(TABLE))
    rows = [{"user_id": user_id, "day": day, "calls": c, "visits": v, "other": o}
            for (user_id, day), (c, v, o) in sorted(counts.items())]
    for start in range(0, len(rows), INSERT_BATCH):
        session.execute(insert(TABLE), rows[start:start + INSERT_BATCH])
    return len(rows)
