"""Administration pages for dictionaries (数据字典) and site settings such as the duplicate-check rules."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.audit import register_entity_labels, register_field_labels
from ..core.dictionaries import DICTIONARIES, DictionaryItem
from ..core.errors import DomainError
from ..core.permissions import Permission, require
from ..core.web import apply_field_error as _apply_field_error
from ..customers import duplicates
from ..extensions import db
from . import dictionary_services as services
from .dictionary_forms import DictionaryItemForm, MoveForm, SettingsForm
from .views import bp

# The audit log names dictionary values and settings readably.
register_entity_labels({"dictionary_items": _l("Dictionary value")})
register_field_labels({"label": _l("Value"), "flag": _l("Meaning to the software"), "kind": _l("Dictionary"),
                       duplicates.BLOCKING_KEY: _l("Duplicate check: fields that block saving")})


def _get_item(item_id: int) -> DictionaryItem:
    item = db.session.get(DictionaryItem, item_id)
    if item is None or item.kind not in DICTIONARIES:
        abort(404)
    return item


def _render_dictionaries(kind: str, form: DictionaryItemForm):
    return render_template("admin/dictionaries.html", dictionaries=services.dictionaries(), kind=kind,
                           kind_label=services.dictionary_label(kind), items=services.items_of(kind),
                           usage=services.usage_counts(kind), form=form, flag_label=services.flag_label,
                           action_form=MoveForm())


@bp.get("/dictionaries")
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def dictionaries():
    kind = request.args.get("kind", "")
    if kind not in DICTIONARIES:
        listed = services.dictionaries()
        if not listed:
            return render_template("admin/dictionaries.html", dictionaries=[], kind=None, items=[], usage={},
                                   form=None, flag_label=services.flag_label, action_form=MoveForm())
        kind = listed[0].kind
    return _render_dictionaries(kind, DictionaryItemForm().set_kind(kind))


@bp.post("/dictionaries/<kind>/items")
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def dictionary_item_create(kind: str):
    if kind not in DICTIONARIES:
        abort(404)
    form = DictionaryItemForm().set_kind(kind)
    if form.validate_on_submit():
        try:
            item = services.create_item(current_user, kind, **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            flash(_("%(value)s has been added.", value=item.label), "success")
            return redirect(url_for("admin.dictionaries", kind=kind))
    return _render_dictionaries(kind, form)


@bp.route("/dictionaries/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def dictionary_item_edit(item_id: int):
    item = _get_item(item_id)
    form = DictionaryItemForm(obj=item).set_kind(item.kind)
    if form.validate_on_submit():
        try:
            services.update_item(current_user, item, **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            flash(_("%(value)s has been saved.", value=item.label), "success")
            return redirect(url_for("admin.dictionaries", kind=item.kind))
    return render_template("admin/dictionaries_item_form.html", form=form, item=item,
                           kind_label=services.dictionary_label(item.kind))


def _item_action(item_id: int, action, success):
    """Run a one-button action on a value; `success(label)` is the message shown when it worked."""
    item = _get_item(item_id)
    kind, label = item.kind, item.label
    try:
        action(item)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(success(label), "success")
    return redirect(url_for("admin.dictionaries", kind=kind))


@bp.post("/dictionaries/items/<int:item_id>/move")
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def dictionary_item_move(item_id: int):
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    return _item_action(item_id, lambda item: services.move_item(current_user, item, form.direction.data),
                        lambda value: _("%(value)s has been moved.", value=value))


@bp.post("/dictionaries/items/<int:item_id>/deactivate")
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def dictionary_item_deactivate(item_id: int):
    return _item_action(item_id, lambda item: services.set_item_active(current_user, item, False),
                        lambda value: _("%(value)s has been deactivated: records keep it, new ones cannot "
                                        "choose it.", value=value))


@bp.post("/dictionaries/items/<int:item_id>/activate")
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def dictionary_item_activate(item_id: int):
    return _item_action(item_id, lambda item: services.set_item_active(current_user, item, True),
                        lambda value: _("%(value)s has been activated.", value=value))


@bp.post("/dictionaries/items/<int:item_id>/delete")
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def dictionary_item_delete(item_id: int):
    return _item_action(item_id, lambda item: services.delete_item(current_user, item),
                        lambda value: _("%(value)s has been deleted.", value=value))


# --- settings -------------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@login_required
@require(Permission.ADMIN_DICTIONARIES)
def settings():
    form = SettingsForm()
    form.blocking_fields.choices = [(name, str(label)) for name, label in duplicates.FIELDS.items()]
    if not form.is_submitted():
        form.blocking_fields.data = sorted(duplicates.blocking_fields())
    if form.validate_on_submit():
        try:
            duplicates.set_blocking_fields(current_user, form.blocking_fields.data or [])
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            flash(_("The settings have been saved."), "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, field_labels=duplicates.FIELDS)
