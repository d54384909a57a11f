"""Who may change the catalogue: viewing it is open to every signed-in user, changing it needs product.manage."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.permissions import register_permission


class ProductPermission:
    MANAGE = register_permission("product.manage", _l("Manage products, categories and price lists"),
                                 _l("Products"), default_roles=("sales_director",))
