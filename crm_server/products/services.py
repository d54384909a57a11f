"""产品 rules: the catalogue (products, the category tree), price lists, and the prices line editors use."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, false, func, or_, select, true
from sqlalchemy.orm import joinedload

from ..core import audit
from ..core.audit import diff, snapshot
from ..core.errors import DomainError
from ..core.models import User
from ..core.money import to_fen
from ..core.search import contains
from ..extensions import db
from . import pictures
from .models import PriceList, PriceListItem, Product, ProductCategory

audit.register_actions({
    "product.created": _l("Created a product"),
    "product.updated": _l("Edited a product"),
    "product.on_sale": _l("Put a product on sale"),
    "product.off_sale": _l("Took a product off sale"),
    "product_category.created": _l("Created a product category"),
    "product_category.updated": _l("Edited a product category"),
    "product_category.deleted": _l("Deleted a product category"),
    "price_list.created": _l("Created a price list"),
    "price_list.updated": _l("Edited a price list"),
    "price_list.deleted": _l("Deleted a price list"),
    "price_list.price_set": _l("Set a price in a price list"),
    "price_list.price_removed": _l("Removed a price from a price list"),
})

MAX_PRICE = Decimal("9999999999999999.99")  # Numeric(18, 2)
CODE_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9._/\-]*$")
SORT_KEYS = {
    "code": Product.code,
    "name": Product.name,
    "list_price": Product.list_price,
    "updated_at": Product.updated_at,
}
DEFAULT_SORT = ("code", "asc")
SALE_FILTERS = {"on": _l("On sale"), "off": _l("Off sale")}
PRODUCT_FIELDS = ("code", "name", "category", "specification", "unit", "list_price", "cost", "tax_rate",
                  "is_on_sale", "description", "picture")
PRICE_LIST_FIELDS = ("name", "valid_from", "valid_to", "is_active", "description")


def site_today() -> dt.date:
    """Today in the site's time zone: price lists are valid by the site's calendar day."""
    zone = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
    return dt.datetime.now(zone).date()


# --- values -----------------------------------------------------------------------------------

def normalise_code(code: str | None) -> str:
    """A product code as stored: full-width characters folded (ＡＢ１ -> AB1), spaces removed, upper case
    (SQL Server compares case-insensitively, so 'ab-1' and 'AB-1' must be the same code everywhere)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", code or "")).upper()


def _text(value: str | None, length: int) -> str | None:
    value = unicodedata.normalize("NFC", value or "").strip()
    return value[:length] or None


