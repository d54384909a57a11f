"""HTTP pages of the customers domain: the list (filters, columns, saved views, bulk actions, export),
create/edit, the customer's page, transfer and collaborators."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from ..core.dictionaries import choices, item_with_flag
from ..core.errors import DomainError
from ..core.models import User
from ..core.pagination import PAGE_SIZES
from ..core.permissions import require
from ..core.web import apply_field_error as _apply_field_error
from ..extensions import db
from . import services
from .access import CustomerPermission, can_edit, get_customer
from .dictionaries import INDUSTRY, LEVEL, SOURCE, STATUS
from .duplicates import FIELDS as DUPLICATE_FIELDS
from .export import export_customers, export_filename
from .forms import CollaboratorForm, CustomerForm, SaveViewForm, TransferForm
from .models import Customer, CustomerCollaborator
from .sections import ACTIONS, SECTIONS
from .services import (CREDIT_RATINGS, KINDS, NEXT_FOLLOWUP, QUICK_SCOPES, SORT_KEYS, CustomerFilters,
                       DuplicateWarning)

bp = Blueprint("customers", __name__, url_prefix="/customers")

# The list's columns: key -> (heading, sort key or None). The name column is always shown.
LIST_COLUMNS = {
    "kind": (_l("Type"), "kind"),
    "industry": (_l("Industry"), "industry"),
    "source": (_l("Source"), "source"),
    "level": (_l("Level"), "level"),
    "status": (_l("Status"), "status"),
    "credit_rating": (_l("Credit rating"), "credit_rating"),
    "region": (_l("Region"), "region"),
    "address": (_l("Address"), "address"),
    "phone": (_l("Phone"), "phone"),
    "email": (_l("E-mail"), "email"),
    "credit_code": (_l("Credit code"), "credit_code"),
    "tags": (_l("Tags"), None),
    "owner": (_l("Owner"), "owner"),
    "owner_since": (_l("Owner since"), "owner_since"),
    "last_followup_at": (_l("Last follow-up"), "last_followup_at"),
    "next_followup_at": (_l("Next follow-up"), "next_followup_at"),
    "last_deal_at": (_l("Last deal"), "last_deal_at"),
    "created_at": (_l("Created"), "created_at"),
    "updated_at": (_l("Updated"), "updated_at"),
}
DEFAULT_COLUMNS = ("level", "status", "phone", "region", "owner", "last_followup_at", "next_followup_at", "tags")
# Filters behind "more filters" (the first row shows the keyword, quick scope, owner, level and status).
MORE_FILTERS = ("kind", "industry", "source", "credit_rating", "province", "city", "tag", "created_from",
                "created_to", "followup_from", "followup_to", "no_followup_days", "next_followup")
# Query arguments that are not filters: not stored in a saved view's query.
NOT_SAVED = ("page", "cols", "view")
MAX_TICKED = 1000

# Readable names of the fields the edit history records.
FIELD_LABELS = {
    "name": _l("Customer name"), "short_name": _l("Short name"), "kind": _l("Type"), "industry": _l("Industry"),
    "source": _l("Source"), "level": _l("Level"), "status": _l("Status"), "credit_rating": _l("Credit rating"),
    "province": _l("Province"), "city": _l("City"), "district": _l("District"), "address": _l("Address"),
    "phone": _l("Phone"), "email": _l("E-mail"), "website": _l("Website"),
    "credit_code": _l("Unified social credit code"), "remarks": _l("Remarks"), "tags": _l("Tags"),
    "owner": _l("Owner"), "reason": _l("Reason"), "collaborator": _l("Collaborator"),
    "deleted_at": _l("Deleted"), "count": _l("Count"),
}

# Bulk actions of the list: action -> the permission it needs (None: any user who may edit the customers).
BULK_ACTIONS = {
    "transfer": (_l("Assign / transfer to"), CustomerPermission.TRANSFER),
    "tag": (_l("Add tags"), None),
    "level": (_l("Change level"), None),
    "delete": (_l("Delete"), CustomerPermission.DELETE),
    "export": (_l("Export to Excel"), CustomerPermission.EXPORT),
}


# --- request arguments ------------------------------------------------------------------------

def _int(args, name: str) -> int | None:
    value = (args.get(name) or "").strip()
    # Bounded, so a pasted huge number is ignored rather than overflowing an INTEGER column.
    return int(value) if value.isdigit() and len(value) <= 9 else None


def _date(args, name: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat((args.get(name) or "").strip())
    except ValueError:
        return None


def _choice(args, name: str, allowed) -> str | None:
    value = args.get(name) or None
    return value if value in allowed else None


def _short_text(args, name: str, length: int) -> str | None:
    return (args.get(name) or "").strip()[:length] or None


def filters_from(args) -> CustomerFilters:
    """The list's filters from query arguments (unknown or malformed values are ignored)."""
    return CustomerFilters(
        q=_short_text(args, "q", 100), kind=_choice(args, "kind", KINDS),
        industry_id=_int(args, "industry"), source_id=_int(args, "source"), level_id=_int(args, "level"),
        status_id=_int(args, "status"), credit_rating=_choice(args, "credit_rating", CREDIT_RATINGS),
        province=_short_text(args, "province", 30), city=_short_text(args, "city", 30),
        owner_id=_int(args, "owner"), tag_id=_int(args, "tag"),
        created_from=_date(args, "created_from"), created_to=_date(args, "created_to"),
        followup_from=_date(args, "followup_from"), followup_to=_date(args, "followup_to"),
        no_followup_days=_int(args, "no_followup_days"),
        next_followup=_choice(args, "next_followup", NEXT_FOLLOWUP), scope=_choice(args, "scope", QUICK_SCOPES))


