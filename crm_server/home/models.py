"""The tiles a user chose for their home dashboard, in their order. No row for a user: the role's defaults."""
from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, Unicode
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class DashboardTile(db.Model):
    __tablename__ = "dashboard_tiles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    tile_key: Mapped[str] = mapped_column(Unicode(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)

    def __str__(self) -> str:
        return self.tile_key
