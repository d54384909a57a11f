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


@dataclass(frozen=True)
class DetailAction:
    key: str                 # html id of the button, e.g. "release-to-pool"
    label: object            # lazy-translated text of the button
    endpoint: str            # url_for(endpoint, customer_id=customer.id)
    method: str = "get"      # "get": a link; "post": a button in a form with the CSRF token
    permission: str | None = None  # shown only to users whose role holds it
    order: int = 100
    icon: str | None = None  # a Bootstrap Icons class, e.g. "bi-box-arrow-right"
    confirm: object | None = None  # for "post": the question asked before submitting
    needs_edit: bool = True  # shown only to users who may edit the customer


# Buttons other domains add to the customer's page (e.g. "release to the public pool").
ACTIONS: list[DetailAction] = []


def register_action(key: str, label, endpoint: str, method: str = "get", permission: str | None = None,
                    order: int = 100, icon: str | None = None, confirm=None, needs_edit: bool = True) -> None:
    if any(action.key == key for action in ACTIONS):
        return
    ACTIONS.append(DetailAction(key, label, endpoint, method.lower(), permission, order, icon, confirm, needs_edit))
    ACTIONS.sort(key=lambda action: action.order)
