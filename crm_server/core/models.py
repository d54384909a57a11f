"""The organisation every record hangs from: branches, departments, roles and users."""
from __future__ import annotations

import datetime as dt

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, Integer, Unicode, UnicodeText
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow,
                                                    nullable=False)


class Branch(TimestampMixin, db.Model):
    """分公司 / 办事处."""

    __tablename__ = "branches"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(100), unique=True, nullable=False)
    city: Mapped[str | None] = mapped_column(Unicode(50))
    address: Mapped[str | None] = mapped_column(Unicode(200))
    phone: Mapped[str | None] = mapped_column(Unicode(40))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    departments: Mapped[list[Department]] = relationship(back_populates="branch")

    def __str__(self) -> str:
        return self.name


class Department(TimestampMixin, db.Model):
    """部门: a tree inside one branch."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Unicode(100), nullable=False)
    branch_id: Mapped[int] = mapped_column(ForeignKey("branches.id"), nullable=False, index=True)
    # Self-reference without ON DELETE CASCADE: SQL Server refuses cascading self-references (error 1785).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0, nullable=False)

    branch: Mapped[Branch] = relationship(back_populates="departments")
    parent: Mapped[Department | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent")

    def __str__(self) -> str:
        return self.name


class Role(TimestampMixin, db.Model):
    """A set of permissions and a data scope per record type."""

    __tablename__ = "roles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(Unicode(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(Unicode(64), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(Unicode(255))
    is_builtin: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The scope for record types that have no row in role_data_scopes.
    data_scope: Mapped[str] = mapped_column(Unicode(20), default="own", nullable=False)

    permission_rows: Mapped[list[RolePermission]] = relationship(
        back_populates="role", cascade="all, delete-orphan", lazy="selectin")
    scope_rows: Mapped[list[RoleDataScope]] = relationship(
        back_populates="role", cascade="all, delete-orphan", lazy="selectin")

    @property
    def permissions(self) -> set[str]:
        return {row.permission for row in self.permission_rows}

    def scope_for(self, record_type: str | None) -> str:
        for row in self.scope_rows:
            if row.record_type == record_type:
                return row.scope
        return self.data_scope

    def __str__(self) -> str:
        return self.name


class RolePermission(db.Model):
    __tablename__ = "role_permissions"
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    permission: Mapped[str] = mapped_column(Unicode(64), primary_key=True)
    role: Mapped[Role] = relationship(back_populates="permission_rows")


class RoleDataScope(db.Model):
    __tablename__ = "role_data_scopes"
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id", ondelete="CASCADE"), primary_key=True)
    record_type: Mapped[str] = mapped_column(Unicode(40), primary_key=True)
    scope: Mapped[str] = mapped_column(Unicode(20), nullable=False)
    role: Mapped[Role] = relationship(back_populates="scope_rows")


class User(UserMixin, TimestampMixin, db.Model):
    """An employee who signs in. Disabled users keep their records but cannot sign in."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(Unicode(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(Unicode(64), nullable=False)
    email: Mapped[str | None] = mapped_column(Unicode(120))
    phone: Mapped[str | None] = mapped_column(Unicode(40))
    title: Mapped[str | None] = mapped_column(Unicode(64))
    password_hash: Mapped[str] = mapped_column(Unicode(255), nullable=False)
    role_id: Mapped[int] = mapped_column(ForeignKey("roles.id"), nullable=False, index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    language: Mapped[str | None] = mapped_column(Unicode(10))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped on password change/reset so that other sessions and "remember me" cookies stop working.
    session_token: Mapped[str] = mapped_column(Unicode(64), nullable=False, default="")
    remarks: Mapped[str | None] = mapped_column(UnicodeText)

    role: Mapped[Role] = relationship(lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    manager: Mapped[User | None] = relationship(remote_side=[id])

    __table_args__ = (Index("ix_users_display_name", "display_name"),)

    # Flask-Login: the session holds id + token, so a password change signs out other sessions.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def branch_id(self) -> int | None:
        return self.department.branch_id if self.department else None

    def can(self, permission: str) -> bool:
        return permission in self.role.permissions

    def __str__(self) -> str:
        return self.display_name
