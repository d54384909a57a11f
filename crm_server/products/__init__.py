"""产品: the product catalogue (categories, products, pictures) and price lists, with the lookup line editors use."""
from flask_babel import lazy_gettext as _l

from ..core.audit import register_entity_labels, register_field_labels
from ..core.navigation import register_nav
from . import access  # noqa: F401  (registers the product.manage permission)
from . import price_list_views  # noqa: F401  (its routes are on the same blueprint)
from .views import FIELD_LABELS, bp

register_nav("products.index", "bi-box-seam", _l("Products"), order=70)
register_entity_labels({"products": _l("Product"), "product_categories": _l("Product category"),
                        "price_lists": _l("Price list")})
register_field_labels(FIELD_LABELS)

__all__ = ["bp"]
