"""The contact's page is made of panels that other domains register (follow-ups with this contact, later
opportunities and quotes), so that contacts imports none of the domains that hang from a contact."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ContactPanel:
    key: str                 # html id of the panel, e.g. "followups"
    title: object            # lazy-translated heading
    template: str            # rendered with `contact`, `can_edit` and what `context` returns
    context: Callable        # context(user, contact, args) -> dict; args are the request's query args
    order: int = 100


PANELS: list[ContactPanel] = []


def register_contact_panel(key: str, title, template: str, context: Callable, order: int = 100) -> None:
    if any(panel.key == key for panel in PANELS):
        return
    PANELS.append(ContactPanel(key, title, template, context, order))
    PANELS.sort(key=lambda panel: panel.order)
