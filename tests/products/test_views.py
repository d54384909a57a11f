"""The catalogue pages through the test client: list (search, category, sale filter, sort, pages), create/edit
with messages beside fields, pictures, categories, price lists, the JSON lookup, and who may not change them."""
from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

from sqlalchemy import func, select

from crm_server.core.audit import AuditLog
from crm_server.extensions import db
from crm_server.products.models import PriceList, PriceListItem, Product, ProductCategory

from .. import factories
from .helpers import make_category, make_price_list, make_product

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def listed_codes(page: str) -> list[str]:
    return re.findall(r'<tr class="product-row" data-product-id="\d+" data-code="([^"]+)"', page)


def error_beside(page: str, field: str) -> str | None:
    for tag in re.finditer(r"<(?:input|select|textarea)[^>]*>", page):
        if f'name="{field}"' in tag.group(0) and "is-invalid" in tag.group(0):
            rest = page[tag.end():]
            message = re.search(r'<div class="invalid-feedback">([^<]*)</div>', rest)
            return html.unescape(message.group(1)) if message else None
    return None


def product_data(**overrides) -> dict:
    data = {"code": "srv-r750", "name": "机架式服务器", "category_id": "", "specification": "2U 双路",
            "unit": "台", "list_price": "38800.00", "cost": "29000", "tax_rate": "13", "is_on_sale": "y",
            "description": "含三年原厂质保"}
    data.update(overrides)
    return data


def test_list_search_category_sale_filter_sort_and_pages(client, login_as):
    login_as("sales")
    network = make_category("网络设备")
    switches = make_category("交换机", parent=network)
    make_product("SW-01", "核心交换机", category=switches, specification="48口万兆", list_price="9000")
    make_product("RT-01", "企业路由器", category=network, list_price="3000")
    make_product("SRV-01", "服务器", list_price="20000")
    make_product("OLD-01", "旧交换机", is_on_sale=False, list_price="10")
    db.session.commit()
    assert listed_codes(page_of(client.get("/products/"))) == ["OLD-01", "RT-01", "SRV-01", "SW-01"]
    assert listed_codes(page_of(client.get("/products/?q=交换机"))) == ["OLD-01", "SW-01"]
    assert listed_codes(page_of(client.get("/products/?q=万兆"))) == ["SW-01"]
    assert listed_codes(page_of(client.get("/products/?q=rt-"))) == ["RT-01"]
    assert listed_codes(page_of(client.get(f"/products/?category={network.id}"))) == ["RT-01", "SW-01"]
    assert listed_codes(page_of(client.get(f"/products/?category={switches.id}"))) == ["SW-01"]
    assert listed_codes(page_of(client.get("/products/?sale=off"))) == ["OLD-01"]
    assert listed_codes(page_of(client.get("/products/?sale=on&sort=list_price&dir=desc"))) == \
        ["SRV-01", "SW-01", "RT-01"]


def test_list_pages_in_the_database(client, login_as):
    login_as("sales")
    for n in range(25):
        make_product(f"P{n:03d}")
    db.session.commit()
    first = listed_codes(page_of(client.get("/products/")))
    second = listed_codes(page_of(client.get("/products/?page=2")))
    assert first == [f"P{n:03d}" for n in range(20)]
    assert second == [f"P{n:03d}" for n in range(20, 25)]
    assert len(listed_codes(page_of(client.get("/products/?per_page=50")))) == 25


def test_create_product_with_picture_and_edit(client, login_as):
    director = login_as("sales_director")
    category = make_category("服务器")
    db.session.commit()
    data = product_data(category_id=str(category.id), picture=(io.BytesIO(PNG), "srv.png"))
    response = client.post("/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.code == "SRV-R750"))
    assert product.list_price == Decimal("38800.00") and product.cost == Decimal("29000.00")
    assert product.category_id == category.id and product.unit == "台" and product.picture
    assert response.headers["Location"].endswith(f"/products/{product.id}")
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "product.created"))
    assert row.actor_id == director.id and row.entity_id == product.id
    picture = client.get(f"/products/{product.id}/picture")
    assert picture.status_code == 200 and picture.data == PNG and picture.mimetype == "image/png"
    page = page_of(client.get(f"/products/{product.id}"))
    assert "SRV-R750" in page and "38,800.00" in page and 'id="product-picture"' in page

    response = client.post(f"/products/{product.id}/edit", data=product_data(list_price="36000.5", remove_picture="y"))
    assert response.status_code == 302
    db.session.refresh(product)
    assert product.list_price == Decimal("36000.50") and product.picture is None
    assert client.get(f"/products/{product.id}/picture").status_code == 404


