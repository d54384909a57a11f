"""客户: the shared customer file, with duplicate check, merge, recycle bin, tags, collaborators, saved views."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from . import access, dictionaries  # noqa: F401  (registers permissions, the record type and dictionaries)
from . import duplicate_views  # noqa: F401  (its routes are on the same blueprint)
from . import merge, recycle_bin, views
from .views import bp

register_nav("customers.index", "bi-building", _l("Customers"), order=10)
register_entity_labels({"customers": _l("Customer"), "saved_views": _l("Saved view"), "tags": _l("Tag")})
register_field_labels({**views.FIELD_LABELS, **merge.audit_field_labels(), **recycle_bin.AUDIT_FIELD_LABELS})

__all__ = ["bp"]
