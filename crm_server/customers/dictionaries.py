"""The dictionaries customers use, with the values a new installation starts with."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.dictionaries import register_dictionary

INDUSTRY = register_dictionary("customer_industry", _l("Industry"), [
    (v, None) for v in ("制造业", "批发零售", "信息技术", "建筑工程", "医疗健康", "教育培训", "金融保险",
                        "物流运输", "餐饮酒店", "政府及事业单位", "其他")])
SOURCE = register_dictionary("customer_source", _l("Customer source"), [
    (v, None) for v in ("电话营销", "网络推广", "展会", "客户介绍", "老客户", "上门拜访", "招投标", "其他")])
LEVEL = register_dictionary("customer_level", _l("Customer level"), [
    ("A（重点客户）", None), ("B（普通客户）", None), ("C（一般客户）", None), ("D（低价值客户）", None)])
STATUS = register_dictionary("customer_status", _l("Customer status"), [
    ("潜在客户", "new"), ("意向客户", None), ("成交客户", "deal"), ("流失客户", "lost")])
