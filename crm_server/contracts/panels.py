"""The contracts sections of the customer's and the opportunity's pages."""
from __future__ import annotations

from .access import ContractPermission
from ..opportunities.models import WON as WON_STATUS
from .services import STATUS_LABELS, contracts_of

SECTION_SIZE = 10


def customer_section(user, customer, _args) -> dict:
    contracts, total = contracts_of(user, customer_id=customer.id, limit=SECTION_SIZE)
    return {"contracts": contracts, "contracts_total": total, "contract_statuses": STATUS_LABELS,
            "new_contract_args": {"customer_id": customer.id}, "all_contracts_args": {"customer": customer.id},
            "may_create_contract": user.can(ContractPermission.EDIT) and customer.deleted_at is None}


def opportunity_section(user, opportunity, _args) -> dict:
    contracts, total = contracts_of(user, opportunity_id=opportunity.id, limit=SECTION_SIZE)
    return {"contracts": contracts, "contracts_total": total, "contract_statuses": STATUS_LABELS,
            "new_contract_args": {"opportunity_id": opportunity.id},
            "all_contracts_args": {"opportunity": opportunity.id},
            "may_create_contract": (user.can(ContractPermission.EDIT) and opportunity.deleted_at is None
                                    and opportunity.status == WON_STATUS)}
