"""公海: public pools, claiming and releasing, recycling rules, hand-over of departing staff."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from ..customers.access import CustomerPermission
from ..customers.sections import register_action
from . import jobs  # noqa: F401  (registers the recycling job)
from .services import AUDIT_ENTITY_LABELS, AUDIT_FIELD_LABELS, PoolPermission
from .views import bp

_ADMIN = _l("System administration")
register_nav("pool.index", "bi-water", _l("Public pool"), order=40, permission=PoolPermission.USE)
register_entity_labels(AUDIT_ENTITY_LABELS)
register_field_labels(AUDIT_FIELD_LABELS)
register_nav("pool.handover", "bi-arrow-left-right", _l("Hand-over of departing staff"), _ADMIN,
             CustomerPermission.HANDOVER, order=945)
register_nav("pool.settings", "bi-sliders", _l("Public pool settings"), _ADMIN, PoolPermission.MANAGE, order=940)
register_action("release-to-pool", _l("Release to the public pool"), "pool.release", method="get",
                permission=PoolPermission.USE, order=80, icon="bi-box-arrow-right")

__all__ = ["bp"]
