"""HTTP pages of price lists (价格表): the list, create/edit/delete, and the prices a list holds."""
from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.errors import DomainError
from ..core.permissions import require
from ..core.web import get_or_404, save_form
from . import services
from .access import ProductPermission
from .forms import ConfirmForm, PriceForm, PriceListForm
from .models import PriceList
from .views import bp


@bp.get("/price-lists")
@login_required
def price_lists():
    return render_template("products/price_lists.html", rows=services.list_price_lists(),
                           today=services.site_today(), may_manage=current_user.can(ProductPermission.MANAGE))


@bp.route("/price-lists/new", methods=["GET", "POST"])
@login_required
@require(ProductPermission.MANAGE)
def create_price_list():
    form = PriceListForm()
    if form.validate_on_submit():
        created = []
        if save_form(form, lambda: created.append(services.create_price_list(current_user,
                                                                             **form.data_for_service())),
                     _("Price list saved.")):
            return redirect(url_for("products.price_list", price_list_id=created[0].id))
    return render_template("products/price_list_form.html", form=form, price_list=None)


@bp.route("/price-lists/<int:price_list_id>/edit", methods=["GET", "POST"])
@login_required
@require(ProductPermission.MANAGE)
def edit_price_list(price_list_id: int):
    price_list = get_or_404(PriceList, price_list_id)
    form = PriceListForm(obj=price_list)
    if form.validate_on_submit():
        if save_form(form, lambda: services.update_price_list(current_user, price_list, **form.data_for_service()),
                     _("Price list saved.")):
            return redirect(url_for("products.price_list", price_list_id=price_list.id))
    return render_template("products/price_list_form.html", form=form, price_list=price_list)


@bp.route("/price-lists/<int:price_list_id>", methods=["GET", "POST"])
@login_required
def price_list(price_list_id: int):
    """A price list's prices; those who manage the catalogue add or change a price here (POST)."""
    price_list = get_or_404(PriceList, price_list_id)
    may_manage = current_user.can(ProductPermission.MANAGE)
    form = PriceForm()
    if form.is_submitted():
        if not may_manage:
            abort(403)
        if form.validate_on_submit():
            def action():
                product = services.get_product_by_code(form.product_code.data)
                if product is None:
                    raise DomainError(_("No product has the code %(code)s.", code=form.product_code.data),
                                      "product_code")
                return services.set_price(current_user, price_list, product.id, form.price.data)

            if save_form(form, action, _("Price saved.")):
                return redirect(url_for("products.price_list", price_list_id=price_list.id))
    return render_template("products/price_list.html", price_list=price_list, form=form,
                           items=services.price_list_items(price_list), may_manage=may_manage,
                           confirm=ConfirmForm(), today=services.site_today())


@bp.post("/price-lists/<int:price_list_id>/prices/<int:product_id>/delete")
@login_required
@require(ProductPermission.MANAGE)
def remove_price(price_list_id: int, product_id: int):
    price_list = get_or_404(PriceList, price_list_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        save_form(form, lambda: services.remove_price(current_user, price_list, product_id), _("Price removed."))
    return redirect(url_for("products.price_list", price_list_id=price_list.id))


@bp.post("/price-lists/<int:price_list_id>/delete")
@login_required
@require(ProductPermission.MANAGE)
def delete_price_list(price_list_id: int):
    price_list = get_or_404(PriceList, price_list_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if save_form(form, lambda: services.delete_price_list(current_user, price_list), _("Price list deleted.")):
            return redirect(url_for("products.price_lists"))
    return redirect(url_for("products.price_list", price_list_id=price_list.id))
