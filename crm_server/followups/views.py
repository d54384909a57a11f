"""HTTP pages of the follow-ups domain: the list, logging and editing, my plans, and attachment downloads.
Also the customer page's timeline section and the contact page's follow-ups panel."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..contacts import services as contacts
from ..core.errors import DomainError
from ..core.pagination import paginate
from ..core.web import apply_field_error as _apply_field_error, date_arg as _date_arg, int_arg as _int_arg
from ..customers.access import get_customer
from ..extensions import db
from . import attachments, services
from .forms import FILES_HELP, FollowUpEditForm, FollowUpForm

bp = Blueprint("followups", __name__, url_prefix="/followups")
# The follow-up list counts at most this many: a director's million follow-ups are read newest first, and an exact
# count of them cost 190 ms of the page's 230 (benchmark); filters bring a list under the limit and back to exact.
LIST_COUNT_LIMIT = 10_000

TIMELINE_STEP = 10
TIMELINE_MAX = 200  # the section grows by "more" up to this; the full list pages beyond it


@bp.url_value_preprocessor
def _allow_attachments(endpoint, values):
    # Runs before every before_request function, including CSRF protection, which reads the form: the
    # follow-up forms may carry up to five files of 10 MB, more than the site-wide request limit.
    if endpoint in ("followups.create", "followups.edit"):
        request.max_content_length = attachments.MAX_REQUEST_SIZE


def customer_url(customer_id: int, anchor: str | None = "followups") -> str:
    """The customer's page at its follow-ups section."""
    return url_for("customers.detail", customer_id=customer_id, _anchor=anchor)


def _now_local() -> dt.datetime:
    return services.to_local(dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, second=0, microsecond=0))


def _opportunity_choices(customer, keep_id: int | None = None) -> list:
    """The customer's open opportunities the user may see, for logging a follow-up against one (issue 4)."""
    from ..opportunities.services import opportunity_choices
    rows = opportunity_choices(current_user, customer.id)
    if keep_id and keep_id not in dict(rows):
        rows.append((keep_id, _("(the current opportunity)")))
    return [("", _("(none)"))] + rows


def _new_form(customer) -> FollowUpForm:
    """The form to log a follow-up for a customer: its contacts to choose from, now as the time."""
    form = FollowUpForm()
    form.contact_id.choices = [("", _("(none)"))] + contacts.contact_choices(customer)
    form.opportunity_id.choices = _opportunity_choices(customer)
    if not form.is_submitted():
        form.happened_at.data = _now_local()
        form.contact_id.data = _int_arg("contact_id")
        form.opportunity_id.data = _int_arg("opportunity_id")
    return form


# --- the customer page's section, the contact page's panel -----------------------------------------

def customer_section(user, customer, args) -> dict:
    """The timeline: newest first, TIMELINE_STEP more per "more", and the form to log the next one."""
    shown = min(max(_int_arg("followups_shown", args) or TIMELINE_STEP, TIMELINE_STEP), TIMELINE_MAX)
    items = services.timeline(customer, shown + 1)
    followups = items[:shown]
    form = FollowUpForm(formdata=None)
    form.contact_id.choices = [("", _("(none)"))] + contacts.contact_choices(customer)
    form.opportunity_id.choices = _opportunity_choices(customer)
    form.happened_at.data = _now_local()
    return {"followups": followups, "followups_more": len(items) > shown,
            "followups_next": min(shown + TIMELINE_STEP, TIMELINE_MAX), "followups_at_max": shown >= TIMELINE_MAX,
            "followup_rights": services.permissions_for(user, followups), "followup_form": form,
            "files_help": FILES_HELP, "kinds": services.KINDS, "kind_icons": services.KIND_ICONS,
            "today_bounds": services.today_bounds()}


def contact_panel(user, contact, args) -> dict:
    """The follow-ups with this contact, newest first."""
    items = services.contact_timeline(contact, TIMELINE_STEP + 1)
    followups = items[:TIMELINE_STEP]
    return {"followups": followups, "followups_more": len(items) > TIMELINE_STEP,
            "followup_rights": services.permissions_for(user, followups),
            "kinds": services.KINDS, "kind_icons": services.KIND_ICONS, "today_bounds": services.today_bounds()}


# --- pages ----------------------------------------------------------------------------------------

