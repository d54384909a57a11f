"""HTTP pages of the public pool: the pool list, a pool customer's summary, claiming, assigning, releasing,
hand-over of departing staff, customers that need a new owner, and the pool administration pages."""
from __future__ import annotations


from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.dictionaries import choices
from ..core.errors import DomainError
from ..core.models import Branch, User
from ..core.pagination import paginate
from ..core.permissions import require
from ..core.roles import role_label
from ..core.web import date_arg as _date_arg, get_or_404 as _get_or_404, int_arg as _int_arg, save_form as _save
from ..customers.access import CustomerPermission, visible_customers
from ..customers.dictionaries import INDUSTRY, LEVEL
from ..customers.models import Customer
from ..extensions import db
from . import handover as handover_services
from . import services
from .forms import AssignForm, HandoverForm, PoolForm, RecycleRuleForm, ReleaseForm, limits_form
from .models import PublicPool, RecycleRule
from .services import PoolPermission

bp = Blueprint("pool", __name__, url_prefix="/pool")

MAX_IDS = 1000  # customers one request may name (a page holds at most 100)


# --- helpers ----------------------------------------------------------------------------------

def _ids(source) -> list[int]:
    """Customer ids a form or link names (`ids`, repeated); anything else in it is a bad request."""
    values = source.getlist("ids")
    if len(values) > MAX_IDS or any(not v.isdigit() or len(v) > 9 for v in values):
        abort(400)
    return sorted({int(v) for v in values})


def _back(default: str) -> str:
    """Where to go after a pool action: the pool page the form came from (only ever a page of this domain)."""
    target = request.form.get("next", "")
    prefix = url_for("pool.index")
    if target.startswith(prefix) and not target.startswith("//"):
        return target
    return default


def customer_url(customer_id: int) -> str | None:
    """The customer's own page (None while the customers domain serves none)."""
    if "customers.detail" not in current_app.view_functions:
        return None
    return url_for("customers.detail", customer_id=customer_id)


def customers_url() -> str:
    """The user's customer list, or the pool when there is none."""
    if "customers.index" not in current_app.view_functions:
        return url_for("pool.index")
    return url_for("customers.index")


def _user_label(user: User) -> str:
    label = user.display_name
    if user.department is not None:
        label += f" · {user.department.name}"
    if not user.is_active:
        label += f" ({_('disabled')})"
    return label


# --- the pool list, claiming and assigning ----------------------------------------------------

@bp.get("/")
@login_required
@require(PoolPermission.USE)
def index():
    filters = services.PoolFilters(
        pool_id=_int_arg("pool"), text=request.args.get("q", "").strip() or None, level_id=_int_arg("level"),
        industry_id=_int_arg("industry"), city=request.args.get("city", "").strip()[:30] or None,
        released_from=_date_arg("released_from"), released_to=_date_arg("released_to"),
        sort=request.args.get("sort", "released") if request.args.get("sort") in services.SORTS else "released")
    page = paginate(services.pool_list_query(current_user, filters), page=_int_arg("page") or 1,
                    per_page=_int_arg("per_page") or 20)
    pools = services.usable_pools(current_user)
    can_assign = current_user.can(CustomerPermission.TRANSFER)
    limit = services.role_limit(current_user.role_id)
    return render_template(
        "pool/index.html", page=page, filters=filters, pools=pools,
        pool_names={pool.id: pool.name for pool in pools}, default_pool=services.default_pool(),
        levels=choices(LEVEL), industries=choices(INDUSTRY), sorts=services.SORT_LABELS,
        can_assign=can_assign, users=services.assignable_users(current_user) if can_assign else [],
        limit=limit, held=services.held_count(current_user), claimed_today=services.claimed_today(current_user),
        user_label=_user_label)


def _pool_customers_or_404(ids: list[int]) -> list[Customer]:
    if not ids:
        return []
    customers = services.get_pool_customers(current_user, ids)
    if len(customers) != len(ids):
        abort(404)  # another branch's pool, an owned customer, or no such customer: nothing is said about it
    return customers


