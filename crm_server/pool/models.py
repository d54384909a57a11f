"""公海: public pools, their recycling rules per customer level, and per-role holding and claiming limits."""
from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, Unicode
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.dictionaries import DictionaryItem
from ..core.models import Branch, Role, TimestampMixin
from ..extensions import db


class PublicPool(TimestampMixin, db.Model):
    """A pool customers are released to. A pool with a branch serves that branch's staff; one is the default."""

    __tablename__ = "public_pools"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(60), unique=True, nullable=False)
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("branches.id"), index=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    branch: Mapped[Branch | None] = relationship()

    def __str__(self) -> str:
        return self.name


class RecycleRule(TimestampMixin, db.Model):
    """When a customer of a level returns to the pool by itself; level None = every level without a rule."""

    __tablename__ = "pool_recycle_rules"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level_id: Mapped[int | None] = mapped_column(ForeignKey("dictionary_items.id"), index=True)
    no_followup_days: Mapped[int | None] = mapped_column(Integer)
    no_deal_days: Mapped[int | None] = mapped_column(Integer)
    warn_days: Mapped[int] = mapped_column(Integer, default=3, nullable=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)

    level: Mapped[DictionaryItem | None] = relationship()


class RoleLimit(db.Model):
    """How many customers a user of a role may hold, and claim from the pool per day (None = no limit)."""

    __tablename__ = "pool_role_limits"
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    max_customers: Mapped[int | None] = mapped_column(Integer)
    max_claims_per_day: Mapped[int | None] = mapped_column(Integer)

    role: Mapped[Role] = relationship()
