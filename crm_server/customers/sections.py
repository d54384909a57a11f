"""The customer's 360° page is made of sections that domains register: contacts, follow-ups, and later
opportunities, quotes, contracts, payments and service tickets. The customers domain imports none of them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class DetailSection:
    key: str                 # html id of the section, e.g. "contacts"
    title: object            # lazy-translated heading
    template: str            # rendered with `customer`, `can_edit` and what `context` returns
    context: Callable        # context(user, customer, args) -> dict; args are the request's query args
    order: int = 100


SECTIONS: list[DetailSection] = []


def register_section(key: str, title, template: str, context: Callable, order: int = 100) -> None:
    if any(section.key == key for section in SECTIONS):
        return
    SECTIONS.append(DetailSection(key, title, template, context, order))
    SECTIONS.sort(key=lambda section: section.order)
