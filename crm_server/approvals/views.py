"""HTTP pages of approvals: waiting for me, submitted by me, one request with its timeline, the decisions
(approve, reject with a comment, withdraw), and the administrators' flow editor."""
from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.pagination import PAGE_SIZES, paginate
from ..core.permissions import require
from ..core.web import apply_field_error, int_arg
from ..extensions import db
from . import services
from .forms import DecisionForm, FlowForm
from .models import PENDING, ApprovalFlow, ApprovalTask
from .registry import DOCUMENT_TYPES

bp = Blueprint("approvals", __name__, url_prefix="/approvals")


def _page(stmt):
    return paginate(stmt, page=int_arg("page") or 1, per_page=int_arg("per_page") or PAGE_SIZES[0])


@bp.get("/")
@login_required
def index():
    """审批: the tasks waiting for the signed-in user's decision."""
    page = _page(services.waiting_for(current_user))
    return render_template("approvals/index.html", page=page, **services.timeline_labels())


@bp.get("/submitted")
@login_required
def submitted():
    status = request.args.get("status")
    status = status if status in services.REQUEST_STATUS_LABELS else None
    page = _page(services.submitted_by(current_user, status))
    return render_template("approvals/submitted.html", page=page, status=status,
                           waiting=services.waiting_approvers(page.items), **services.timeline_labels())


def _get_request(request_id: int):
    found = services.get_request(current_user, request_id)
    if found is None:
        abort(404)
    return found


def _render_request(approval, form: DecisionForm | None = None, status: int = 200):
    task = services.my_task(current_user, approval)
    return render_template(
        "approvals/request.html", approval=approval, approval_my_task=task,
        approval_may_withdraw=services.may_withdraw(current_user, approval),
        document_url=services.document_url(current_user, approval), decision_form=form or DecisionForm(formdata=None),
        **services.timeline_labels()), status


@bp.get("/requests/<int:request_id>")
@login_required
def detail(request_id: int):
    """One request: its timeline and, for the approver whose turn it is, the decision (from a reminder, or
    when the document itself is outside the approver's data scope)."""
    return _render_request(_get_request(request_id))


def _back(approval):
    return redirect(services.document_url(current_user, approval)
                    or url_for("approvals.detail", request_id=approval.id))