def _money(value, field: str, required: bool = False) -> Decimal | None:
    """A price or cost: exact Decimal, not negative, at most two decimals (fen)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DomainError(_("Enter a price."), field)
        return None
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise DomainError(_("Enter an amount such as 1280.00."), field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter an amount such as 1280.00."), field)
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), field)
    if amount != to_fen(amount):
        raise DomainError(_("An amount has at most two decimals (fen)."), field)
    if amount > MAX_PRICE:
        raise DomainError(_("This amount is too large."), field)
    return to_fen(amount)


DEFAULT_TAX_RATE = Decimal("13.00")  # the usual VAT rate on goods


def _tax_rate(value) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return DEFAULT_TAX_RATE
    try:
        rate = Decimal(str(value).strip().rstrip("%"))
    except InvalidOperation:
        raise DomainError(_("Enter a tax rate between 0 and 100."), "tax_rate") from None
    if not rate.is_finite() or rate < 0 or rate > 100:
        raise DomainError(_("Enter a tax rate between 0 and 100."), "tax_rate")
    if rate != to_fen(rate):
        raise DomainError(_("A tax rate has at most two decimals."), "tax_rate")
    return to_fen(rate)


# --- reading: the API other domains call --------------------------------------------------------

def search_products(q: str | None, limit: int = 20, on_sale_only: bool = True) -> list[Product]:
    """Products whose code, name or specification contains `q` (all when empty), codes matching first,
    at most `limit`, for pickers and line editors."""
    stmt = select(Product)
    if on_sale_only:
        stmt = stmt.where(Product.is_on_sale == true())
    if (q or "").strip():
        stmt = stmt.where(keyword_condition(q))
    limit = max(1, min(int(limit or 20), 100))
    return list(db.session.scalars(stmt.order_by(Product.code, Product.id).limit(limit)))


def keyword_condition(q: str):
    """Code, name or specification contains the keyword (codes compared in their stored, upper-case form;
    names and specifications whatever their case, PostgreSQL's LIKE being case-sensitive)."""
    term = q.strip()[:100]
    code = normalise_code(term)
    lowered = term.lower()
    return or_(contains(Product.code, code) if code else false(),
               contains(func.lower(Product.name), lowered), contains(func.lower(Product.specification), lowered))


def get_product(product_id: int) -> Product | None:
    """The product with this id (on or off sale), or None."""
    if product_id is None:
        return None
    return db.session.get(Product, product_id)


def _valid_on(day: dt.date):
    return and_(PriceList.is_active == true(),
                or_(PriceList.valid_from.is_(None), PriceList.valid_from <= day),
                or_(PriceList.valid_to.is_(None), PriceList.valid_to >= day))


def price_for(product: Product, price_list_id: int | None = None, on: dt.date | None = None) -> Decimal:
    """The product's price in a price list when that list is active, valid on `on` (default: today in the site's
    time zone) and holds the product; otherwise the product's list price."""
    if price_list_id:
        day = on or site_today()
        price = db.session.scalar(
            select(PriceListItem.price).join(PriceList, PriceListItem.price_list_id == PriceList.id)
            .where(PriceListItem.price_list_id == price_list_id, PriceListItem.product_id == product.id,
                   _valid_on(day)))
        if price is not None:
            return price
    return product.list_price


def price_list_choices(on: dt.date | None = None) -> list[tuple[int, str]]:
    """(id, name) of the price lists active and valid on `on` (default: today), by name."""
    day = on or site_today()
    rows = db.session.execute(select(PriceList.id, PriceList.name).where(_valid_on(day))
                              .order_by(PriceList.name, PriceList.id))
    return [(row.id, row.name) for row in rows]


def product_prices(product: Product) -> list[tuple[PriceList, Decimal]]:
    """Every price list that holds the product, with its price there (active or not), by name."""
    rows = db.session.execute(
        select(PriceList, PriceListItem.price).join(PriceListItem, PriceListItem.price_list_id == PriceList.id)
        .where(PriceListItem.product_id == product.id).order_by(PriceList.name, PriceList.id))
    return [(row[0], row[1]) for row in rows]


# --- the catalogue list -------------------------------------------------------------------------

@dataclass
class ProductFilters:
    q: str | None = None
    category_id: int | None = None
    sale: str | None = None  # "on" / "off" / None for both


def category_subtree_ids(category_id: int):
    """A SELECT of a category's id and every category below it (recursive CTE)."""
    tree = select(ProductCategory.id).where(ProductCategory.id == category_id).cte("category_tree", recursive=True)
    tree = tree.union_all(select(ProductCategory.id).where(ProductCategory.parent_id == tree.c.id))
    return select(tree.c.id)


def list_products(filters: ProductFilters, sort: str = DEFAULT_SORT[0], direction: str = DEFAULT_SORT[1]) -> Select:
    """The catalogue list as an ordered statement (the caller paginates): a category includes its sub-categories."""
    stmt = select(Product).options(joinedload(Product.category))
    if filters.q and filters.q.strip():
        stmt = stmt.where(keyword_condition(filters.q))
    if filters.category_id:
        stmt = stmt.where(Product.category_id.in_(category_subtree_ids(filters.category_id)))
    if filters.sale == "on":
        stmt = stmt.where(Product.is_on_sale == true())
    elif filters.sale == "off":
        stmt = stmt.where(Product.is_on_sale == false())
    column = SORT_KEYS.get(sort, Product.code)
    ordered = column.asc() if direction == "asc" else column.desc()
    id_order = Product.id.asc() if direction == "asc" else Product.id.desc()
    return stmt.order_by(ordered, id_order)


# --- products -----------------------------------------------------------------------------------

def _check_category(category_id: int | None) -> ProductCategory | None:
    if not category_id:
        return None
    category = db.session.get(ProductCategory, category_id)
    if category is None:
        raise DomainError(_("This category does not exist."), "category_id")
    return category


def _apply(product: Product, data: dict) -> None:
    code = normalise_code(data.get("code"))
    if not code:
        raise DomainError(_("Enter the product code."), "code")
    if len(code) > 40:
        raise DomainError(_("A product code has at most 40 characters."), "code")
    if not CODE_PATTERN.match(code):
        raise DomainError(_("A product code uses letters, digits and . _ / - only."), "code")
    clash = db.session.scalar(select(Product.id).where(Product.code == code, Product.id != (product.id or 0)))
    if clash is not None:
        raise DomainError(_("Another product already has the code %(code)s.", code=code), "code")
    name = _text(data.get("name"), 200)
    if not name:
        raise DomainError(_("Enter the product name."), "name")
    product.code = code
    product.name = name
    product.category = _check_category(data.get("category_id"))
    product.specification = _text(data.get("specification"), 200)
    product.unit = _text(data.get("unit"), 20)
    product.list_price = _money(data.get("list_price"), "list_price", required=True)
    product.cost = _money(data.get("cost"), "cost")
    product.tax_rate = _tax_rate(data.get("tax_rate"))
    if "is_on_sale" in data:
        product.is_on_sale = bool(data["is_on_sale"])
    product.description = _text(data.get("description"), 4000)


def _apply_picture(product: Product, checked, remove: bool) -> None:
    """Store a new picture (the old one goes once this commits), or remove the picture."""
    if checked is None and not remove:
        return
    pictures.discard(product.picture)
    product.picture = pictures.store(checked) if checked is not None else None


def create_product(actor: User | None, **data) -> Product:
    """Add a product to the catalogue. `data`: code, name, category_id, specification, unit, list_price, cost,
    tax_rate, is_on_sale, description; picture (an uploaded file, optional)."""
    checked = pictures.check_picture(data.get("picture"))
    product = Product(is_on_sale=True)
    _apply(product, data)
    _apply_picture(product, checked, False)
    product.created_by_id = product.updated_by_id = actor.id if actor is not None else None
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.created", product, changes=diff({}, snapshot(product, PRODUCT_FIELDS)))
    return product


def update_product(actor: User | None, product: Product, **data) -> Product:
    """Change a product's fields (the same `data` as create_product, and remove_picture)."""
    checked = pictures.check_picture(data.get("picture"))
    before = snapshot(product, PRODUCT_FIELDS)
    _apply(product, data)
    _apply_picture(product, checked, bool(data.get("remove_picture")))
    product.updated_by_id = actor.id if actor is not None else None
    db.session.flush()
    changes = diff(before, snapshot(product, PRODUCT_FIELDS))
    if changes:
        audit.record(actor, "product.updated", product, changes=changes)
    return product


def set_on_sale(actor: User | None, product: Product, on_sale: bool) -> Product:
    """Put a product on sale (offered in line editors) or take it off sale (kept for old quotes)."""
    if product.is_on_sale == on_sale:
        return product
    product.is_on_sale = on_sale
    product.updated_by_id = actor.id if actor is not None else None
    db.session.flush()
    audit.record(actor, "product.on_sale" if on_sale else "product.off_sale", product,
                 changes={"is_on_sale": [not on_sale, on_sale]})
    return product


# --- categories ---------------------------------------------------------------------------------

def category_tree() -> list[tuple[ProductCategory, int]]:
    """Every category with its depth, each followed by its children, siblings by their order."""
    categories = list(db.session.scalars(select(ProductCategory)
                                         .order_by(ProductCategory.sort_order, ProductCategory.name,
                                                   ProductCategory.id)))
    children: dict[int | None, list[ProductCategory]] = {}
    for category in categories:
        children.setdefault(category.parent_id, []).append(category)
    result: list[tuple[ProductCategory, int]] = []
    seen: set[int] = set()

    def walk(parent_id, depth):
        for category in children.get(parent_id, []):
            if category.id in seen:
                continue
            seen.add(category.id)
            result.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return result


def category_choices() -> list[tuple[int, str]]:
    """(id, indented name) for select boxes, in tree order."""
    return [(category.id, "\u3000" * depth + category.name) for category, depth in category_tree()]


def category_product_counts() -> dict[int, int]:
    rows = db.session.execute(select(Product.category_id, func.count(Product.id))
                              .where(Product.category_id.is_not(None)).group_by(Product.category_id))
    return {row[0]: row[1] for row in rows}


def _category_name(name: str | None, parent_id: int | None, category_id: int | None = None) -> str:
    name = _text(name, 100)
    if not name:
        raise DomainError(_("Enter the category name."), "name")
    parent = ProductCategory.parent_id.is_(None) if parent_id is None else ProductCategory.parent_id == parent_id
    clash = db.session.scalar(select(ProductCategory.id).where(parent, ProductCategory.name == name,
                                                               ProductCategory.id != (category_id or 0)))
    if clash is not None:
        raise DomainError(_("This level already has a category named %(name)s.", name=name), "name")
    return name


def create_category(actor: User | None, name: str, parent_id: int | None = None) -> ProductCategory:
    """Add a category at the end of its level (under `parent_id`, or at the top)."""
    if parent_id and db.session.get(ProductCategory, parent_id) is None:
        raise DomainError(_("This category does not exist."), "parent_id")
    parent_id = parent_id or None
    name = _category_name(name, parent_id)
    parent = ProductCategory.parent_id.is_(None) if parent_id is None else ProductCategory.parent_id == parent_id
    last = db.session.scalar(select(func.max(ProductCategory.sort_order)).where(parent))
    category = ProductCategory(name=name, parent_id=parent_id, sort_order=(last or 0) + 10)
    db.session.add(category)
    db.session.flush()
    audit.record(actor, "product_category.created", category)
    return category


def rename_category(actor: User | None, category: ProductCategory, name: str) -> ProductCategory:
    new_name = _category_name(name, category.parent_id, category.id)
    if new_name != category.name:
        changes = {"name": [category.name, new_name]}
        category.name = new_name
        db.session.flush()
        audit.record(actor, "product_category.updated", category, changes=changes)
    return category


def move_category(actor: User | None, category: ProductCategory, direction: str) -> ProductCategory:
    """Swap a category with its sibling above ("up") or below ("down")."""
    siblings = [c for c, _depth in category_tree() if c.parent_id == category.parent_id]
    index = next(i for i, c in enumerate(siblings) if c.id == category.id)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(siblings):
        return category
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings):
        sibling.sort_order = (position + 1) * 10
    db.session.flush()
    audit.record(actor, "product_category.updated", category,
                 changes={"sort_order": [index + 1, other + 1]})
    return category


