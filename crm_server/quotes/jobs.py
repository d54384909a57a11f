"""The hourly job that marks approved and sent quotes past their validity date expired."""
from __future__ import annotations

import datetime as dt

from ..core.jobs import register_job
from ..extensions import db
from .services import expire_quotes


def expire() -> str:
    count = expire_quotes()
    db.session.commit()
    return f"{count} quotes expired"


register_job("quotes.expire", expire, dt.timedelta(hours=1), description="mark quotes past their validity expired")
