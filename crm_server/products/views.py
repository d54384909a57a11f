"""HTTP pages of the catalogue: the product list, a product's page, create/edit, on/off sale, pictures,
categories, and the JSON lookup the opportunity and quote line editors call."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from ..core.pagination import PAGE_SIZES, paginate
from ..core.permissions import require
from ..core.web import get_or_404, int_arg, save_form
from . import pictures, services
from .access import ProductPermission
from .forms import CategoryForm, ConfirmForm, ProductForm, RenameCategoryForm
from .models import Product, ProductCategory

bp = Blueprint("products", __name__, url_prefix="/products")

FIELD_LABELS = {
    "code": _l("Product code"), "name": _l("Name"), "category": _l("Category"),
    "specification": _l("Specification"), "unit": _l("Unit"), "list_price": _l("List price"), "cost": _l("Cost"),
    "tax_rate": _l("Tax rate (%)"), "is_on_sale": _l("On sale"), "description": _l("Description"),
    "picture": _l("Picture"), "sort_order": _l("Order"), "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"), "is_active": _l("Active"),
}
LOOKUP_LIMIT = 20


@bp.before_request
def _allow_pictures():
    if request.endpoint in ("products.create", "products.edit"):
        request.max_content_length = pictures.MAX_REQUEST_SIZE


def _filters(args) -> services.ProductFilters:
    sale = args.get("sale")
    return services.ProductFilters(q=(args.get("q") or "").strip()[:100] or None,
                                   category_id=int_arg("category", args),
                                   sale=sale if sale in services.SALE_FILTERS else None)


@bp.get("/")
@login_required
def index():
    args = request.args
    filters = _filters(args)
    sort = args.get("sort") if args.get("sort") in services.SORT_KEYS else services.DEFAULT_SORT[0]
    direction = "desc" if args.get("dir") == "desc" else "asc"
    page = paginate(services.list_products(filters, sort, direction), page=int_arg("page", args) or 1,
                    per_page=int_arg("per_page", args) or PAGE_SIZES[0])
    return render_template("products/list.html", page=page, filters=filters, sort=sort, direction=direction,
                           tree=services.category_tree(), sale_filters=list(services.SALE_FILTERS.items()),
                           page_sizes=PAGE_SIZES, may_manage=current_user.can(ProductPermission.MANAGE))


@bp.get("/lookup")
@login_required
def lookup():
    """JSON for line editors: on-sale products matching `q`, priced from `price_list_id` when it applies."""
    price_list_id = int_arg("price_list_id")
    items = []
    for product in services.search_products(request.args.get("q"), limit=LOOKUP_LIMIT):
        items.append({
            "id": product.id, "code": product.code, "name": product.name,
            "specification": product.specification or "", "unit": product.unit or "",
            "price": str(services.price_for(product, price_list_id)), "tax_rate": str(product.tax_rate),
        })
    return jsonify({"items": items})


@bp.get("/<int:product_id>")
@login_required
def detail(product_id: int):
    product = get_or_404(Product, product_id)
    return render_template("products/detail.html", product=product, prices=services.product_prices(product),
                           may_manage=current_user.can(ProductPermission.MANAGE), confirm=ConfirmForm())


@bp.get("/<int:product_id>/picture")
@login_required
def picture(product_id: int):
    product = get_or_404(Product, product_id)
    if not product.picture:
        abort(404)
    path = pictures.picture_path(product.picture)
    if not path.is_file():
        current_app.logger.warning("product %s: picture %s is missing", product.id, path)
        abort(404)
    return send_file(path, mimetype=pictures.content_type(product.picture), max_age=3600)


def _product_form(product: Product | None) -> ProductForm:
    form = ProductForm(obj=product)
    form.category_id.choices = [("", "—")] + services.category_choices()
    if product is None and request.method == "GET":
        form.category_id.data = int_arg("category")
    return form


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(ProductPermission.MANAGE)
def create():
    form = _product_form(None)
    if form.validate_on_submit():
        created = []
        if save_form(form, lambda: created.append(services.create_product(current_user, **form.data_for_service())),
                     _("Product saved.")):
            return redirect(url_for("products.detail", product_id=created[0].id))
    return render_template("products/form.html", form=form, product=None)


@bp.route("/<int:product_id>/edit", methods=["GET", "POST"])
@login_required
@require(ProductPermission.MANAGE)
def edit(product_id: int):
    product = get_or_404(Product, product_id)
    form = _product_form(product)
    if request.method == "GET":
        form.list_price.data = str(product.list_price)
        form.cost.data = str(product.cost) if product.cost is not None else ""
        form.tax_rate.data = str(product.tax_rate)
    if form.validate_on_submit():
        data = dict(form.data_for_service(), remove_picture=form.remove_picture.data)
        if save_form(form, lambda: services.update_product(current_user, product, **data), _("Product saved.")):
            return redirect(url_for("products.detail", product_id=product.id))
    return render_template("products/form.html", form=form, product=product)


@bp.post("/<int:product_id>/sale")
@login_required
@require(ProductPermission.MANAGE)
def set_sale(product_id: int):
    product = get_or_404(Product, product_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        on_sale = request.form.get("on_sale") == "1"
        save_form(form, lambda: services.set_on_sale(current_user, product, on_sale),
                  _("The product is on sale.") if on_sale else _("The product is off sale."))
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/")
                    and not request.form.get("next", "").startswith("//")
                    else url_for("products.detail", product_id=product.id))


# --- categories -------------------------------------------------------------------------------

@bp.route("/categories", methods=["GET", "POST"])
@login_required
@require(ProductPermission.MANAGE)
def categories():
    form = CategoryForm()
    form.parent_id.choices = [("", "—")] + services.category_choices()
    if form.validate_on_submit():
        if save_form(form, lambda: services.create_category(current_user, form.name.data, form.parent_id.data),
                     _("Category added.")):
            return redirect(url_for("products.categories"))
    return render_template("products/categories.html", form=form, tree=services.category_tree(),
                           counts=services.category_product_counts(), confirm=ConfirmForm())


@bp.route("/categories/<int:category_id>/rename", methods=["GET", "POST"])
@login_required
@require(ProductPermission.MANAGE)
def rename_category(category_id: int):
    category = get_or_404(ProductCategory, category_id)
    form = RenameCategoryForm(obj=category)
    if form.validate_on_submit():
        if save_form(form, lambda: services.rename_category(current_user, category, form.name.data),
                     _("Category renamed.")):
            return redirect(url_for("products.categories"))
    return render_template("products/category_rename.html", form=form, category=category)


@bp.post("/categories/<int:category_id>/move")
@login_required
@require(ProductPermission.MANAGE)
def move_category(category_id: int):
    category = get_or_404(ProductCategory, category_id)
    form = ConfirmForm()
    direction = request.form.get("direction")
    if form.validate_on_submit() and direction in ("up", "down"):
        save_form(form, lambda: services.move_category(current_user, category, direction))
    return redirect(url_for("products.categories"))


@bp.post("/categories/<int:category_id>/delete")
@login_required
@require(ProductPermission.MANAGE)
def delete_category(category_id: int):
    category = get_or_404(ProductCategory, category_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        save_form(form, lambda: services.delete_category(current_user, category), _("Category deleted."))
    else:
        flash(_("The form has expired; please try again."), "danger")
    return redirect(url_for("products.categories"))
