"""Opportunity rules: stage history, probability defaults, amounts from lines, loss reasons, pipelines, and the
funnel, conversion and cycle figures checked against numbers worked out by hand."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select, true

from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.roles import ensure_reference_data
from crm_server.extensions import db
from crm_server.opportunities import pipelines, services
from crm_server.opportunities.models import Competitor, Opportunity, Pipeline, Stage, StageChange
from crm_server.products.models import Product

from .. import factories
from .helpers import backdate, default_pipeline, make_opportunity, stage


@pytest.fixture
def sales(app):
    return factories.make_user("sales")


@pytest.fixture
def customer(sales):
    return factories.make_customer(sales)


def changes_of(opportunity) -> list[tuple[str | None, str]]:
    rows = db.session.scalars(select(StageChange).where(StageChange.opportunity_id == opportunity.id)
                              .order_by(StageChange.at, StageChange.id)).all()
    return [(row.from_stage.name if row.from_stage else None, row.to_stage.name) for row in rows]


def test_reference_data_creates_the_default_pipeline_once(app):
    pipeline = default_pipeline()
    assert [(s.name, s.probability, s.kind) for s in pipeline.stages] == list(pipelines.DEFAULT_STAGES)
    ensure_reference_data()
    assert db.session.scalar(select(func.count()).select_from(Pipeline)) == 1
    assert db.session.scalar(select(func.count()).select_from(Stage)) == 6


def test_create_takes_the_stage_probability_and_records_the_first_stage(sales, customer):
    opportunity = make_opportunity(sales, customer, stage="需求确认")
    assert opportunity.probability == 30
    assert opportunity.status == "open" and opportunity.closed_on is None
    assert changes_of(opportunity) == [(None, "需求确认")]
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "opportunity.created"))
    assert row.entity_id == opportunity.id and "需求确认" in row.changes


def test_probability_can_be_overridden_and_resets_on_a_stage_change(sales, customer):
    opportunity = make_opportunity(sales, customer, probability="45")
    assert opportunity.probability == 45
    services.change_stage(sales, opportunity, stage("方案报价").id)
    assert opportunity.probability == 50


def test_stage_changes_are_recorded_with_who_and_when(sales, customer):
    opportunity = make_opportunity(sales, customer)
    services.change_stage(sales, opportunity, stage("需求确认").id)
    services.change_stage(sales, opportunity, stage("赢单").id)
    assert changes_of(opportunity) == [(None, "初步接洽"), ("初步接洽", "需求确认"), ("需求确认", "赢单")]
    assert opportunity.status == "won" and opportunity.probability == 100
    assert opportunity.closed_on == services.site_today()
    actors = set(db.session.scalars(select(StageChange.actor_id).where(StageChange.opportunity_id == opportunity.id)))
    assert actors == {sales.id}
    assert services.change_stage(sales, opportunity, stage("赢单").id) is None  # already there: nothing recorded
    assert len(changes_of(opportunity)) == 3
    history = services.stage_history(opportunity)
    assert [row["change"].to_stage.name for row in history] == ["初步接洽", "需求确认", "赢单"]
    assert all(row["days"] >= 0 for row in history)


def test_losing_needs_a_reason_and_reopening_clears_the_closing(sales, customer):
    opportunity = make_opportunity(sales, customer)
    with pytest.raises(DomainError) as raised:
        services.change_stage(sales, opportunity, stage("输单").id)
    assert raised.value.field == "loss_reason"
    services.change_stage(sales, opportunity, stage("输单").id, loss_reason="客户预算取消")
    assert opportunity.status == "lost" and opportunity.loss_reason == "客户预算取消"
    assert opportunity.closed_on is not None
    services.change_stage(sales, opportunity, stage("谈判审核").id)
    assert opportunity.status == "open" and opportunity.closed_on is None and opportunity.loss_reason is None


def test_creating_lost_without_reason_is_refused(sales, customer):
    with pytest.raises(DomainError) as raised:
        make_opportunity(sales, customer, stage="输单")
    assert raised.value.field == "loss_reason"


def test_a_stage_of_another_pipeline_is_refused(sales, customer):
    admin = factories.make_user("admin")
    other = pipelines.create_pipeline(admin, "渠道分销")
    opportunity = make_opportunity(sales, customer)
    with pytest.raises(DomainError):
        services.change_stage(sales, opportunity, pipelines.stages(other.id)[1].id)


def test_amount_from_product_lines_is_exact(sales, customer):
    product = Product(code="ERP-01", name="ERP 标准版", list_price=Decimal("19800.00"))
    db.session.add(product)
    db.session.flush()
    opportunity = services.create_opportunity(
        sales, customer, name="ERP项目", amount_from_lines=True, stage_id=stage("初步接洽").id,
        lines=[{"product_id": product.id, "quantity": "3", "unit_price": "", "discount_percent": "12.5"},
               {"description": "实施服务", "quantity": "2.5", "unit_price": "3333.33", "discount_percent": "0"},
               {"description": "", "product_id": None}])
    assert [line.description for line in opportunity.lines] == ["ERP 标准版", "实施服务"]
    # 3 × 19800 × 0.875 = 51975.00 ; 2.5 × 3333.33 = 8333.325 → 8333.33 (half up)
    assert [line.amount for line in opportunity.lines] == [Decimal("51975.00"), Decimal("8333.33")]
    assert opportunity.amount == Decimal("60308.33")
    db.session.expire_all()
    assert db.session.get(Opportunity, opportunity.id).amount == Decimal("60308.33")


def test_amount_from_lines_needs_lines_and_bad_numbers_are_refused(sales, customer):
    with pytest.raises(DomainError) as raised:
        services.create_opportunity(sales, customer, name="空项目", amount_from_lines=True)
    assert raised.value.field == "amount"
    with pytest.raises(DomainError) as raised:
        services.create_opportunity(sales, customer, name="负数", amount="-1")
    assert raised.value.field == "amount"
    with pytest.raises(DomainError) as raised:
        services.create_opportunity(sales, customer, name="坏行", amount="1",
                                    lines=[{"description": "服务", "quantity": "0", "unit_price": "1"}])
    assert raised.value.field == "lines"


def test_contacts_must_belong_to_the_customer_and_competitors_are_linked(sales, customer):
    mine = factories.make_contact(customer, name="张经理")
    other = factories.make_contact(factories.make_customer(sales), name="李总")
    with pytest.raises(DomainError) as raised:
        make_opportunity(sales, customer, contact_ids=[mine.id, other.id])
    assert raised.value.field == "contact_ids"
    rival = Competitor(name="用友网络")
    db.session.add(rival)
    db.session.flush()
    opportunity = make_opportunity(sales, customer, contact_ids=[mine.id],
                                   competitors=[{"competitor_id": rival.id, "offer_amount": "95000",
                                                 "our_position": "技术领先，价格略高"}])
    fields = dict(name=opportunity.name, amount="120000", stage_id=opportunity.stage_id, contact_ids=[],
                  competitors=[{"competitor_id": rival.id, "offer_amount": "90000", "our_position": "领先"}])
    services.update_opportunity(sales, opportunity, **fields)
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "opportunity.updated"))
    assert "张经理" in row.changes and "90000" in row.changes


def test_edit_to_another_stage_is_a_stage_change(sales, customer):
    opportunity = make_opportunity(sales, customer)
    services.update_opportunity(sales, opportunity, name="新名称", amount="5", stage_id=stage("谈判审核").id,
                                pipeline_id=opportunity.pipeline_id)
    assert changes_of(opportunity)[-1] == ("初步接洽", "谈判审核")
    assert opportunity.probability == 70


def test_apply_accepted_quote_and_choices(sales, customer):
    opportunity = make_opportunity(sales, customer, amount_from_lines=False)
    won = make_opportunity(sales, customer, name="已赢单", stage="赢单")
    services.apply_accepted_quote(sales, opportunity, Decimal("88888.885"))
    assert opportunity.amount == Decimal("88888.89") and opportunity.amount_from_lines is False
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "opportunity.quote_accepted")) is not None
    other = factories.make_user("sales")
    assert services.opportunity_choices(sales, customer.id) == [(opportunity.id, opportunity.name)]
    assert won.id not in dict(services.opportunity_choices(sales, customer.id))
    assert services.opportunity_choices(other, customer.id) == []


def test_delete_needs_the_permission(sales, customer):
    opportunity = make_opportunity(sales, customer)
    with pytest.raises(DomainError):
        services.delete_opportunity(sales, opportunity)
    manager = factories.make_user("sales_manager")
    services.delete_opportunity(manager, opportunity)
    assert opportunity.deleted_at is not None
    assert services.opportunity_choices(sales, customer.id) == []


def test_pipeline_administration(app):
    admin = factories.make_user("admin")
    sales = factories.make_user("sales")
    with pytest.raises(DomainError):
        pipelines.create_pipeline(sales, "渠道分销")
    pipeline = pipelines.create_pipeline(admin, "渠道分销")
    assert [s.name for s in pipelines.stages(pipeline.id)] == [s[0] for s in pipelines.DEFAULT_STAGES]
    added = pipelines.add_stage(admin, pipeline, "样品试用", 60)
    names = [s.name for s in pipelines.stages(pipeline.id)]
    assert names.index("样品试用") == names.index("谈判审核") + 1 and names[-2:] == ["赢单", "输单"]
    pipelines.move_stage(admin, added, "up")
    assert [s.name for s in pipelines.stages(pipeline.id)].index("样品试用") == names.index("谈判审核")
    pipelines.update_stage(admin, added, "样品测试", 65, "open", is_active=False)
    assert "样品测试" not in [s.name for s in pipelines.stages(pipeline.id)]
    with pytest.raises(DomainError):
        pipelines.add_stage(admin, pipeline, "赢单", 100, "won")  # the name is taken in this pipeline
    pipelines.update_pipeline(admin, pipeline, "渠道分销", True, is_default=True)
    assert default_pipeline().id == pipeline.id
    assert db.session.scalar(select(func.count()).select_from(Pipeline).where(Pipeline.is_default == true())) == 1


def test_a_stage_in_use_cannot_be_deactivated(app):
    admin = factories.make_user("admin")
    sales = factories.make_user("sales")
    make_opportunity(sales, factories.make_customer(sales))
    with pytest.raises(DomainError):
        pipelines.update_stage(admin, stage("初步接洽"), "初步接洽", 10, "open", is_active=False)


# --- figures by hand ----------------------------------------------------------------------------

def at(day: int, hour: int = 2) -> dt.datetime:
    """2026-03-<day> <hour>:00 UTC (10:00 in Shanghai)."""
    return dt.datetime(2026, 3, day, hour)


@pytest.fixture
def history(sales, customer):
    """Five opportunities with known histories (amounts in 元):
    A 100: 初步接洽(1) → 需求确认(3) → 方案报价(6) → 赢单(11)        won after 10 days
    B 200: 初步接洽(1) → 方案报价(2) → 谈判审核(5) → 赢单(21)        won after 20 days (skipped 需求确认)
    C 300: 初步接洽(2) → 需求确认(4) → 输单(8)
    D 400: 初步接洽(3)
    E 500: 需求确认(5) → 方案报价(7)   (created straight in 需求确认)"""
    plan = {"A": (100, [("初步接洽", at(1)), ("需求确认", at(3)), ("方案报价", at(6)), ("赢单", at(11))]),
            "B": (200, [("初步接洽", at(1)), ("方案报价", at(2)), ("谈判审核", at(5)), ("赢单", at(21))]),
            "C": (300, [("初步接洽", at(2)), ("需求确认", at(4)), ("输单", at(8))]),
            "D": (400, [("初步接洽", at(3))]),
            "E": (500, [("需求确认", at(5)), ("方案报价", at(7))])}
    made = {}
    for key, (amount, moves) in plan.items():
        opportunity = make_opportunity(sales, customer, name=f"项目{key}", amount=str(amount))
        backdate(opportunity, *moves)
        made[key] = opportunity
    db.session.commit()
    return made


def test_funnel_counts_every_stage_reached(sales, history):
    rows = {row.stage.name: (row.count, row.amount) for row in services.funnel(sales, default_pipeline().id)}
    # 初步接洽: A B C D E (E passed it by starting later) = 5; 需求确认: A B C E = 4 (B skipped it but went further);
    # 方案报价: A B E = 3; 谈判审核: A B = 2 (A went past it to 赢单); 赢单: A B = 2; 输单: C = 1
    assert rows == {"初步接洽": (5, Decimal("1500.00")), "需求确认": (4, Decimal("1100.00")),
                    "方案报价": (3, Decimal("800.00")), "谈判审核": (2, Decimal("300.00")),
                    "赢单": (2, Decimal("300.00")), "输单": (1, Decimal("300.00"))}


def test_conversion_between_consecutive_stages(sales, history):
    rates = [(row.from_stage.name, row.to_stage.name, row.rate)
             for row in services.conversion(sales, default_pipeline().id)]
    assert rates == [("初步接洽", "需求确认", Decimal("80.0")), ("需求确认", "方案报价", Decimal("75.0")),
                     ("方案报价", "谈判审核", Decimal("66.7")), ("谈判审核", "赢单", Decimal("100.0"))]


def test_average_cycle_from_creation_to_won(sales, history):
    pipeline_id = default_pipeline().id
    assert services.average_cycle_days(sales, pipeline_id) == 15.0  # (10 + 20) / 2
    # won in the period 2026-03-01 .. 2026-03-15 (Shanghai days): only A
    assert services.average_cycle_days(sales, pipeline_id, dt.date(2026, 3, 1), dt.date(2026, 3, 15)) == 10.0
    assert services.average_cycle_days(sales, pipeline_id, dt.date(2026, 4, 1), dt.date(2026, 4, 30)) is None


def test_figures_respect_the_period_and_the_data_scope(sales, history):
    pipeline_id = default_pipeline().id
    # created on 2026-03-01 only: A and B
    day = dt.date(2026, 3, 1)
    first_day = {row.stage.name: row.count for row in services.funnel(sales, pipeline_id, day, day)}
    assert first_day["初步接洽"] == 2 and first_day["输单"] == 0
    stranger = factories.make_user("sales")
    assert all(row.count == 0 for row in services.funnel(stranger, pipeline_id))
    assert services.average_cycle_days(stranger, pipeline_id) is None
    director = factories.make_user("sales_director")
    assert services.funnel(director, pipeline_id)[0].count == 5