def _sort_from(args) -> tuple[str, str]:
    sort = args.get("sort")
    if sort not in SORT_KEYS:
        return services.DEFAULT_SORT
    return sort, "asc" if args.get("dir") == "asc" else "desc"


def _columns_from(args) -> list[str]:
    asked: set[str] = set()
    for value in args.getlist("cols"):
        asked.update(part.strip() for part in value.split(","))
    chosen = [key for key in LIST_COLUMNS if key in asked]
    return chosen or list(DEFAULT_COLUMNS)


def _saved_query(args) -> str:
    """The query string a saved view stores: the filters and sort, without page, columns and view."""
    pairs = [(key, value) for key, values in args.lists() if key not in NOT_SAVED for value in values if value]
    return urlencode(pairs)


def _query_args(query: str | None) -> MultiDict:
    return MultiDict(parse_qsl((query or "").lstrip("?"), keep_blank_values=False))


def _list_url(query: str = "", **extra) -> str:
    args = _query_args(query)
    for key, value in extra.items():
        args.setlist(key, value if isinstance(value, list) else [value])
    pairs = [(key, value) for key, values in args.lists() for value in values if value not in (None, "")]
    return url_for("customers.index") + (f"?{urlencode(pairs)}" if pairs else "")


# --- the list ---------------------------------------------------------------------------------

def _filter_choices() -> dict:
    provinces, cities = services.region_choices(current_user)
    return {
        "kinds": list(KINDS.items()), "industries": choices(INDUSTRY), "sources": choices(SOURCE),
        "levels": choices(LEVEL), "statuses": choices(STATUS), "credit_ratings": CREDIT_RATINGS,
        "provinces": provinces, "cities": cities, "owners": services.owner_choices(current_user, active_only=False),
        "tags": services.tag_choices(), "quick_scopes": list(QUICK_SCOPES.items()),
        "next_followups": list(NEXT_FOLLOWUP.items()),
    }