def test_create_shows_errors_beside_fields(client, login_as):
    login_as("sales_director")
    make_product("DUP-1")
    db.session.commit()
    page = page_of(client.post("/products/new", data=product_data(list_price="-5")))
    assert error_beside(page, "list_price")
    page = page_of(client.post("/products/new", data=product_data(list_price="12.345")))
    assert error_beside(page, "list_price")
    page = page_of(client.post("/products/new", data=product_data(tax_rate="120")))
    assert error_beside(page, "tax_rate")
    page = page_of(client.post("/products/new", data=product_data(code="dup-1")))
    assert "DUP-1" in error_beside(page, "code")
    page = page_of(client.post("/products/new", data=product_data(picture=(io.BytesIO(b"MZ"), "x.exe")),
                               content_type="multipart/form-data"))
    assert error_beside(page, "picture")
    assert db.session.scalar(select(func.count(Product.id))) == 1


def test_salesperson_may_view_but_not_change(client, login_as):
    product = make_product("KEEP-1", "原名", list_price="10.00")
    category = make_category("保留")
    price_list = make_price_list("经销商价")
    login_as("sales")
    assert page_of(client.get("/products/")) and page_of(client.get(f"/products/{product.id}"))
    assert 'id="edit-product"' not in page_of(client.get(f"/products/{product.id}"))
    assert client.get("/products/new").status_code == 403
    assert client.post("/products/new", data=product_data()).status_code == 403
    assert client.post(f"/products/{product.id}/edit", data=product_data(code="KEEP-1", name="改")).status_code == 403
    assert client.post(f"/products/{product.id}/sale", data={"on_sale": "0"}).status_code == 403
    assert client.get("/products/categories").status_code == 403
    assert client.post(f"/products/categories/{category.id}/delete").status_code == 403
    assert client.post("/products/price-lists/new", data={"name": "新价"}).status_code == 403
    assert client.post(f"/products/price-lists/{price_list.id}",
                       data={"product_code": "KEEP-1", "price": "1"}).status_code == 403
    assert client.post(f"/products/price-lists/{price_list.id}/delete").status_code == 403
    db.session.expire_all()
    assert db.session.get(Product, product.id).name == "原名" and db.session.get(Product, product.id).is_on_sale
    assert db.session.get(ProductCategory, category.id) is not None
    assert db.session.get(PriceList, price_list.id) is not None
    assert db.session.scalar(select(func.count(PriceListItem.product_id))) == 0
    assert db.session.scalar(select(func.count(Product.id))) == 1


def test_anonymous_is_sent_to_sign_in(client, admin):
    product = make_product()
    db.session.commit()
    for url in ("/products/", f"/products/{product.id}", "/products/lookup?q=x", f"/products/{product.id}/picture"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_on_off_sale(client, login_as):
    login_as("sales_director")
    product = make_product()
    db.session.commit()
    client.post(f"/products/{product.id}/sale", data={"on_sale": "0"})
    db.session.expire_all()
    assert db.session.get(Product, product.id).is_on_sale is False
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "product.off_sale")) is not None
    client.post(f"/products/{product.id}/sale", data={"on_sale": "1"})
    db.session.expire_all()
    assert db.session.get(Product, product.id).is_on_sale is True


