"""The workbench: the first page after signing in."""
from .views import bp

__all__ = ["bp"]
