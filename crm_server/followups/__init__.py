"""跟进记录: calls, visits and messages logged against customers, with attachments."""
from .views import bp

__all__ = ["bp"]
