"""The catalogue's services: the API other domains call (search, price_for, price list choices) and the rules."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.extensions import db
from crm_server.products import services
from crm_server.products.models import Product, ProductCategory
from tests.factories import make_user

from .helpers import make_category, make_price_list, make_product

DAY = dt.date(2026, 6, 15)


def test_search_products_matches_code_name_and_specification(app):
    a = make_product("SRV-R740", "机架式服务器", specification="2U 双路")
    b = make_product("SW-S5735", "千兆交换机", specification="48口 POE")
    make_product("OLD-1", "停产服务器", is_on_sale=False)
    assert [p.id for p in services.search_products("srv")] == [a.id]
    assert [p.id for p in services.search_products("交换机")] == [b.id]
    assert [p.id for p in services.search_products("poe")] == [b.id]
    assert {p.code for p in services.search_products("服务器")} == {"SRV-R740"}
    assert {p.code for p in services.search_products("服务器", on_sale_only=False)} == {"SRV-R740", "OLD-1"}
    assert len(services.search_products(None, limit=2, on_sale_only=False)) == 2
    assert services.search_products("100%_[x") == []


def test_get_product(app):
    product = make_product()
    assert services.get_product(product.id) is product
    assert services.get_product(product.id + 999) is None


def test_price_for_uses_an_active_valid_list_holding_the_product(app):
    product = make_product(list_price="1000.00")
    other = make_product(list_price="50.00")
    dealer = make_price_list("经销商价", {product: "850.50"}, valid_from=dt.date(2026, 1, 1),
                             valid_to=dt.date(2026, 12, 31))
    assert services.price_for(product, dealer.id, DAY) == Decimal("850.50")
    assert services.price_for(product, dealer.id, dt.date(2026, 1, 1)) == Decimal("850.50")  # bounds included
    assert services.price_for(product, dealer.id, dt.date(2026, 12, 31)) == Decimal("850.50")
    assert services.price_for(product, dealer.id, dt.date(2025, 12, 31)) == Decimal("1000.00")  # not yet valid
    assert services.price_for(product, dealer.id, dt.date(2027, 1, 1)) == Decimal("1000.00")    # expired
    assert services.price_for(other, dealer.id, DAY) == Decimal("50.00")  # not in the list
    assert services.price_for(product, None, DAY) == Decimal("1000.00")
    assert services.price_for(product, 999999, DAY) == Decimal("1000.00")
    dealer.is_active = False
    db.session.flush()
    assert services.price_for(product, dealer.id, DAY) == Decimal("1000.00")


def test_price_for_open_ended_list_and_today(app):
    product = make_product(list_price="10.00")
    vip = make_price_list("大客户价", {product: "9.99"})
    assert services.price_for(product, vip.id) == Decimal("9.99")
    assert isinstance(services.price_for(product, vip.id), Decimal)


def test_price_list_choices_only_active_and_valid(app):
    make_price_list("B 有效", valid_from=dt.date(2026, 1, 1))
    make_price_list("A 长期")
    make_price_list("C 停用", is_active=False)
    make_price_list("D 过期", valid_to=dt.date(2026, 6, 14))
    make_price_list("E 未来", valid_from=dt.date(2026, 6, 16))
    assert [name for _id, name in services.price_list_choices(DAY)] == ["A 长期", "B 有效"]


def test_create_product_normalises_and_validates(app):
    actor = make_user("sales_director")
    product = services.create_product(actor, code=" ｓｒｖ - 01 ", name="服务器", list_price="12800.5", cost="",
                                      tax_rate="13", is_on_sale=True)
    assert product.code == "SRV-01"
    assert product.list_price == Decimal("12800.50") and product.cost is None
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "product.created"))
    assert row.entity_id == product.id and row.actor_id == actor.id
    cases = [
        (dict(code="srv-01"), "code"),
        (dict(code="坏 码"), "code"),
        (dict(list_price="-1"), "list_price"),
        (dict(list_price="1.005"), "list_price"),
        (dict(list_price="abc"), "list_price"),
        (dict(list_price="NaN"), "list_price"),
        (dict(cost="-0.01"), "cost"),
        (dict(tax_rate="101"), "tax_rate"),
        (dict(tax_rate="-1"), "tax_rate"),
        (dict(name="  "), "name"),
        (dict(category_id=99999), "category_id"),
    ]
    for override, field in cases:
        data = dict(code="NEW-1", name="新产品", list_price="1", tax_rate="6")
        data.update(override)
        with pytest.raises(DomainError) as caught:
            services.create_product(actor, **data)
        assert caught.value.field == field, override
        db.session.rollback()
    assert db.session.scalar(select(Product.code).where(Product.code == "NEW-1")) is None


def test_update_product_records_changes(app):
    actor = make_user("sales_director")
    product = make_product("A-1", list_price="10.00")
    services.update_product(actor, product, code="A-1", name="改名", list_price="12.30", tax_rate="6")
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "product.updated"))
    assert '"12.30"' in row.changes and "改名" in row.changes
    services.set_on_sale(actor, product, False)
    assert product.is_on_sale is False
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "product.off_sale")) is not None


def test_categories_tree_reorder_and_delete_only_when_empty(app):
    actor = make_user("sales_director")
    hardware = services.create_category(actor, "硬件")
    software = services.create_category(actor, "软件")
    servers = services.create_category(actor, "服务器", hardware.id)
    with pytest.raises(DomainError):
        services.create_category(actor, "硬件")
    assert [(c.name, depth) for c, depth in services.category_tree()] == [("硬件", 0), ("服务器", 1), ("软件", 0)]
    services.move_category(actor, software, "up")
    assert [c.name for c, depth in services.category_tree() if depth == 0] == ["软件", "硬件"]
    make_product(category=servers)
    with pytest.raises(DomainError):
        services.delete_category(actor, servers)
    with pytest.raises(DomainError):
        services.delete_category(actor, hardware)  # has a sub-category
    services.delete_category(actor, software)
    assert db.session.get(ProductCategory, software.id) is None
    services.rename_category(actor, hardware, "硬件设备")
    assert hardware.name == "硬件设备"


def test_list_products_category_includes_subcategories(app):
    top = make_category("网络")
    sub = make_category("交换机", parent=top)
    a = make_product(category=top)
    b = make_product(category=sub)
    make_product()
    stmt = services.list_products(services.ProductFilters(category_id=top.id))
    assert {p.id for p in db.session.scalars(stmt)} == {a.id, b.id}


def test_price_list_rules_and_prices(app):
    actor = make_user("sales_director")
    product = make_product("X-1", list_price="100.00")
    price_list = services.create_price_list(actor, name="经销商价", valid_from=DAY, valid_to=DAY, is_active=True)
    db.session.commit()
    with pytest.raises(DomainError):
        services.create_price_list(actor, name="经销商价")
    db.session.rollback()
    price_list = db.session.get(type(price_list), price_list.id)
    with pytest.raises(DomainError) as caught:
        services.update_price_list(actor, price_list, name="x", valid_from=DAY, valid_to=DAY - dt.timedelta(days=1))
    assert caught.value.field == "valid_to"
    db.session.rollback()
    price_list = db.session.get(type(price_list), price_list.id)
    product = db.session.get(Product, product.id)
    services.set_price(actor, price_list, product.id, "88.80")
    services.set_price(actor, price_list, product.id, "77.70")
    assert services.price_for(product, price_list.id, DAY) == Decimal("77.70")
    assert [(pl.name, price) for pl, price in services.product_prices(product)] == [("经销商价", Decimal("77.70"))]
    with pytest.raises(DomainError):
        services.set_price(actor, price_list, product.id, "-5")
    services.remove_price(actor, price_list, product.id)
    assert services.price_for(product, price_list.id, DAY) == Decimal("100.00")


class _Upload:
    def __init__(self, filename, data):
        self.filename, self.stream = filename, io.BytesIO(data)


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_picture_checked_stored_and_replaced(app):
    actor = make_user("sales_director")
    db.session.commit()
    with pytest.raises(DomainError) as caught:
        services.create_product(actor, code="PIC-1", name="带图", list_price="1", picture=_Upload("a.exe", b"MZ"))
    assert caught.value.field == "picture"
    db.session.rollback()
    with pytest.raises(DomainError):
        services.create_product(actor, code="PIC-1", name="带图", list_price="1", picture=_Upload("a.png", b"GIF89a"))
    db.session.rollback()
    product = services.create_product(actor, code="PIC-1", name="带图", list_price="1", picture=_Upload("a.png", PNG))
    db.session.commit()
    first = services.pictures.picture_path(product.picture)
    assert first.read_bytes() == PNG
    services.update_product(actor, product, code="PIC-1", name="带图", list_price="1",
                            picture=_Upload("b.png", PNG + b"1"))
    db.session.commit()
    assert not first.exists()
    assert services.pictures.picture_path(product.picture).read_bytes() == PNG + b"1"
