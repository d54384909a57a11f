"""Small helpers every domain's views share: query arguments, 404s, and the save-or-show-the-error step."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, request

from ..extensions import db
from .errors import DomainError


def int_arg(name: str, args=None) -> int | None:
    """A whole-number query (or form) argument, else None. Bounded, so a pasted huge number is ignored rather
    than overflowing an INTEGER column."""
    value = (args if args is not None else request.args).get(name, "")
    return int(value) if value.isdigit() and len(value) <= 9 else None


def date_arg(name: str, args=None) -> dt.date | None:
    try:
        return dt.date.fromisoformat((args if args is not None else request.args).get(name, ""))
    except ValueError:
        return None


def get_or_404(model, record_id: int):
    record = db.session.get(model, record_id)
    if record is None:
        abort(404)
    return record


def apply_field_error(form, exc: DomainError) -> None:
    """Show a service's message beside the field it names, or at the top of the page."""
    field = form._fields.get(exc.field) if exc.field else None
    if field is not None:
        field.errors = list(field.errors) + [exc.message]
    else:
        flash(exc.message, "danger")


def save_form(form, action, success=None) -> bool:
    """Run a service call for a validated form: commit once and flash `success` (a text, or a function of what
    the call returned), or roll back and show the rule that was broken beside its field."""
    try:
        result = action()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        apply_field_error(form, exc)
        return False
    if success is not None:
        flash(success(result) if callable(success) else success, "success")
    return True
