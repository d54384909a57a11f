"""A company with hand-computed figures for the dashboard tests, relative to the site's today (the tests run on any
day): two branches, a manager with two salespeople in one department and a salesperson in the other, a director and
finance. Rows sit on the month boundary in Asia/Shanghai: a customer created at 00:30 local on the 1st (16:30 UTC
the day before) is new this month, one created at 23:30 local on the last day of last month is not."""
from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

from crm_server.activity.services import site_today, site_zone
from crm_server.approvals.models import ApprovalRequest, ApprovalTask
from crm_server.charts.cache import the_cache
from crm_server.core.types import utcnow
from crm_server.extensions import db
from crm_server.home.figures import Month
from crm_server.opportunities.models import LOST, OPEN, WON, Opportunity, Pipeline, Stage
from crm_server.payments.models import ISSUED, VOIDED, Invoice
from tests import factories
from tests.payments.helpers import make_contract, make_plan, pay

_seq = itertools.count(1)
LONG_AGO = dt.datetime(2020, 1, 1, 8, 0)


def clear_cache() -> None:
    cache = the_cache()
    if cache is not None:
        cache.clear()


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local wall-clock time of a site day as the naive UTC the database stores."""
    moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=site_zone())
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None)


def customer(owner, created_at=LONG_AGO, **kw):
    return factories.make_customer(owner, created_at=created_at, **kw)


def make_pipeline() -> Pipeline:
    pipeline = Pipeline(name=f"项目销售{next(_seq)}", is_default=True)
    pipeline.stages = [Stage(name="需求确认", sort_order=1, probability=30, kind=OPEN),
                       Stage(name="方案报价", sort_order=2, probability=60, kind=OPEN),
                       Stage(name="赢单", sort_order=8, probability=100, kind=WON),
                       Stage(name="输单", sort_order=9, probability=0, kind=LOST)]
    db.session.add(pipeline)
    db.session.flush()
    return pipeline


def opportunity(pipeline, owner, amount, stage_name, closed_on=None, deleted=False) -> Opportunity:
    stage = next(s for s in pipeline.stages if s.name == stage_name)
    row = Opportunity(customer=customer(owner), name=f"商机{next(_seq)}", amount=Decimal(amount), pipeline=pipeline,
                      stage=stage, furthest_stage_id=stage.id, probability=stage.probability, status=stage.kind,
                      closed_on=closed_on, owner=owner, deleted_at=utcnow() if deleted else None)
    db.session.add(row)
    db.session.flush()
    return row


def build_company():
    """The company; the figures each role should see are in the tests beside the assertions."""
    from crm_server.forecast.models import Quota
    today = site_today()
    month = Month.of(today)
    before = month.previous()
    branch_a, branch_b = factories.make_branch("上海分公司"), factories.make_branch("北京分公司")
    east = factories.make_department("华东销售部", branch=branch_a)
    north = factories.make_department("华北销售部", branch=branch_b)
    manager = factories.make_user("sales_manager", department=east, display_name="陈经理")
    s1 = factories.make_user("sales", department=east, manager=manager, display_name="周一")
    s2 = factories.make_user("sales", department=east, manager=manager, display_name="吴二")
    s3 = factories.make_user("sales", department=north, display_name="郑三")
    director = factories.make_user("sales_director", display_name="王总监")
    finance = factories.make_user("finance", display_name="李会计")
    pipeline = make_pipeline()

    # S1: won 30,000 + 5,000.50 this month, 20,000 on the last day of last month; open 10,000 / 7,000; a lost
    # and a deleted deal count nowhere.
    opportunity(pipeline, s1, "30000.00", "赢单", month.first)
    opportunity(pipeline, s1, "5000.50", "赢单", today)
    opportunity(pipeline, s1, "20000.00", "赢单", before.last)
    opportunity(pipeline, s1, "10000.00", "需求确认")
    opportunity(pipeline, s1, "7000.00", "方案报价")
    opportunity(pipeline, s1, "9999.00", "输单", month.first)
    opportunity(pipeline, s1, "50000.00", "赢单", month.first, deleted=True)
    # S2: won 15,000, open 3,000.  S3 (the other branch): won 100,000, open 50,000.
    opportunity(pipeline, s2, "15000.00", "赢单", month.first)
    opportunity(pipeline, s2, "3000.00", "需求确认")
    opportunity(pipeline, s3, "100000.00", "赢单", month.first)
    opportunity(pipeline, s3, "50000.00", "方案报价")
    for user, amount in ((s1, "50000.00"), (s2, "20000.00"), (s3, "80000.00")):
        db.session.add(Quota(user_id=user.id, year=today.year, month=today.month, amount=Decimal(amount)))

    # New customers: S1 two this month (one at 00:30 local on the 1st), one last month (23:30 on its last day),
    # a deleted one; S2 and S3 one each this month.
    boundary_new = customer(s1, local(month.first, 0, 30), name="月初新客户有限公司")
    customer(s1, utcnow(), name="今天新客户有限公司")
    customer(s1, local(before.last, 23, 30), name="上月末客户有限公司")
    customer(s1, utcnow(), name="已删除客户有限公司", deleted_at=utcnow())
    customer(s2, utcnow())
    customer(s3, utcnow())

    # Follow-up plans of S1: one overdue, one due today, one done; S2 one overdue. Follow-ups this week
    # (00:01 local today): S1 two calls and a visit, S2 a call; S3 (another department) a call.
    old = customer(s1)
    factories.make_followup(old, s1, happened_at=LONG_AGO, next_followup_at=utcnow() - dt.timedelta(days=2),
                            next_step="催合同")
    factories.make_followup(boundary_new, s1, happened_at=LONG_AGO, next_followup_at=local(today, 23, 59))
    factories.make_followup(old, s1, happened_at=LONG_AGO, next_followup_at=utcnow() - dt.timedelta(days=3),
                            next_done_at=utcnow())
    factories.make_followup(customer(s2), s2, happened_at=LONG_AGO, next_followup_at=utcnow() - dt.timedelta(days=1))
    week = local(today, 0, 1)
    for user, kind in ((s1, "call"), (s1, "call"), (s1, "visit"), (s2, "call"), (s3, "call")):
        factories.make_followup(customer(user), user, happened_at=week, kind=kind)

    # Money: contract A of S1 (10,000, signed on the 1st): 4,000 due 40 days ago, 6,000 due in 10 days; 1,000
    # received today (matched to the oldest: 3,000 overdue left). Contract B of S3 (5,000): 5,000 due 5 days ago.
    # An invoice of 2,000 issued today for A, one of 500 voided.
    a = make_contract(s1, customer(s1, name="华信智能科技有限公司"), amount="10000.00", sign_date=month.first)
    make_plan(finance, a, [(today - dt.timedelta(days=40), "4000"), (today + dt.timedelta(days=10), "6000")])
    pay(finance, a, "1000.00", on=today)
    b = make_contract(s3, customer(s3, name="远图信息技术有限公司"), amount="5000.00", sign_date=month.first)
    make_plan(finance, b, [(today - dt.timedelta(days=5), "5000")])
    for number, amount, status in (("INV-1", "2000.00", ISSUED), ("INV-2", "500.00", VOIDED)):
        db.session.add(Invoice(contract_id=a.id, customer_id=a.customer_id, owner_id=s1.id, number=number,
                               amount=Decimal(amount), issued_on=today, status=status))

    # Two approval tasks wait for the manager, one for the director.
    request = ApprovalRequest(document_type="contract", document_id=a.id, flow_name="合同审批", step_count=1,
                              title="合同 A", submitted_by_id=s1.id)
    db.session.add(request)
    db.session.flush()
    for approver in (manager, manager, director):
        db.session.add(ApprovalTask(request_id=request.id, position=1, step_name="审批", approver_id=approver.id))
    db.session.commit()
    clear_cache()
    return {"today": today, "month": month, "before": before, "manager": manager, "s1": s1, "s2": s2, "s3": s3,
            "director": director, "finance": finance, "a": a, "b": b, "branch_a": branch_a, "branch_b": branch_b}


def tile_section(html: str, key: str) -> str:
    match = re.search(r'<section class="card h-100 dashboard-tile" id="tile-%s".*?</section>' % re.escape(key), html,
                      re.S)
    assert match, f"no tile {key}"
    return match.group(0)


def figures_of(html: str, key: str) -> list[str]:
    """The raw values of a tile's figures, in order."""
    return re.findall(r'data-figure="\d+" data-value="([^"]*)"', tile_section(html, key))


def tile_keys(html: str) -> list[str]:
    return re.findall(r'class="card h-100 dashboard-tile" id="tile-([a-z_]+)"', html)
