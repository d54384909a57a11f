"""Factories of the contracts domain: a won opportunity, an accepted quote, contracts made through the service,
and approval flows (through the approvals domain's models)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from crm_server.approvals.models import ApprovalCondition, ApprovalFlow, ApprovalStep
from crm_server.contracts import services
from crm_server.contracts.services import LineInput
from crm_server.extensions import db
from crm_server.opportunities import services as opportunity_services
from crm_server.opportunities.models import Pipeline, Stage
from crm_server.quotes import services as quote_services
from tests.quotes.helpers import line as quote_line
from tests.quotes.helpers import make_product, open_stage

START = dt.date(2026, 1, 1)
END = dt.date(2026, 12, 31)


def stage_of(kind: str) -> Stage:
    stmt = (select(Stage).join(Pipeline, Stage.pipeline_id == Pipeline.id).where(Stage.kind == kind)
            .order_by(Pipeline.is_default.desc(), Pipeline.id, Stage.sort_order, Stage.id))
    return db.session.scalars(stmt).first()


def make_opportunity(owner, customer, won: bool = True, lines=None, name: str = "智能工厂网络改造"):
    """An opportunity with product lines (by default 2 × 1,000.00 and 1 × 500.00 at 10 % off), won or open."""
    if lines is None:
        product = make_product(price="1000.00")
        lines = [{"product_id": product.id, "quantity": "2"},
                 {"description": "安装调试服务", "quantity": "1", "unit_price": "500.00", "discount_percent": "10"}]
    opportunity = opportunity_services.create_opportunity(owner, customer, name=name, stage_id=open_stage().id,
                                                          lines=lines, amount_from_lines=True)
    db.session.flush()
    if won:
        opportunity_services.change_stage(owner, opportunity, stage_of("won").id)
        db.session.flush()
    return opportunity


def make_accepted_quote(owner, customer, lines=None, accept: bool = True, **fields):
    """A quote through submit → sent → accepted (no discount above the limit, so no approval)."""
    if lines is None:
        lines = [quote_line(make_product(price="1000.00", tax_rate="13.00"), quantity="3"),
                 quote_line(None, description="软件授权", quantity="1", unit_price="1999.99", tax_rate="6.00")]
    today = quote_services.site_today()
    fields.setdefault("title", "网络设备采购")
    fields.setdefault("quote_date", today)
    fields.setdefault("valid_until", today + dt.timedelta(days=30))
    quote = quote_services.create_quote(owner, customer_id=customer.id, lines=lines, **fields)
    quote_services.mark_sent(owner, quote)
    if accept:
        quote_services.close_quote(owner, quote, True)
    db.session.flush()
    return quote


def make_contract(owner, customer, lines=None, **fields):
    """A draft contract from scratch; by default without lines, amount 100,000.00, for 2026."""
    fields.setdefault("title", "年度服务合同")
    fields.setdefault("start_date", START)
    fields.setdefault("end_date", END)
    if lines is None and "amount" not in fields:
        fields["amount"] = Decimal("100000.00")
    return services.create_contract(owner, customer_id=customer.id, lines=lines or [], **fields)


def make_active(owner, customer, **fields):
    """A contract submitted with no flow matching: active at once."""
    contract = make_contract(owner, customer, **fields)
    services.submit_contract(owner, contract)
    db.session.flush()
    return contract


def make_flow(name="大额合同审批", approvers=(), conditions=(), document_type="contract", priority=10):
    """A flow with one NAMED_USER step per approver and (fact, operator, value) conditions."""
    flow = ApprovalFlow(document_type=document_type, name=name, priority=priority, is_active=True)
    flow.conditions = [ApprovalCondition(fact=fact, operator=operator, value=str(value))
                       for fact, operator, value in conditions]
    flow.steps = [ApprovalStep(position=position, name=f"第{position}步", approver_kind="user", user_id=user.id)
                  for position, user in enumerate(approvers, start=1)]
    db.session.add(flow)
    db.session.flush()
    return flow


def line(product=None, **kw) -> LineInput:
    return LineInput(product_id=product.id if product else None, **kw)