@bp.post("/claim")
@login_required
@require(PoolPermission.USE)
def claim():
    one = _int_arg("one", request.form)
    ids = [one] if one else _ids(request.form)
    back = _back(url_for("pool.index"))
    if not ids:
        flash(_("Choose at least one customer."), "warning")
        return redirect(back)
    customers = _pool_customers_or_404(ids)
    names = [c.name for c in customers]
    try:
        count = services.claim_customers(current_user, customers)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    if count == 1:
        flash(_("You claimed %(name)s. It is now among your customers.", name=names[0]), "success")
        target = customer_url(ids[0])
        if one and target:
            return redirect(target)
    else:
        flash(_("You claimed %(n)d customers. They are now among your customers.", n=count), "success")
    return redirect(back)


@bp.post("/assign")
@login_required
@require(PoolPermission.USE, CustomerPermission.TRANSFER)
def assign():
    ids = _ids(request.form)
    back = _back(url_for("pool.index"))
    if not ids:
        flash(_("Choose at least one customer."), "warning")
        return redirect(back)
    customers = _pool_customers_or_404(ids)
    to_user = db.session.get(User, _int_arg("to_user_id", request.form) or 0)
    if to_user is None:
        flash(_("Choose the user to assign to."), "warning")
        return redirect(back)
    try:
        count = services.assign_from_pool(current_user, customers, to_user, request.form.get("reason"))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back)
    flash(_("%(n)d customers assigned to %(name)s.", n=count, name=to_user.display_name), "success")
    return redirect(back)


@bp.get("/customers/<int:customer_id>")
@login_required
@require(PoolPermission.USE)
def customer(customer_id: int):
    found = db.session.scalar(services.pool_customers(current_user).where(Customer.id == customer_id)
                              .options(selectinload(Customer.level), selectinload(Customer.industry),
                                       selectinload(Customer.source), selectinload(Customer.status)))
    if found is None:
        # Claimed a moment ago by this user (or one they can see): their own page tells more.
        visible = db.session.scalar(visible_customers(current_user, select(Customer.id))
                                    .where(Customer.id == customer_id))
        target = customer_url(customer_id) if visible else None
        if target:
            return redirect(target)
        abort(404)
    pool = db.session.get(PublicPool, found.pool_id) if found.pool_id else services.default_pool()
    can_assign = current_user.can(CustomerPermission.TRANSFER)
    form = AssignForm()
    form.to_user_id.choices = [("", _("Choose a user"))] + [
        (u.id, _user_label(u)) for u in (services.assignable_users(current_user) if can_assign else [])]
    return render_template("pool/customer.html", customer=found, pool=pool,
                           release=services.last_release(found), history=services.owner_changes(found),
                           contacts=services.contact_count(found), can_assign=can_assign, form=form,
                           kind_labels=services.KIND_LABELS)


# --- releasing --------------------------------------------------------------------------------

def _releasable_or_abort(ids: list[int]) -> list[Customer]:
    """The customers if the user may see them all (404 otherwise) and release them all (403 otherwise)."""
    if not ids:
        abort(404)
    customers = list(db.session.scalars(visible_customers(current_user).where(Customer.id.in_(ids))
                                        .options(selectinload(Customer.owner))
                                        .order_by(Customer.name, Customer.id)))
    if len(customers) != len(ids):
        abort(404)
    if not services.may_release(current_user, customers):
        abort(403)
    return customers


@bp.route("/release", methods=["GET", "POST"])
@login_required
@require(PoolPermission.USE)
def release():
    """The release form for one customer (?customer_id=, from its page) or several (ids, from a list)."""
    ids = _ids(request.values)
    single = _int_arg("customer_id", request.values)
    if single and single not in ids:
        ids.append(single)
    customers = _releasable_or_abort(ids)
    form = ReleaseForm()
    # A list's bulk bar posts only the ids: that opens the form; posting a reason releases.
    if request.method == "POST" and "reason" in request.form and form.validate_on_submit():
        names = [c.name for c in customers]
        if _save(form, lambda: services.release_customers(current_user, customers, form.reason.data),
                 lambda n: (_("%(name)s has been released to the public pool.", name=names[0]) if n == 1
                            else _("%(n)d customers have been released to the public pool.", n=n))):
            return redirect(customers_url())
    return render_template("pool/release.html", form=form, customers=customers,
                           cancel_url=(customer_url(customers[0].id) if len(customers) == 1 else None)
                           or customers_url())


# --- hand-over and customers that need a new owner --------------------------------------------

