"""Factories for the catalogue tests: categories, products, price lists."""
from __future__ import annotations

import itertools
from decimal import Decimal

from crm_server.extensions import db
from crm_server.products.models import PriceList, PriceListItem, Product, ProductCategory

_seq = itertools.count(1)


def make_category(name: str | None = None, parent: ProductCategory | None = None, **kw) -> ProductCategory:
    category = ProductCategory(name=name or f"分类{next(_seq)}", parent=parent, sort_order=kw.pop("sort_order", 0),
                               **kw)
    db.session.add(category)
    db.session.flush()
    return category


def make_product(code: str | None = None, name: str | None = None, list_price="100.00", **kw) -> Product:
    n = next(_seq)
    product = Product(code=code or f"P-{n:04d}", name=name or f"产品{n}", list_price=Decimal(str(list_price)),
                      tax_rate=Decimal(str(kw.pop("tax_rate", "13.00"))), is_on_sale=kw.pop("is_on_sale", True),
                      **kw)
    db.session.add(product)
    db.session.flush()
    return product


def make_price_list(name: str | None = None, prices: dict | None = None, **kw) -> PriceList:
    price_list = PriceList(name=name or f"价格表{next(_seq)}", is_active=kw.pop("is_active", True), **kw)
    db.session.add(price_list)
    db.session.flush()
    for product, price in (prices or {}).items():
        db.session.add(PriceListItem(price_list_id=price_list.id, product_id=product.id, price=Decimal(str(price))))
    db.session.flush()
    return price_list
