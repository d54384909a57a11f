"""The demo catalogue: what the services would accept, prices from the price lists, competitors."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import false, func, select

from crm_server.demo import products as demo_products
from crm_server.demo.base import DemoContext
from crm_server.extensions import db
from crm_server.opportunities.models import Competitor
from crm_server.products import services
from crm_server.products.models import PriceList, PriceListItem, Product, ProductCategory


def test_demo_catalogue(app):
    ctx = DemoContext(size="small", password_hash="x")
    demo_products.seed(ctx)
    assert ctx.counts["products"] == db.session.scalar(select(func.count(Product.id))) >= 20
    top_level = select(func.count(ProductCategory.id)).where(ProductCategory.parent_id.is_(None))
    assert 4 <= db.session.scalar(top_level) <= 8
    assert 6 <= db.session.scalar(select(func.count(Competitor.id))) == ctx.counts["competitors"] <= 10
    for product in db.session.scalars(select(Product)):
        assert product.code == services.normalise_code(product.code)
        assert services.CODE_PATTERN.match(product.code)
        assert product.list_price > 0 and product.cost < product.list_price and product.unit
    assert {name for _id, name in services.price_list_choices()} == {"经销商价", "大客户价"}
    dealer = db.session.scalar(select(PriceList).where(PriceList.name == "经销商价"))
    vmc = db.session.scalar(select(Product).where(Product.code == "VMC-850"))
    assert services.price_for(vmc, dealer.id) == Decimal("323000.00")
    service = db.session.scalar(select(Product).where(Product.code == "SVC-AMC"))
    assert services.price_for(service, dealer.id) == service.list_price  # services are not dealer-priced
    off_sale = db.session.scalars(select(Product.id).where(Product.is_on_sale == false())).all()
    assert off_sale and not db.session.scalar(select(func.count()).select_from(PriceListItem)
                                              .where(PriceListItem.product_id.in_(off_sale)))
