"""Periodic background jobs, run in a thread of the server and guarded by a lease row in the database.

When several server processes share one database, the lease makes sure only one of them runs a given job
at a time; the others see the lease held and skip. Each job is also runnable as `crm-server run-jobs`.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import Integer, Unicode, UnicodeText, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

log = logging.getLogger(__name__)


class JobLease(db.Model):
    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(Unicode(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(Unicode(128))
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[str | None] = mapped_column(Unicode(20))
    last_error: Mapped[str | None] = mapped_column(UnicodeText)
    run_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)


@dataclass
class Job:
    name: str
    func: Callable[[], str | None]  # runs inside an app context; returns a short summary
    interval: dt.timedelta
    lease: dt.timedelta
    description: str = ""


JOBS: dict[str, Job] = {}
HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def register_job(name: str, func, interval: dt.timedelta, lease: dt.timedelta | None = None,
                 description: str = "") -> Job:
    job = Job(name, func, interval, lease or dt.timedelta(minutes=30), description)
    JOBS[name] = job
    return job


def acquire_lease(name: str, holder: str, duration: dt.timedelta, not_before: dt.timedelta | None = None) -> bool:
    """Take the job's lease if it is free (expired) or already ours. One UPDATE decides, so two servers
    racing for it cannot both win. With `not_before`, also wait until that long after the last start."""
    now = utcnow()
    if db.session.get(JobLease, name) is None:
        try:
            with db.session.begin_nested():
                db.session.add(JobLease(name=name))
        except IntegrityError:
            pass  # another process created it first
    conditions = [JobLease.name == name,
                  (JobLease.expires_at.is_(None)) | (JobLease.expires_at < now) | (JobLease.holder == holder)]
    if not_before is not None:
        conditions.append(JobLease.last_started_at.is_(None) | (JobLease.last_started_at <= now - not_before))
    result = db.session.execute(
        update(JobLease).where(*conditions)
        .values(holder=holder, expires_at=now + duration, last_started_at=now)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return result.rowcount == 1


def release_lease(name: str, holder: str, status: str, error: str | None = None) -> None:
    db.session.execute(
        update(JobLease).where(JobLease.name == name, JobLease.holder == holder)
        .values(holder=None, expires_at=None, last_finished_at=utcnow(), last_status=status,
                last_error=error, run_count=JobLease.run_count + 1)
        .execution_options(synchronize_session=False))
    db.session.commit()


def run_job(name: str, holder: str = HOLDER, only_if_due: bool = False) -> str:
    """Run one job now (inside an app context). Returns 'ran: ...', 'skipped: ...' or raises on failure."""
    job = JOBS[name]
    if not acquire_lease(name, holder, job.lease, job.interval if only_if_due else None):
        return "skipped: lease held by another process or not due"
    try:
        summary = job.func() or ""
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed", name)
        release_lease(name, holder, "failed", f"{type(exc).__name__}: {exc}")
        raise
    release_lease(name, holder, "ok", None)
    return f"ran: {summary}"


class Scheduler:
    """A daemon thread that wakes every `tick` seconds and runs each due job."""

    def __init__(self, app, tick: float = 60.0):
        self.app = app
        self.tick = tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="crm-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def run_due(self) -> dict[str, str]:
        results = {}
        with self.app.app_context():
            for name in list(JOBS):
                try:
                    results[name] = run_job(name, only_if_due=True)
                except Exception as exc:  # logged in run_job; the other jobs still run
                    results[name] = f"failed: {exc}"
                finally:
                    db.session.remove()
        return results

    def _loop(self) -> None:
        while not self._stop.wait(self.tick):
            self.run_due()
