"""HTTP pages of competitors: the list, create/edit, and a competitor's page with our record against them."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.pagination import PAGE_SIZES, paginate
from ..core.permissions import require
from ..core.web import get_or_404, int_arg, save_form
from ..opportunities.models import Competitor
from . import services
from .access import CompetitorPermission
from .forms import CompetitorForm

bp = Blueprint("competitors", __name__, url_prefix="/competitors")

FIELD_LABELS = {"website": _l("Website"), "strengths": _l("Strengths"), "weaknesses": _l("Weaknesses"),
                "products": _l("Their products"), "price_level": _l("Price level"), "notes": _l("Notes")}


@bp.get("/")
@login_required
def index():
    q = (request.args.get("q") or "").strip()[:100] or None
    page = paginate(services.list_competitors(q), page=int_arg("page") or 1,
                    per_page=int_arg("per_page") or PAGE_SIZES[0])
    return render_template("competitors/list.html", page=page, q=q, price_levels=services.PRICE_LEVELS,
                           may_manage=current_user.can(CompetitorPermission.MANAGE))


@bp.get("/<int:competitor_id>")
@login_required
def detail(competitor_id: int):
    competitor = get_or_404(Competitor, competitor_id)
    page = paginate(services.encounters(current_user, competitor), page=int_arg("page") or 1, scalars=False)
    return render_template("competitors/detail.html", competitor=competitor, page=page,
                           record=services.record_against(competitor), price_levels=services.PRICE_LEVELS,
                           may_manage=current_user.can(CompetitorPermission.MANAGE),
                           has_opportunity_page="opportunities.detail" in current_app.view_functions)


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(CompetitorPermission.MANAGE)
def create():
    form = CompetitorForm()
    if form.validate_on_submit():
        created = []
        if save_form(form, lambda: created.append(services.create_competitor(current_user,
                                                                             **form.data_for_service())),
                     _("Competitor saved.")):
            return redirect(url_for("competitors.detail", competitor_id=created[0].id))
    return render_template("competitors/form.html", form=form, competitor=None)


@bp.route("/<int:competitor_id>/edit", methods=["GET", "POST"])
@login_required
@require(CompetitorPermission.MANAGE)
def edit(competitor_id: int):
    competitor = get_or_404(Competitor, competitor_id)
    form = CompetitorForm(obj=competitor)
    if request.method == "GET":
        form.price_level.data = competitor.price_level or ""
    if form.validate_on_submit():
        if save_form(form, lambda: services.update_competitor(current_user, competitor, **form.data_for_service()),
                     _("Competitor saved.")):
            return redirect(url_for("competitors.detail", competitor_id=competitor.id))
    return render_template("competitors/form.html", form=form, competitor=competitor)
