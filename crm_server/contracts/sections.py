"""Registries of the contract's detail page: payments and approvals hang their sections and buttons here."""
from __future__ import annotations

from ..core.sections import DetailPage

CONTRACT_PAGE = DetailPage()
register_section = CONTRACT_PAGE.register_section
register_action = CONTRACT_PAGE.register_action
