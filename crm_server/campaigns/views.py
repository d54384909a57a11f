"""HTTP pages of campaigns: the list with each campaign's results, the campaign's page (results, leads,
customers), create/edit/delete, and linking customers."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from ..core.errors import DomainError
from ..core.pagination import paginate
from ..core.web import date_arg, int_arg, save_form
from ..extensions import db
from . import services
from .access import can_manage, can_view, get_campaign
from .forms import CampaignForm, LinkCustomersForm
from .models import STATUSES, Campaign
from .results import results_for, results_of

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


def _require_view() -> None:
    if not can_view(current_user):
        abort(403)


def _filters() -> services.CampaignFilters:
    status = request.args.get("status") or None
    return services.CampaignFilters(
        q=request.args.get("q", "").strip()[:100] or None, status=status if status in STATUSES else None,
        kind_id=int_arg("kind"), owner_id=int_arg("owner"), date_from=date_arg("from"), date_to=date_arg("to"))


@bp.get("/")
@login_required
def index():
    _require_view()
    filters = _filters()
    sort = request.args.get("sort") if request.args.get("sort") in services.SORTS else services.DEFAULT_SORT
    direction = request.args.get("dir") if request.args.get("dir") in ("asc", "desc") else services.SORTS[sort]
    stmt = services.list_campaigns(current_user, filters, sort, direction).options(
        selectinload(Campaign.kind), selectinload(Campaign.owner))
    page = paginate(stmt, page=int_arg("page") or 1, per_page=int_arg("per_page") or 20)
    results = results_for([campaign.id for campaign in page.items])
    return render_template("campaigns/list.html", page=page, results=results, filters=filters, sort=sort,
                           direction=direction, sorts=services.SORTS, statuses=services.STATUS_LABELS,
                           kinds=services.kind_choices(), owners=services.owner_choices(),
                           can_manage=can_manage(current_user))


@bp.get("/<int:campaign_id>")
@login_required
def detail(campaign_id: int):
    campaign = get_campaign(current_user, campaign_id)
    from ..leads.models import Lead
    leads = paginate(services.campaign_leads(current_user, campaign.id).options(selectinload(Lead.owner)),
                     page=int_arg("leads_page") or 1)
    customers = paginate(services.linked_customers(current_user, campaign), page=int_arg("customers_page") or 1,
                         scalars=False)
    term = request.args.get("q", "").strip()[:100]
    found = services.customers_to_link(current_user, campaign, term) if term else []
    return render_template("campaigns/detail.html", campaign=campaign, results=results_of(campaign), leads=leads,
                           customers=customers, term=term, found=found, link_form=LinkCustomersForm(formdata=None),
                           statuses=services.STATUS_LABELS, can_manage=can_manage(current_user),
                           lead_links="leads.detail" in current_app.view_functions, lead_statuses=_lead_statuses())


def _lead_statuses() -> dict:
    from ..leads import models as lead_models
    labels = getattr(lead_models, "STATUS_LABELS", None)
    if labels is None:
        try:
            from ..leads.services import STATUS_LABELS as labels
        except ImportError:
            labels = {}
    return labels


def _prepare(form: CampaignForm, campaign: Campaign | None) -> None:
    form.kind_id.choices = services.kind_choices(keep_id=campaign.kind_id if campaign else None, blank="—")
    form.status.choices = [(code, str(label)) for code, label in services.STATUS_LABELS.items()]
    form.owner_id.choices = services.owner_choices()


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not can_manage(current_user):
        abort(403)
    form = CampaignForm()
    if not form.is_submitted():
        form.owner_id.data = current_user.id
    _prepare(form, None)
    if form.validate_on_submit():
        created = []
        if save_form(form, lambda: created.append(services.create_campaign(current_user, **form.data_for_service()))):
            flash(_("The campaign %(name)s has been created.", name=created[0].name), "success")
            return redirect(url_for("campaigns.detail", campaign_id=created[0].id))
    return render_template("campaigns/form.html", form=form, campaign=None)


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@login_required
def edit(campaign_id: int):
    campaign = get_campaign(current_user, campaign_id, editable=True)
    form = CampaignForm(obj=campaign if request.method == "GET" else None)
    if not form.is_submitted():
        form.budget.data = "" if campaign.budget is None else str(campaign.budget)
        form.actual_cost.data = "" if campaign.actual_cost is None else str(campaign.actual_cost)
    _prepare(form, campaign)
    if form.validate_on_submit():
        if save_form(form, lambda: services.update_campaign(current_user, campaign, **form.data_for_service()),
                     _("The campaign has been saved.")):
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/form.html", form=form, campaign=campaign)


@bp.post("/<int:campaign_id>/delete")
@login_required
def delete(campaign_id: int):
    campaign = get_campaign(current_user, campaign_id, editable=True)
    services.delete_campaign(current_user, campaign)
    db.session.commit()
    flash(_("The campaign %(name)s has been deleted.", name=campaign.name), "success")
    return redirect(url_for("campaigns.index"))


@bp.post("/<int:campaign_id>/customers")
@login_required
def link(campaign_id: int):
    """Link the customers ticked in the search results (ids the user may not see refuse the whole request)."""
    campaign = get_campaign(current_user, campaign_id)
    form = LinkCustomersForm()
    if not form.validate_on_submit():
        flash(_("Choose at least one customer."), "danger")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    try:
        added = services.link_customers(current_user, campaign, form.customer_ids.data, form.note.data)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    flash(_("%(n)d customers linked to the campaign.", n=added), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id, _anchor="campaign-customers"))


@bp.post("/<int:campaign_id>/customers/from-list")
@login_required
def link_from_list(campaign_id: int):
    """Link every customer of a customer list's filter (the list's query string, posted as `query`): the
    customers list's own filters, within what the user may see."""
    from urllib.parse import parse_qsl

    from sqlalchemy import select
    from werkzeug.datastructures import MultiDict

    from ..customers.services import list_customers
    from ..customers.views import filters_from
    campaign = get_campaign(current_user, campaign_id)
    query = request.form.get("query", "").strip()[:2000]
    args = MultiDict(parse_qsl(query.split("?", 1)[1] if "?" in query else query))
    matching = list_customers(current_user, filters_from(args)).order_by(None).subquery()
    try:
        added = services.link_filtered_customers(current_user, campaign,
                                                 select(matching.c.id).order_by(matching.c.id))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    flash(_("%(n)d customers linked to the campaign.", n=added), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id, _anchor="campaign-customers"))


@bp.post("/<int:campaign_id>/customers/<int:customer_id>/remove")
@login_required
def unlink(campaign_id: int, customer_id: int):
    campaign = get_campaign(current_user, campaign_id)
    try:
        services.unlink_customer(current_user, campaign, customer_id)
        db.session.commit()
    except DomainError:
        db.session.rollback()
        abort(404)
    flash(_("The customer has been removed from the campaign."), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id, _anchor="campaign-customers"))


# --- the customer page's section ---------------------------------------------------------------

def customer_section(user, customer, args) -> dict:
    """The campaigns this customer took part in (the campaign names are shown to every sales role)."""
    return {"campaign_links": services.customer_campaigns(customer.id) if can_view(user) else [],
            "campaign_statuses": services.STATUS_LABELS}
