"""Shared set-up of the pool tests: two branches, each with a sales department and its own pool."""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.models import Branch, Department
from crm_server.core.types import utcnow
from crm_server.customers.models import OwnerChange
from crm_server.extensions import db
from crm_server.pool.models import PublicPool, RoleLimit
from crm_server.pool.services import default_pool

from .. import factories


@dataclass
class Company:
    shanghai: Branch
    beijing: Branch
    sh_sales: Department
    bj_sales: Department
    bj_pool: PublicPool


def company(with_branch_pool: bool = True) -> Company:
    shanghai, beijing = factories.make_branch("上海总部"), factories.make_branch("北京分公司")
    sh_sales = factories.make_department("上海销售部", branch=shanghai)
    bj_sales = factories.make_department("北京销售部", branch=beijing)
    bj_pool = None
    if with_branch_pool:
        bj_pool = PublicPool(name="北京公海", branch=beijing)
        db.session.add(bj_pool)
        db.session.flush()
    return Company(shanghai, beijing, sh_sales, bj_sales, bj_pool)


def pool_customer(name: str, pool: PublicPool | None = None, released_days_ago: float = 1, **kw):
    """A customer sitting in `pool` (default: the default pool), released some days ago."""
    customer = factories.make_customer(None, name, **kw)
    customer.pool_id = (pool or default_pool()).id
    customer.released_at = utcnow() - dt.timedelta(days=released_days_ago)
    db.session.flush()
    return customer


def set_limit(role_code: str, max_customers=None, max_claims_per_day=None) -> None:
    role = factories.role(role_code)
    row = db.session.get(RoleLimit, role.id) or RoleLimit(role_id=role.id)
    row.max_customers, row.max_claims_per_day = max_customers, max_claims_per_day
    db.session.add(row)
    db.session.flush()


def audit_rows(action: str, entity_id: int | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).where(AuditLog.action == action)
    if entity_id is not None:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    return list(db.session.scalars(stmt.order_by(AuditLog.id)))


def changes(row: AuditLog) -> dict:
    return json.loads(row.changes) if row.changes else {}


def owner_changes(customer_id: int) -> list[OwnerChange]:
    return list(db.session.scalars(select(OwnerChange).where(OwnerChange.customer_id == customer_id)
                                   .order_by(OwnerChange.id)))


def days_ago(days: float) -> dt.datetime:
    return utcnow() - dt.timedelta(days=days)
