"""Demo data for `make run`, `crm-server seed-demo` and the benchmark: one seeder module per domain."""
from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Branch, Department, Role, User
from ..core.roles import ADMIN, ensure_reference_data
from ..core.security import check_password_rules, hash_password, new_session_token
from ..core.types import utcnow
from ..extensions import db
from . import campaigns, contracts, customers, forecast, leads, mailing, opportunities, organisation, products, quotes
from .base import SIZES, DemoContext

# Printed to whoever runs `make run`: every demo employee signs in with it.
DEMO_PASSWORD = "demo123456"
ADMIN_USERNAME = "admin"

# Run in this order; a later domain adds its module here (customers need the staff who own them).
SEEDERS = (organisation.seed, customers.seed, products.seed, opportunities.seed, quotes.seed, contracts.seed,
           forecast.seed, campaigns.seed, leads.seed, mailing.seed)

audit.register_actions({"demo.seeded": _l("Loaded demo data")})


def seed_demo(size: str = "small", admin_password: str | None = None) -> dict:
    """Load the demo company into the database (flushes; the caller commits).

    Returns the counts made and `sample_usernames` to sign in with DEMO_PASSWORD. Raises DomainError when
    the demo data is already there. The administrator "admin" is made only when `admin_password` is given:
    otherwise the first-start setup page creates the administrator.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, not {size!r}")
    ensure_reference_data()
    if admin_password is not None:
        _check_admin_possible(admin_password)
    ctx = DemoContext(size=size, password_hash=hash_password(DEMO_PASSWORD))
    for seeder in SEEDERS:
        seeder(ctx)
    if admin_password is not None:
        _create_admin(ctx, admin_password)
    audit.record(None, "demo.seeded", label=f"demo data ({size})",
                 changes={key: [None, value] for key, value in ctx.counts.items()})
    return {**ctx.counts, "sample_usernames": list(ctx.sample_usernames)}


def _check_admin_possible(password: str) -> None:
    check_password_rules(password, "admin_password")
    if db.session.scalar(select(User.id).where(User.username == ADMIN_USERNAME)) is not None:
        raise DomainError(_("The user %(name)s already exists.", name=ADMIN_USERNAME), "admin_password")


def _create_admin(ctx: DemoContext, password: str) -> None:
    role = db.session.scalar(select(Role).where(Role.code == ADMIN))
    # The head office's first department (the general manager's office) holds the administrator.
    first = (select(Department).join(Department.branch)
             .order_by(Branch.sort_order, Branch.id, Department.sort_order, Department.id).limit(1))
    department = db.session.scalar(first)
    user = User(username=ADMIN_USERNAME, display_name="系统管理员", title="系统管理员",
                password_hash=hash_password(password), role=role, department=department,
                session_token=new_session_token(), password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    ctx.counts["users"] = ctx.counts.get("users", 0) + 1