def delete_category(actor: User | None, category: ProductCategory) -> None:
    """Delete a category that holds neither products nor sub-categories."""
    if db.session.scalar(select(Product.id).where(Product.category_id == category.id).limit(1)) is not None:
        raise DomainError(_("This category still holds products: move them to another category first."))
    if db.session.scalar(select(ProductCategory.id).where(ProductCategory.parent_id == category.id).limit(1)) \
            is not None:
        raise DomainError(_("This category has sub-categories: delete or move them first."))
    audit.record(actor, "product_category.deleted", category)
    db.session.delete(category)
    db.session.flush()


# --- price lists --------------------------------------------------------------------------------

def _apply_price_list(price_list: PriceList, data: dict) -> None:
    name = _text(data.get("name"), 100)
    if not name:
        raise DomainError(_("Enter the price list name."), "name")
    clash = db.session.scalar(select(PriceList.id).where(PriceList.name == name,
                                                         PriceList.id != (price_list.id or 0)))
    if clash is not None:
        raise DomainError(_("Another price list is already named %(name)s.", name=name), "name")
    valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
    if valid_from and valid_to and valid_to < valid_from:
        raise DomainError(_("The end date cannot be before the start date."), "valid_to")
    price_list.name = name
    price_list.valid_from = valid_from or None
    price_list.valid_to = valid_to or None
    price_list.is_active = bool(data.get("is_active", True))
    price_list.description = _text(data.get("description"), 500)


