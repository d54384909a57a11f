"""The contracts' scheduled work: the hourly expiry of active contracts past their end date, and the daily
renewal reminder to the owner of a contract ending within the renewal period."""
from __future__ import annotations

import datetime as dt

from ..core.jobs import register_job
from ..extensions import db
from .services import expire_contracts, remind_renewals


def expire() -> str:
    count = expire_contracts()
    db.session.commit()
    return f"{count} contracts expired"


def renewals() -> str:
    count = remind_renewals()
    db.session.commit()
    return f"{count} renewal reminders"


register_job("contracts.expire", expire, dt.timedelta(hours=1), description="mark contracts past their end expired")
register_job("contracts.renewals", renewals, dt.timedelta(days=1),
             description="remind owners of contracts due for renewal")