@bp.get("/handover")
@login_required
@require(CustomerPermission.HANDOVER)
def handover():
    form = HandoverForm(formdata=request.args if request.args else None)
    departing = handover_services.departing_candidates(current_user)
    receiving = handover_services.receiving_candidates(current_user)
    form.from_user_id.choices = [("", _("Choose a user"))] + [
        (user.id, _("%(user)s — %(n)d customers", user=_user_label(user), n=count)) for user, count in departing]
    form.to_user_id.choices = [("", _("Choose a user"))] + [(user.id, _user_label(user)) for user in receiving]
    from_user = to_user = page = None
    if request.args.get("from_user_id") and request.args.get("to_user_id") and form.validate():
        from_user = db.session.get(User, form.from_user_id.data)
        to_user = db.session.get(User, form.to_user_id.data)
        if from_user.id == to_user.id:
            form.to_user_id.errors = list(form.to_user_id.errors) + [_("The receiving user must be someone else.")]
            from_user = to_user = None
        else:
            stmt = (visible_customers(current_user).where(Customer.owner_id == from_user.id)
                    .options(selectinload(Customer.level)).order_by(Customer.name, Customer.id))
            page = paginate(stmt, page=_int_arg("page") or 1, per_page=_int_arg("per_page") or 50)
    return render_template("pool/handover.html", form=form, from_user=from_user, to_user=to_user, page=page,
                           orphan_count=handover_services.orphan_count(current_user))


def _handover_request():
    """The departing user (None for customers of disabled users), receiver, chosen ids (None = all), reason."""
    from_id = _int_arg("from_user_id", request.form)
    from_user = db.session.get(User, from_id) if from_id else None
    if from_id and from_user is None:
        abort(404)
    to_user = db.session.get(User, _int_arg("to_user_id", request.form) or 0)
    if request.form.get("scope") == "all" and from_user is not None:
        ids = None
    else:
        ids = _ids(request.form)
        if ids:
            found = db.session.scalars(handover_services.selection(current_user, from_user, ids)).all()
            if len(found) != len(ids):
                abort(404)  # someone else's customers, or not of this departing user
    reason = (request.form.get("reason") or "").strip()[:500] or None
    return from_user, to_user, ids, reason


def _handover_back(from_user, to_user) -> str:
    if from_user is None:
        return url_for("pool.orphans")
    return url_for("pool.handover", from_user_id=from_user.id, to_user_id=to_user.id if to_user else "")


@bp.post("/handover/preview")
@login_required
@require(CustomerPermission.HANDOVER)
def handover_preview():
    from_user, to_user, ids, reason = _handover_request()
    if to_user is None or not to_user.is_active:
        flash(_("Choose the receiving user."), "warning")
        return redirect(_handover_back(from_user, to_user))
    if ids is not None and not ids:
        flash(_("Choose at least one customer."), "warning")
        return redirect(_handover_back(from_user, to_user))
    plan = handover_services.preview(current_user, from_user, ids)
    return render_template("pool/handover_preview.html", plan=plan, from_user=from_user, to_user=to_user,
                           ids=ids, reason=reason, back_url=_handover_back(from_user, to_user))


@bp.post("/handover/confirm")
@login_required
@require(CustomerPermission.HANDOVER)
def handover_confirm():
    from_user, to_user, ids, reason = _handover_request()
    try:
        moved, reminders = handover_services.hand_over(current_user, to_user, from_user, ids, reason)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(_handover_back(from_user, to_user))
    flash(_("%(n)d customers and %(r)d open reminders were handed over to %(name)s.",
            n=moved, r=reminders, name=to_user.display_name), "success")
    return redirect(url_for("pool.orphans") if from_user is None else url_for("pool.handover"))


@bp.get("/orphans")
@login_required
@require(CustomerPermission.HANDOVER)
def orphans():
    page = paginate(handover_services.orphans_query(current_user), page=_int_arg("page") or 1,
                    per_page=_int_arg("per_page") or 50)
    receivers = handover_services.receiving_candidates(current_user)
    return render_template("pool/orphans.html", page=page, receivers=receivers, user_label=_user_label)


# --- administration ---------------------------------------------------------------------------

@bp.get("/settings")
@login_required
@require(PoolPermission.MANAGE)
def settings():
    return render_template("pool/settings.html", pools=services.pools_with_counts(), rules=services.rules(),
                           rule_name=services.rule_name, limits=services.roles_with_limits(),
                           reclaim_hours=services.reclaim_hours(), role_label=role_label)


