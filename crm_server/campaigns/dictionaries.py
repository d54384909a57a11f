"""The campaign types dictionary, with the values a new installation starts with."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.dictionaries import register_dictionary

KIND = register_dictionary("campaign_type", _l("Campaign type"), [
    (v, None) for v in ("展会", "研讨会", "线上广告", "邮件营销", "客户答谢会", "其他")])
