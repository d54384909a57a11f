"""Pages for managers and administrators: the round-robin assignment team, and the bulk duplicate view with merge."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select, true

from ..core.errors import DomainError
from ..core.models import User
from ..core.permissions import require
from ..core.web import int_arg
from ..extensions import db
from . import assignment
from .access import LeadPermission, get_lead
from .duplicates import FIELDS as DUPLICATE_FIELDS
from .duplicates import duplicate_groups, merge_leads
from .forms import AssigneeForm
from .models import LeadAssignee
from .services import STATUS_LABELS
from .views import bp


@bp.route("/team", methods=["GET", "POST"])
@login_required
@require(LeadPermission.ASSIGN_RULES)
def team():
    form = AssigneeForm()
    form.user_id.choices = [("", "—")] + [(row.id, row.display_name) for row in db.session.execute(
        select(User.id, User.display_name).where(User.is_active == true()).order_by(User.display_name, User.id))]
    if form.validate_on_submit():
        user = db.session.get(User, form.user_id.data)
        try:
            assignment.save_member(current_user, user, form.receives_a_grade.data, form.is_active.data)
            db.session.commit()
            flash(_("The assignment team has been saved."), "success")
            return redirect(url_for("leads.team"))
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
    return render_template("leads/team.html", form=form, members=assignment.team())


@bp.post("/team/<int:user_id>/remove")
@login_required
@require(LeadPermission.ASSIGN_RULES)
def team_remove(user_id: int):
    member = db.session.get(LeadAssignee, user_id)
    if member is not None:
        assignment.remove_member(current_user, member)
        db.session.commit()
        flash(_("The colleague no longer receives leads automatically."), "success")
    return redirect(url_for("leads.team"))


@bp.get("/duplicates")
@login_required
@require(LeadPermission.MERGE)
def duplicates():
    return render_template("leads/duplicates.html", groups=duplicate_groups(current_user),
                           duplicate_fields=DUPLICATE_FIELDS, status_labels=STATUS_LABELS)


@bp.post("/merge")
@login_required
@require(LeadPermission.MERGE)
def merge():
    keep_id, other_id = int_arg("keep_id", request.form), int_arg("other_id", request.form)
    if not keep_id or not other_id:
        flash(_("Choose the lead to keep and the one to merge into it."), "danger")
        return redirect(url_for("leads.duplicates"))
    keep = get_lead(current_user, keep_id, editable=True)
    other = get_lead(current_user, other_id, editable=True)
    try:
        merge_leads(current_user, keep, other)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("leads.duplicates"))
    flash(_("The leads have been merged."), "success")
    return redirect(url_for("leads.detail", lead_id=keep.id))
