"""Demo opportunities of 华东精工: a year of deals for the demo customers, with product lines from the catalogue,
stage histories on plausible dates, won and lost deals with reasons, and the competitors met."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

from sqlalchemy import select, true

from ..contacts.models import Contact
from ..core.dictionaries import DictionaryItem
from ..core.money import line_amount, to_fen
from ..core.types import utcnow
from ..customers.models import Customer
from ..extensions import db
from ..opportunities.dictionaries import SOURCE
from ..opportunities.models import (LOST, OPEN, WON, Competitor, Opportunity, OpportunityCompetitor,
                                    OpportunityContact, OpportunityLine, StageChange)
from ..opportunities.pipelines import default_pipeline, stages
from ..products.models import Product
from .base import DemoContext

OPPORTUNITIES = {"small": 360, "large": 3600}
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
NAMES = ("{short}{year}年度{product}采购项目", "{short}{year}年产线升级项目", "{short}{product}扩产项目",
         "{short}{year}年设备更新改造项目", "{short}新厂区{product}项目", "{short}{year}年度备件框架协议")
LOSS_REASONS = ("价格高于竞争对手", "客户预算取消", "交期无法满足", "客户选择了进口品牌", "技术方案未通过评审",
                "项目延期至明年", "关键联系人离职")
POSITIONS = ("技术方案领先，价格略高", "价格有优势，交期需确认", "客户更认可对方品牌", "服务响应更快，客户认可",
             "双方接近，关键在商务谈判")
NEXT_STEPS = ("安排技术交流", "提交正式报价", "邀请客户来厂参观", "准备投标文件", "约见采购负责人确认预算")


def _local_date(at: dt.datetime) -> dt.date:
    return at.replace(tzinfo=dt.timezone.utc).astimezone(SHANGHAI).date()


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng("opportunities")
    pipeline = default_pipeline()
    customers = list(db.session.execute(select(Customer.id, Customer.name, Customer.short_name, Customer.owner_id)
                                        .where(Customer.owner_id.is_not(None), Customer.deleted_at.is_(None))
                                        .order_by(Customer.id)))
    products = list(db.session.scalars(select(Product).where(Product.is_on_sale == true()).order_by(Product.id)))
    if pipeline is None or not customers or not products:
        return
    all_stages = stages(pipeline.id)
    open_stages = [s for s in all_stages if s.kind == OPEN]
    won_stage = next(s for s in all_stages if s.kind == WON)
    lost_stage = next(s for s in all_stages if s.kind == LOST)
    competitors = list(db.session.scalars(select(Competitor.id).order_by(Competitor.id)))
    sources = list(db.session.scalars(select(DictionaryItem.id).where(DictionaryItem.kind == SOURCE)
                                      .order_by(DictionaryItem.sort_order)))
    contacts: dict[int, list[int]] = {}
    for contact_id, customer_id in db.session.execute(select(Contact.id, Contact.customer_id)
                                                      .where(Contact.deleted_at.is_(None)).order_by(Contact.id)):
        contacts.setdefault(customer_id, []).append(contact_id)

    now = utcnow().replace(microsecond=0)
    counts = {"opportunities": 0, "opportunity_stage_changes": 0}
    for _n in range(OPPORTUNITIES[ctx.size]):
        customer = rng.choice(customers)
        created = now - dt.timedelta(days=rng.uniform(1, 365), hours=rng.uniform(0, 9))
        picked = rng.sample(products, rng.choice((1, 1, 2, 3)))
        lines = []
        for order, product in enumerate(picked, start=1):
            quantity = Decimal(rng.choice((1, 1, 2, 3, 5))) if product.unit == "台" else Decimal(rng.randint(1, 20))
            discount = Decimal(rng.choice((0, 0, 3, 5, 8, 10)))
            lines.append(OpportunityLine(product_id=product.id, description=product.name, quantity=quantity,
                                         unit_price=product.list_price, discount_percent=discount, sort_order=order,
                                         amount=line_amount(quantity, product.list_price, discount)))
        amount = to_fen(sum((line.amount for line in lines), Decimal(0)))
        short = customer.short_name or customer.name[:4]
        name = rng.choice(NAMES).format(short=short, year=_local_date(created).year, product=picked[0].name.split()[0])

        # the path: open stages up to a target, then maybe won or lost; older deals are more often closed
        age = (now - created).days
        outcome = rng.random()
        closed = WON if outcome < 0.15 + age / 1000 else LOST if outcome < 0.30 + age / 600 else OPEN
        depth = rng.randint(1, len(open_stages)) if closed != LOST else rng.randint(1, len(open_stages) - 1)
        path = open_stages[:depth] + ([won_stage] if closed == WON else [lost_stage] if closed == LOST else [])
        moments = [created]
        for _stage in path[1:]:
            moments.append(moments[-1] + dt.timedelta(days=rng.uniform(3, 25), hours=rng.uniform(0, 8)))
        if moments[-1] > now:  # squeeze the history into the time there was
            span = (now - created) * 0.95
            moments = [created + span * i / max(1, len(moments) - 1) for i in range(len(moments))]
        final = path[-1]
        opportunity = Opportunity(
            customer_id=customer.id, name=name[:200], amount=amount, amount_from_lines=rng.random() < 0.8,
            pipeline_id=pipeline.id, stage_id=final.id, stage_entered_at=moments[-1], probability=final.probability,
            status=final.kind, owner_id=customer.owner_id,
            furthest_stage_id=max((s for s in path if s.kind != LOST), key=lambda s: (s.sort_order, s.id)).id,
            first_won_at=moments[-1] if final.kind == WON else None, created_by_id=customer.owner_id,
            updated_by_id=customer.owner_id, source_id=rng.choice(sources) if sources else None,
            next_step=rng.choice(NEXT_STEPS) if final.kind == OPEN else None,
            loss_reason=rng.choice(LOSS_REASONS) if final.kind == LOST else None,
            closed_on=_local_date(moments[-1]) if final.kind != OPEN else None,
            expected_close_date=(_local_date(moments[-1]) if final.kind != OPEN
                                 else _local_date(now) + dt.timedelta(days=rng.randint(7, 150))),
            created_at=created, updated_at=moments[-1])
        if not opportunity.amount_from_lines:
            opportunity.amount = to_fen(amount * Decimal(rng.choice(("0.95", "1.00", "1.05", "1.10"))))
        opportunity.lines = lines
        db.session.add(opportunity)
        db.session.flush()
        previous = None
        for stage, at in zip(path, moments):
            db.session.add(StageChange(opportunity_id=opportunity.id, from_stage_id=previous, to_stage_id=stage.id,
                                       actor_id=customer.owner_id, at=at))
            previous = stage.id
        counts["opportunity_stage_changes"] += len(path)
        if contacts.get(customer.id):
            db.session.add(OpportunityContact(opportunity_id=opportunity.id,
                                              contact_id=rng.choice(contacts[customer.id])))
        if competitors and rng.random() < 0.35:
            for competitor_id in rng.sample(competitors, min(len(competitors), rng.choice((1, 1, 2)))):
                offer = to_fen(amount * Decimal(str(round(rng.uniform(0.8, 1.1), 2))))
                db.session.add(OpportunityCompetitor(opportunity_id=opportunity.id, competitor_id=competitor_id,
                                                     offer_amount=offer, our_position=rng.choice(POSITIONS)))
        counts["opportunities"] += 1
    db.session.flush()
    ctx.counts.update(counts)
