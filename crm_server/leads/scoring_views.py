"""HTTP pages of lead scoring: the rules, the grade thresholds and recomputing every lead's score."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, IntegerField, SelectField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..core import dictionaries
from ..core.errors import DomainError
from ..core.navigation import register_nav
from ..core.permissions import require
from ..core.web import get_or_404, save_form
from ..extensions import db
from . import scoring
from .views import bp
from .scoring import LeadScoringRule, ScoringPermission

register_nav("leads.scoring_index", "bi-speedometer", _l("Lead scoring"), _l("System administration"),
             ScoringPermission.MANAGE, order=930)


class RuleForm(FlaskForm):
    # One select for what the rule looks at and the value it wants ("industry:12", "company_size:500+" ...), in
    # groups, so the page needs no script to show the right second field.
    condition = SelectField(_l("Condition"), validators=[DataRequired()])
    min_amount = DecimalField(_l("Budget at least (yuan)"), places=2, validators=[Optional()])
    points = IntegerField(_l("Points"), validators=[InputRequired(), NumberRange(min=-100, max=100)])
    is_active = BooleanField(_l("Active"), default=True)

    def fill_choices(self, keep_item_id: int | None = None) -> None:
        groups = {}
        for criterion, kind in ((scoring.INDUSTRY, "customer_industry"), (scoring.SOURCE, "lead_source")):
            groups[str(scoring.CRITERION_LABELS[criterion])] = [
                (f"{criterion}:{value}", label) for value, label in dictionaries.choices(kind, keep_id=keep_item_id)]
        groups[str(scoring.CRITERION_LABELS[scoring.COMPANY_SIZE])] = [
            (f"{scoring.COMPANY_SIZE}:{size}", str(scoring.SIZE_LABELS[size])) for size in scoring.COMPANY_SIZES]
        groups[str(scoring.CRITERION_LABELS[scoring.URGENCY])] = [
            (f"{scoring.URGENCY}:{u}", str(scoring.URGENCY_LABELS[u])) for u in scoring.URGENCIES]
        groups[str(scoring.CRITERION_LABELS[scoring.BUDGET])] = [
            (f"{scoring.BUDGET}:", _("Budget at least the amount below"))]
        groups[str(scoring.CRITERION_LABELS[scoring.FILLED])] = [
            (f"{scoring.FILLED}:{name}", str(scoring.FIELD_LABELS[name])) for name in scoring.FILLABLE_FIELDS]
        self.condition.choices = groups

    def data_for_service(self) -> dict:
        criterion, _sep, value = (self.condition.data or "").partition(":")
        item_id = int(value) if criterion in scoring.DICTIONARY_CRITERIA and value.isdigit() else None
        return {"criterion": criterion, "item_id": item_id,
                "value": None if criterion in scoring.DICTIONARY_CRITERIA else value or None,
                "min_amount": self.min_amount.data, "points": self.points.data, "is_active": self.is_active.data}

    @staticmethod
    def condition_of(rule: LeadScoringRule) -> str:
        if rule.criterion in scoring.DICTIONARY_CRITERIA:
            return f"{rule.criterion}:{rule.item_id}"
        return f"{rule.criterion}:{rule.value or ''}"


class ThresholdsForm(FlaskForm):
    grade_a = IntegerField(_l("Grade A from"), validators=[InputRequired(), NumberRange(min=1, max=100)])
    grade_b = IntegerField(_l("Grade B from"), validators=[InputRequired(), NumberRange(min=1, max=100)])
    grade_c = IntegerField(_l("Grade C from"), validators=[InputRequired(), NumberRange(min=1, max=100)])


class RecomputeForm(FlaskForm):
    pass


def _page(thresholds_form: ThresholdsForm | None = None):
    limits = scoring.thresholds()
    if thresholds_form is None:
        thresholds_form = ThresholdsForm(data={"grade_a": limits["A"], "grade_b": limits["B"],
                                               "grade_c": limits["C"]})
    return render_template("leads/scoring.html", rules=scoring.list_rules(), value_label=scoring.value_label,
                           criterion_labels=scoring.CRITERION_LABELS, thresholds_form=thresholds_form,
                           limits=limits, stale=scoring.scores_stale(), recompute_form=RecomputeForm())


@bp.get("/scoring")
@login_required
@require(ScoringPermission.MANAGE)
def scoring_index():
    return _page()


def _rule_form_page(form: RuleForm, rule: LeadScoringRule | None):
    return render_template("leads/scoring_rule_form.html", form=form, rule=rule)


@bp.route("/scoring/rules/new", methods=["GET", "POST"])
@login_required
@require(ScoringPermission.MANAGE)
def scoring_rule_create():
    form = RuleForm()
    form.fill_choices()
    if form.validate_on_submit() and save_form(
            form, lambda: scoring.create_rule(current_user, **form.data_for_service()), _("Rule added.")):
        return redirect(url_for("leads.scoring_index"))
    return _rule_form_page(form, None)


@bp.route("/scoring/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
@require(ScoringPermission.MANAGE)
def scoring_rule_edit(rule_id: int):
    rule = get_or_404(LeadScoringRule, rule_id)
    form = RuleForm(data=None if request.method == "POST" else {
        "condition": RuleForm.condition_of(rule), "min_amount": rule.min_amount, "points": rule.points,
        "is_active": rule.is_active})
    form.fill_choices(keep_item_id=rule.item_id)
    if form.validate_on_submit() and save_form(
            form, lambda: scoring.update_rule(current_user, rule, **form.data_for_service()), _("Rule saved.")):
        return redirect(url_for("leads.scoring_index"))
    return _rule_form_page(form, rule)


@bp.post("/scoring/rules/<int:rule_id>/delete")
@login_required
@require(ScoringPermission.MANAGE)
def scoring_rule_delete(rule_id: int):
    rule = get_or_404(LeadScoringRule, rule_id)
    if not RecomputeForm().validate_on_submit():
        abort(400)
    scoring.delete_rule(current_user, rule)
    db.session.commit()
    flash(_("Rule deleted."), "success")
    return redirect(url_for("leads.scoring_index"))


@bp.post("/scoring/thresholds")
@login_required
@require(ScoringPermission.MANAGE)
def scoring_thresholds():
    form = ThresholdsForm()
    if form.validate_on_submit():
        try:
            changed = scoring.set_thresholds(current_user, form.grade_a.data, form.grade_b.data, form.grade_c.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.grade_a.errors = list(form.grade_a.errors) + [exc.message]
            return _page(form)
        if changed:
            flash(_("Grade thresholds saved. Recompute the scores to grade existing leads by them."), "success")
        return redirect(url_for("leads.scoring_index"))
    return _page(form)


@bp.post("/scoring/recompute")
@login_required
@require(ScoringPermission.MANAGE)
def scoring_recompute():
    if not RecomputeForm().validate_on_submit():
        abort(400)
    read, changed = scoring.rescore_all(current_user, commit=db.session.commit)
    db.session.commit()
    flash(_("Scores recomputed: %(read)d leads, %(changed)d changed.", read=read, changed=changed), "success")
    return redirect(url_for("leads.scoring_index"))
