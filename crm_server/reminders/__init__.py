"""自动提醒: the reminder centre, the job that makes reminders, the daily e-mail digest."""
from .views import bp

__all__ = ["bp"]
