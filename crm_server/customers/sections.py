"""The customer's 360° page is made of sections that domains register: contacts, follow-ups, opportunities,
quotes, and later contracts, payments and service tickets. The customers domain imports none of them."""
from __future__ import annotations

from ..core.sections import DetailPage

CUSTOMER_PAGE = DetailPage()
SECTIONS = CUSTOMER_PAGE.sections
ACTIONS = CUSTOMER_PAGE.actions  # buttons other domains add (e.g. "release to the public pool")
register_section = CUSTOMER_PAGE.register_section
register_action = CUSTOMER_PAGE.register_action
