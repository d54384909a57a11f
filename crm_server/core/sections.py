"""Detail pages made of parts other domains register (sections, side panels, buttons), so that the domain that
owns a page imports none of the domains that hang from its record: customers know nothing of opportunities."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class DetailSection:
    key: str                 # html id of the section, e.g. "contacts"
    title: object            # lazy-translated heading
    template: str            # rendered with the page's record, `can_edit` and what `context` returns
    context: Callable        # context(user, record, args) -> dict; args are the request's query args
    order: int = 100


@dataclass(frozen=True)
class DetailAction:
    key: str                 # html id of the button, e.g. "release-to-pool"
    label: object            # lazy-translated text of the button
    endpoint: str            # url_for(endpoint, <record>_id=record.id)
    method: str = "get"      # "get": a link; "post": a button in a form with the CSRF token
    permission: str | None = None  # shown only to users whose role holds it
    order: int = 100
    icon: str | None = None  # a Bootstrap Icons class, e.g. "bi-box-arrow-right"
    confirm: object | None = None  # for "post": the question asked before submitting
    needs_edit: bool = True  # shown only to users who may edit the record


class DetailPage:
    """The registry of one kind of detail page: its sections in order, and its extra buttons."""

    def __init__(self) -> None:
        self.sections: list[DetailSection] = []
        self.actions: list[DetailAction] = []

    def register_section(self, key: str, title, template: str, context: Callable, order: int = 100) -> None:
        if any(section.key == key for section in self.sections):
            return
        self.sections.append(DetailSection(key, title, template, context, order))
        self.sections.sort(key=lambda section: section.order)

    def register_action(self, key: str, label, endpoint: str, method: str = "get", permission: str | None = None,
                        order: int = 100, icon: str | None = None, confirm=None, needs_edit: bool = True) -> None:
        if any(action.key == key for action in self.actions):
            return
        self.actions.append(DetailAction(key, label, endpoint, method.lower(), permission, order, icon, confirm,
                                         needs_edit))
        self.actions.sort(key=lambda action: action.order)
