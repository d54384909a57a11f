"""联系人: the people at each customer."""
from .views import bp

__all__ = ["bp"]