def test_lookup_json(client, login_as):
    login_as("sales")
    a = make_product("LIC-OA", "协同办公软件授权", specification="100 用户", unit="套", list_price="20000.00",
                     tax_rate="6.00")
    make_product("LIC-OLD", "停售授权", is_on_sale=False)
    dealer = make_price_list("经销商价", {a: "16800.00"})
    expired = make_price_list("旧价", {a: "1.00"}, valid_to=dt.date(2020, 1, 1))
    db.session.commit()
    body = client.get("/products/lookup?q=lic").get_json()
    assert body == {"items": [{"id": a.id, "code": "LIC-OA", "name": "协同办公软件授权", "specification": "100 用户",
                               "unit": "套", "price": "20000.00", "tax_rate": "6.00"}]}
    assert client.get(f"/products/lookup?q=授权&price_list_id={dealer.id}").get_json()["items"][0]["price"] == \
        "16800.00"
    assert client.get(f"/products/lookup?q=授权&price_list_id={expired.id}").get_json()["items"][0]["price"] == \
        "20000.00"
    assert client.get("/products/lookup?q=nothing-like-this").get_json() == {"items": []}


def test_categories_pages(client, login_as):
    login_as("sales_director")
    response = client.post("/products/categories", data={"name": "软件", "parent_id": ""})
    assert response.status_code == 302
    software = db.session.scalar(select(ProductCategory).where(ProductCategory.name == "软件"))
    client.post("/products/categories", data={"name": "办公软件", "parent_id": str(software.id)})
    office = db.session.scalar(select(ProductCategory).where(ProductCategory.name == "办公软件"))
    assert office.parent_id == software.id
    page = page_of(client.post("/products/categories", data={"name": "软件", "parent_id": ""}))
    assert error_beside(page, "name")
    make_product(category=office)
    db.session.commit()
    client.post(f"/products/categories/{office.id}/delete")
    assert db.session.get(ProductCategory, office.id) is not None  # holds a product
    client.post(f"/products/categories/{office.id}/rename", data={"name": "OA 软件"})
    db.session.expire_all()
    assert db.session.get(ProductCategory, office.id).name == "OA 软件"
    empty = make_category("空分类")
    db.session.commit()
    client.post(f"/products/categories/{empty.id}/delete")
    db.session.expire_all()
    assert db.session.get(ProductCategory, empty.id) is None


def test_price_list_pages_and_product_prices(client, login_as):
    login_as("sales_director")
    product = make_product("UPS-3K", list_price="5000.00")
    db.session.commit()
    response = client.post("/products/price-lists/new", data={
        "name": "大客户价", "valid_from": "2026-01-01", "valid_to": "2026-12-31", "is_active": "y"})
    assert response.status_code == 302
    price_list = db.session.scalar(select(PriceList).where(PriceList.name == "大客户价"))
    assert price_list.valid_to == dt.date(2026, 12, 31)
    page = page_of(client.post(f"/products/price-lists/{price_list.id}", data={"product_code": "nope", "price": "1"}))
    assert error_beside(page, "product_code")
    page = page_of(client.post(f"/products/price-lists/{price_list.id}",
                               data={"product_code": "ups-3k", "price": "-1"}))
    assert error_beside(page, "price")
    client.post(f"/products/price-lists/{price_list.id}", data={"product_code": "ups-3k", "price": "4500"})
    item = db.session.get(PriceListItem, (price_list.id, product.id))
    assert item.price == Decimal("4500.00")
    page = page_of(client.get(f"/products/{product.id}"))
    assert f'data-price-list-id="{price_list.id}"' in page and "4,500.00" in page
    page = page_of(client.post("/products/price-lists/new", data={
        "name": "坏日期", "valid_from": "2026-05-01", "valid_to": "2026-04-01"}))
    assert error_beside(page, "valid_to")
    client.post(f"/products/price-lists/{price_list.id}/delete")
    db.session.expire_all()
    assert db.session.get(PriceList, price_list.id) is None
    assert db.session.get(Product, product.id) is not None


def test_director_holds_product_manage_and_salesperson_does_not(app):
    director = factories.make_user("sales_director")
    sales = factories.make_user("sales")
    assert director.can("product.manage") and not sales.can("product.manage")
    assert sales.can("competitor.manage")
