"""HTTP pages of payments: the plan editor, recording, correcting and deleting payments, refunds, invoices, the
payments and invoices lists, receivables per contract and per customer, and aging."""
from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..contracts.access import CONTRACT, get_contract
from ..contracts.models import Contract
from ..core.errors import DomainError
from ..core.models import User
from ..core.pagination import PAGE_SIZES, paginate
from ..core.permissions import require, scope_condition
from ..core.web import apply_field_error, date_arg, int_arg
from ..customers.access import visible_customers
from ..customers.models import Customer
from ..extensions import db
from . import receivables, services
from .access import PaymentPermission, may_edit_plan, owner_condition
from .forms import ConfirmForm, InvoiceForm, PaymentForm, PlanForm, RefundForm
from .models import CONFIRMED, INVOICE_TYPES, ISSUED, METHODS, PENDING, Invoice, Payment
from .services import (INVOICE_STATUS_LABELS, INVOICE_TYPE_LABELS, METHOD_LABELS, PAYMENT_STATUS_LABELS,
                       ExcessConfirmationNeeded)

bp = Blueprint("payments", __name__, url_prefix="/payments")


def contract_url(contract_id: int) -> str:
    """The contract's page (the contracts domain's), or its payment plan while that page does not exist."""
    if "contracts.detail" in current_app.view_functions:
        return url_for("contracts.detail", contract_id=contract_id)
    return url_for("payments.plan", contract_id=contract_id)


@bp.context_processor
def _helpers():
    return {"contract_url": contract_url, "methods": METHOD_LABELS, "invoice_types": INVOICE_TYPE_LABELS,
            "payment_statuses": PAYMENT_STATUS_LABELS, "invoice_statuses": INVOICE_STATUS_LABELS,
            "yuan": services.yuan}


def owner_choices(user: User) -> list[tuple[int, str]]:
    rows = db.session.execute(select(User.id, User.display_name).where(scope_condition(user, User.id, CONTRACT))
                              .order_by(User.display_name, User.id))
    return [(row.id, row.display_name) for row in rows]


def _customer_filter(customer_id: int | None) -> Customer | None:
    if not customer_id:
        return None
    return db.session.scalar(visible_customers(current_user).where(Customer.id == customer_id))


def _visible_payment(payment_id: int) -> Payment:
    payment = db.session.scalar(select(Payment).options(joinedload(Payment.contract))
                                .where(Payment.id == payment_id, owner_condition(current_user, Payment.owner_id)))
    if payment is None:
        abort(404)
    get_contract(current_user, payment.contract_id)  # a deleted contract's payments are not shown either
    return payment


# --- the payment plan ---------------------------------------------------------------------------

@bp.route("/contracts/<int:contract_id>/plan", methods=["GET", "POST"])
@login_required
def plan(contract_id: int):
    contract = get_contract(current_user, contract_id)
    if not may_edit_plan(current_user, contract):
        abort(403)
    form = PlanForm()
    instalments = services.plan_of(contract)
    if not form.is_submitted():
        form.set_rows([{"id": str(i.id), "due_date": i.due_date, "amount": str(i.amount), "remarks": i.remarks or ""}
                       for i in instalments])
        form.split_first_due.data = contract.start_date or contract.sign_date or services.site_today()
        form.split_months.data = 1
        form.split_count.data = max(len(instalments), 1)
    elif "add_rows" in request.form:
        form.add_blank_rows()
    elif "split" in request.form:
        if form.validate():
            try:
                rows = services.split_plan(contract.amount, form.split_count.data or 1,
                                           form.split_first_due.data or services.site_today(),
                                           form.split_months.data if form.split_months.data is not None else 1)
            except DomainError as exc:
                apply_field_error(form, exc)
            else:
                # Rows that received money keep their ids (in order), so their money stays matched.
                keep = [i for i in instalments if i.received_amount != 0]
                form.set_rows([{"id": str(keep[n].id) if n < len(keep) else "", "due_date": row.due_date,
                                "amount": str(row.amount), "remarks": ""} for n, row in enumerate(rows)])
                flash(_("The plan is split below: check it and save."), "info")
    elif form.validate():
        try:
            services.save_plan(current_user, contract, form.row_inputs())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _plan_error(form, exc)
        else:
            flash(_("The payment plan has been saved."), "success")
            return redirect(contract_url(contract.id))
    received = {i.id: i.received_amount for i in instalments}
    entered = sum((_decimal(row.form.amount.data) for row in form.rows), Decimal("0.00"))
    return render_template("payments/plan.html", contract=contract, form=form, received=received,
                           entered=entered, difference=contract.amount - entered)


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value or "0").replace(",", "")).quantize(Decimal("0.01"))
    except Exception:  # noqa: BLE001 (a typo in a row: the service names it on save)
        return Decimal("0.00")