@bp.get("/")
@login_required
def index():
    args = request.args
    filters = filters_from(args)
    sort, direction = _sort_from(args)
    columns = _columns_from(args)
    page = services.customer_page(current_user, filters, sort, direction, page=_int(args, "page") or 1,
                                  per_page=_int(args, "per_page") or PAGE_SIZES[0])
    views = services.saved_views(current_user)
    view_id = _int(args, "view")
    current_view = next((view for view in views if view.id == view_id), None)
    query = _saved_query(args)
    save_form = SaveViewForm(formdata=None, query=query, columns=",".join(columns),
                             view_name=current_view.name if current_view else "")
    bulk_actions = [(key, label) for key, (label, permission) in BULK_ACTIONS.items()
                    if permission is None or current_user.can(permission)]
    return render_template(
        "customers/list.html", page=page, filters=filters, sort=sort, direction=direction, columns=columns,
        headings=[("name", _("Customer name"), "name")] + [(key, *LIST_COLUMNS[key]) for key in columns],
        chooser=[(key, label, sort_key) for key, (label, sort_key) in LIST_COLUMNS.items()], page_sizes=PAGE_SIZES,
        more_filters_open=any(args.get(name) for name in MORE_FILTERS), views=views, current_view=current_view,
        save_form=save_form, query=query, bulk_actions=bulk_actions, list_url=_list_url,
        transfer_users=services.owner_choices(current_user) if current_user.can(CustomerPermission.TRANSFER)
        else [], **_filter_choices())


# --- saved views ------------------------------------------------------------------------------

@bp.post("/views")
@login_required
def view_save():
    form = SaveViewForm()
    query = _saved_query(_query_args(form.query.data))
    columns = _columns_from(MultiDict({"cols": form.columns.data or ""}))
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(_list_url(query, cols=",".join(columns)))
    try:
        view = services.save_view(current_user, form.view_name.data, query, columns)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(_list_url(query, cols=",".join(columns)))
    flash(_("The view “%(name)s” has been saved.", name=view.name), "success")
    return redirect(_list_url(view.query, cols=view.columns or "", view=str(view.id)))


@bp.get("/views/<int:view_id>")
@login_required
def view_open(view_id: int):
    view = services.get_saved_view(current_user, view_id)
    if view is None:
        abort(404)
    return redirect(_list_url(view.query, cols=view.columns or "", view=str(view.id)))


