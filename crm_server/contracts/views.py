"""HTTP pages of contracts: the list, due-for-renewal, create (from a quote, an opportunity or a customer) and
edit with the line editor, the contract page with its status actions, approval panel, files and the sections
other domains register, print view and PDF, templates and settings."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from ..approvals import services as approval_services
from ..core.errors import DomainError
from ..core.numbering import format_number
from ..core.pagination import PAGE_SIZES, paginate
from ..core.permissions import can_see_owner, require
from ..core.search import contains
from ..core.web import apply_field_error, date_arg, int_arg, save_form
from ..customers.access import visible_customers
from ..customers.models import Customer
from ..extensions import db
from . import attachments, calc, merge, services
from .access import CONTRACT, ContractPermission, can_edit, get_document, may_edit_owner
from .forms import ContractForm, FileForm, ReasonForm, SettingsForm, TemplateForm, TransferForm, row_data
from .models import ACTIVE, DRAFT, REJECTED, STATUSES, TYPES, ContractTemplate
from .pdf import render_contract_pdf
from .sections import CONTRACT_PAGE
from .services import STATUS_LABELS, TYPE_LABELS, ContractFilters

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


@bp.url_value_preprocessor
def _allow_uploads(endpoint, values):
    # Before CSRF protection reads the form: a contract file may be larger than the site-wide request limit.
    if endpoint == "contracts.upload":
        request.max_content_length = attachments.MAX_REQUEST_SIZE


def filters_from(args) -> ContractFilters:
    status = args.get("status")
    contract_type = args.get("contract_type")
    sort = args.get("sort")
    return ContractFilters(
        q=(args.get("q") or "").strip()[:100] or None, status=status if status in STATUSES else None,
        contract_type=contract_type if contract_type in TYPES else None, owner_id=int_arg("owner", args),
        customer_id=int_arg("customer", args), opportunity_id=int_arg("opportunity", args),
        sign_from=date_arg("sign_from", args), sign_to=date_arg("sign_to", args),
        expiring=args.get("expiring") == "1", sort=sort if sort in services.SORTS else "updated",
        direction=args.get("dir") if args.get("dir") in ("asc", "desc") else None)


@bp.get("/")
@login_required
def index():
    filters = filters_from(request.args)
    page = paginate(services.list_contracts(current_user, filters), page=int_arg("page") or 1,
                    per_page=int_arg("per_page") or PAGE_SIZES[0])
    customer = None
    if filters.customer_id:
        customer = db.session.scalar(visible_customers(current_user).where(Customer.id == filters.customer_id))
    return render_template("contracts/list.html", page=page, filters=filters, statuses=STATUS_LABELS,
                           types=TYPE_LABELS, sorts=services.SORTS, owners=services.owner_choices(current_user),
                           customer=customer, renewal_days=services.renewal_days(),
                           can_create=current_user.can(ContractPermission.EDIT))


@bp.get("/renewals")
@login_required
def renewals():
    page = paginate(services.renewals_due(current_user), page=int_arg("page") or 1,
                    per_page=int_arg("per_page") or PAGE_SIZES[0])
    renewed = services.renewed_ids([contract.id for contract in page.items])
    return render_template("contracts/renewals.html", page=page, renewed=renewed, days=services.renewal_days(),
                           today=services.site_today(), can_renew=current_user.can(ContractPermission.EDIT))


# --- create and edit --------------------------------------------------------------------------

def _fill_choices(form: ContractForm, customer: Customer, template_id: int | None = None) -> None:
    form.contact_id.choices = [("", "—")] + services.contact_choices(customer.id)
    form.template_id.choices = [("", _("Default template"))] + services.template_choices(template_id)


def _render_form(form: ContractForm, customer: Customer, contract=None, source=None):
    return render_template("contracts/form.html", form=form, customer=customer, contract=contract, source=source,
                           lookup_url=url_for("products.lookup") if "products.lookup" in current_app.view_functions
                           else None)


def _picker():
    term = (request.args.get("q") or "").strip()[:100]
    stmt = visible_customers(current_user)
    if term:
        stmt = stmt.where(contains(Customer.name, term))
    customers = db.session.scalars(stmt.order_by(Customer.updated_at.desc(), Customer.id.desc()).limit(20)).all()
    return render_template("contracts/pick_customer.html", customers=customers, term=term)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(ContractPermission.EDIT)
def create():
    quote_id, opportunity_id = int_arg("quote_id"), int_arg("opportunity_id")
    try:
        defaults = services.source_defaults(current_user, quote_id, opportunity_id)
    except DomainError as exc:
        flash(exc.message, "danger")
        if quote_id:
            return redirect(url_for("quotes.detail", quote_id=quote_id))
        return redirect(url_for("opportunities.detail", opportunity_id=opportunity_id))
    customer_id = defaults.get("customer_id") or int_arg("customer_id")
    if not customer_id:
        return _picker()
    customer = db.session.scalar(visible_customers(current_user).where(Customer.id == customer_id))
    if customer is None:
        abort(404)
    form = ContractForm()
    if not form.is_submitted():
        today = services.site_today()
        form.title.data = defaults.get("title", "")
        form.contact_id.data = defaults.get("contact_id")
        form.payment_terms.data = defaults.get("payment_terms")
        form.sign_date.data = today
        form.start_date.data = today
        form.end_date.data = today.replace(year=today.year + 1) - dt.timedelta(days=1) \
            if not (today.month == 2 and today.day == 29) else dt.date(today.year + 1, 2, 27)
        overall = defaults.get("overall_discount_percent")
        form.overall_discount_percent.data = str(overall) if overall else ""
        form.amount.data = str(defaults["amount"]) if defaults.get("amount") is not None else ""
        form.set_rows(row_data(defaults.get("lines") or []))
    _fill_choices(form, customer)
    if form.is_submitted() and "add_rows" in request.form:
        form.add_blank_rows()
        return _render_form(form, customer, source=defaults)
    if form.validate_on_submit():
        try:
            contract = services.create_contract(current_user, customer_id=customer.id, quote_id=quote_id,
                                                opportunity_id=None if quote_id else opportunity_id,
                                                **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_field_error(form, exc)
        else:
            flash(_("The contract %(number)s has been saved.", number=contract.number), "success")
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return _render_form(form, customer, source=defaults)


@bp.route("/<int:contract_id>/edit", methods=["GET", "POST"])
@login_required
@require(ContractPermission.EDIT)
def edit(contract_id: int):
    contract = get_document(current_user, contract_id, editable=True)
    form = ContractForm(obj=contract)
    if not form.is_submitted():
        form.set_rows(row_data(contract.lines))
        form.amount.data = str(contract.amount)
        form.overall_discount_percent.data = str(contract.overall_discount_percent) \
            if contract.overall_discount_percent else ""
        form.payment_days.data = str(contract.payment_days) if contract.payment_days is not None else ""
    _fill_choices(form, contract.customer, contract.template_id)
    if form.is_submitted() and "add_rows" in request.form:
        form.add_blank_rows()
        return _render_form(form, contract.customer, contract)
    if form.validate_on_submit():
        if save_form(form, lambda: services.update_contract(current_user, contract, **form.data_for_service()),
                     _("The contract %(number)s has been saved.", number=contract.number)):
            return redirect(url_for("contracts.detail", contract_id=contract.id))
    return _render_form(form, contract.customer, contract)


# --- the contract's page and its actions ------------------------------------------------------

@bp.get("/<int:contract_id>")
@login_required
def detail(contract_id: int):
    contract = get_document(current_user, contract_id)
    contract = services.load_for_display(contract.id)
    editable = can_edit(current_user, contract)
    owner_ok = may_edit_owner(current_user, contract)
    revision = services.is_revision(contract)
    sections = []
    actions = []
    if not revision:
        sections = [(section, Markup(render_template(section.template, contract=contract, can_edit=owner_ok,
                                                     **section.context(current_user, contract, request.args))))
                    for section in CONTRACT_PAGE.sections]
        actions = [action for action in CONTRACT_PAGE.actions if (not action.needs_edit or owner_ok)
                   and (action.permission is None or current_user.can(action.permission))]
    may_terminate = (current_user.can(ContractPermission.TERMINATE)
                     and can_see_owner(current_user, contract.owner_id, CONTRACT))
    transfer_form = TransferForm(formdata=None, owner_id=contract.owner_id)
    transfer_form.owner_id.choices = services.transfer_choices(current_user) if owner_ok and not revision else []
    return render_template(
        "contracts/detail.html", contract=contract, can_edit=editable, may_edit_owner=owner_ok,
        is_revision=revision, statuses=STATUS_LABELS, types=TYPE_LABELS,
        figures=calc.compute(contract.lines, contract.overall_discount_percent),
        revisions=[] if revision else services.revisions_of(contract),
        open_revision=None if revision else services.open_revision_of(contract),
        renewal=None if revision else services.renewal_of(contract), history=services.edit_history(contract),
        sections=sections, actions=actions, may_terminate=may_terminate,
        may_delete=contract.status in services.EDITABLE and (may_terminate or (revision and owner_ok)),
        reason_form=ReasonForm(formdata=None), transfer_form=transfer_form, file_form=FileForm(formdata=None),
        renewable=services.RENEWABLE, ACTIVE=ACTIVE, DRAFT=DRAFT, REJECTED=REJECTED,
        capital=merge.chinese_capital(contract.amount),
        **approval_services.panel_context(current_user, services.DOCUMENT_TYPE, contract.id))


def _act(contract_id: int, action, success: str):
    contract = get_document(current_user, contract_id)
    try:
        result = action(contract)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    flash(success, "success")
    target = result if result is not None and hasattr(result, "number") else contract
    return redirect(url_for("contracts.detail", contract_id=target.id))


def _check_owner(contract_id: int) -> None:
    """403 for a user who may see the contract but not act on it (finance)."""
    if not may_edit_owner(current_user, get_document(current_user, contract_id)):
        abort(403)


@bp.post("/<int:contract_id>/submit")
@login_required
@require(ContractPermission.EDIT)
def submit(contract_id: int):
    _check_owner(contract_id)

    def action(contract):
        request_ = services.submit_contract(current_user, contract)
        return None if request_ is None else contract

    contract = get_document(current_user, contract_id)
    label = _("The revision has been submitted.") if services.is_revision(contract) else \
        _("The contract has been submitted.")
    return _act(contract_id, action, label)


@bp.post("/<int:contract_id>/revise")
@login_required
@require(ContractPermission.EDIT)
def revise(contract_id: int):
    _check_owner(contract_id)
    return _act(contract_id, lambda contract: services.revise_contract(current_user, contract),
                _("A revision has been started: edit it and submit it for approval."))


@bp.post("/<int:contract_id>/execute")
@login_required
@require(ContractPermission.EDIT)
def execute(contract_id: int):
    _check_owner(contract_id)
    return _act(contract_id, lambda contract: services.execute_contract(current_user, contract),
                _("The contract is marked executed."))


@bp.post("/<int:contract_id>/terminate")
@login_required
@require(ContractPermission.TERMINATE)
def terminate(contract_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give the reason for the termination."), "danger")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    return _act(contract_id, lambda contract: services.terminate_contract(current_user, contract, form.reason.data),
                _("The contract has been terminated."))


@bp.post("/<int:contract_id>/renew")
@login_required
@require(ContractPermission.EDIT)
def renew(contract_id: int):
    _check_owner(contract_id)
    return _act(contract_id, lambda contract: services.renew_contract(current_user, contract),
                _("A renewal draft has been made: check its terms and submit it."))


@bp.post("/<int:contract_id>/delete")
@login_required
def delete(contract_id: int):
    contract = get_document(current_user, contract_id)
    parent_id = contract.revision_of_id
    try:
        services.delete_contract(current_user, contract)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    if parent_id:
        flash(_("The revision has been discarded."), "success")
        return redirect(url_for("contracts.detail", contract_id=parent_id))
    flash(_("The contract has been deleted."), "success")
    return redirect(url_for("contracts.index"))


@bp.post("/<int:contract_id>/transfer")
@login_required
@require(ContractPermission.EDIT)
def transfer(contract_id: int):
    _check_owner(contract_id)
    form = TransferForm()
    form.owner_id.choices = services.transfer_choices(current_user)
    return _act(contract_id, lambda contract: services.transfer_owner(current_user, contract, form.owner_id.data),
                _("The contract has been transferred."))


# --- files ------------------------------------------------------------------------------------

@bp.post("/<int:contract_id>/files")
@login_required
@require(ContractPermission.EDIT)
def upload(contract_id: int):
    _check_owner(contract_id)
    form = FileForm()
    if not form.validate_on_submit():
        flash(_("The file could not be read. Try again."), "danger")
        return redirect(url_for("contracts.detail", contract_id=contract_id, _anchor="files"))
    return _act(contract_id, lambda contract: services.add_file(current_user, contract, form.file.data,
                                                                form.is_signed_scan.data) and None,
                _("The file has been attached."))


@bp.get("/<int:contract_id>/files/<int:file_id>")
@login_required
def download(contract_id: int, file_id: int):
    item = attachments.get_attachment(current_user, contract_id, file_id)
    path = attachments.file_path(item)
    if not path.is_file():
        current_app.logger.warning("contract file %s: %s is missing", item.id, path)
        return render_template("errors/error.html", code=404, title=_("Page not found"),
                               message=_("The file of this attachment is missing on the server.")), 404
    return send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename, max_age=0)


@bp.post("/<int:contract_id>/files/<int:file_id>/delete")
@login_required
@require(ContractPermission.EDIT)
def remove_file(contract_id: int, file_id: int):
    _check_owner(contract_id)
    item = attachments.get_attachment(current_user, contract_id, file_id)
    return _act(contract_id, lambda contract: services.remove_file(current_user, contract, item),
                _("The file has been removed."))


@bp.post("/<int:contract_id>/files/<int:file_id>/signed")
@login_required
@require(ContractPermission.EDIT)
def mark_signed(contract_id: int, file_id: int):
    _check_owner(contract_id)
    item = attachments.get_attachment(current_user, contract_id, file_id)
    flag = request.form.get("signed") == "1"
    return _act(contract_id, lambda contract: services.set_signed_scan(current_user, contract, item, flag),
                _("The file has been updated."))


# --- print view and PDF -----------------------------------------------------------------------

def _blocks_or_error(contract):
    company = current_app.config["CRM_SETTINGS"].company_name
    try:
        return services.rendered_blocks(contract, company), company
    except DomainError as exc:
        flash(exc.message, "danger")
        return None, company


@bp.get("/<int:contract_id>/print")
@login_required
def print_view(contract_id: int):
    contract = services.load_for_display(get_document(current_user, contract_id).id)
    blocks, company = _blocks_or_error(contract)
    if blocks is None:
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    return render_template("contracts/print.html", contract=contract, blocks=blocks, company_name=company,
                           figures=calc.compute(contract.lines, contract.overall_discount_percent),
                           capital=merge.chinese_capital(contract.amount), statuses=STATUS_LABELS)


@bp.get("/<int:contract_id>/pdf")
@login_required
def pdf(contract_id: int):
    contract = services.load_for_display(get_document(current_user, contract_id).id)
    blocks, company = _blocks_or_error(contract)
    if blocks is None:
        return redirect(url_for("contracts.detail", contract_id=contract_id))
    response = current_app.response_class(render_contract_pdf(contract, blocks, company),
                                          mimetype="application/pdf")
    suffix = f"-R{contract.revision}" if contract.revision else ""
    response.headers["Content-Disposition"] = f'attachment; filename="contract-{contract.number}{suffix}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- templates and settings -------------------------------------------------------------------

@bp.get("/templates/")
@login_required
@require(ContractPermission.TEMPLATES)
def templates():
    return render_template("contracts/templates.html", templates=services.list_templates(), types=TYPE_LABELS)


def _template_form(form: TemplateForm, template=None):
    return render_template("contracts/template_form.html", form=form, template=template, fields=merge.FIELDS)


@bp.route("/templates/new", methods=["GET", "POST"])
@login_required
@require(ContractPermission.TEMPLATES)
def template_create():
    form = TemplateForm()
    if not form.is_submitted():
        form.body.data = merge.DEFAULT_TEMPLATE_BODY
    if form.validate_on_submit():
        if save_form(form, lambda: services.create_template(current_user, **form.data_for_service()),
                     _("The template has been saved.")):
            return redirect(url_for("contracts.templates"))
    return _template_form(form)


@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@login_required
@require(ContractPermission.TEMPLATES)
def template_edit(template_id: int):
    template = db.session.get(ContractTemplate, template_id) or abort(404)
    form = TemplateForm(obj=template)
    if not form.is_submitted():
        form.contract_type.data = template.contract_type or ""
    if form.validate_on_submit():
        if save_form(form, lambda: services.update_template(current_user, template, **form.data_for_service()),
                     _("The template has been saved.")):
            return redirect(url_for("contracts.templates"))
    return _template_form(form, template)


@bp.post("/templates/<int:template_id>/delete")
@login_required
@require(ContractPermission.TEMPLATES)
def template_delete(template_id: int):
    template = db.session.get(ContractTemplate, template_id) or abort(404)
    try:
        services.delete_template(current_user, template)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("The template has been deleted."), "success")
    return redirect(url_for("contracts.templates"))


@bp.route("/settings", methods=["GET", "POST"])
@login_required
@require(ContractPermission.TEMPLATES)
def settings():
    form = SettingsForm(data={"number_pattern": services.number_pattern(),
                              "renewal_days": str(services.renewal_days())})

    def save():
        services.set_number_pattern(current_user, form.number_pattern.data)
        services.set_renewal_days(current_user, form.renewal_days.data)

    if form.validate_on_submit():
        if save_form(form, save, _("The contract settings have been saved.")):
            return redirect(url_for("contracts.settings"))
    try:
        example = format_number(form.number_pattern.data or services.number_pattern(), services.site_today(), 1)
    except (KeyError, ValueError):
        example = None
    return render_template("contracts/settings.html", form=form, example=example)
