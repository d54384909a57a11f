"""Who may record payments and invoices and read receivables. Every row is scoped through the "contract" record
type on the owner copied from the contract, so finance (scope: all) and managers see what their contract scope
covers, and a salesperson their own contracts."""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l

from ..contracts.access import CONTRACT, get_contract, may_edit_owner
from ..contracts.models import Contract
from ..core.models import User
from ..core.permissions import register_permission, scope_condition

_MONEY = ("finance", "sales_director", "sales_manager")


class PaymentPermission:
    # Recording money is the finance department's and the sales managers' job by default; a salesperson sees
    # the payments of their own contracts but does not record them (an administrator may grant it: the data
    # scope still limits it to the contracts they may see).
    RECORD = register_permission("payment.record", _l("Record payments and refunds"), _l("Payments"),
                                 default_roles=_MONEY)
    INVOICE = register_permission("invoice.record", _l("Issue and void invoices"), _l("Payments"),
                                  default_roles=("finance",))
    RECEIVABLES = register_permission("receivables.view", _l("View receivables and aging"), _l("Payments"),
                                      default_roles=_MONEY)


def owner_condition(user: User, owner_column):
    """Rows (instalments, payments, invoices) whose copied contract owner is in the user's contract scope."""
    return scope_condition(user, owner_column, CONTRACT)


def contract_for_money(user: User, contract_id: int, permission: str) -> Contract:
    """The contract if the user may see it (else 404) and holds `permission` (else 403)."""
    contract = get_contract(user, contract_id)
    if not user.can(permission):
        abort(403)
    return contract


def may_edit_plan(user: User, contract: Contract) -> bool:
    """The payment plan is kept by whoever may edit the contract's owner's contracts (the owner, a manager) or
    record its payments (finance); the contract's own lock does not apply: dates move after signing."""
    return may_edit_owner(user, contract) or user.can(PaymentPermission.RECORD)
