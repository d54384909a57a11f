"""客户: the shared customer file, with duplicate check, merge, recycle bin, tags, collaborators, saved views."""
from . import access, dictionaries  # noqa: F401  (registers permissions, the record type and dictionaries)
from .views import bp

__all__ = ["bp"]
