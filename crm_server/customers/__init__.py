"""客户: the shared customer file, with duplicate check, merge, recycle bin, tags, collaborators, saved views."""
from . import access, dictionaries  # noqa: F401  (registers permissions, the record type and dictionaries)
from . import duplicate_views  # noqa: F401  (its routes are on the same blueprint)
from .views import bp

__all__ = ["bp"]
