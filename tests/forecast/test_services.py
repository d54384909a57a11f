"""The forecast, quotas and commits at the service level, against the hand-computed figures of helpers.py."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.site_settings import set_setting
from crm_server.extensions import db
from crm_server.forecast import services
from crm_server.forecast.models import Commit, Quota
from crm_server.forecast.periods import FISCAL_START_KEY, FiscalQuarter

from .. import factories
from .helpers import team_with_figures

Q4 = FiscalQuarter(2026, 4, 1)


def dec(value):
    return None if value is None else Decimal(value)


def figures_of(f):
    return {"quota": f.quota, "won": f.won, "percent": f.quota_percent, "count": f.open_count,
            "pipeline": f.open_amount, "weighted": f.weighted, "expected": f.expected, "commit": f.commit,
            "best": f.best_case}


def expected(quota, won, percent, count, pipeline, weighted, exp, commit, best):
    return {"quota": dec(quota), "won": dec(won), "percent": dec(percent), "count": count,
            "pipeline": dec(pipeline), "weighted": dec(weighted), "expected": dec(exp), "commit": dec(commit),
            "best": dec(best)}


ZHANG = expected("300000.00", "150000.50", "50.0", 2, "233333.33", "63333.33", "213333.83", None, "383333.83")
LI = expected("80000.00", "20000.00", "25.0", 2, "15000.20", "4950.07", "24950.07", "30000.00", "35000.20")
CHEN = expected(None, "45000.00", None, 1, "100000.00", "60000.00", "105000.00", None, "145000.00")
NOTHING = expected(None, "0.00", None, 0, "0.00", "0.00", "0.00", None, "0.00")
EAST = expected("380000.00", "170000.50", "44.7", 4, "248333.53", "68283.40", "238283.90", "30000.00", "418334.03")
COMPANY = expected("380000.00", "215000.50", "56.6", 5, "348333.53", "128283.40", "343283.90", "30000.00",
                   "563334.03")


def people(report):
    return {row.user.display_name: figures_of(row.figures)
            for branch in report.branches for group in branch.departments for row in group.people}


def departments(report):
    return {group.department.name: figures_of(group.total)
            for branch in report.branches for group in branch.departments}


def test_director_sees_everyone_with_department_branch_and_company_totals(app):
    team = team_with_figures()
    report = services.forecast(team["director"], Q4)
    assert people(report) == {"张伟": ZHANG, "李娜": LI, "陈静": CHEN, "王经理": NOTHING, "赵总监": NOTHING}
    assert departments(report) == {"总经办": NOTHING, "华东一组": EAST, "华南组": CHEN}
    branches = {b.branch.name: figures_of(b.total) for b in report.branches}
    assert branches["上海总部"] == EAST and branches["广州分公司"] == CHEN
    assert [b.branch.name for b in report.branches] == ["上海总部", "广州分公司"]
    assert figures_of(report.total) == COMPANY


def test_manager_sees_their_department_only(app):
    team = team_with_figures()
    report = services.forecast(team["manager"], Q4)
    assert people(report) == {"张伟": ZHANG, "李娜": LI, "王经理": NOTHING}
    assert departments(report) == {"华东一组": EAST}
    total = figures_of(report.total)
    assert total == EAST


def test_salesperson_sees_only_themself(app):
    team = team_with_figures()
    report = services.forecast(team["li"], Q4)
    assert people(report) == {"李娜": LI}
    assert figures_of(report.total) == LI


def test_a_department_total_includes_its_sub_departments(app):
    team = team_with_figures()
    team["east"].parent = team["office"]
    db.session.commit()
    report = services.forecast(team["director"], Q4)
    assert departments(report)["总经办"] == EAST  # the director's row is zero: 总经办 = 华东一组
    depth = {g.department.name: g.depth for b in report.branches for g in b.departments}
    assert depth == {"总经办": 0, "华东一组": 1, "华南组": 0}


def test_other_quarters_and_disabled_people_with_figures(app):
    team = team_with_figures()
    q3 = services.forecast(team["director"], FiscalQuarter(2026, 3, 1))
    assert people(q3)["张伟"]["won"] == Decimal("99999.00")
    assert people(q3)["张伟"]["quota"] == Decimal("50000.00")
    team["chen"].is_active = False
    team["manager"].is_active = False
    db.session.commit()
    shown = people(services.forecast(team["director"], Q4))
    assert "陈静" in shown and "王经理" not in shown  # disabled: kept while they have figures


def test_fiscal_year_starting_in_april_moves_the_quarter(app):
    team = team_with_figures()
    set_setting(FISCAL_START_KEY, "4")
    q3 = FiscalQuarter(2026, 3, 4)  # October to December 2026: the same months as the calendar Q4
    assert figures_of(services.forecast(team["director"], q3).total)["won"] == Decimal("215000.50")
    assert figures_of(services.forecast(team["director"], q3).total)["quota"] == Decimal("380000.00")


def test_set_quotas_writes_rows_and_one_audit_row_per_person(app):
    team = team_with_figures()
    zhang, li = team["zhang"], team["li"]
    changed = services.set_quotas(team["manager"], 2026, {
        zhang.id: {(2026, 10): Decimal("100000.00"), (2026, 11): Decimal("120000.00"), (2026, 12): None},
        li.id: {(2026, 10): Decimal("80000.00")}})
    db.session.commit()
    assert changed == 1  # 李娜's October was already 80,000
    rows = {(q.month, q.amount) for q in db.session.scalars(select(Quota).where(Quota.user_id == zhang.id))}
    assert rows == {(9, Decimal("50000.00")), (10, Decimal("100000.00")), (11, Decimal("120000.00"))}
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "quota.updated")).all()
    assert len(log) == 1 and log[0].entity_id == zhang.id and log[0].actor_id == team["manager"].id
    assert json.loads(log[0].changes) == {"2026-11": ["100000.00", "120000.00"], "2026-12": ["100000.00", None]}


def test_quotas_outside_the_scope_or_the_year_are_refused(app):
    team = team_with_figures()
    with pytest.raises(DomainError):
        services.set_quotas(team["manager"], 2026, {team["chen"].id: {(2026, 10): Decimal("1")}})
    with pytest.raises(DomainError):
        services.set_quotas(team["manager"], 2026, {team["zhang"].id: {(2027, 1): Decimal("1")}})
    with pytest.raises(DomainError):
        services.set_quotas(team["zhang"], 2026, {team["zhang"].id: {(2026, 10): Decimal("1")}})
    with pytest.raises(DomainError):
        services.set_quotas(team["manager"], 2026, {team["zhang"].id: {(2026, 10): Decimal("-1")}})
    db.session.rollback()
    assert db.session.scalar(select(Quota.amount).where(Quota.user_id == team["zhang"].id, Quota.month == 10)) \
        == Decimal("100000.00")
    assert db.session.scalar(select(Quota.id).where(Quota.user_id == team["chen"].id)) is None


def test_commit_is_own_and_audited(app):
    team = team_with_figures()
    zhang = team["zhang"]
    assert services.set_commit(zhang, Q4, Decimal("200000")) is True
    assert services.set_commit(zhang, Q4, Decimal("200000.00")) is False
    assert services.set_commit(zhang, Q4, Decimal("210000.10")) is True
    db.session.commit()
    assert services.commit_of(zhang, Q4) == Decimal("210000.10")
    assert figures_of(services.forecast(team["director"], Q4).total)["commit"] == Decimal("240000.10")
    services.set_commit(zhang, Q4, None)
    db.session.commit()
    assert db.session.scalar(select(Commit.id).where(Commit.user_id == zhang.id)) is None
    log = db.session.scalars(select(AuditLog).where(AuditLog.action == "forecast.commit_updated")
                             .order_by(AuditLog.id)).all()
    assert [json.loads(r.changes)["commit FY2026 Q4"] for r in log] == [
        [None, "200000.00"], ["200000.00", "210000.10"], ["210000.10", None]]
    with pytest.raises(DomainError):
        services.set_commit(zhang, Q4, Decimal("0.001"))


def test_fiscal_start_setting_is_for_administrators_and_audited(app):
    team = team_with_figures()
    with pytest.raises(DomainError):
        services.set_fiscal_start_month(team["director"], 4)
    admin = factories.make_user("admin")
    with pytest.raises(DomainError):
        services.set_fiscal_start_month(admin, 13)
    assert services.set_fiscal_start_month(admin, 4) is True
    db.session.commit()
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "forecast.settings_updated"))
    assert json.loads(row.changes) == {"forecast.fiscal_year_start_month": [1, 4]}
    assert services.current_quarter().start == 4
