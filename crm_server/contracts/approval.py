"""The "contract" document type of the approval flows: the facts a flow's conditions test, and what approval,
rejection and withdrawal do. A revision row of an active contract is a "contract" document too: approving it
applies its terms to its contract."""
from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from ..approvals.registry import DocumentType, Fact, register_document_type
from ..core.permissions import can_see_owner
from ..customers.services import CREDIT_RATINGS
from ..extensions import db
from . import services
from .access import CONTRACT
from .models import TYPES, Contract


def _load(document_id: int) -> Contract | None:
    contract = db.session.get(Contract, document_id)
    return contract if contract is not None and contract.deleted_at is None else None


def _title(contract: Contract) -> str:
    if contract.revision_of_id is not None:
        return f"{contract.number} {contract.title} ({services.revision_label(contract)})"
    return f"{contract.number} {contract.title} · {contract.customer.name}"


def _can_view(user, contract: Contract) -> bool:
    return contract.deleted_at is None and can_see_owner(user, contract.owner_id, CONTRACT)


def _discount(contract: Contract):
    """The effective discount of the quote the contract was made from (its largest line's), if any."""
    return contract.quote.max_discount_percent if contract.quote is not None else None


CONTRACT_DOCUMENT = register_document_type(DocumentType(
    code=services.DOCUMENT_TYPE,
    label=_l("Contract"),
    facts={
        "amount": Fact(_l("Contract amount"), "money", lambda contract: contract.amount),
        "payment_days": Fact(_l("Payment period (days)"), "int", lambda contract: contract.payment_days),
        "customer_credit_rating": Fact(_l("Customer credit rating"), "rating",
                                       lambda contract: contract.customer.credit_rating or None,
                                       choices=CREDIT_RATINGS),
        "discount_percent": Fact(_l("Discount of the quote %"), "percent", _discount),
        "contract_type": Fact(_l("Contract type"), "choice", lambda contract: contract.contract_type,
                              choices=tuple((code, services.TYPE_LABELS[code]) for code in TYPES)),
    },
    load=_load,
    title=_title,
    owner_id=lambda contract: contract.owner_id,
    url=lambda contract: url_for("contracts.detail", contract_id=contract.id),
    can_view=_can_view,
    amount=lambda contract: contract.amount,
    on_approved=services.approved,
    on_rejected=services.rejected,
    on_withdrawn=services.withdrawn,
))
