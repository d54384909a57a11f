"""HTTP pages of opportunities: the list, the kanban board, the opportunity's page, create/edit, stage moves
(drag and drop or a plain form) and delete."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select, true
from sqlalchemy.orm import selectinload

from ..contacts.models import Contact
from ..core.dictionaries import choices
from ..core.errors import DomainError
from ..core.web import int_arg, save_form
from ..extensions import db
from ..followups.models import FollowUp
from . import listing, pipelines, services
from .access import OpportunityPermission, can_edit, get_opportunity
from .dictionaries import SOURCE
from .forms import EXTRA_COMPETITORS, EXTRA_LINES, OpportunityForm, StageChangeForm
from .models import LOST, Opportunity, OpportunityCompetitor, OpportunityContact, Stage
from .sections import ACTIONS, SECTIONS

bp = Blueprint("opportunities", __name__, url_prefix="/opportunities")
# the kanban's funnel figures: opportunities created (or, for the cycle, won) in the last N days
FIGURE_PERIODS = (90, 30, 365)


def _money_arg(name: str) -> Decimal | None:
    value = request.args.get(name, "").replace(",", "").strip()
    try:
        number = Decimal(value) if value else None
    except InvalidOperation:
        return None
    return number if number is not None and number.is_finite() and abs(number) < Decimal("1e15") else None


def _filters() -> listing.OpportunityFilters:
    status = request.args.get("status") or None
    return listing.OpportunityFilters(
        q=request.args.get("q", "").strip()[:100] or None, pipeline_id=int_arg("pipeline"), stage_id=int_arg("stage"),
        status=status if status in services.STATUS_LABELS else None, owner_id=int_arg("owner"),
        customer_id=int_arg("customer"), close_month=request.args.get("close_month") or None,
        amount_min=_money_arg("amount_min"), amount_max=_money_arg("amount_max"))


@bp.get("/")
@login_required
def index():
    filters = _filters()
    sort = request.args.get("sort") if request.args.get("sort") in listing.SORTS else listing.DEFAULT_SORT
    direction = request.args.get("dir") if request.args.get("dir") in ("asc", "desc") else listing.SORTS[sort]
    page = listing.opportunity_page(current_user, filters, sort, direction, page=int_arg("page") or 1,
                                    per_page=int_arg("per_page") or 20)
    all_pipelines = pipelines.pipelines(include_inactive=True)
    stage_rows = db.session.scalars(select(Stage).order_by(Stage.pipeline_id, Stage.sort_order, Stage.id)).all()
    return render_template("opportunities/list.html", page=page, filters=filters, sort=sort, direction=direction,
                           sorts=listing.SORTS, pipelines=all_pipelines, stages=stage_rows,
                           owners=services.owner_choices(current_user), statuses=services.STATUS_LABELS,
                           can_create=current_user.can(OpportunityPermission.CREATE))


@bp.get("/kanban")
@login_required
def kanban():
    all_pipelines = pipelines.pipelines()
    pipeline = next((p for p in all_pipelines if p.id == int_arg("pipeline")), None) or pipelines.default_pipeline()
    if pipeline is None:
        abort(404)
    owner_id = int_arg("owner")
    columns = listing.kanban(current_user, pipeline.id, owner_id)
    return render_template("opportunities/kanban.html", pipeline=pipeline, pipelines=all_pipelines, columns=columns,
                           owner_id=owner_id, owners=services.owner_choices(current_user),
                           stage_form=StageChangeForm(formdata=None), lost=LOST,
                           can_create=current_user.can(OpportunityPermission.CREATE))


@bp.get("/funnel")
@login_required
def funnel():
    """The funnel, conversion and average cycle of a pipeline over a period: its own page, and the kanban's
    section (fetched by the board's script, so that the board does not wait for it)."""
    pipeline = next((p for p in pipelines.pipelines() if p.id == int_arg("pipeline")), None) \
        or pipelines.default_pipeline()
    if pipeline is None:
        abort(404)
    days = int_arg("days") if int_arg("days") in FIGURE_PERIODS else FIGURE_PERIODS[0]
    date_from = services.site_today() - dt.timedelta(days=days - 1)
    rows = services.funnel(current_user, pipeline.id, date_from)
    figures = {"funnel": rows, "conversion": services.conversion_of(rows), "days": days, "periods": FIGURE_PERIODS,
               "cycle": services.average_cycle_days(current_user, pipeline.id, date_from)}
    template = "opportunities/_figures.html" if _wants_json() else "opportunities/funnel.html"
    return render_template(template, pipeline=pipeline, figures=figures)


def _detail_context(opportunity: Opportunity) -> dict:
    contacts = db.session.scalars(select(Contact).join(OpportunityContact, OpportunityContact.contact_id == Contact.id)
                                  .where(OpportunityContact.opportunity_id == opportunity.id)
                                  .order_by(Contact.name, Contact.id)).all()
    competitors = db.session.scalars(select(OpportunityCompetitor)
                                     .where(OpportunityCompetitor.opportunity_id == opportunity.id)
                                     .options(selectinload(OpportunityCompetitor.competitor))).all()
    followups = db.session.scalars(select(FollowUp).where(FollowUp.opportunity_id == opportunity.id)
                                   .order_by(FollowUp.happened_at.desc(), FollowUp.id.desc()).limit(20)
                                   .options(selectinload(FollowUp.user), selectinload(FollowUp.contact))).all()
    return {"contacts": contacts, "competitors": competitors, "followups": followups,
            "history": services.stage_history(opportunity), "edits": services.edit_history(opportunity)}


@bp.get("/<int:opportunity_id>")
@login_required
def detail(opportunity_id: int):
    opportunity = get_opportunity(current_user, opportunity_id)
    editable = can_edit(current_user, opportunity)
    sections = [(section, Markup(render_template(section.template, opportunity=opportunity, can_edit=editable,
                                                 **section.context(current_user, opportunity, request.args))))
                for section in SECTIONS]
    actions = [action for action in ACTIONS if (not action.needs_edit or editable)
               and (action.permission is None or current_user.can(action.permission))]
    form = StageChangeForm(formdata=None, stage_id=opportunity.stage_id)
    form.stage_id.choices = [(s.id, s.name) for s in pipelines.stages(opportunity.pipeline_id)]
    return render_template("opportunities/detail.html", opportunity=opportunity, can_edit=editable,
                           sections=sections, actions=actions, stage_form=form, lost=LOST,
                           can_delete=editable and current_user.can(OpportunityPermission.DELETE),
                           **_detail_context(opportunity))


def _prepare(form: OpportunityForm, customer, opportunity: Opportunity | None) -> dict[str, str]:
    """Choices of the selects, and the empty product/competitor rows offered without JavaScript; returns the list
    prices of the products (for the script that fills a line's price)."""
    all_pipelines = pipelines.pipelines()
    form.pipeline_id.choices = [(p.id, p.name) for p in all_pipelines]
    stage_rows = db.session.scalars(select(Stage).where(Stage.is_active == true())
                                    .order_by(Stage.pipeline_id, Stage.sort_order, Stage.id)).all()
    form.stage_id.choices = [("", _("(first stage)"))] + [(s.id, f"{s.pipeline.name} / {s.name} ({s.probability}%)")
                                                          for s in stage_rows]
    form.source_id.choices = choices(SOURCE, blank="—", keep_id=opportunity.source_id if opportunity else None)
    from ..campaigns.services import campaign_choices
    form.campaign_id.choices = [("", "—")] + campaign_choices(keep_id=opportunity.campaign_id if opportunity else None)
    form.owner_id.choices = services.owner_choices(current_user)
    form.contact_ids.choices = services.contact_choices(customer)
    catalogue = services.product_choices()
    products = [("", "—")] + [(row[0], row[1]) for row in catalogue]
    competitor_rows = [("", "—")] + services.competitor_choices()
    if not form.is_submitted():
        for _index in range(EXTRA_LINES):
            form.lines.append_entry()
        for _index in range(EXTRA_COMPETITORS):
            form.competitors.append_entry()
    for entry in form.lines:
        entry.product_id.choices = products
    for entry in form.competitors:
        entry.competitor_id.choices = competitor_rows
    return {str(row[0]): str(row[2]) for row in catalogue}


def _fill(form: OpportunityForm, opportunity: Opportunity) -> None:
    form.amount.data = str(opportunity.amount)
    form.probability.data = str(opportunity.probability)
    form.contact_ids.data = list(db.session.scalars(select(OpportunityContact.contact_id).where(
        OpportunityContact.opportunity_id == opportunity.id)))
    for line in opportunity.lines:
        form.lines.append_entry({"product_id": line.product_id, "description": line.description,
                                 "quantity": str(line.quantity), "unit_price": str(line.unit_price),
                                 "discount_percent": str(line.discount_percent)})
    for row in db.session.scalars(select(OpportunityCompetitor)
                                  .where(OpportunityCompetitor.opportunity_id == opportunity.id)):
        form.competitors.append_entry({"competitor_id": row.competitor_id,
                                       "offer_amount": str(row.offer_amount) if row.offer_amount is not None else "",
                                       "our_position": row.our_position or ""})


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not current_user.can(OpportunityPermission.CREATE):
        abort(403)
    customer_id = int_arg("customer_id")
    if customer_id is None:
        term = request.args.get("q", "").strip()
        return render_template("contacts/pick_customer.html", term=term, target="opportunities.create",
                               customers=services.customers_matching(current_user, term))
    customer = services.customer_for(current_user, customer_id)
    form = OpportunityForm()
    if not form.is_submitted():
        form.owner_id.data = current_user.id
        form.expected_close_date.data = None
        form.contact_ids.data = [int_arg("contact_id")] if int_arg("contact_id") else []
    prices = _prepare(form, customer, None)
    if form.validate_on_submit():
        created = []
        if save_form(form, lambda: created.append(services.create_opportunity(current_user, customer,
                                                                              **form.data_for_service()))):
            flash(_("The opportunity %(name)s has been created.", name=created[0].name), "success")
            return redirect(url_for("opportunities.detail", opportunity_id=created[0].id))
    return render_template("opportunities/form.html", form=form, customer=customer, opportunity=None, prices=prices)


@bp.route("/<int:opportunity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(opportunity_id: int):
    opportunity = get_opportunity(current_user, opportunity_id, editable=True)
    form = OpportunityForm(obj=opportunity if request.method == "GET" else None)
    if not form.is_submitted():
        while len(form.lines):
            form.lines.pop_entry()
        while len(form.competitors):
            form.competitors.pop_entry()
        _fill(form, opportunity)
    prices = _prepare(form, opportunity.customer, opportunity)
    if form.validate_on_submit():
        if save_form(form, lambda: services.update_opportunity(current_user, opportunity, **form.data_for_service()),
                     _("The opportunity has been saved.")):
            return redirect(url_for("opportunities.detail", opportunity_id=opportunity.id))
    return render_template("opportunities/form.html", form=form, customer=opportunity.customer,
                           opportunity=opportunity, prices=prices)


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


@bp.post("/<int:opportunity_id>/stage")
@login_required
def move(opportunity_id: int):
    """Move to a stage: the kanban's drag and drop (answers JSON) or the stage form (redirects back)."""
    opportunity = get_opportunity(current_user, opportunity_id, editable=True)
    form = StageChangeForm()
    form.stage_id.choices = [(s.id, s.name) for s in pipelines.stages(opportunity.pipeline_id)]
    back = request.form.get("next") or ""
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("opportunities.detail", opportunity_id=opportunity.id)
    message = None
    if not form.validate_on_submit():
        message = "; ".join(str(e) for errors in form.errors.values() for e in errors) or _("Choose a stage.")
    else:
        try:
            services.change_stage(current_user, opportunity, form.stage_id.data, form.loss_reason.data)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            message = exc.message
    if _wants_json():
        if message:
            return jsonify(ok=False, message=message), 400
        return jsonify(ok=True, stage_id=opportunity.stage_id, status=opportunity.status,
                       probability=opportunity.probability)
    if message:
        flash(message, "danger")
    else:
        flash(_("%(name)s is now in the stage %(stage)s.", name=opportunity.name, stage=opportunity.stage.name),
              "success")
    return redirect(back)


@bp.post("/<int:opportunity_id>/delete")
@login_required
def delete(opportunity_id: int):
    opportunity = get_opportunity(current_user, opportunity_id, editable=True)
    try:
        services.delete_opportunity(current_user, opportunity)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("opportunities.detail", opportunity_id=opportunity.id))
    flash(_("The opportunity %(name)s has been deleted.", name=opportunity.name), "success")
    return redirect(url_for("opportunities.index"))


# --- the customer page's section, the contact page's panel -----------------------------------------

SECTION_LIMIT = 10


def customer_section(user, customer, args) -> dict:
    """The customer's opportunities the user may see, newest first."""
    stmt = listing.list_opportunities(user, listing.OpportunityFilters(customer_id=customer.id), "updated_at")
    rows = list(db.session.scalars(stmt.limit(SECTION_LIMIT + 1)).unique())
    return {"opportunities": rows[:SECTION_LIMIT], "opportunities_more": len(rows) > SECTION_LIMIT,
            "statuses": services.STATUS_LABELS,
            "can_create_opportunity": user.can(OpportunityPermission.CREATE)}


def contact_panel(user, contact, args) -> dict:
    """The opportunities this contact takes part in that the user may see."""
    stmt = listing.list_opportunities(user, listing.OpportunityFilters(customer_id=contact.customer_id), "updated_at")
    stmt = stmt.where(Opportunity.id.in_(select(OpportunityContact.opportunity_id)
                                         .where(OpportunityContact.contact_id == contact.id)))
    return {"opportunities": list(db.session.scalars(stmt.limit(SECTION_LIMIT)).unique()),
            "statuses": services.STATUS_LABELS,
            "can_create_opportunity": user.can(OpportunityPermission.CREATE)}