def _plan_error(form: PlanForm, exc: DomainError) -> None:
    """Row errors ("rows-2-amount") beside the row's field; the rest at the top of the form."""
    if exc.field and exc.field.startswith("rows-") and exc.field.count("-") == 2:
        _rows, index, name = exc.field.split("-")
        visible = [row for row in form.rows if not row.form.is_blank()]
        if index.isdigit() and int(index) < len(visible):
            target = visible[int(index)].form[name]
            target.errors = list(target.errors) + [exc.message]
            return
    form.form_errors.append(exc.message)  # shown once, at the top of the form (#plan-error)


# --- payments -----------------------------------------------------------------------------------

def _instalment_choices(contract: Contract) -> list:
    return [("", _("Oldest due first"))] + [
        (i.id, _("Instalment %(n)d, due %(date)s, outstanding %(amount)s", n=i.sequence, date=i.due_date.isoformat(),
                 amount=services.yuan(i.outstanding_amount))) for i in services.plan_of(contract) if i.is_open]


def _payment_form_page(form, contract, payment=None, needs_confirm=False):
    return render_template("payments/form.html", form=form, contract=contract, payment=payment,
                           needs_confirm=needs_confirm or bool(form.confirm_excess.data),
                           outstanding=contract.amount - contract.received_amount)


def _save_payment(form, contract, action, payment=None):
    """Run the service; an amount above the outstanding re-shows the form with the figures and the checkbox."""
    try:
        result = action()
        db.session.commit()
    except ExcessConfirmationNeeded as exc:
        db.session.rollback()
        apply_field_error(form, exc)
        return None, _payment_form_page(form, contract, payment, needs_confirm=True)
    except DomainError as exc:
        db.session.rollback()
        apply_field_error(form, exc)
        return None, _payment_form_page(form, contract, payment)
    return result, None


@bp.route("/contracts/<int:contract_id>/new", methods=["GET", "POST"])
@login_required
@require(PaymentPermission.RECORD)
def create(contract_id: int):
    contract = get_contract(current_user, contract_id)
    form = PaymentForm()
    form.instalment_id.choices = _instalment_choices(contract)
    if not form.is_submitted():
        form.received_on.data = services.site_today()
        form.instalment_id.data = int_arg("instalment_id")
    if form.validate_on_submit():
        data = form.data_for_service()
        payment, page = _save_payment(form, contract, lambda: services.record_payment(current_user, contract, **data))
        if page is not None:
            return page
        flash(_("The payment of %(amount)s has been recorded.", amount=services.yuan(payment.amount)), "success")
        return redirect(contract_url(contract.id))
    return _payment_form_page(form, contract)


@bp.route("/<int:payment_id>/edit", methods=["GET", "POST"])
@login_required
@require(PaymentPermission.RECORD)
def edit(payment_id: int):
    payment = _visible_payment(payment_id)
    contract = payment.contract
    if payment.amount < 0 or payment.status != CONFIRMED:
        flash(_("Only a confirmed payment can be corrected; delete a refund and request it again."), "warning")
        return redirect(url_for("payments.detail", payment_id=payment.id))
    form = PaymentForm(obj=payment)
    form.instalment_id.choices = _instalment_choices(contract)
    if not form.is_submitted():
        form.amount.data = str(payment.amount)
        form.instalment_id.data = None
    if form.validate_on_submit():
        data = form.data_for_service()
        result, page = _save_payment(form, contract,
                                     lambda: services.update_payment(current_user, payment, **data), payment)
        if page is not None:
            return page
        flash(_("The payment has been corrected."), "success")
        return redirect(url_for("payments.detail", payment_id=result.id))
    return _payment_form_page(form, contract, payment)


@bp.post("/<int:payment_id>/delete")
@login_required
@require(PaymentPermission.RECORD)
def delete(payment_id: int):
    payment = _visible_payment(payment_id)
    contract_id = payment.contract_id
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.delete_payment(current_user, payment)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("payments.detail", payment_id=payment_id))
    flash(_("The payment has been deleted."), "success")
    return redirect(contract_url(contract_id))


