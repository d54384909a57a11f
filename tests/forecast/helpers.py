"""Factories of the forecast tests: a pipeline with open/won/lost stages, opportunities as plain rows, and a sales
team in two branches with hand-computed figures (see `team_with_figures`)."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

from sqlalchemy import select

from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.forecast.models import Commit, Quota
from crm_server.opportunities.models import LOST, OPEN, WON, Opportunity, Pipeline, Stage

from .. import factories

_seq = itertools.count(1)


def make_pipeline() -> Pipeline:
    pipeline = Pipeline(name=f"项目销售{next(_seq)}", is_default=True)
    pipeline.stages = [Stage(name="需求确认", sort_order=1, probability=30, kind=OPEN),
                       Stage(name="赢单", sort_order=8, probability=100, kind=WON),
                       Stage(name="输单", sort_order=9, probability=0, kind=LOST)]
    db.session.add(pipeline)
    db.session.flush()
    return pipeline


def make_opportunity(owner, amount, status=OPEN, expected=None, closed_on=None, probability=None, deleted=False,
                     pipeline=None, customer=None) -> Opportunity:
    pipeline = pipeline or db.session.scalar(select(Pipeline).order_by(Pipeline.id).limit(1)) or make_pipeline()
    stage = next(s for s in pipeline.stages if s.kind == status)
    customer = customer or factories.make_customer(owner)
    opportunity = Opportunity(customer=customer, name=f"商机{next(_seq)}", amount=Decimal(amount),
                              expected_close_date=expected, pipeline=pipeline, stage=stage,
                              probability=stage.probability if probability is None else probability,
                              status=status, closed_on=closed_on, owner=owner,
                              deleted_at=utcnow() if deleted else None)
    db.session.add(opportunity)
    db.session.flush()
    return opportunity


def set_quota(user, year, month, amount) -> Quota:
    quota = Quota(user_id=user.id, year=year, month=month, amount=Decimal(amount))
    db.session.add(quota)
    db.session.flush()
    return quota


def set_commit(user, year, quarter, amount) -> Commit:
    commit = Commit(user_id=user.id, year=year, quarter=quarter, amount=Decimal(amount))
    db.session.add(commit)
    db.session.flush()
    return commit


D = dt.date


def team_with_figures():
    """Branch 上海 (总经办: the director; 华东一组: manager 王经理, 张伟, 李娜) and branch 广州 (华南组: 陈静), with
    opportunities in and around FY2026 Q4 (calendar year fiscal year: 2026-10-01 .. 2026-12-31).

    Hand-computed figures of FY2026 Q4:
    张伟  quota 300,000.00 (Sep's 50,000 is another quarter); won 120,000 + 30,000.50 = 150,000.50 (the won on
          09-30, the deleted won and the lost one do not count); open 200,000 × 30% + 33,333.33 × 10% =
          60,000 + 3,333.333 → weighted 63,333.33, pipeline 2 / 233,333.33 (the one closing in January, the deleted
          one and the one without a date do not count); expected 213,333.83; best 383,333.83; quota % 50.0
    李娜  quota 80,000.00; won 20,000.00; open 15,000.15 × 33% + 0.05 × 50% = 4,950.0495 + 0.025 = 4,950.0745
          → 4,950.07 (rounding each would give 4,950.08); pipeline 2 / 15,000.20; expected 24,950.07;
          best 35,000.20; quota % 25.0; commit 30,000.00
    陈静  no quota; won 45,000.00; open 100,000 × 60% → 60,000.00; expected 105,000.00; best 145,000.00
    王经理 and the director: nothing (rows of zeros).
    华东一组: quota 380,000; won 170,000.50; 4 open, 248,333.53; weighted 68,283.40; expected 238,283.90;
          best 418,334.03; commit 30,000; quota % 44.7
    Company: quota 380,000; won 215,000.50; 5 open, 348,333.53; weighted 128,283.40; expected 343,283.90;
          best 563,334.03; commit 30,000; quota % 56.6
    """
    shanghai = factories.make_branch("上海总部", sort_order=1)
    guangzhou = factories.make_branch("广州分公司", sort_order=2)
    office = factories.make_department("总经办", branch=shanghai, sort_order=1)
    east = factories.make_department("华东一组", branch=shanghai, sort_order=2)
    south = factories.make_department("华南组", branch=guangzhou)
    director = factories.make_user("sales_director", display_name="赵总监", department=office, language="en")
    manager = factories.make_user("sales_manager", display_name="王经理", department=east, language="en")
    zhang = factories.make_user("sales", display_name="张伟", department=east, manager=manager, language="en")
    li = factories.make_user("sales", display_name="李娜", department=east, manager=manager, language="en")
    chen = factories.make_user("sales", display_name="陈静", department=south, language="en")
    make_pipeline()
    for month in (10, 11, 12):
        set_quota(zhang, 2026, month, "100000")
    set_quota(zhang, 2026, 9, "50000")
    set_quota(li, 2026, 10, "80000")

    make_opportunity(zhang, "120000", WON, closed_on=D(2026, 10, 15), expected=D(2026, 9, 1))
    make_opportunity(zhang, "30000.50", WON, closed_on=D(2026, 12, 31))
    make_opportunity(zhang, "99999", WON, closed_on=D(2026, 9, 30), expected=D(2026, 10, 20))
    make_opportunity(zhang, "50000", WON, closed_on=D(2026, 11, 1), deleted=True)
    make_opportunity(zhang, "70000", LOST, closed_on=D(2026, 11, 5), expected=D(2026, 11, 5))
    make_opportunity(zhang, "200000", OPEN, expected=D(2026, 11, 20), probability=30)
    make_opportunity(zhang, "33333.33", OPEN, expected=D(2026, 12, 1), probability=10)
    make_opportunity(zhang, "10000", OPEN, expected=D(2027, 1, 5), probability=50)
    make_opportunity(zhang, "40000", OPEN, expected=D(2026, 10, 10), probability=90, deleted=True)
    make_opportunity(zhang, "88888", OPEN, expected=None, probability=90)

    make_opportunity(li, "20000", WON, closed_on=D(2026, 10, 1))
    make_opportunity(li, "15000.15", OPEN, expected=D(2026, 10, 31), probability=33)
    make_opportunity(li, "0.05", OPEN, expected=D(2026, 12, 31), probability=50)
    set_commit(li, 2026, 4, "30000")

    make_opportunity(chen, "45000", WON, closed_on=D(2026, 11, 11))
    make_opportunity(chen, "100000", OPEN, expected=D(2026, 12, 15), probability=60)
    db.session.commit()
    return {"director": director, "manager": manager, "zhang": zhang, "li": li, "chen": chen,
            "east": east, "south": south, "office": office, "shanghai": shanghai, "guangzhou": guangzhou}


FIGURE_COLUMNS = ("quota", "won", "percent", "count", "pipeline", "weighted", "expected", "commit", "best")


def row_values(page: str, row_id: str) -> dict[str, str] | None:
    """The data-value of each figure cell of the forecast table's row `row_id`; None when it is not there."""
    match = re.search(rf'<tr[^>]*id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', page, re.S)
    if match is None:
        return None
    cells = dict(re.findall(r'class="[^"]*c-(\w+)[^"]*" data-value="([^"]*)"', match.group(1)))
    return {name: cells.get(name) for name in FIGURE_COLUMNS}
