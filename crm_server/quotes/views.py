"""HTTP pages of quotes: the list, create/edit with the line editor, the detail page with its status actions,
approval, the PDF and print view, and the settings page (discount limits, numbering)."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..approvals import services as approval_services
from ..core.errors import DomainError
from ..core.pagination import PAGE_SIZES, paginate
from ..core.permissions import require
from ..core.roles import role_label
from ..core.search import contains
from ..core.web import apply_field_error, date_arg, int_arg, save_form
from ..customers.access import visible_customers
from ..customers.models import Customer
from ..extensions import db
from ..opportunities import services as opportunity_services
from ..opportunities.access import get_opportunity
from ..products import services as product_services
from . import services
from .access import QuotePermission, can_edit, get_quote
from .forms import DecisionForm, QuoteForm, settings_form
from .models import APPROVED, DRAFT, PENDING, SENT, STATUSES
from .pdf import render_quote_pdf
from .services import STATUS_LABELS, QuoteFilters

bp = Blueprint("quotes", __name__, url_prefix="/quotes")


def filters_from(args) -> QuoteFilters:
    status = args.get("status")
    return QuoteFilters(q=(args.get("q") or "").strip()[:100] or None, status=status if status in STATUSES else None,
                        owner_id=int_arg("owner", args), customer_id=int_arg("customer", args),
                        opportunity_id=int_arg("opportunity", args), date_from=date_arg("date_from", args),
                        date_to=date_arg("date_to", args), all_versions=args.get("versions") == "all")


@bp.get("/")
@login_required
def index():
    filters = filters_from(request.args)
    page = paginate(services.list_quotes(current_user, filters), page=int_arg("page") or 1,
                    per_page=int_arg("per_page") or PAGE_SIZES[0])
    customer = None
    if filters.customer_id:
        customer = db.session.scalar(visible_customers(current_user).where(Customer.id == filters.customer_id))
    return render_template("quotes/list.html", page=page, filters=filters, statuses=STATUS_LABELS,
                           owners=services.owner_choices(current_user), customer=customer,
                           can_create=current_user.can(QuotePermission.EDIT))


# --- create and edit --------------------------------------------------------------------------

def _fill_choices(form: QuoteForm, customer: Customer, on) -> None:
    form.customer_id.choices = [(customer.id, customer.name)]
    form.opportunity_id.choices = [("", "—")] + opportunity_services.opportunity_choices(current_user, customer.id)
    current = form.opportunity_id.data
    if current and current not in {value for value, _label in form.opportunity_id.choices}:
        opportunity = get_opportunity(current_user, current)
        form.opportunity_id.choices.append((opportunity.id, opportunity.name))
    form.contact_id.choices = [("", "—")] + services.contact_choices(customer.id)
    form.price_list_id.choices = [("", _("List price"))] + product_services.price_list_choices(on)


def _render_form(form: QuoteForm, customer: Customer, quote=None):
    return render_template("quotes/form.html", form=form, customer=customer, quote=quote,
                           lookup_url=url_for("products.lookup") if "products.lookup" in current_app.view_functions
                           else None)


def _form_step(form: QuoteForm) -> bool:
    """The "more rows" button posts the form only to show more empty rows (the line editor without JavaScript)."""
    if "add_rows" in request.form:
        form.add_blank_rows()
        return True
    return False


def _picker():
    term = (request.args.get("q") or "").strip()[:100]
    stmt = visible_customers(current_user)
    if term:
        stmt = stmt.where(contains(Customer.name, term))
    customers = db.session.scalars(stmt.order_by(Customer.updated_at.desc(), Customer.id.desc()).limit(20)).all()
    return render_template("quotes/pick_customer.html", customers=customers, term=term)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(QuotePermission.EDIT)
def create():
    opportunity = None
    opportunity_id = int_arg("opportunity_id")
    if opportunity_id:
        opportunity = get_opportunity(current_user, opportunity_id)
        customer_id = opportunity.customer_id
    else:
        customer_id = int_arg("customer_id")
        if not customer_id:
            return _picker()
    customer = db.session.scalar(visible_customers(current_user).where(Customer.id == customer_id))
    if customer is None:
        abort(404)
    today = services.site_today()
    form = QuoteForm()
    if not form.is_submitted():
        form.quote_date.data = today
        form.valid_until.data = today + dt.timedelta(days=services.DEFAULT_VALID_DAYS)
        form.opportunity_id.data = opportunity.id if opportunity else None
        form.title.data = opportunity.name if opportunity else ""
        _set_rows(form, [{"product_id": str(line.product_id or ""), "description": line.description,
                          "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                          "discount_percent": str(line.discount_percent)}
                         for line in (opportunity.lines if opportunity else [])])
    _fill_choices(form, customer, form.quote_date.data or today)
    if form.is_submitted() and _form_step(form):
        return _render_form(form, customer)
    if form.validate_on_submit():
        try:
            quote = services.create_quote(current_user, customer_id=customer.id, **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_field_error(form, exc)
        else:
            flash(_("The quote %(number)s has been saved.", number=quote.display_number), "success")
            return redirect(url_for("quotes.detail", quote_id=quote.id))
    return _render_form(form, customer)


def _set_rows(form: QuoteForm, rows: list[dict]) -> None:
    """The line rows a form starts with: `rows`, then empty ones to add lines."""
    while form.lines.entries:
        form.lines.pop_entry()
    for row in rows:
        form.lines.append_entry(row)
    form.add_blank_rows()


@bp.route("/<int:quote_id>/edit", methods=["GET", "POST"])
@login_required
@require(QuotePermission.EDIT)
def edit(quote_id: int):
    quote = get_quote(current_user, quote_id, editable=True)
    if quote.status != DRAFT or not quote.is_latest:
        flash(_("Only a draft can be edited. Revise the quote to change it."), "warning")
        return redirect(url_for("quotes.detail", quote_id=quote.id))
    form = QuoteForm(obj=quote)
    if not form.is_submitted():
        _set_rows(form, [{"product_id": str(line.product_id or ""), "description": line.description,
                          "specification": line.specification or "", "unit": line.unit or "",
                          "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                          "discount_percent": str(line.discount_percent), "tax_rate": str(line.tax_rate)}
                         for line in quote.lines])
        form.overall_discount_percent.data = str(quote.overall_discount_percent)
    _fill_choices(form, quote.customer, form.quote_date.data or quote.quote_date)
    if form.is_submitted() and _form_step(form):
        return _render_form(form, quote.customer, quote)
    if form.validate_on_submit():
        if save_form(form, lambda: services.update_quote(current_user, quote, **form.data_for_service()),
                     _("The quote %(number)s has been saved.", number=quote.display_number)):
            return redirect(url_for("quotes.detail", quote_id=quote.id))
    return _render_form(form, quote.customer, quote)


# --- the quote's page and its actions ---------------------------------------------------------

@bp.get("/<int:quote_id>")
@login_required
def detail(quote_id: int):
    quote = get_quote(current_user, quote_id)
    editable = can_edit(current_user, quote) and quote.is_latest
    approval = approval_services.panel_context(current_user, services.QUOTE_DISCOUNT, quote.id)
    # A quote an approval flow holds is decided in the approval panel; the built-in rule's form otherwise.
    flow_pending = approval["approval_pending"] is not None
    may_approve = (quote.status == PENDING and not flow_pending and current_user.can(QuotePermission.APPROVE)
                   and current_user.id not in (quote.owner_id, quote.submitted_by_id))
    return render_template(
        "quotes/detail.html", quote=quote, can_edit=editable, may_approve=may_approve, flow_pending=flow_pending,
        approval_flow=services.approval_flow(quote) if editable else None, **approval,
        needs_approval=services.needs_approval(quote), limit=services.discount_limit(quote.owner.role_id),
        statuses=STATUS_LABELS, versions=services.versions_of(quote), history=services.edit_history(quote),
        overdue=services.is_overdue(quote), decision_form=DecisionForm(formdata=None),
        DRAFT=DRAFT, APPROVED=APPROVED, SENT=SENT, revisable=services.REVISABLE)


def _act(quote_id: int, action, success: str, editable: bool = True):
    quote = get_quote(current_user, quote_id, editable=editable)
    try:
        result = action(quote)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("quotes.detail", quote_id=quote_id))
    flash(success, "success")
    return redirect(url_for("quotes.detail", quote_id=(result or quote).id))


@bp.post("/<int:quote_id>/submit")
@login_required
@require(QuotePermission.EDIT)
def submit(quote_id: int):
    return _act(quote_id, lambda quote: services.submit_quote(current_user, quote), _("The quote has been submitted."))


@bp.post("/<int:quote_id>/approval")
@login_required
@require(QuotePermission.APPROVE)
def approval(quote_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "danger")
        return redirect(url_for("quotes.detail", quote_id=quote_id))
    approve = request.form.get("decision") == "approve"
    message = _("The discount has been approved.") if approve else _("The quote has been sent back to its owner.")
    return _act(quote_id, lambda quote: services.decide_approval(current_user, quote, approve, form.comment.data),
                message, editable=False)


@bp.post("/<int:quote_id>/send")
@login_required
@require(QuotePermission.EDIT)
def send(quote_id: int):
    return _act(quote_id, lambda quote: services.mark_sent(current_user, quote), _("The quote is marked sent."))


@bp.post("/<int:quote_id>/accept")
@login_required
@require(QuotePermission.EDIT)
def accept(quote_id: int):
    return _act(quote_id, lambda quote: services.close_quote(current_user, quote, True),
                _("The quote is recorded as accepted."))


@bp.post("/<int:quote_id>/reject")
@login_required
@require(QuotePermission.EDIT)
def reject(quote_id: int):
    return _act(quote_id, lambda quote: services.close_quote(current_user, quote, False),
                _("The quote is recorded as rejected."))


@bp.post("/<int:quote_id>/revise")
@login_required
@require(QuotePermission.EDIT)
def revise(quote_id: int):
    return _act(quote_id, lambda quote: services.revise_quote(current_user, quote),
                _("A new version has been made: edit it and submit it again."))


# --- PDF and print view -----------------------------------------------------------------------

@bp.get("/<int:quote_id>/pdf")
@login_required
def pdf(quote_id: int):
    quote = get_quote(current_user, quote_id)
    company = current_app.config["CRM_SETTINGS"].company_name
    data = render_quote_pdf(quote, company, str(STATUS_LABELS.get(quote.status, quote.status)))
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="quote-{quote.display_number}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/<int:quote_id>/print")
@login_required
def print_view(quote_id: int):
    quote = get_quote(current_user, quote_id)
    return render_template("quotes/print.html", quote=quote, statuses=STATUS_LABELS)


# --- settings ---------------------------------------------------------------------------------

@bp.route("/settings", methods=["GET", "POST"])
@login_required
@require(QuotePermission.DISCOUNT_RULES)
def settings():
    rows = services.roles_with_limits()
    data = {"number_pattern": services.number_pattern()}
    for role, limit in rows:
        data[f"limit_{role.id}"] = str(limit) if limit is not None else ""
    form = settings_form([role for role, _limit in rows], data=data)

    def save():
        services.set_number_pattern(current_user, form.number_pattern.data)
        for role, _limit in rows:
            services.set_discount_limit(current_user, role, form[f"limit_{role.id}"].data or None)

    if form.validate_on_submit():
        if save_form(form, save, _("The quote settings have been saved.")):
            return redirect(url_for("quotes.settings"))
    return render_template("quotes/settings.html", form=form, rows=rows, role_label=role_label,
                           example=_example(form.number_pattern.data))


def _example(pattern: str | None) -> str | None:
    from ..core.numbering import format_number
    try:
        return format_number(pattern or services.number_pattern(), services.site_today(), 1)
    except (KeyError, ValueError):
        return None