@bp.route("/contracts/<int:contract_id>/refund", methods=["GET", "POST"])
@login_required
@require(PaymentPermission.RECORD)
def refund(contract_id: int):
    contract = get_contract(current_user, contract_id)
    form = RefundForm()
    if not form.is_submitted():
        form.received_on.data = services.site_today()
    if form.validate_on_submit():
        try:
            payment = services.request_refund(current_user, contract, **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            apply_field_error(form, exc)
        else:
            if payment.status == PENDING:
                flash(_("The refund has been submitted for approval."), "success")
            else:
                flash(_("The refund of %(amount)s has been recorded.", amount=services.yuan(-payment.amount)),
                      "success")
            return redirect(url_for("payments.detail", payment_id=payment.id))
    return render_template("payments/refund.html", form=form, contract=contract,
                           refundable=contract.received_amount - services.pending_refunds(contract.id))


@bp.get("/<int:payment_id>")
@login_required
def detail(payment_id: int):
    payment = _visible_payment(payment_id)
    allocations = sorted(payment.allocations, key=lambda a: (a.instalment.sequence, a.id))
    panel = {}
    if payment.amount < 0:
        from ..approvals import services as approvals
        panel = approvals.panel_context(current_user, services.REFUND_TYPE, payment.id)
    may_record = current_user.can(PaymentPermission.RECORD)
    return render_template("payments/detail.html", payment=payment, contract=payment.contract,
                           allocations=allocations, may_record=may_record, confirm_form=ConfirmForm(formdata=None),
                           **panel)


def _payment_filters():
    status = request.args.get("status")
    method = request.args.get("method")
    return {"owner_id": int_arg("owner"), "customer_id": int_arg("customer"), "contract_id": int_arg("contract"),
            "status": status if status in PAYMENT_STATUS_LABELS else None,
            "method": method if method in METHODS else None,
            "date_from": date_arg("date_from"), "date_to": date_arg("date_to")}


@bp.get("/")
@login_required
def index():
    filters = _payment_filters()
    stmt = (select(Payment).where(owner_condition(current_user, Payment.owner_id))
            .options(joinedload(Payment.contract).joinedload(Contract.customer), joinedload(Payment.recorded_by)))
    for key, column in (("owner_id", Payment.owner_id), ("customer_id", Payment.customer_id),
                        ("contract_id", Payment.contract_id), ("status", Payment.status),
                        ("method", Payment.method)):
        if filters[key]:
            stmt = stmt.where(column == filters[key])
    if filters["date_from"]:
        stmt = stmt.where(Payment.received_on >= filters["date_from"])
    if filters["date_to"]:
        stmt = stmt.where(Payment.received_on <= filters["date_to"])
    stmt = stmt.order_by(Payment.received_on.desc(), Payment.id.desc())
    page = paginate(stmt, page=int_arg("page") or 1, per_page=int_arg("per_page") or PAGE_SIZES[0],
                    count_limit=10000)
    return render_template("payments/list.html", page=page, filters=filters, owners=owner_choices(current_user),
                           customer=_customer_filter(filters["customer_id"]))


# --- invoices -----------------------------------------------------------------------------------

@bp.route("/contracts/<int:contract_id>/invoices/new", methods=["GET", "POST"])
@login_required
@require(PaymentPermission.INVOICE)
def invoice_create(contract_id: int):
    contract = get_contract(current_user, contract_id)
    form = InvoiceForm()
    if not form.is_submitted():
        form.issued_on.data = services.site_today()
        form.title.data = contract.customer.name
        form.tax_rate.data = "13"
        left = contract.amount - contract.invoiced_amount
        form.amount.data = str(left) if left > 0 else ""
    needs_confirm = bool(form.confirm_excess.data)
    if form.validate_on_submit():
        try:
            invoice = services.issue_invoice(current_user, contract, **form.data_for_service())
            db.session.commit()
        except ExcessConfirmationNeeded as exc:
            db.session.rollback()
            apply_field_error(form, exc)
            needs_confirm = True
        except DomainError as exc:
            db.session.rollback()
            apply_field_error(form, exc)
        else:
            flash(_("The invoice %(number)s has been recorded.", number=invoice.number), "success")
            return redirect(contract_url(contract.id))
    return render_template("payments/invoice_form.html", form=form, contract=contract, needs_confirm=needs_confirm,
                           left=contract.amount - contract.invoiced_amount)


@bp.post("/invoices/<int:invoice_id>/void")
@login_required
@require(PaymentPermission.INVOICE)
def invoice_void(invoice_id: int):
    invoice = db.session.scalar(select(Invoice).where(Invoice.id == invoice_id,
                                                      owner_condition(current_user, Invoice.owner_id)))
    if invoice is None:
        abort(404)
    get_contract(current_user, invoice.contract_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.void_invoice(current_user, invoice)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("The invoice %(number)s has been voided.", number=invoice.number), "success")
    return redirect(request.form.get("next") if (request.form.get("next") or "").startswith("/")
                    and not request.form.get("next", "").startswith("//") else contract_url(invoice.contract_id))


@bp.get("/invoices/")
@login_required
def invoices():
    status = request.args.get("status")
    invoice_type = request.args.get("type")
    filters = {"owner_id": int_arg("owner"), "customer_id": int_arg("customer"), "contract_id": int_arg("contract"),
               "status": status if status in INVOICE_STATUS_LABELS else None,
               "invoice_type": invoice_type if invoice_type in INVOICE_TYPES else None,
               "date_from": date_arg("date_from"), "date_to": date_arg("date_to")}
    stmt = (select(Invoice).where(owner_condition(current_user, Invoice.owner_id))
            .options(joinedload(Invoice.contract).joinedload(Contract.customer)))
    for key, column in (("owner_id", Invoice.owner_id), ("customer_id", Invoice.customer_id),
                        ("contract_id", Invoice.contract_id), ("status", Invoice.status),
                        ("invoice_type", Invoice.invoice_type)):
        if filters[key]:
            stmt = stmt.where(column == filters[key])
    if filters["date_from"]:
        stmt = stmt.where(Invoice.issued_on >= filters["date_from"])
    if filters["date_to"]:
        stmt = stmt.where(Invoice.issued_on <= filters["date_to"])
    stmt = stmt.order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    page = paginate(stmt, page=int_arg("page") or 1, per_page=int_arg("per_page") or PAGE_SIZES[0],
                    count_limit=10000)
    return render_template("payments/invoices.html", page=page, filters=filters, owners=owner_choices(current_user),
                           customer=_customer_filter(filters["customer_id"]),
                           may_void=current_user.can(PaymentPermission.INVOICE),
                           confirm_form=ConfirmForm(formdata=None),
                           ISSUED=ISSUED)


# --- receivables and aging ----------------------------------------------------------------------

def _receivable_filters() -> receivables.ReceivableFilters:
    sort = request.args.get("sort")
    return receivables.ReceivableFilters(owner_id=int_arg("owner"), customer_id=int_arg("customer"),
                                         overdue_only=request.args.get("overdue") == "1",
                                         sort=sort if sort in receivables.CONTRACT_SORTS else "outstanding")


@bp.get("/receivables/")
@login_required
@require(PaymentPermission.RECEIVABLES)
def receivables_index():
    filters = _receivable_filters()
    today = services.site_today()
    page = receivables.contract_receivables(current_user, filters, today, page=int_arg("page") or 1,
                                            per_page=int_arg("per_page") or PAGE_SIZES[0])
    return render_template("payments/receivables.html", page=page, filters=filters, today=today,
                           owners=owner_choices(current_user), customer=_customer_filter(filters.customer_id),
                           sorts=receivables.CONTRACT_SORTS)


@bp.get("/receivables/customers")
@login_required
@require(PaymentPermission.RECEIVABLES)
def receivables_customers():
    filters = _receivable_filters()
    today = services.site_today()
    page = receivables.customer_receivables(current_user, filters, today, page=int_arg("page") or 1,
                                            per_page=int_arg("per_page") or PAGE_SIZES[0])
    return render_template("payments/receivables_customers.html", page=page, filters=filters, today=today,
                           owners=owner_choices(current_user), customer=_customer_filter(filters.customer_id))


@bp.get("/aging")
@login_required
@require(PaymentPermission.RECEIVABLES)
def aging():
    today = services.site_today()
    owner_id = int_arg("owner")
    by = "customer" if request.args.get("by") == "customer" else "owner"
    if by == "customer":
        totals, page = receivables.aging_by_customer(current_user, today, owner_id, page=int_arg("page") or 1,
                                                     per_page=int_arg("per_page") or PAGE_SIZES[0])
        rows = page.items
    else:
        totals, rows = receivables.aging_by_owner(current_user, today, owner_id)
        page = None
    return render_template("payments/aging.html", totals=totals, rows=rows, page=page, by=by, today=today,
                           owner_id=owner_id, owners=owner_choices(current_user), buckets=receivables.BUCKETS)
