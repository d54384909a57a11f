"""The lead source dictionary (线索来源), with the values a new installation starts with."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.dictionaries import register_dictionary

# The public web form files its enquiries under the value flagged "website".
WEBSITE_FLAG = "website"
SOURCE = register_dictionary("lead_source", _l("Lead source"), [
    ("展会", None), ("官网表单", WEBSITE_FLAG), ("客户介绍", None), ("电话陌拜", None), ("市场活动", None),
    ("网络推广", None), ("其他", None)])
