"""HTTP pages of the contacts domain: the list, a contact's page, and adding, editing and deleting contacts."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..core.errors import DomainError
from ..core.pagination import paginate
from ..core.web import int_arg as _int_arg, save_form as _save
from ..customers.access import can_edit, get_customer
from ..extensions import db
from . import services
from .forms import ContactForm
from .sections import PANELS

bp = Blueprint("contacts", __name__, url_prefix="/contacts")


def customer_url(customer_id: int, anchor: str | None = "contacts") -> str:
    """The customer's page at its contacts section."""
    return url_for("customers.detail", customer_id=customer_id, _anchor=anchor)


@bp.get("/")
@login_required
def index():
    filters = services.ContactFilters(
        q=request.args.get("q", "").strip() or None,
        decision_role=request.args.get("decision_role") or None,
        birthday_this_month=request.args.get("birthday") == "month",
        customer_id=_int_arg("customer"),
        sort=request.args.get("sort") if request.args.get("sort") in services.SORTS else "customer")
    customer = services.visible_customer(current_user, filters.customer_id)
    if customer is None:
        filters.customer_id = None
    page = paginate(services.contact_query(current_user, filters), page=_int_arg("page") or 1,
                    per_page=_int_arg("per_page") or 20)
    return render_template("contacts/list.html", page=page, filters=filters, customer=customer,
                           decision_roles=services.DECISION_ROLES, sorts=services.SORTS)


@bp.get("/<int:contact_id>")
@login_required
def detail(contact_id: int):
    contact = services.get_contact(current_user, contact_id)
    editable = can_edit(current_user, contact.customer)
    # Each panel is rendered with its own variables, as the customer page renders its sections.
    panels = [(panel, Markup(render_template(panel.template, contact=contact, can_edit=editable,
                                             **panel.context(current_user, contact, request.args))))
              for panel in PANELS]
    return render_template("contacts/detail.html", contact=contact, can_edit=editable, panels=panels,
                           decision_roles=services.DECISION_ROLES, genders=services.GENDERS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    customer_id = _int_arg("customer_id")
    if customer_id is None:
        term = request.args.get("q", "").strip()
        return render_template("contacts/pick_customer.html", term=term,
                               customers=services.editable_customers(current_user, term),
                               target="contacts.create")
    customer = get_customer(current_user, customer_id, editable=True)
    form = ContactForm()
    if form.validate_on_submit():
        created = []
        if _save(form, lambda: created.append(
                services.create_contact(current_user, customer, **form.data_for_service()))):
            flash(_("The contact %(name)s has been added.", name=created[0].name), "success")
            if request.form.get("then") == "another":
                return redirect(url_for("contacts.create", customer_id=customer.id))
            return redirect(customer_url(customer.id))
    return render_template("contacts/form.html", form=form, contact=None, customer=customer)


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@login_required
def edit(contact_id: int):
    contact = services.get_contact(current_user, contact_id, editable=True)
    form = ContactForm(obj=contact)
    if not form.is_submitted():
        form.gender.data = contact.gender or ""
        form.decision_role.data = contact.decision_role or ""
    if form.validate_on_submit():
        if _save(form, lambda: services.update_contact(current_user, contact, **form.data_for_service())):
            flash(_("The contact has been saved."), "success")
            return redirect(url_for("contacts.detail", contact_id=contact.id))
    return render_template("contacts/form.html", form=form, contact=contact, customer=contact.customer)


@bp.post("/<int:contact_id>/primary")
@login_required
def make_primary(contact_id: int):
    contact = services.get_contact(current_user, contact_id, editable=True)
    customer_id = contact.customer_id
    try:
        services.set_primary(current_user, contact)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("%(name)s is now the primary contact.", name=contact.name), "success")
    return redirect(customer_url(customer_id))


@bp.post("/<int:contact_id>/delete")
@login_required
def delete(contact_id: int):
    contact = services.get_contact(current_user, contact_id, editable=True)
    customer_id, name = contact.customer_id, contact.name
    try:
        services.delete_contact(current_user, contact)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("contacts.detail", contact_id=contact_id))
    flash(_("The contact %(name)s has been deleted.", name=name), "success")
    return redirect(customer_url(customer_id))
