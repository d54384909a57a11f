"""Factories of the quotes domain: products, an opportunity, and quotes made through the service."""
from __future__ import annotations

import itertools
from decimal import Decimal

from sqlalchemy import select

from crm_server.extensions import db
from crm_server.opportunities.models import Pipeline, Stage
from crm_server.products.models import PriceList, PriceListItem, Product
from crm_server.quotes import services
from crm_server.quotes.services import LineInput

_seq = itertools.count(1)


def make_product(name: str = "工业以太网交换机", price="1000.00", tax_rate="13.00", **kw) -> Product:
    product = Product(code=kw.pop("code", f"QP{next(_seq):05d}"), name=name, list_price=Decimal(price),
                      tax_rate=Decimal(tax_rate), unit=kw.pop("unit", "台"),
                      specification=kw.pop("specification", "24口千兆"), **kw)
    db.session.add(product)
    db.session.flush()
    return product


def make_price_list(name: str, prices: dict) -> PriceList:
    price_list = PriceList(name=name, is_active=True)
    db.session.add(price_list)
    db.session.flush()
    for product, price in prices.items():
        db.session.add(PriceListItem(price_list_id=price_list.id, product_id=product.id, price=Decimal(price)))
    db.session.flush()
    return price_list


def open_stage() -> Stage:
    """The first open stage of the default pipeline (reference data of the opportunities domain)."""
    stmt = (select(Stage).join(Pipeline, Stage.pipeline_id == Pipeline.id).where(Stage.kind == "open")
            .order_by(Pipeline.is_default.desc(), Pipeline.id, Stage.sort_order, Stage.id))
    stage = db.session.scalars(stmt).first()
    assert stage is not None, "no open stage"
    return stage


def make_opportunity(owner, customer, name: str = "智能工厂网络改造", amount="50000.00"):
    from crm_server.opportunities import services as opportunity_services
    opportunity = opportunity_services.create_opportunity(owner, customer, name=name, amount=Decimal(amount),
                                                          stage_id=open_stage().id)
    db.session.flush()
    return opportunity


def line(product=None, **kw) -> LineInput:
    return LineInput(product_id=product.id if product else None, **kw)


def make_quote(owner, customer, lines=None, **fields):
    """A draft quote through the service; by default one line of a 1,000.00 product, quantity 2."""
    if lines is None:
        lines = [line(make_product(), quantity="2")]
    fields.setdefault("title", "网络设备报价")
    return services.create_quote(owner, customer_id=customer.id, lines=lines, **fields)
