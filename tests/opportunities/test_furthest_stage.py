"""The stored furthest stage and first won time the funnel and the average cycle read: kept by every creation and
stage move (forward, back, lost, reopened, edited into another pipeline), and the funnel built from them."""
from __future__ import annotations

from decimal import Decimal

import pytest

from crm_server.extensions import db
from crm_server.opportunities import pipelines, services

from .. import factories
from .helpers import default_pipeline, make_opportunity, stage


@pytest.fixture
def sales(app):
    return factories.make_user("sales")


@pytest.fixture
def customer(sales):
    return factories.make_customer(sales)


def furthest(opportunity) -> str | None:
    db.session.flush()
    return stage_name(opportunity.furthest_stage_id)


def stage_name(stage_id) -> str | None:
    from crm_server.opportunities.models import Stage
    return db.session.get(Stage, stage_id).name if stage_id else None


def move(actor, opportunity, name: str, **kw) -> None:
    services.change_stage(actor, opportunity, stage(name, opportunity.pipeline).id, **kw)


def test_creation_stores_the_initial_stage_unless_it_is_lost(sales, customer):
    assert furthest(make_opportunity(sales, customer)) == "初步接洽"
    assert furthest(make_opportunity(sales, customer, stage="方案报价")) == "方案报价"
    won = make_opportunity(sales, customer, stage="赢单")
    assert furthest(won) == "赢单" and won.first_won_at is not None
    lost = make_opportunity(sales, customer, stage="输单", loss_reason="客户预算取消")
    assert furthest(lost) is None and lost.first_won_at is None
    move(sales, lost, "需求确认")  # reopened: its first open stage
    assert furthest(lost) == "需求确认"


def test_forward_back_lost_reopen_and_won_moves(sales, customer):
    opportunity = make_opportunity(sales, customer)
    move(sales, opportunity, "方案报价")  # forward, skipping 需求确认
    assert furthest(opportunity) == "方案报价"
    move(sales, opportunity, "需求确认")  # back: keeps the furthest
    assert furthest(opportunity) == "方案报价"
    move(sales, opportunity, "输单", loss_reason="价格高于竞争对手")  # lost: keeps it
    assert furthest(opportunity) == "方案报价" and opportunity.status == "lost"
    move(sales, opportunity, "需求确认")  # reopened behind it: keeps it
    assert furthest(opportunity) == "方案报价"
    move(sales, opportunity, "谈判审核")  # reopened further
    assert furthest(opportunity) == "谈判审核" and opportunity.first_won_at is None
    move(sales, opportunity, "赢单")
    first_won = opportunity.first_won_at
    assert furthest(opportunity) == "赢单" and first_won is not None
    move(sales, opportunity, "方案报价")  # reopened after winning: the furthest and the first won time stay
    assert furthest(opportunity) == "赢单" and opportunity.first_won_at == first_won
    move(sales, opportunity, "赢单")
    assert opportunity.first_won_at == first_won


def test_editing_into_another_stage_or_pipeline(sales, customer):
    opportunity = make_opportunity(sales, customer)
    services.update_opportunity(sales, opportunity, name=opportunity.name, amount="5",
                                stage_id=stage("方案报价").id, pipeline_id=opportunity.pipeline_id)
    assert furthest(opportunity) == "方案报价"
    services.update_opportunity(sales, opportunity, name=opportunity.name, amount="5",
                                stage_id=stage("初步接洽").id, pipeline_id=opportunity.pipeline_id)
    assert furthest(opportunity) == "方案报价"
    other = pipelines.create_pipeline(factories.make_user("admin"), "渠道分销")
    services.update_opportunity(sales, opportunity, name=opportunity.name, amount="5",
                                stage_id=stage("需求确认", other).id, pipeline_id=other.id)
    # another pipeline: the stages reached in the first one are not stages of this one
    assert opportunity.furthest_stage_id == stage("需求确认", other).id


def test_the_pipeline_order_of_the_moment_decides(sales, customer):
    admin = factories.make_user("admin")
    pipeline = pipelines.create_pipeline(admin, "渠道分销")
    trial = pipelines.add_stage(admin, pipeline, "样品试用", 60)  # after 谈判审核
    opportunity = make_opportunity(sales, customer, stage_id=stage("谈判审核", pipeline).id, pipeline_id=pipeline.id)
    pipelines.move_stage(admin, trial, "up")  # now before 谈判审核: entering it is a move back
    move(sales, opportunity, "样品试用")
    assert furthest(opportunity) == "谈判审核"
    pipelines.move_stage(admin, trial, "down")
    move(sales, opportunity, "谈判审核")
    move(sales, opportunity, "样品试用")
    assert furthest(opportunity) == "样品试用"


def test_funnel_from_the_stored_furthest_stage_and_the_lost_row_of_those_lost_now(sales, customer):
    """P 100 went to 方案报价 and back to 初步接洽; L 200 lost from 需求确认; R 400 lost from 需求确认 then reopened
    in 初步接洽; W 800 won, reopened and won again."""
    p = make_opportunity(sales, customer, name="P", amount="100")
    move(sales, p, "方案报价")
    move(sales, p, "初步接洽")
    lost = make_opportunity(sales, customer, name="L", amount="200")
    move(sales, lost, "需求确认")
    move(sales, lost, "输单", loss_reason="客户预算取消")
    reopened = make_opportunity(sales, customer, name="R", amount="400")
    move(sales, reopened, "需求确认")
    move(sales, reopened, "输单", loss_reason="客户预算取消")
    move(sales, reopened, "初步接洽")
    won = make_opportunity(sales, customer, name="W", amount="800")
    move(sales, won, "赢单")
    move(sales, won, "谈判审核")
    move(sales, won, "赢单")
    db.session.commit()
    rows = {row.stage.name: (row.count, row.amount) for row in services.funnel(sales, default_pipeline().id)}
    # 初步接洽: all four; 需求确认: P L R W; 方案报价: P W; 谈判审核: W; 赢单: W (once, though won twice);
    # 输单: L only (R entered it but is open again: the lost row counts those lost now)
    assert rows == {"初步接洽": (4, Decimal("1500.00")), "需求确认": (4, Decimal("1500.00")),
                    "方案报价": (2, Decimal("900.00")), "谈判审核": (1, Decimal("800.00")),
                    "赢单": (1, Decimal("800.00")), "输单": (1, Decimal("200.00"))}
    assert [row.rate for row in services.conversion(sales, default_pipeline().id)] == [
        Decimal("100.0"), Decimal("50.0"), Decimal("50.0"), Decimal("100.0")]
    assert services.average_cycle_days(sales, default_pipeline().id) == 0.0  # won the moment it was created
