"""HTTP pages of mass e-mail: templates, the send form with its count and preview, a send's progress, and the
public unsubscribe page."""
from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from ..contacts.services import DECISION_ROLES
from ..core.dictionaries import choices
from ..core.errors import DomainError
from ..core.pagination import paginate
from ..core.permissions import require
from ..core.web import apply_field_error, get_or_404, int_arg, save_form
from ..customers.dictionaries import INDUSTRY, LEVEL
from ..customers.models import Tag
from ..extensions import db
from ..leads.dictionaries import SOURCE as LEAD_SOURCE
from ..leads.models import GRADES
from ..leads.models import STATUSES as LEAD_STATUS_CODES
from ..leads.services import STATUS_LABELS as LEAD_STATUSES
from . import services
from .access import MailingPermission
from .forms import BODY_HELP, ComposeForm, TemplateForm
from .models import RECIPIENT_STATUSES, MailJob, MailRecipient, MailTemplate
from .recipients import KINDS, Audience, campaign_choices, plan

bp = Blueprint("mailing", __name__, url_prefix="/mailing")

KIND_LABELS = {"contacts": _l("Contacts"), "leads": _l("Leads"), "campaign": _l("A campaign's members")}
JOB_STATUS_LABELS = {"queued": _l("Queued"), "sending": _l("Sending"), "done": _l("Done"),
                     "cancelled": _l("Cancelled")}
RECIPIENT_STATUS_LABELS = {"pending": _l("Waiting"), "sent": _l("Sent"), "failed": _l("Failed"),
                           "bounced": _l("Bounced"), "skipped": _l("Skipped")}
SKIP_REASONS = {"unsubscribed": _l("Unsubscribed"), "bounced": _l("Bounced before"), "cancelled": _l("Cancelled")}
PREVIEW_ROWS = 200


# --- templates ----------------------------------------------------------------------------------

@bp.route("/templates/")
@login_required
@require(MailingPermission.SEND)
def templates():
    rows = db.session.scalars(select(MailTemplate).order_by(MailTemplate.name, MailTemplate.id)).all()
    return render_template("mailing/templates.html", templates=rows, delete_form=FlaskForm())


@bp.route("/templates/new", methods=["GET", "POST"])
@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@login_required
@require(MailingPermission.SEND)
def template_form(template_id: int | None = None):
    template = get_or_404(MailTemplate, template_id) if template_id is not None else None
    form = TemplateForm(obj=template)
    if form.validate_on_submit() and save_form(
            form, lambda: services.save_template(current_user, template, form.name.data, form.subject.data,
                                                 form.body.data),
            lambda saved: _("Template %(name)s saved.", name=saved.name)):
        return redirect(url_for("mailing.templates"))
    return render_template("mailing/template_form.html", form=form, template=template, body_help=BODY_HELP)


@bp.route("/templates/<int:template_id>/delete", methods=["POST"])
@login_required
@require(MailingPermission.SEND)
def template_delete(template_id: int):
    template = get_or_404(MailTemplate, template_id)
    if FlaskForm().validate_on_submit():
        name = template.name
        services.delete_template(current_user, template)
        db.session.commit()
        flash(_("Template %(name)s deleted.", name=name), "success")
    return redirect(url_for("mailing.templates"))


# --- composing a send ---------------------------------------------------------------------------

def _contact_ids(text: str | None) -> list[int]:
    parts = (text or "").replace("，", ",").replace(" ", ",").split(",")
    return [int(part) for part in parts if part.isdigit() and len(part) <= 9][:5000]


def _fill_choices(form: ComposeForm) -> None:
    blank = [("", _("(any)"))]
    form.template_id.choices = [("", _("(none)"))] + [
        (t.id, t.name) for t in db.session.scalars(select(MailTemplate).order_by(MailTemplate.name, MailTemplate.id))]
    form.kind.choices = [(kind, KIND_LABELS[kind]) for kind in KINDS]
    form.level_id.choices = choices(LEVEL, blank=_("(any)"))
    form.industry_id.choices = choices(INDUSTRY, blank=_("(any)"))
    form.tag_id.choices = blank + [(t.id, t.name) for t in db.session.scalars(select(Tag).order_by(Tag.name,
                                                                                                   Tag.id))]
    form.decision_role.choices = blank + list(DECISION_ROLES.items())
    form.lead_status.choices = blank + [(code, LEAD_STATUSES[code]) for code in LEAD_STATUS_CODES]
    form.lead_grade.choices = blank + [(grade, grade) for grade in GRADES]
    form.lead_source.choices = choices(LEAD_SOURCE, blank=_("(any)"))
    form.campaign_id.choices = [("", _("(choose)"))] + campaign_choices(current_user)


def _audience(form: ComposeForm) -> Audience:
    kind = form.kind.data if form.kind.data in KINDS else "contacts"
    return Audience(kind=kind, level_id=form.level_id.data, industry_id=form.industry_id.data,
                    tag_id=form.tag_id.data, decision_role=form.decision_role.data or None,
                    contact_ids=_contact_ids(form.contact_ids.data),
                    lead_status=form.lead_status.data or None, lead_grade=form.lead_grade.data or None,
                    lead_source=form.lead_source.data, campaign_id=form.campaign_id.data)


KIND_FIELDS = {"contacts": ("level_id", "industry_id", "tag_id", "decision_role"),
               "leads": ("lead_status", "lead_grade", "lead_source"), "campaign": ("campaign_id",)}