@bp.get("/")
@login_required
def index():
    filters = services.FollowUpFilters(
        user_id=_int_arg("user"), kind=request.args.get("kind") or None, date_from=_date_arg("date_from"),
        date_to=_date_arg("date_to"), customer_id=_int_arg("customer"), contact_id=_int_arg("contact"))
    customer = contacts.visible_customer(current_user, filters.customer_id)
    if customer is None:
        filters.customer_id = None
    contact = contacts.visible_contact(current_user, filters.contact_id)
    if contact is None:
        filters.contact_id = None
    page = paginate(services.followup_query(current_user, filters), page=_int_arg("page") or 1,
                    per_page=_int_arg("per_page") or 20, count_limit=LIST_COUNT_LIMIT)
    return render_template("followups/list.html", page=page, filters=filters, customer=customer, contact=contact,
                           authors=services.author_choices(current_user), kinds=services.KINDS,
                           kind_icons=services.KIND_ICONS, rights=services.permissions_for(current_user, page.items),
                           plan_counts=services.plan_counts(current_user), today_bounds=services.today_bounds())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    customer_id = _int_arg("customer_id")
    if customer_id is None:
        term = request.args.get("q", "").strip()
        return render_template("contacts/pick_customer.html", term=term, target="followups.create",
                               customers=contacts.editable_customers(current_user, term))
    customer = get_customer(current_user, customer_id, editable=True)
    form = _new_form(customer)
    if form.validate_on_submit():
        try:
            services.log_followup(current_user, customer, **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            flash(_("The follow-up has been logged."), "success")
            return redirect(customer_url(customer.id))
    return render_template("followups/form.html", form=form, customer=customer, followup=None,
                           files_help=FILES_HELP)


@bp.route("/<int:followup_id>/edit", methods=["GET", "POST"])
@login_required
def edit(followup_id: int):
    followup = services.get_followup(current_user, followup_id)
    if not services.may_edit(current_user, followup):
        abort(403)  # seen but not editable: the author after 24 hours, a colleague, a read-only collaborator
    customer = followup.customer
    form = FollowUpEditForm(obj=followup)
    form.contact_id.choices = [("", _("(none)"))] + contacts.contact_choices(customer, keep_id=followup.contact_id)
    form.opportunity_id.choices = _opportunity_choices(customer, followup.opportunity_id)
    form.remove_attachments.choices = [(a.id, a.filename) for a in followup.attachments]
    if not form.is_submitted():
        form.happened_at.data = services.to_local(followup.happened_at)
        form.next_followup_at.data = services.to_local(followup.next_followup_at)
    if form.validate_on_submit():
        try:
            services.update_followup(current_user, followup, **form.data_for_service())
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            _apply_field_error(form, exc)
        else:
            flash(_("The follow-up has been saved."), "success")
            return redirect(customer_url(customer.id))
    return render_template("followups/form.html", form=form, customer=customer, followup=followup,
                           files_help=FILES_HELP)


@bp.post("/<int:followup_id>/delete")
@login_required
def delete(followup_id: int):
    followup = services.get_followup(current_user, followup_id)
    if not services.may_delete(current_user, followup):
        abort(403)
    customer_id = followup.customer_id
    try:
        services.delete_followup(current_user, followup)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("The follow-up has been deleted."), "success")
    return redirect(customer_url(customer_id))


def _plans(which: str):
    page = paginate(services.plans_query(current_user, which), page=_int_arg("page") or 1,
                    per_page=_int_arg("per_page") or 20)
    return render_template("followups/plans.html", page=page, which=which,
                           plan_counts=services.plan_counts(current_user), kinds=services.KINDS,
                           kind_icons=services.KIND_ICONS, today_bounds=services.today_bounds())


@bp.get("/today")
@login_required
def today():
    return _plans("today")


@bp.get("/overdue")
@login_required
def overdue():
    return _plans("overdue")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):
    item = attachments.get_attachment(current_user, attachment_id)
    path = attachments.file_path(item)
    if not path.is_file():
        current_app.logger.warning("attachment %s: file %s is missing", item.id, path)
        return render_template("errors/error.html", code=404, title=_("Page not found"),
                               message=_("The file of this attachment is missing on the server.")), 404
    return send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.filename,
                     max_age=0)
