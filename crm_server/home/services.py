"""What the workbench shows: the user's own account, organisation figures in scope, recent activity."""
from __future__ import annotations

from sqlalchemy import func, select, true

from ..core.audit import AuditLog
from ..core.models import Branch, Department, User
from ..core.permissions import scoped
from ..extensions import db


def workbench(user: User) -> dict:
    """Figures for the workbench, each read through the user's data scope."""
    colleagues = scoped(select(func.count(User.id)).where(User.is_active == true()), user, User.id)
    recent = db.session.scalars(
        select(AuditLog).where(AuditLog.actor_id == user.id)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(8)).all()
    return {
        "colleagues": db.session.scalar(colleagues) or 0,
        "branches": db.session.scalar(select(func.count(Branch.id)).where(Branch.is_active == true())) or 0,
        "departments": db.session.scalar(
            select(func.count(Department.id)).where(Department.is_active == true())) or 0,
        "recent": recent,
    }
