"""Pages of the duplicate check (查重), merging two customers, and the recycle bin (回收站)."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.navigation import register_nav
from ..core.pagination import paginate
from ..core.permissions import require
from ..core.web import apply_field_error as _apply_field_error, int_arg as _int_arg
from ..extensions import db
from . import merge as merging
from . import recycle_bin as bin_service
from .access import CustomerPermission, get_customer
from .duplicates import FIELDS, blocking_fields, find_duplicates
from .merge_forms import DuplicateCheckForm, RestoreForm, merge_form
from .models import Customer
from .views import bp

# The customer's own page, which the customers list module serves.
DETAIL_ENDPOINT = "customers.detail"
KIND_LABELS = {"company": _l("Company"), "individual": _l("Individual")}

register_nav("customers.recycle_bin", "bi-trash3", _l("Recycle bin"), _l("System administration"),
             CustomerPermission.RECYCLE_BIN, order=935)


def customer_url(customer_id: int) -> str | None:
    """The address of a customer's page (None until the module serving it is loaded)."""
    if DETAIL_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(DETAIL_ENDPOINT, customer_id=customer_id)


def _owner_label(match) -> str:
    return match.owner_name if match.owner_name is not None else _("Public pool")


# --- duplicate check ----------------------------------------------------------------------------

def _matches(form: DuplicateCheckForm):
    if not form.has_input():
        return None
    form.validate()
    values = form.data_for_service()
    if not any(values.values()):
        return []
    return find_duplicates(current_user, exclude_id=_int_arg("exclude"), **values)


@bp.get("/duplicates")
@login_required
@require(CustomerPermission.CREATE)
def duplicates():
    form = DuplicateCheckForm(request.args)
    matches = _matches(form)
    return render_template("customers/duplicates.html", form=form, matches=matches, field_labels=FIELDS,
                           blocking=blocking_fields(), owner_label=_owner_label, customer_url=customer_url)


@bp.get("/duplicates.json")
@login_required
@require(CustomerPermission.CREATE)
def duplicates_json():
    """The duplicate check for forms that check while the user types (static/js/duplicates.js)."""
    form = DuplicateCheckForm(request.args)
    blocking = blocking_fields()
    rows = []
    for match in _matches(form) or []:
        rows.append({
            "name": match.name,
            "owner": _owner_label(match),
            "fields": match.fields,
            "field_labels": [str(FIELDS[f]) for f in match.fields],
            "url": customer_url(match.customer_id) if match.visible else None,
            "blocking": any(f in blocking for f in match.fields),
        })
    return jsonify(matches=rows, messages={
        "title": _("Possible duplicates"),
        "blocking": _("Blocks saving"),
        "matched_on": _("Matched on"),
        "hidden": _("You cannot open this customer; ask its owner."),
    })


# --- merge ----------------------------------------------------------------------------------------

@bp.get("/<int:customer_id>/merge")
@login_required
@require(CustomerPermission.MERGE)
def merge_pick(customer_id: int):
    customer = get_customer(current_user, customer_id, editable=True)
    search = request.args.get("q", "").strip()[:100]
    candidates = merging.merge_candidates(current_user, customer, search or None)
    return render_template("customers/merge_pick.html", customer=customer, search=search, candidates=candidates,
                           customer_url=customer_url)


def _display(customer: Customer, field: str) -> str:
    value = getattr(customer, field)
    if field == "kind":
        return str(KIND_LABELS.get(value, value or ""))
    return "" if value is None else str(value)


@bp.route("/<int:customer_id>/merge/<int:other_id>", methods=["GET", "POST"])
@login_required
@require(CustomerPermission.MERGE)
def merge(customer_id: int, other_id: int):
    keep = get_customer(current_user, customer_id, editable=True)
    other = get_customer(current_user, other_id, editable=True)
    if keep.id == other.id:
        flash(_("A customer cannot be merged with itself."), "danger")
        return redirect(url_for("customers.merge_pick", customer_id=keep.id))
    form = merge_form(keep, other)
    if form.validate_on_submit():
        try:
            result = merging.merge_customers(current_user, keep, other, form.choices())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            moved = ", ".join(f"{merging.table_label(t)} {n}" for t, n in result.moved.items())
            flash(_("%(other)s has been merged into %(name)s.", other=result.merged.name, name=result.kept.name)
                  + (" " + _("Moved: %(what)s.", what=moved) if moved else ""), "success")
            return redirect(customer_url(keep.id) or url_for("customers.merge_pick", customer_id=keep.id))
    # Only the fields where the two differ need a choice; the others stay as they are.
    rows = [(name, label, _display(keep, name), _display(other, name)) for name, label in
            merging.MERGE_FIELDS.items() if _display(keep, name) != _display(other, name)]
    counts = {"keep": merging.related_counts(keep.id), "other": merging.related_counts(other.id)}
    tables = sorted(set(counts["keep"]) | set(counts["other"]))
    return render_template("customers/merge.html", keep=keep, other=other, form=form, rows=rows, counts=counts,
                           tables=[(t, merging.table_label(t)) for t in tables], customer_url=customer_url)


# --- recycle bin ----------------------------------------------------------------------------------

@bp.get("/recycle-bin")
@login_required
@require(CustomerPermission.RECYCLE_BIN)
def recycle_bin():
    search = request.args.get("q", "").strip()[:100]
    show = request.args.get("show", "")
    show = show if show in bin_service.SHOW_CHOICES else ""
    stmt = bin_service.recycle_bin_query(current_user, search or None, show)
    page = paginate(stmt, page=_int_arg("page") or 1, per_page=_int_arg("per_page") or 20, scalars=False)
    return render_template("customers/recycle_bin.html", page=page, search=search, show=show,
                           show_choices=bin_service.SHOW_CHOICES, form=RestoreForm(), customer_url=customer_url)


def _back_to_bin():
    bin_url = url_for("customers.recycle_bin", _external=True)
    back = request.referrer if request.referrer and request.referrer.startswith(bin_url) else None
    return redirect(back or url_for("customers.recycle_bin"))


def _restore(ids) -> None:
    try:
        restored = bin_service.restore_customers(current_user, ids)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        if len(restored) == 1:
            flash(_("%(name)s has been restored.", name=restored[0].name), "success")
        else:
            flash(_("%(count)d customers have been restored.", count=len(restored)), "success")


@bp.post("/recycle-bin/restore")
@login_required
@require(CustomerPermission.RECYCLE_BIN)
def recycle_bin_restore():
    form = RestoreForm()
    if form.validate_on_submit():
        _restore(form.ids.data or [])
    else:
        flash(_("Choose the customers to restore."), "danger")
    return _back_to_bin()


@bp.post("/recycle-bin/<int:customer_id>/restore")
@login_required
@require(CustomerPermission.RECYCLE_BIN)
def recycle_bin_restore_one(customer_id: int):
    # The app-wide CSRF protection has checked the token; the form's checked boxes do not matter here.
    found = db.session.scalar(select(Customer.id).where(bin_service.deleted_condition(current_user),
                                                        Customer.id == customer_id))
    if found is None:
        abort(404)
    _restore([customer_id])
    return _back_to_bin()