def _pool_form(pool: PublicPool | None = None) -> PoolForm:
    form = PoolForm(obj=pool)
    branches = db.session.scalars(select(Branch).order_by(Branch.sort_order, Branch.name, Branch.id))
    form.branch_id.choices = [("", _("(none: for the whole company)"))] + [(b.id, b.name) for b in branches]
    return form


def _moved_message(saved: str):
    def message(moved):
        if moved:
            return saved + " " + _("%(n)d customers in it moved to the default pool.", n=moved)
        return saved
    return message


@bp.route("/pools/new", methods=["GET", "POST"])
@login_required
@require(PoolPermission.MANAGE)
def pool_create():
    form = _pool_form()
    if form.validate_on_submit():
        if _save(form, lambda: services.create_pool(current_user, **form.data_for_service()),
                 _("The pool has been created.")):
            return redirect(url_for("pool.settings"))
    return render_template("pool/pool_form.html", form=form, pool=None)


@bp.route("/pools/<int:pool_id>/edit", methods=["GET", "POST"])
@login_required
@require(PoolPermission.MANAGE)
def pool_edit(pool_id: int):
    pool = _get_or_404(PublicPool, pool_id)
    form = _pool_form(pool)
    if form.validate_on_submit():
        if _save(form, lambda: services.update_pool(current_user, pool, **form.data_for_service()),
                 _moved_message(_("The pool has been saved."))):
            return redirect(url_for("pool.settings"))
    return render_template("pool/pool_form.html", form=form, pool=pool)


@bp.post("/pools/<int:pool_id>/delete")
@login_required
@require(PoolPermission.MANAGE)
def pool_delete(pool_id: int):
    pool = _get_or_404(PublicPool, pool_id)
    try:
        moved = services.delete_pool(current_user, pool)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_moved_message(_("The pool has been deleted."))(moved), "success")
    return redirect(url_for("pool.settings"))


def _rule_form(rule: RecycleRule | None = None) -> RecycleRuleForm:
    form = RecycleRuleForm(obj=rule)
    form.level_id.choices = [("", _("Every other level"))] + choices(LEVEL, keep_id=rule.level_id if rule else None)
    return form


@bp.route("/rules/new", methods=["GET", "POST"])
@login_required
@require(PoolPermission.MANAGE)
def rule_create():
    form = _rule_form()
    if form.validate_on_submit():
        if _save(form, lambda: services.create_rule(current_user, **form.data_for_service()),
                 _("The recycling rule has been created.")):
            return redirect(url_for("pool.settings"))
    return render_template("pool/rule_form.html", form=form, rule=None)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
@require(PoolPermission.MANAGE)
def rule_edit(rule_id: int):
    rule = _get_or_404(RecycleRule, rule_id)
    form = _rule_form(rule)
    if form.validate_on_submit():
        if _save(form, lambda: services.update_rule(current_user, rule, **form.data_for_service()),
                 _("The recycling rule has been saved.")):
            return redirect(url_for("pool.settings"))
    return render_template("pool/rule_form.html", form=form, rule=rule)


@bp.post("/rules/<int:rule_id>/delete")
@login_required
@require(PoolPermission.MANAGE)
def rule_delete(rule_id: int):
    rule = _get_or_404(RecycleRule, rule_id)
    services.delete_rule(current_user, rule)
    db.session.commit()
    flash(_("The recycling rule has been deleted."), "success")
    return redirect(url_for("pool.settings"))


@bp.route("/limits", methods=["GET", "POST"])
@login_required
@require(PoolPermission.MANAGE)
def limits():
    rows = services.roles_with_limits()
    data = {"reclaim_hours": services.reclaim_hours()}
    for role, limit in rows:
        data[f"max_customers_{role.id}"] = limit.max_customers if limit else None
        data[f"max_claims_{role.id}"] = limit.max_claims_per_day if limit else None
    form = limits_form([role for role, _limit in rows], data=data)

    def save():
        for role, _limit in rows:
            services.set_role_limit(current_user, role, form[f"max_customers_{role.id}"].data,
                                    form[f"max_claims_{role.id}"].data)
        services.set_reclaim_hours(current_user, form.reclaim_hours.data)

    if form.validate_on_submit():
        if _save(form, save, _("The limits have been saved.")):
            return redirect(url_for("pool.settings"))
    return render_template("pool/limits.html", form=form, rows=rows, role_label=role_label)
