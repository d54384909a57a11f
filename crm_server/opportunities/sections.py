"""The opportunity page is made of sections that domains register: quotes, later contracts and service tickets.
A section is rendered with `opportunity`, `can_edit` and what its `context(user, opportunity, args)` returns."""
from __future__ import annotations

from ..core.sections import DetailPage

OPPORTUNITY_PAGE = DetailPage()
SECTIONS = OPPORTUNITY_PAGE.sections
ACTIONS = OPPORTUNITY_PAGE.actions
register_section = OPPORTUNITY_PAGE.register_section
register_action = OPPORTUNITY_PAGE.register_action
