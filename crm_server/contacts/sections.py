"""The contact's page is made of panels that other domains register (follow-ups with this contact, later
opportunities and quotes), so that contacts imports none of the domains that hang from a contact."""
from __future__ import annotations

from ..core.sections import DetailPage

CONTACT_PAGE = DetailPage()
PANELS = CONTACT_PAGE.sections
register_contact_panel = CONTACT_PAGE.register_section