def create_price_list(actor: User | None, **data) -> PriceList:
    """A new price list: name, valid_from, valid_to, is_active, description."""
    price_list = PriceList()
    _apply_price_list(price_list, data)
    db.session.add(price_list)
    db.session.flush()
    audit.record(actor, "price_list.created", price_list,
                 changes=diff({}, snapshot(price_list, PRICE_LIST_FIELDS)))
    return price_list


def update_price_list(actor: User | None, price_list: PriceList, **data) -> PriceList:
    before = snapshot(price_list, PRICE_LIST_FIELDS)
    _apply_price_list(price_list, data)
    db.session.flush()
    changes = diff(before, snapshot(price_list, PRICE_LIST_FIELDS))
    if changes:
        audit.record(actor, "price_list.updated", price_list, changes=changes)
    return price_list


def delete_price_list(actor: User | None, price_list: PriceList) -> None:
    """Delete a price list and its prices (quotes keep the prices they were made with)."""
    audit.record(actor, "price_list.deleted", price_list)
    db.session.delete(price_list)
    db.session.flush()


def set_price(actor: User | None, price_list: PriceList, product_id: int | None, price) -> PriceListItem:
    """Set (add or change) a product's price in a price list."""
    product = get_product(product_id) if product_id else None
    if product is None:
        raise DomainError(_("Choose a product."), "product_id")
    amount = _money(price, "price", required=True)
    item = db.session.get(PriceListItem, (price_list.id, product.id))
    before = item.price if item is not None else None
    if item is None:
        item = PriceListItem(price_list_id=price_list.id, product_id=product.id, price=amount)
        db.session.add(item)
    else:
        item.price = amount
    db.session.flush()
    if before != amount:
        audit.record(actor, "price_list.price_set", price_list,
                     changes={f"{product.code}": [before, amount]})
    return item