def _decide(request_id: int, approve: bool):
    approval = _get_request(request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_request(approval, form, 400)
    if approval.status == PENDING and services.my_task(current_user, approval) is None:
        has_task = db.session.scalar(select(ApprovalTask.id).where(
            ApprovalTask.request_id == approval.id, ApprovalTask.approver_id == current_user.id).limit(1))
        if has_task is None:
            abort(403)  # not one of its approvers: nothing to decide
    try:
        services.decide(current_user, approval, approve, form.comment.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.field == "comment":
            approval = _get_request(request_id)
            form.comment.errors = list(form.comment.errors) + [exc.message]
            return _render_request(approval, form, 400)
        flash(exc.message, "danger")
        return _back(_get_request(request_id))
    flash(_("Approved.") if approve else _("Rejected: the submitter has been told why."), "success")
    return _back(approval)


@bp.post("/requests/<int:request_id>/approve")
@login_required
def approve(request_id: int):
    return _decide(request_id, True)


@bp.post("/requests/<int:request_id>/reject")
@login_required
def reject(request_id: int):
    return _decide(request_id, False)


@bp.post("/requests/<int:request_id>/withdraw")
@login_required
def withdraw(request_id: int):
    approval = _get_request(request_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_request(approval, form, 400)
    if approval.status == PENDING and not services.may_withdraw(current_user, approval):
        abort(403)
    try:
        services.withdraw(current_user, approval)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return _back(_get_request(request_id))
    flash(_("The approval request has been withdrawn."), "success")
    return _back(approval)


# --- the flow editor --------------------------------------------------------------------------

@bp.get("/flows/")
@login_required
@require(services.FLOWS)
def flows():
    codes = list(DOCUMENT_TYPES)
    current = request.args.get("type")
    current = current if current in DOCUMENT_TYPES else (codes[0] if codes else None)
    kind = DOCUMENT_TYPES.get(current)
    return render_template("approvals/flows.html", types=DOCUMENT_TYPES, current=current, kind=kind,
                           flows=services.flows_of(current) if current else [], counts=services.flow_counts(),
                           describe_condition=services.describe_condition, describe_step=services.describe_step,
                           fact_choices=services.fact_choices)


def _fill_choices(form: FlowForm, kind) -> None:
    facts = [("", "—")] + [(code, str(fact.label)) for code, fact in kind.facts.items()]
    operators = [("", "—")] + [(code, str(label)) for code, label in services.OPERATORS.items()]
    kinds = [("", "—")] + [(code, str(label)) for code, label in services.APPROVER_KINDS.items()]
    users = [("", "—")] + services.user_choices()
    roles = [("", "—")] + services.role_choices()
    for row in form.conditions:
        row.form.fact.choices = facts
        row.form.operator.choices = operators
    for row in form.steps:
        row.form.approver_kind.choices = kinds
        row.form.user_id.choices = users
        row.form.role_id.choices = roles


ROW_FIELD = re.compile(r"^(conditions|steps)-(\d+)-(\w+)$")


def _show_error(form: FlowForm, exc: DomainError) -> None:
    """A service message beside its field, rows included ("steps-1-role_id" is the second step's role)."""
    match = ROW_FIELD.match(exc.field or "")
    if match:
        rows = form[match.group(1)]
        index = int(match.group(2))
        if index < len(rows.entries):
            field = rows.entries[index].form[match.group(3)]
            field.errors = list(field.errors) + [exc.message]
            return
    if exc.field == "steps":
        form.steps.errors = [exc.message]
        return
    apply_field_error(form, exc)


def _form_page(form: FlowForm, flow: ApprovalFlow | None, kind, code: str):
    return render_template("approvals/flow_form.html", form=form, flow=flow, kind=kind, code=code,
                           fact_choices=services.fact_choices)


def _edit_flow(flow: ApprovalFlow | None, code: str):
    kind = DOCUMENT_TYPES[code]
    form = FlowForm(obj=flow) if flow is not None else FlowForm()
    if not form.is_submitted():
        if flow is not None:
            while form.conditions.entries:
                form.conditions.pop_entry()
            while form.steps.entries:
                form.steps.pop_entry()
            for condition in flow.conditions:
                form.conditions.append_entry({"fact": condition.fact, "operator": condition.operator,
                                              "value": condition.value})
            for step in flow.steps:
                form.steps.append_entry({"name": step.name, "approver_kind": step.approver_kind,
                                         "user_id": step.user_id, "role_id": step.role_id})
            form.priority.data = str(flow.priority)
        else:
            form.priority.data = "100"
            form.is_active.data = True
        form.add_blank_rows()
    elif "add_rows" in request.form:
        form.add_blank_rows()
        _fill_choices(form, kind)
        return _form_page(form, flow, kind, code)
    _fill_choices(form, kind)
    if form.validate_on_submit():
        try:
            saved = services.save_flow(current_user, flow, document_type=code, **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _show_error(form, exc)
        else:
            flash(_("The approval flow “%(name)s” has been saved.", name=saved.name), "success")
            return redirect(url_for("approvals.flows", type=code))
    return _form_page(form, flow, kind, code)


@bp.route("/flows/new", methods=["GET", "POST"])
@login_required
@require(services.FLOWS)
def new_flow():
    code = request.args.get("type")
    if code not in DOCUMENT_TYPES:
        abort(404)
    return _edit_flow(None, code)


def _flow(flow_id: int) -> ApprovalFlow:
    flow = db.session.get(ApprovalFlow, flow_id)
    if flow is None or flow.document_type not in DOCUMENT_TYPES:
        abort(404)
    return flow


@bp.route("/flows/<int:flow_id>/edit", methods=["GET", "POST"])
@login_required
@require(services.FLOWS)
def edit_flow(flow_id: int):
    flow = _flow(flow_id)
    return _edit_flow(flow, flow.document_type)


@bp.post("/flows/<int:flow_id>/active")
@login_required
@require(services.FLOWS)
def toggle_flow(flow_id: int):
    flow = _flow(flow_id)
    form = DecisionForm()
    if form.validate_on_submit():
        active = request.form.get("active") == "1"
        services.set_flow_active(current_user, flow, active)
        db.session.commit()
        flash(_("The flow is active.") if active else _("The flow is inactive."), "success")
    return redirect(url_for("approvals.flows", type=flow.document_type))


@bp.post("/flows/<int:flow_id>/delete")
@login_required
@require(services.FLOWS)
def delete_flow(flow_id: int):
    flow = _flow(flow_id)
    code, name = flow.document_type, flow.name
    form = DecisionForm()
    if form.validate_on_submit():
        services.delete_flow(current_user, flow)
        db.session.commit()
        flash(_("The approval flow “%(name)s” has been deleted.", name=name), "success")
    return redirect(url_for("approvals.flows", type=code))


@bp.app_context_processor
def approval_labels():
    """The labels the approval panel shows, wherever a document page includes it."""
    return {"approval_labels": services.timeline_labels}
