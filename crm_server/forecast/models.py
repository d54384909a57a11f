"""Quotas (业绩目标) per user and calendar month, and each salesperson's commit (承诺) per fiscal quarter."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import TimestampMixin, User
from ..core.types import Money
from ..extensions import db


class Quota(TimestampMixin, db.Model):
    """The amount a user should win in one month. `year`/`month` are the CALENDAR month (2027-03 stays March 2027
    whatever the fiscal year start), so changing the fiscal year start never moves a stored quota."""

    __tablename__ = "sales_quotas"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    month: Mapped[int] = mapped_column(Integer, nullable=False)  # 1..12
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (UniqueConstraint("user_id", "year", "month"),
                      Index("ix_sales_quotas_period", "year", "month", "user_id"))


class Commit(TimestampMixin, db.Model):
    """承诺: what a salesperson commits to win in a fiscal quarter (their own judgement beside the weighted figure)."""

    __tablename__ = "sales_commits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    year: Mapped[int] = mapped_column(Integer, nullable=False)     # fiscal year (named by the year it starts in)
    quarter: Mapped[int] = mapped_column(Integer, nullable=False)  # fiscal quarter 1..4
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)

    user: Mapped[User] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "year", "quarter"),
                      Index("ix_sales_commits_period", "year", "quarter", "user_id"))

    def __str__(self) -> str:
        return f"{self.user.display_name} FY{self.year} Q{self.quarter}"
