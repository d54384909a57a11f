"""The customer file: customers, their tags and collaborators, owner changes, and users' saved list views."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.dictionaries import DictionaryItem
from ..core.models import TimestampMixin, User
from ..core.types import UTCDateTime, utcnow
from ..extensions import db


LIVE = ("id", "deleted_at", "owner_id")  # trailing index columns: the list's last sort key, then a live customer
LIVE_ORDER = ("updated_at", *LIVE)       # ... after the list's default sort


class Customer(TimestampMixin, db.Model):
    """客户. `owner_id` None means the customer sits in a public pool (`pool_id`); `deleted_at` = recycle bin."""

    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(200), nullable=False)
    short_name: Mapped[str | None] = mapped_column(Unicode(100))
    kind: Mapped[str] = mapped_column(Unicode(20), default="company", nullable=False)  # company / individual
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    level_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    status_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"))
    credit_rating: Mapped[str | None] = mapped_column(Unicode(10))
    province: Mapped[str | None] = mapped_column(Unicode(30))
    city: Mapped[str | None] = mapped_column(Unicode(30))
    district: Mapped[str | None] = mapped_column(Unicode(30))
    address: Mapped[str | None] = mapped_column(Unicode(200))
    phone: Mapped[str | None] = mapped_column(Unicode(40))
    email: Mapped[str | None] = mapped_column(Unicode(120))
    website: Mapped[str | None] = mapped_column(Unicode(200))
    credit_code: Mapped[str | None] = mapped_column(Unicode(18))  # 统一社会信用代码
    remarks: Mapped[str | None] = mapped_column(UnicodeText)

    # Kept by the services for the duplicate check and the keyword search (see customers.normalise).
    name_key: Mapped[str] = mapped_column(Unicode(200), nullable=False, default="", index=True)
    phone_digits: Mapped[str | None] = mapped_column(Unicode(40), index=True)
    email_key: Mapped[str | None] = mapped_column(Unicode(120), index=True)
    # name, short name, phone and every contact's name and phones, lower-case: one column to search.
    search_text: Mapped[str] = mapped_column(UnicodeText, nullable=False, default="")

    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    pool_id: Mapped[int | None] = mapped_column(ForeignKey("public_pools.id"))
    released_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_followup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    next_followup_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_deal_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recycle_warned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))

    industry: Mapped[DictionaryItem | None] = relationship(foreign_keys=[industry_id])
    source: Mapped[DictionaryItem | None] = relationship(foreign_keys=[source_id])
    level: Mapped[DictionaryItem | None] = relationship(foreign_keys=[level_id])
    status: Mapped[DictionaryItem | None] = relationship(foreign_keys=[status_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])
    tags: Mapped[list[Tag]] = relationship(secondary="customer_tags", order_by="Tag.name")
    collaborators: Mapped[list[CustomerCollaborator]] = relationship(
        back_populates="customer", cascade="all, delete-orphan")

    # Every sort and filter of the list has an index that gives its order and its count by itself (benchmark:
    # 100,000 customers). The column leads; what tells a live customer of an owner trails, so that the index counts
    # without reading the table. A column users filter on by equality leads an index in the list's default order
    # (updated_at), which also orders rows of one value when the list is sorted by that column. The list reads
    # sorts with empty values as segments (filled, then empty; see customers.services.customer_page) so that
    # the leading column alone orders each. The updated_at index also holds the follow-up dates: a range filter
    # on them walks it in list order without reading rows that do not match.
    # PostgreSQL does not take `deleted_at IS NULL` as a fixed value, so a leading deleted_at could not give
    # the order; SQLite without statistics took a leading deleted_at for a selective key.
    __table_args__ = (
        Index("ix_customers_owner_live", "owner_id", "deleted_at", "id"),
        Index("ix_customers_live_updated", *LIVE_ORDER, "created_at", "owner_since", "last_followup_at",
              "next_followup_at"),
        *(Index(f"ix_customers_live_{name}", column, *LIVE_ORDER) for name, column in (
            ("kind", "kind"), ("industry", "industry_id"), ("source", "source_id"), ("level", "level_id"),
            ("status", "status_id"), ("credit_rating", "credit_rating"), ("province", "province"),
            ("city", "city"))),
        *(Index(f"ix_customers_live_{name}", column, *LIVE) for name, column in (
            ("created", "created_at"), ("name", "name"), ("address", "address"), ("phone", "phone"),
            ("email", "email"), ("credit_code", "credit_code"), ("owner_since", "owner_since"),
            ("last_deal", "last_deal_at"), ("next_followup", "next_followup_at"))),
        # also counts "no follow-up for N days" (which falls back to owner_since, then created_at) by itself
        Index("ix_customers_live_last_followup", "last_followup_at", *LIVE, "owner_since", "created_at"),
        # the region sort, and the province and city filter choices (SELECT DISTINCT) read it alone
        Index("ix_customers_city", "province", "city", *LIVE),
        Index("ix_customers_pool", "pool_id", "deleted_at", "released_at"),
        # the customers report: customers held per owner without a follow-up for 30/60/90 days (last follow-up, else
        # owner_since, else created_at) read from this index alone, grouped by owner
        Index("ix_customers_followup_age", "owner_id", "deleted_at", "last_followup_at", "owner_since", "created_at"),
        # The keyword search (LIKE '%term%') reads every search_text of the file: from this narrow index SQLite
        # reads a fifth of what the table holds. SQLite only: SQL Server and MariaDB cannot index a long text,
        # and the database servers scan in parallel with large caches.
        Index("ix_customers_search", "search_text", "deleted_at", "owner_id").ddl_if(dialect="sqlite"),
    )

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def in_pool(self) -> bool:
        return self.owner_id is None

    def __str__(self) -> str:
        return self.name


class Tag(db.Model):
    """A free label on customers (e.g. 重点客户, 老客户转介绍)."""

    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(40), unique=True, nullable=False)

    def __str__(self) -> str:
        return self.name


class CustomerTag(db.Model):
    __tablename__ = "customer_tags"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True)


class CustomerCollaborator(db.Model):
    """A colleague the owner shares a customer with (协作人): read only, or allowed to edit."""

    __tablename__ = "customer_collaborators"
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    can_edit: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    customer: Mapped[Customer] = relationship(back_populates="collaborators")
    user: Mapped[User] = relationship()


class OwnerChange(db.Model):
    """Every move of a customer between owners and pools: created, assigned, claimed, released, recycled,
    transferred, merged. Feeds the daily claim limit and the activity statistics."""

    __tablename__ = "customer_owner_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), nullable=False,
                                             index=True)
    kind: Mapped[str] = mapped_column(Unicode(20), nullable=False)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Unicode(500))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    customer: Mapped[Customer] = relationship()
    from_user: Mapped[User | None] = relationship(foreign_keys=[from_user_id])
    to_user: Mapped[User | None] = relationship(foreign_keys=[to_user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        Index("ix_customer_owner_changes_to", "to_user_id", "kind", "at"),
        Index("ix_customer_owner_changes_from", "from_user_id", "kind", "at"),
    )


class SavedView(db.Model):
    """A user's named customer list: the filters and sort (a query string) and the columns shown."""

    __tablename__ = "saved_views"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    list_name: Mapped[str] = mapped_column(Unicode(40), nullable=False, default="customers")
    name: Mapped[str] = mapped_column(Unicode(60), nullable=False)
    query: Mapped[str] = mapped_column(Unicode(2000), nullable=False, default="")
    columns: Mapped[str | None] = mapped_column(Unicode(500))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