@bp.post("/views/<int:view_id>/delete")
@login_required
def view_delete(view_id: int):
    view = services.get_saved_view(current_user, view_id)
    if view is None:
        abort(404)
    name = view.name
    services.delete_view(current_user, view)
    db.session.commit()
    flash(_("The view “%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("customers.index"))


# --- bulk actions -----------------------------------------------------------------------------

def _ticked_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("ids"):
        value = value.strip()
        if value.isdigit() and len(value) <= 9:
            ids.append(int(value))
    return sorted(set(ids))


@bp.post("/bulk")
@login_required
def bulk():
    action = request.form.get("action", "")
    if action not in BULK_ACTIONS:
        flash(_("Choose what to do with the customers."), "warning")
        return redirect(_list_url(request.form.get("query", "")))
    permission = BULK_ACTIONS[action][1]
    if permission is not None and not current_user.can(permission):
        abort(403)
    query = _saved_query(_query_args(request.form.get("query")))
    back = _list_url(query, cols=request.form.get("cols", ""))
    args = _query_args(query)
    everything = request.form.get("target") == "all"
    editable = action != "export"
    ids: list[int] = []
    if everything:
        customers = None
    else:
        ids = _ticked_ids()
        if not ids:
            flash(_("Tick at least one customer, or choose all customers matching the filter."), "warning")
            return redirect(back)
        if len(ids) > MAX_TICKED:
            flash(_("At most %(n)d ticked customers at once; choose all matching the filter instead.",
                    n=MAX_TICKED), "warning")
            return redirect(back)
        customers = services.customers_by_ids(current_user, ids, editable=editable)
        if len(customers) != len(ids):
            abort(404)  # an id the user may not see or change: nothing is done

    if action == "export":
        sort, direction = _sort_from(args)
        if everything:
            stmt = services.list_customers(current_user, filters_from(args), sort, direction)
        else:
            stmt = services.list_customers(current_user, None, sort, direction).where(Customer.id.in_(ids))
        output, _count = export_customers(current_user, stmt)
        db.session.commit()
        return send_file(output, as_attachment=True, download_name=export_filename(),
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    if everything:
        customers = services.customers_matching(current_user, filters_from(args), editable=True)
    try:
        if action == "transfer":
            to_user = db.session.get(User, _int(request.form, "to_user_id") or 0)
            count = services.transfer_customers(current_user, customers, to_user,
                                                reason=request.form.get("reason"))
            message = _("%(n)d customers transferred to %(name)s.", n=count,
                        name=to_user.display_name if to_user else "")
        elif action == "tag":
            count = services.add_tags(current_user, customers, request.form.get("tags", ""))
            message = _("Tags added to %(n)d customers.", n=count)
        elif action == "level":
            count = services.set_level(current_user, customers, _int(request.form, "level_id"))
            message = _("The level of %(n)d customers changed.", n=count)
        else:
            count = services.delete_customers(current_user, customers)
            message = _("%(n)d customers moved to the recycle bin.", n=count)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    flash(message, "success")
    return redirect(back)


# --- create and edit --------------------------------------------------------------------------

def _fill_choices(form: CustomerForm, customer: Customer | None, with_owner: bool) -> None:
    blank = "—"
    form.industry_id.choices = choices(INDUSTRY, blank, customer.industry_id if customer else None)
    form.source_id.choices = choices(SOURCE, blank, customer.source_id if customer else None)
    form.level_id.choices = choices(LEVEL, blank, customer.level_id if customer else None)
    form.status_id.choices = choices(STATUS, blank, customer.status_id if customer else None)
    form.owner_id.choices = []
    if with_owner:
        others = [(uid, label) for uid, label in services.owner_choices(current_user) if uid != current_user.id]
        form.owner_id.choices = [("", _("Me"))] + others


def _render_form(form: CustomerForm, customer: Customer | None, matches=None):
    return render_template("customers/form.html", form=form, customer=customer, matches=matches,
                           duplicate_fields=DUPLICATE_FIELDS)


def _save_customer(form: CustomerForm, save):
    """Run create/update for a validated form: commit and return the customer, or roll back and return the
    matches of a duplicate warning (a list) or None after another rule failed."""
    try:
        customer = save()
        db.session.commit()
        return customer, None
    except DuplicateWarning as exc:
        db.session.rollback()
        form.confirm_duplicates.data = False
        return None, exc.matches
    except DomainError as exc:
        db.session.rollback()
        _apply_field_error(form, exc)
        return None, None


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(CustomerPermission.CREATE)
def create():
    with_owner = current_user.can(CustomerPermission.TRANSFER)
    form = CustomerForm()
    _fill_choices(form, None, with_owner)
    if not form.is_submitted():
        new_status = item_with_flag(STATUS, "new")
        form.status_id.data = new_status.id if new_status is not None and new_status.is_active else None
    matches = None
    if form.validate_on_submit():
        customer, matches = _save_customer(
            form, lambda: services.create_customer(current_user, **form.data_for_service(with_owner)))
        if customer is not None:
            flash(_("The customer %(name)s has been created.", name=customer.name), "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return _render_form(form, None, matches)


@bp.route("/<int:customer_id>/edit", methods=["GET", "POST"])
@login_required
def edit(customer_id: int):
    customer = get_customer(current_user, customer_id, editable=True)
    form = CustomerForm(obj=customer)
    _fill_choices(form, customer, False)
    if not form.is_submitted():
        form.tags.data = ", ".join(tag.name for tag in customer.tags)
        form.confirm_duplicates.data = False
    matches = None
    if form.validate_on_submit():
        saved, matches = _save_customer(
            form, lambda: services.update_customer(current_user, customer, **form.data_for_service()))
        if saved is not None:
            flash(_("The customer %(name)s has been saved.", name=saved.name), "success")
            return redirect(url_for("customers.detail", customer_id=saved.id))
    return _render_form(form, customer, matches)


# --- the customer's page ----------------------------------------------------------------------

def _history_value(name: str, value):
    if name == "kind" and value in KINDS:
        return KINDS[value]
    return value


@bp.get("/<int:customer_id>")
@login_required
def detail(customer_id: int):
    customer = get_customer(current_user, customer_id)
    editable = can_edit(current_user, customer)
    sections = []
    for section in SECTIONS:
        context = section.context(current_user, customer, request.args) or {}
        html = render_template(section.template, **{**context, "customer": customer, "can_edit": editable})
        sections.append((section, Markup(html)))
    actions = [action for action in ACTIONS
               if (action.permission is None or current_user.can(action.permission))
               and (editable or not action.needs_edit)]
    collaborators = db.session.scalars(
        select(CustomerCollaborator).options(joinedload(CustomerCollaborator.user))
        .where(CustomerCollaborator.customer_id == customer.id)
        .order_by(CustomerCollaborator.added_at, CustomerCollaborator.user_id)).all()
    collaborator_form = None
    if editable:
        collaborator_form = CollaboratorForm(formdata=None)
        collaborator_form.user_id.choices = [("", "—")] + services.colleague_choices(
            [customer.owner_id] + [row.user_id for row in collaborators])
    return render_template(
        "customers/detail.html", customer=customer, can_edit=editable, sections=sections, actions=actions,
        collaborators=collaborators, collaborator_form=collaborator_form, history=services.edit_history(customer),
        field_labels=FIELD_LABELS, history_value=_history_value, kinds=KINDS,
        can_transfer=current_user.can(CustomerPermission.TRANSFER) and editable,
        can_delete=current_user.can(CustomerPermission.DELETE) and editable)


@bp.route("/<int:customer_id>/transfer", methods=["GET", "POST"])
@login_required
@require(CustomerPermission.TRANSFER)
def transfer(customer_id: int):
    customer = get_customer(current_user, customer_id, editable=True)
    form = TransferForm()
    form.to_user_id.choices = [("", "—")] + [(uid, label) for uid, label in services.owner_choices(current_user)
                                             if uid != customer.owner_id]
    if form.validate_on_submit():
        try:
            to_user = db.session.get(User, form.to_user_id.data)
            services.transfer_customers(current_user, [customer], to_user, reason=form.reason.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            flash(_("%(customer)s now belongs to %(name)s.", customer=customer.name, name=to_user.display_name),
                  "success")
            return redirect(url_for("customers.detail", customer_id=customer.id))
    return render_template("customers/transfer.html", form=form, customer=customer)


@bp.post("/<int:customer_id>/delete")
@login_required
@require(CustomerPermission.DELETE)
def delete(customer_id: int):
    customer = get_customer(current_user, customer_id, editable=True)
    name = customer.name
    try:
        services.delete_customers(current_user, [customer])
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("customers.detail", customer_id=customer_id))
    flash(_("The customer %(name)s has been moved to the recycle bin.", name=name), "success")
    return redirect(url_for("customers.index"))


@bp.post("/<int:customer_id>/collaborators")
@login_required
def collaborator_add(customer_id: int):
    customer = get_customer(current_user, customer_id, editable=True)
    form = CollaboratorForm()
    form.user_id.choices = services.colleague_choices([customer.owner_id])
    if not form.validate_on_submit():
        flash(_("Choose a colleague."), "danger")
    else:
        try:
            user = db.session.get(User, form.user_id.data)
            services.set_collaborator(current_user, customer, user, bool(form.can_edit.data))
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            flash(_("%(name)s now shares this customer.", name=user.display_name), "success")
    return redirect(url_for("customers.detail", customer_id=customer_id, _anchor="collaborators"))


@bp.post("/<int:customer_id>/collaborators/<int:user_id>/remove")
@login_required
def collaborator_remove(customer_id: int, user_id: int):
    customer = get_customer(current_user, customer_id)
    user = db.session.get(User, user_id)
    if user is None or db.session.get(CustomerCollaborator, (customer.id, user_id)) is None:
        abort(404)
    if user.id != current_user.id and not can_edit(current_user, customer):
        abort(403)
    services.remove_collaborator(current_user, customer, user)
    db.session.commit()
    flash(_("%(name)s no longer shares this customer.", name=user.display_name), "success")
    if user.id == current_user.id:
        return redirect(url_for("customers.index"))
    return redirect(url_for("customers.detail", customer_id=customer_id, _anchor="collaborators"))
