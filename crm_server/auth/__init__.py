"""Signing in, first-start setup, own account and language."""
from .views import bp

__all__ = ["bp"]
