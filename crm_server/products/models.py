"""The product catalogue: categories, products and price lists (e.g. a distributor price) with validity dates."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin
from ..core.types import Money, Percent
from ..extensions import db


class ProductCategory(TimestampMixin, db.Model):
    """产品分类: a tree of categories."""

    __tablename__ = "product_categories"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("product_categories.id"), index=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    parent: Mapped[ProductCategory | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return self.name


class Product(TimestampMixin, db.Model):
    """产品: what quotes, opportunities and contracts are made of."""

    __tablename__ = "products"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Unicode(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("product_categories.id"), index=True)
    specification: Mapped[str | None] = mapped_column(Unicode(200))  # 规格型号
    unit: Mapped[str | None] = mapped_column(Unicode(20))            # 单位: 台, 套, 吨 ...
    list_price: Mapped[Decimal] = mapped_column(Money, nullable=False, default=Decimal("0.00"))
    cost: Mapped[Decimal | None] = mapped_column(Money)
    tax_rate: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("13.00"))
    is_on_sale: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    description: Mapped[str | None] = mapped_column(UnicodeText)
    picture: Mapped[str | None] = mapped_column(Unicode(255))  # file name in the data folder's products/
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    category: Mapped[ProductCategory | None] = relationship()

    # One index per filter and sort the catalogue list offers (code: the unique constraint; category: category_id).
    __table_args__ = (Index("ix_products_sale_name", "is_on_sale", "name", "id"),
                      Index("ix_products_name", "name", "id"),
                      Index("ix_products_price", "list_price", "id"),
                      Index("ix_products_updated", "updated_at", "id"))

    def __str__(self) -> str:
        return self.name


class PriceList(TimestampMixin, db.Model):
    """价格表: prices other than the list price (distributor, VIP ...), valid between two dates."""

    __tablename__ = "price_lists"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(100), unique=True, nullable=False)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Unicode(500))

    items: Mapped[list[PriceListItem]] = relationship(back_populates="price_list", cascade="all, delete-orphan")

    def __str__(self) -> str:
        return self.name


class PriceListItem(db.Model):
    __tablename__ = "price_list_items"
    price_list_id: Mapped[int] = mapped_column(ForeignKey("price_lists.id", ondelete="CASCADE"), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)

    price_list: Mapped[PriceList] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
