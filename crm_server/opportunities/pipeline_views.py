"""Administration of pipelines and their stages (permission pipeline.manage)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.permissions import require
from ..core.web import get_or_404, save_form
from ..extensions import db
from . import pipelines
from .access import OpportunityPermission
from .forms import PipelineForm, StageForm
from .models import Pipeline, Stage
from .views import bp

MANAGE = OpportunityPermission.PIPELINES


@bp.route("/pipelines", methods=["GET", "POST"])
@login_required
@require(MANAGE)
def pipelines_index():
    form = PipelineForm()
    if form.validate_on_submit():
        created = []
        if save_form(form, lambda: created.append(pipelines.create_pipeline(current_user, form.name.data,
                                                                            form.is_default.data)),
                     _("The pipeline has been added.")):
            return redirect(url_for("opportunities.pipeline_edit", pipeline_id=created[0].id))
    return render_template("opportunities/pipelines.html", form=form,
                           pipelines=pipelines.pipelines(include_inactive=True))


@bp.route("/pipelines/<int:pipeline_id>", methods=["GET", "POST"])
@login_required
@require(MANAGE)
def pipeline_edit(pipeline_id: int):
    pipeline = get_or_404(Pipeline, pipeline_id)
    form = PipelineForm(obj=pipeline)
    stage_form = StageForm(formdata=None, probability="0")
    if form.validate_on_submit():
        if save_form(form, lambda: pipelines.update_pipeline(current_user, pipeline, form.name.data,
                                                             form.is_active.data, form.is_default.data),
                     _("The pipeline has been saved.")):
            return redirect(url_for("opportunities.pipeline_edit", pipeline_id=pipeline.id))
    return render_template("opportunities/pipeline.html", pipeline=pipeline, form=form, stage_form=stage_form,
                           stages=pipelines.stages(pipeline.id, include_inactive=True), kinds=pipelines.KINDS)


@bp.post("/pipelines/<int:pipeline_id>/stages")
@login_required
@require(MANAGE)
def stage_add(pipeline_id: int):
    pipeline = get_or_404(Pipeline, pipeline_id)
    stage_form = StageForm()
    if stage_form.validate_on_submit():
        if save_form(stage_form, lambda: pipelines.add_stage(current_user, pipeline, stage_form.name.data,
                                                             stage_form.probability.data, stage_form.kind.data),
                     _("The stage has been added.")):
            return redirect(url_for("opportunities.pipeline_edit", pipeline_id=pipeline.id))
    return render_template("opportunities/pipeline.html", pipeline=pipeline, form=PipelineForm(obj=pipeline,
                           formdata=None), stage_form=stage_form, kinds=pipelines.KINDS,
                           stages=pipelines.stages(pipeline.id, include_inactive=True)), 400


@bp.route("/stages/<int:stage_id>", methods=["GET", "POST"])
@login_required
@require(MANAGE)
def stage_edit(stage_id: int):
    stage = get_or_404(Stage, stage_id)
    form = StageForm(obj=stage)
    if not form.is_submitted():
        form.probability.data = str(stage.probability)
    if form.validate_on_submit():
        if save_form(form, lambda: pipelines.update_stage(current_user, stage, form.name.data, form.probability.data,
                                                          form.kind.data, form.is_active.data),
                     _("The stage has been saved.")):
            return redirect(url_for("opportunities.pipeline_edit", pipeline_id=stage.pipeline_id))
    return render_template("opportunities/stage.html", stage=stage, form=form)


@bp.post("/stages/<int:stage_id>/move")
@login_required
@require(MANAGE)
def stage_move(stage_id: int):
    stage = get_or_404(Stage, stage_id)
    try:
        pipelines.move_stage(current_user, stage, "up" if request.form.get("direction") == "up" else "down")
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    return redirect(url_for("opportunities.pipeline_edit", pipeline_id=stage.pipeline_id))