def _audience_label(form: ComposeForm, audience: Audience) -> str:
    """What the recipients were chosen by, in words, for the list of sends."""
    parts = [str(KIND_LABELS[audience.kind])]
    for name in KIND_FIELDS[audience.kind]:
        field = form[name]
        if field.data not in (None, ""):
            label = dict((str(key), value) for key, value in field.choices).get(str(field.data), field.data)
            parts.append(f"{field.label.text}: {label}")
    if audience.kind == "contacts" and audience.contact_ids:
        parts.append(_("%(n)d ticked contacts", n=len(set(audience.contact_ids))))
    return "; ".join(parts)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(MailingPermission.SEND)
def compose():
    form = ComposeForm()
    _fill_choices(form)
    if request.method == "GET":
        template = db.session.get(MailTemplate, int_arg("template") or 0)
        if template is not None:
            form.template_id.data, form.subject.data, form.body.data = template.id, template.subject, template.body
        ids = [value for value in request.args.getlist("contact") if value.isdigit()]
        if ids:
            form.contact_ids.data = ",".join(ids)
    found = preview = None
    if form.validate_on_submit():
        audience = _audience(form)
        if request.form.get("action") == "send":
            template = db.session.get(MailTemplate, form.template_id.data or 0)
            try:
                job = services.queue_job(current_user, form.subject.data, form.body.data, audience,
                                         request.url_root, template, _audience_label(form, audience))
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                apply_field_error(form, exc)
            else:
                flash(_("%(n)d e-mails queued: they are being sent in the background.", n=job.pending_count),
                      "success")
                return redirect(url_for("mailing.job", job_id=job.id))
        else:
            try:
                subject, body = services.clean_message(form.subject.data, form.body.data)
            except DomainError as exc:
                apply_field_error(form, exc)
            else:
                found = plan(current_user, audience)
                form.preview_address.choices = [(c.address, f"{c.name or ''} <{c.address}>")
                                                for c in found.recipients[:PREVIEW_ROWS]]
                chosen = next((c for c in found.recipients if c.address == form.preview_address.data),
                              found.recipients[0] if found.recipients else None)
                if chosen is not None:
                    form.preview_address.data = chosen.address
                    preview = services.preview(subject, body, chosen)
    return render_template("mailing/compose.html", form=form, found=found, preview=preview, body_help=BODY_HELP,
                           preview_rows=PREVIEW_ROWS,
                           templates_json={t.id: {"subject": t.subject, "body": t.body}
                                           for t in db.session.scalars(select(MailTemplate))})


# --- sends and their progress -------------------------------------------------------------------

@bp.route("/")
@login_required
@require(MailingPermission.SEND)
def index():
    stmt = services.visible_jobs(current_user).order_by(MailJob.id.desc())
    page = paginate(stmt, page=int_arg("page") or 1, per_page=int_arg("per_page") or 20)
    return render_template("mailing/index.html", page=page, status_labels=JOB_STATUS_LABELS)


def _visible_job(job_id: int) -> MailJob:
    job = services.get_job(current_user, job_id)
    if job is None:
        abort(404)
    return job


def progress_data(job: MailJob) -> dict:
    return {"id": job.id, "status": job.status, "status_label": str(JOB_STATUS_LABELS[job.status]),
            "total": job.total_count, "sent": job.sent_count, "failed": job.failed_count,
            "bounced": job.bounced_count, "skipped": job.skipped_count, "pending": job.pending_count,
            "finished": job.finished_count,
            "percent": round(100 * job.finished_count / job.total_count) if job.total_count else 100}


@bp.route("/jobs/<int:job_id>")
@login_required
@require(MailingPermission.SEND)
def job(job_id: int):
    job = _visible_job(job_id)
    status = request.args.get("status")
    stmt = select(MailRecipient).where(MailRecipient.job_id == job.id)
    if status in RECIPIENT_STATUSES:
        stmt = stmt.where(MailRecipient.status == status)
    page = paginate(stmt.order_by(MailRecipient.id), page=int_arg("page") or 1, per_page=int_arg("per_page") or 50)
    return render_template("mailing/job.html", job=job, page=page, progress=progress_data(job), status=status,
                           status_labels=JOB_STATUS_LABELS, recipient_labels=RECIPIENT_STATUS_LABELS,
                           skip_reasons=SKIP_REASONS, action_form=FlaskForm())


@bp.route("/jobs/<int:job_id>/progress.json")
@login_required
@require(MailingPermission.SEND)
def job_progress(job_id: int):
    return jsonify(progress_data(_visible_job(job_id)))


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@login_required
@require(MailingPermission.SEND)
def job_retry(job_id: int):
    job = _visible_job(job_id)
    if FlaskForm().validate_on_submit():
        try:
            count = services.retry_failed(current_user, job)
            db.session.commit()
            flash(_("%(n)d failed e-mails queued again.", n=count), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
    return redirect(url_for("mailing.job", job_id=job_id))


@bp.route("/jobs/<int:job_id>/cancel", methods=["POST"])
@login_required
@require(MailingPermission.SEND)
def job_cancel(job_id: int):
    job = _visible_job(job_id)
    if FlaskForm().validate_on_submit():
        try:
            count = services.cancel_job(current_user, job)
            db.session.commit()
            flash(_("Send cancelled: %(n)d e-mails will not be sent.", n=count), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
    return redirect(url_for("mailing.job", job_id=job_id))


# --- unsubscribing (public: the recipient has no account) ---------------------------------------

@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    address = services.address_for_token(token)
    if address is None:
        abort(404)
    form = FlaskForm()
    done = services.is_suppressed(address) == "unsubscribed"
    if not done and form.validate_on_submit():
        services.unsubscribe(token)
        db.session.commit()
        done = True
    return render_template("mailing/unsubscribe.html", form=form, address=address, done=done)
