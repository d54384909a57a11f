"""Competitor records are public to the whole company (竞争对手资料对于整个组织内部是公开的); changing them needs
competitor.manage."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from ..core.permissions import register_permission


class CompetitorPermission:
    MANAGE = register_permission("competitor.manage", _l("Create and edit competitors"), _l("Competitors"),
                                 default_roles=("sales_director", "sales_manager", "sales"))
