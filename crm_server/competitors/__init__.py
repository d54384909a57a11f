"""竞争对手: competitor records, public to the whole company, with where we met them and our win/loss record."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from . import access  # noqa: F401  (registers the competitor.manage permission)
from .views import FIELD_LABELS, bp

register_nav("competitors.index", "bi-flag", _l("Competitors"), order=75)
register_entity_labels({"competitors": _l("Competitor")})
register_field_labels(FIELD_LABELS)

__all__ = ["bp"]
