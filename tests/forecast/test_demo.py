"""The demo quotas and commits: every active salesperson and manager has twelve sensible monthly quotas for the
current fiscal year, a few commit for the quarter, and the forecast page shows them."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select, true

from crm_server.core.models import User
from crm_server.demo import seed_demo
from crm_server.extensions import db
from crm_server.forecast import services
from crm_server.forecast.models import Commit, Quota
from crm_server.forecast.periods import fiscal_year_months


def test_demo_quotas_and_commits(app):
    result = seed_demo()
    db.session.commit()
    quarter = services.current_quarter()
    months = set(fiscal_year_months(quarter.year, 1))
    sellers = db.session.scalars(select(User).where(User.is_active == true())).all()
    sellers = [u for u in sellers if u.role.code in ("sales", "sales_manager")]
    assert result["quotas"] == 12 * len(sellers) == db.session.scalar(select(func.count()).select_from(Quota))
    for user in sellers:
        rows = db.session.scalars(select(Quota).where(Quota.user_id == user.id)).all()
        assert {(q.year, q.month) for q in rows} == months
        assert all(Decimal(40_000) <= q.amount <= Decimal(360_000) for q in rows)
    commits = db.session.scalars(select(Commit)).all()
    assert 1 <= len(commits) == result["commits"] < len(sellers)
    assert all(c.year == quarter.year and c.quarter == quarter.quarter and c.amount > 0 for c in commits)
    director = db.session.scalar(select(User).where(User.title == "销售总监"))
    report = services.forecast(director, quarter)
    assert report.total.quota == sum(
        (q.amount for q in db.session.scalars(select(Quota)) if (q.year, q.month) in quarter.months), Decimal(0))
    assert report.total.commit == sum((c.amount for c in commits), Decimal(0))
