"""The document types that go through approval flows. The domain owning a document registers its type at import:
the facts conditions may test, how to load, name and link the document, and what happens when the approval ends.
The approvals domain calls back into the owner; it imports none of them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class Fact:
    """A value of a document a flow's condition tests, e.g. the contract's amount.
    kind: "money" / "percent" / "int" (compared as numbers) or "rating" (compared in `choices` order, the
    first being the best: "below A" means B or C)."""

    label: object
    kind: str
    get: Callable  # get(document) -> value or None (a condition on a missing value does not hold)
    choices: tuple = ()


@dataclass(frozen=True)
class DocumentType:
    code: str                  # e.g. "contract", "quote_discount", "payment_refund"
    label: object              # lazy-translated, e.g. 合同
    facts: dict[str, Fact]
    load: Callable             # load(document_id) -> document or None
    title: Callable            # title(document) -> str shown in lists and reminders
    owner_id: Callable         # owner_id(document) -> int: whose manager/department/branch the steps follow
    url: Callable              # url(document) -> the document's page
    can_view: Callable         # can_view(user, document) -> bool (the owner's data scope)
    amount: Callable = lambda document: None  # amount(document) -> Decimal or None, shown in lists
    on_approved: Callable = lambda actor, document: None       # the last step approved
    on_rejected: Callable = lambda actor, document, comment: None  # a step rejected (comment given)
    on_withdrawn: Callable = lambda actor, document: None      # the submitter took it back
    extra: dict = field(default_factory=dict)


DOCUMENT_TYPES: dict[str, DocumentType] = {}


def register_document_type(document_type: DocumentType) -> DocumentType:
    DOCUMENT_TYPES[document_type.code] = document_type
    return document_type


def document_type(code: str) -> DocumentType:
    return DOCUMENT_TYPES[code]
