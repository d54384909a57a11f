"""What other domains do when a contract changes, without contracts importing them: the payments domain keeps
the instalments' copied owner and their "effective" flag in step. Hooks run inside the changing transaction."""
from __future__ import annotations

from typing import Callable

STATUS_HOOKS: list[Callable] = []  # hook(contract, old_status): after contract.status changed (flushed)
OWNER_HOOKS: list[Callable] = []   # hook(contract, old_owner_id): after contract.owner_id changed (flushed)
APPLY_HOOKS: list[Callable] = []   # hook(contract, old_amount): after an approved revision changed its terms


def on_status_changed(func: Callable) -> Callable:
    STATUS_HOOKS.append(func)
    return func


def on_owner_changed(func: Callable) -> Callable:
    OWNER_HOOKS.append(func)
    return func


def on_revision_applied(func: Callable) -> Callable:
    APPLY_HOOKS.append(func)
    return func


def status_changed(contract, old_status: str) -> None:
    for hook in STATUS_HOOKS:
        hook(contract, old_status)


def owner_changed(contract, old_owner_id: int) -> None:
    for hook in OWNER_HOOKS:
        hook(contract, old_owner_id)


def revision_applied(contract, old_amount) -> None:
    for hook in APPLY_HOOKS:
        hook(contract, old_amount)