def remove_price(actor: User | None, price_list: PriceList, product_id: int) -> None:
    item = db.session.get(PriceListItem, (price_list.id, product_id))
    if item is None:
        return
    product = get_product(product_id)
    audit.record(actor, "price_list.price_removed", price_list,
                 changes={f"{product.code if product else product_id}": [item.price, None]})
    db.session.delete(item)
    db.session.flush()


def price_list_items(price_list: PriceList) -> list[PriceListItem]:
    """The list's prices with their products, by product code."""
    return list(db.session.scalars(
        select(PriceListItem).join(Product, PriceListItem.product_id == Product.id)
        .options(joinedload(PriceListItem.product)).where(PriceListItem.price_list_id == price_list.id)
        .order_by(Product.code, Product.id)))


def list_price_lists() -> list[tuple[PriceList, int]]:
    """Every price list with how many products it prices, by name."""
    counts = (select(PriceListItem.price_list_id, func.count().label("n"))
              .group_by(PriceListItem.price_list_id).subquery())
    rows = db.session.execute(select(PriceList, func.coalesce(counts.c.n, 0))
                              .outerjoin(counts, counts.c.price_list_id == PriceList.id)
                              .order_by(PriceList.name, PriceList.id))
    return [(row[0], row[1]) for row in rows]


def get_product_by_code(code: str | None) -> Product | None:
    """The product with this code (compared in its normalised form), or None."""
    code = normalise_code(code)
    return db.session.scalar(select(Product).where(Product.code == code)) if code else None
