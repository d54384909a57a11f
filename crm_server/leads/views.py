"""HTTP pages of the leads domain: the list and pool, create/edit, the lead's page (follow-ups, status, invalid,
claim, assign) and conversion."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.dictionaries import choices
from ..core.errors import DomainError
from ..core.pagination import PAGE_SIZES
from ..core.permissions import require
from ..core.web import apply_field_error, int_arg, save_form
from ..customers.dictionaries import INDUSTRY
from ..extensions import db
from ..followups.services import KINDS as FOLLOWUP_KINDS
from ..followups.services import to_local
from ..opportunities import pipelines
from ..core.types import utcnow
from . import assignment, conversion, services
from .access import LeadPermission, can_edit, get_lead
from .dictionaries import SOURCE
from .duplicates import FIELDS as DUPLICATE_FIELDS
from .duplicates import customer_candidates
from .forms import AssignForm, ConvertForm, InvalidForm, LeadFollowUpForm, LeadForm
from .models import GRADES, OPEN_STATUSES, STATUSES, Lead
from .services import STATUS_LABELS, URGENCY_LABELS, DuplicateWarning, LeadFilters

bp = Blueprint("leads", __name__, url_prefix="/leads")

SORT_LABELS = {"updated_at": _l("Updated"), "created_at": _l("Created"), "name": _l("Contact person"),
               "company": _l("Company"), "score": _l("Score"), "grade": _l("Grade"),
               "last_followup_at": _l("Last follow-up")}
FIELD_LABELS = {
    "name": _l("Contact person"), "company": _l("Company"), "title": _l("Job title"), "mobile": _l("Mobile"),
    "phone": _l("Phone"), "email": _l("E-mail"), "source": _l("Source"), "campaign_id": _l("Campaign"),
    "industry": _l("Industry"), "company_size": _l("Company size"), "requirement": _l("Requirement"),
    "budget": _l("Budget"), "urgency": _l("Urgency"), "province": _l("Province"), "city": _l("City"),
    "address": _l("Address"), "score": _l("Score"), "grade": _l("Grade"), "status": _l("Status"),
    "invalid_reason": _l("Why invalid"), "owner": _l("Owner"), "customer": _l("Customer"), "contact": _l("Contact"),
    "opportunity": _l("Opportunity"), "followups": _l("Follow-ups"), "merged": _l("Merged"),
    "merged_into": _l("Merged into"), "kind": _l("Kind"), "content": _l("What was discussed"),
    "receives_a_grade": _l("Receives A-grade leads (senior)"), "is_active": _l("Receives leads now"),
    "user": _l("Salesperson"),
}


def filters_from(args) -> LeadFilters:
    status = args.get("status")
    grade = args.get("grade")
    return LeadFilters(q=(args.get("q") or "").strip()[:100] or None,
                       status=status if status in STATUSES else None, grade=grade if grade in GRADES else None,
                       source_id=int_arg("source_id", args), owner_id=int_arg("owner_id", args),
                       campaign_id=int_arg("campaign_id", args), pool=args.get("pool") == "1",
                       mine=args.get("mine") == "1")


@bp.get("/")
@login_required
def index():
    filters = filters_from(request.args)
    if filters.pool and not current_user.can(LeadPermission.POOL):
        abort(403)
    sort = request.args.get("sort", services.DEFAULT_SORT[0])
    direction = "asc" if request.args.get("dir") == "asc" else "desc"
    if sort not in services.SORT_KEYS:
        sort, direction = services.DEFAULT_SORT
    per_page = int_arg("per_page") or PAGE_SIZES[0]
    page = services.lead_page(current_user, filters, sort, direction, int_arg("page") or 1, per_page)
    return render_template(
        "leads/list.html", page=page, filters=filters, sort=sort, direction=direction, sort_labels=SORT_LABELS,
        status_labels=STATUS_LABELS, grades=GRADES, sources=choices(SOURCE),
        owners=services.owner_choices(current_user), campaigns=services.campaign_choices(),
        can_pool=current_user.can(LeadPermission.POOL))


# --- create and edit --------------------------------------------------------------------------

def _fill_choices(form: LeadForm, lead: Lead | None) -> None:
    blank = "—"
    form.source_id.choices = choices(SOURCE, blank, lead.source_id if lead else None)
    form.industry_id.choices = choices(INDUSTRY, blank, lead.industry_id if lead else None)
    form.campaign_id.choices = [("", blank)] + services.campaign_choices()
    if lead is not None and lead.campaign_id and lead.campaign_id not in {v for v, _l in form.campaign_id.choices}:
        form.campaign_id.choices.append((lead.campaign_id, services.campaign_name(lead.campaign_id)))
    form.assign.choices = []
    if lead is None:
        assign = [("", _("Me")), ("auto", _("Automatic (round robin)"))]
        if current_user.can(LeadPermission.POOL) or current_user.can(LeadPermission.ASSIGN):
            assign.append(("pool", _("Lead pool (unassigned)")))
        if current_user.can(LeadPermission.ASSIGN):
            assign += [(str(uid), name) for uid, name in services.owner_choices(current_user)
                       if uid != current_user.id]
        form.assign.choices = assign


def _save(form: LeadForm, save):
    try:
        lead = save()
        db.session.commit()
        return lead, None
    except DuplicateWarning as exc:
        db.session.rollback()
        form.confirm_duplicates.data = False
        return None, exc.matches
    except DomainError as exc:
        db.session.rollback()
        apply_field_error(form, exc)
        return None, None


def _render_form(form, lead, matches):
    return render_template("leads/form.html", form=form, lead=lead, matches=matches,
                           duplicate_fields=DUPLICATE_FIELDS)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(LeadPermission.CREATE)
def create():
    form = LeadForm()
    _fill_choices(form, None)
    matches = None
    if form.validate_on_submit():
        lead, matches = _save(form, lambda: services.create_lead(current_user, **form.data_for_service(),
                                                                 **form.assignment()))
        if lead is not None:
            flash(_("The lead %(name)s has been created.", name=lead.name), "success")
            if lead.owner_id is not None and lead.owner_id != current_user.id and not _visible(lead.id):
                return redirect(url_for("leads.index"))
            return redirect(url_for("leads.detail", lead_id=lead.id))
    return _render_form(form, None, matches)


def _visible(lead_id: int) -> bool:
    from .access import visible_leads
    return db.session.scalar(visible_leads(current_user).with_only_columns(Lead.id).where(Lead.id == lead_id)) \
        is not None


@bp.route("/<int:lead_id>/edit", methods=["GET", "POST"])
@login_required
def edit(lead_id: int):
    lead = get_lead(current_user, lead_id, editable=True)
    if lead.status == "converted":
        abort(403)
    form = LeadForm(obj=lead)
    _fill_choices(form, lead)
    if not form.is_submitted():
        form.budget.data = f"{lead.budget:.2f}" if lead.budget is not None else ""
        form.confirm_duplicates.data = False
    matches = None
    if form.validate_on_submit():
        saved, matches = _save(form, lambda: services.update_lead(current_user, lead, **form.data_for_service()))
        if saved is not None:
            flash(_("The lead %(name)s has been saved.", name=saved.name), "success")
            return redirect(url_for("leads.detail", lead_id=saved.id))
    return _render_form(form, lead, matches)


# --- the lead's page --------------------------------------------------------------------------

@bp.get("/<int:lead_id>")
@login_required
def detail(lead_id: int):
    lead = get_lead(current_user, lead_id)
    editable = can_edit(current_user, lead)
    followup_form = invalid_form = None
    if editable and lead.is_open:
        followup_form = LeadFollowUpForm(formdata=None)
        followup_form.happened_at.data = to_local(utcnow()).replace(second=0, microsecond=0)
        invalid_form = InvalidForm(formdata=None)
    assign_form = None
    if current_user.can(LeadPermission.ASSIGN) and lead.is_open:
        assign_form = AssignForm(formdata=None)
        assign_form.to_user_id.choices = [("", "—")] + services.owner_choices(current_user)
    return render_template(
        "leads/detail.html", lead=lead, can_edit=editable, followups=services.lead_followups(lead),
        followup_form=followup_form, invalid_form=invalid_form, assign_form=assign_form,
        can_claim=lead.in_pool and lead.is_open and current_user.can(LeadPermission.POOL),
        status_labels=STATUS_LABELS, urgency_labels=URGENCY_LABELS, kinds=FOLLOWUP_KINDS,
        open_statuses=OPEN_STATUSES, campaign_name=services.campaign_name(lead.campaign_id),
        history=services.edit_history(lead), field_labels=FIELD_LABELS)


def _back(lead: Lead):
    return redirect(url_for("leads.detail", lead_id=lead.id))


def _run(action, success: str) -> bool:
    try:
        action()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return False
    flash(success, "success")
    return True


@bp.post("/<int:lead_id>/status")
@login_required
def status(lead_id: int):
    lead = get_lead(current_user, lead_id, editable=True)
    _run(lambda: services.set_status(current_user, lead, request.form.get("status", "")),
         _("The lead's status has been changed."))
    return _back(lead)


@bp.post("/<int:lead_id>/invalid")
@login_required
def invalid(lead_id: int):
    lead = get_lead(current_user, lead_id, editable=True)
    form = InvalidForm()
    if not form.validate_on_submit():
        flash(_("Say why the lead is invalid."), "danger")
        return _back(lead)
    _run(lambda: services.mark_invalid(current_user, lead, form.reason.data), _("The lead is marked invalid."))
    return _back(lead)


@bp.post("/<int:lead_id>/followups")
@login_required
def followup(lead_id: int):
    lead = get_lead(current_user, lead_id, editable=True)
    form = LeadFollowUpForm()
    if form.validate_on_submit():
        if save_form(form, lambda: services.log_lead_followup(current_user, lead, **form.data_for_service()),
                     _("The follow-up has been logged.")):
            return _back(lead)
    for name, errors in form.errors.items():
        for error in errors:
            flash(f"{form[name].label.text}: {error}", "danger")
    return _back(lead)


@bp.post("/<int:lead_id>/claim")
@login_required
@require(LeadPermission.POOL)
def claim(lead_id: int):
    lead = get_lead(current_user, lead_id)
    _run(lambda: assignment.claim_lead(current_user, lead), _("The lead is now yours."))
    return _back(lead)


@bp.post("/<int:lead_id>/assign")
@login_required
@require(LeadPermission.ASSIGN)
def assign(lead_id: int):
    from ..core.models import User
    lead = get_lead(current_user, lead_id)
    form = AssignForm()
    form.to_user_id.choices = [("", "—")] + services.owner_choices(current_user)
    if not form.validate_on_submit():
        flash(_("Choose the new owner."), "danger")
        return _back(lead)
    to_user = db.session.get(User, form.to_user_id.data)
    if _run(lambda: assignment.assign_leads(current_user, [lead], to_user), _("The lead has been assigned.")) \
            and not _visible(lead.id):
        return redirect(url_for("leads.index"))
    return _back(lead)


# --- conversion -------------------------------------------------------------------------------

def _fill_convert_choices(form: ConvertForm, lead: Lead) -> list:
    candidates = customer_candidates(current_user, lead)
    form.customer_id.choices = [("", _("A new customer"))] + [(m.customer_id, m.name) for m in candidates]
    form.pipeline_id.choices = [(p.id, p.name) for p in pipelines.pipelines()]
    form.stage_id.choices = [("", _("First stage"))] + [
        (stage.id, f"{p.name} / {stage.name}") for p in pipelines.pipelines() for stage in pipelines.stages(p.id)
        if stage.kind == "open"]
    return candidates


@bp.route("/<int:lead_id>/convert", methods=["GET", "POST"])
@login_required
def convert(lead_id: int):
    lead = get_lead(current_user, lead_id, editable=True)
    if not lead.is_open:
        flash(_("This lead has already been converted or closed."), "warning")
        return _back(lead)
    form = ConvertForm()
    candidates = _fill_convert_choices(form, lead)
    if not form.is_submitted():
        form.customer_name.data = lead.company or lead.name
        form.contact_name.data = lead.name
        form.amount.data = f"{lead.budget:.2f}" if lead.budget is not None else ""
    if form.validate_on_submit():
        if save_form(form, lambda: conversion.convert_lead(current_user, lead, **form.data_for_service()),
                     _("The lead has been converted.")):
            return _back(lead)
    return render_template("leads/convert.html", form=form, lead=lead, candidates=candidates)
