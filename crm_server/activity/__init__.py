"""Activity statistics for managers: calls, visits, new and claimed customers per person and period."""
from .views import bp

__all__ = ["bp"]
