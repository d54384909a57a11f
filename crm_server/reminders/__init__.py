"""自动提醒: the reminder centre, the job that makes reminders, the daily e-mail digest."""
import datetime as dt

from flask_babel import lazy_gettext as _l

from ..core.jobs import register_job
from ..core.navigation import register_nav
from . import jobs
from .views import bp

register_nav("reminders.index", "bi-bell", _l("Reminders"), order=50)
register_job("reminders.generate", jobs.generate, dt.timedelta(hours=1),
             description="follow-up plan and birthday reminders")
register_job("reminders.digest", jobs.digest, dt.timedelta(days=1),
             description="daily e-mail of due reminders ([mail] server)")

__all__ = ["bp"]
