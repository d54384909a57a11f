"""The job that reminds owners of instalments that have become overdue (each instalment once)."""
from __future__ import annotations

import datetime as dt

from ..core.jobs import register_job
from ..extensions import db
from .services import remind_overdue


def overdue() -> str:
    count = remind_overdue()
    db.session.commit()
    return f"{count} overdue instalments reminded"


# Hourly, so that an instalment becoming overdue at midnight (site time) is told the same morning; the
# overdue_reminded_at mark makes it one reminder per instalment however often the job runs.
register_job("payments.overdue", overdue, dt.timedelta(hours=1), description="remind owners of overdue instalments")
