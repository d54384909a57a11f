"""The dictionaries opportunities use, with the values a new installation starts with."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.dictionaries import register_dictionary

SOURCE = register_dictionary("opportunity_source", _l("Opportunity source"), [
    (v, None) for v in ("老客户复购", "客户介绍", "展会", "网络推广", "电话营销", "招投标", "合作伙伴", "其他")])
