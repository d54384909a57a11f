"""Who may see and change which contract: the data scope of its owner ("contract" record type). Every list,
detail, print, export, receivable and aging figure of contracts reads through `contract_condition`; the
payments domain scopes instalments, payments and invoices by the same record type on their copied owner."""
from __future__ import annotations

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ..core.models import User
from ..core.permissions import can_see_owner, register_permission, register_record_type, scope_condition
from ..extensions import db
from .models import DRAFT, REJECTED, Contract

CONTRACT = register_record_type("contract", _l("Contracts"))

_SALES = ("sales_director", "sales_manager", "sales")
_MANAGERS = ("sales_director", "sales_manager")


class ContractPermission:
    EDIT = register_permission("contract.edit", _l("Create and edit contracts"), _l("Contracts"),
                               default_roles=_SALES)
    TERMINATE = register_permission("contract.terminate", _l("Terminate and delete contracts"), _l("Contracts"),
                                    default_roles=_MANAGERS)
    TEMPLATES = register_permission("contract.templates", _l("Edit contract templates and numbering"),
                                    _l("Contracts"))


def contract_condition(user: User):
    """Live contracts (not revision rows) whose owner is in the user's data scope for contracts."""
    return (Contract.deleted_at.is_(None) & Contract.revision_of_id.is_(None)
            & scope_condition(user, Contract.owner_id, CONTRACT))


def visible_contracts(user: User, stmt: Select | None = None) -> Select:
    """`stmt` (default: select(Contract)) restricted to the contracts `user` may see."""
    stmt = select(Contract) if stmt is None else stmt
    return stmt.where(contract_condition(user))


def may_edit_owner(user: User, contract: Contract) -> bool:
    """The owner, or a user who may edit contracts and whose scope covers the owner (finance may not)."""
    if contract.deleted_at is not None:
        return False
    if contract.owner_id == user.id:
        return user.can(ContractPermission.EDIT)
    return user.can(ContractPermission.EDIT) and can_see_owner(user, contract.owner_id, CONTRACT)


def can_edit(user: User, contract: Contract) -> bool:
    """Only a draft or a rejected contract (or revision) changes, and only by those `may_edit_owner` allows."""
    return contract.status in (DRAFT, REJECTED) and may_edit_owner(user, contract)


def get_contract(user: User, contract_id: int, editable: bool = False) -> Contract:
    """The contract if `user` may see it (404 otherwise, so ids reveal nothing), and edit it (else 403)."""
    contract = db.session.scalar(visible_contracts(user).where(Contract.id == contract_id))
    if contract is None:
        abort(404)
    if editable and not can_edit(user, contract):
        abort(403)
    return contract


def document_condition(user: User):
    """Contracts and their revision rows (which share their contract's owner) in the user's scope: the contract
    page also shows a revision, which is a document of its own in the approval flows."""
    return Contract.deleted_at.is_(None) & scope_condition(user, Contract.owner_id, CONTRACT)


def get_document(user: User, contract_id: int, editable: bool = False) -> Contract:
    """As get_contract, for a contract or a revision row."""
    contract = db.session.scalar(select(Contract).where(Contract.id == contract_id, document_condition(user)))
    if contract is None:
        abort(404)
    if editable and not can_edit(user, contract):
        abort(403)
    return contract
