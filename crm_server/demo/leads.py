"""Demo leads: a year of enquiries from trade shows, the website, referrals and cold calls; some followed up,
some converted into the demo customers, some invalid, some waiting in the lead pool."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from ..core.dictionaries import items
from ..core.types import utcnow
from ..customers.dictionaries import INDUSTRY
from ..customers.models import Customer
from ..extensions import db
from ..leads.dictionaries import SOURCE
from ..leads.models import COMPANY_SIZES, Lead, LeadFollowUp
from ..leads.scoring import apply_score
from ..leads.services import refresh_keys
from .base import DemoContext

COMPANY_WORDS = ("精密机械", "智能装备", "新材料", "电子科技", "环保科技", "物流", "医疗器械", "食品", "包装材料",
                 "汽车零部件", "信息技术", "建筑工程", "化工", "纺织", "光电")
TITLES = ("采购经理", "总经理", "技术总监", "设备主管", "行政经理", "IT经理", "生产经理", "副总经理")
NEEDS = ("设备升级，需要整体方案和报价", "新厂房投产，采购一批生产设备", "现有系统老化，考虑替换",
         "了解产品价格和交货期", "希望安排技术交流和样机演示", "年度预算内的备件采购", "寻找长期合作供应商")
CONTENTS = ("电话介绍产品，客户有兴趣，约了下周再谈", "发送了产品资料和报价单", "上门拜访，了解了具体需求",
            "微信沟通技术参数", "客户在比较几家供应商的方案", "邀请参加下月的产品发布会")
INVALID_REASONS = ("空号", "同行咨询", "无采购需求", "重复登记")


def seed(ctx: DemoContext) -> None:
    rng, fake = ctx.rng("leads"), ctx.faker("leads")
    sellers = ctx.active_users("sales", "sales_manager")
    if not sellers:
        return
    sources, industries = items(SOURCE), items(INDUSTRY)
    customers = list(db.session.scalars(select(Customer).where(Customer.owner_id.is_not(None),
                                                               Customer.deleted_at.is_(None))
                                        .order_by(Customer.id).limit(200)))
    now = utcnow()
    total = 3000 if ctx.large else 300
    leads = followups = 0
    for _ in range(total):
        created = now - dt.timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 10), minutes=rng.randint(0, 59))
        city = fake.city_name()
        company = f"{city}{rng.choice(COMPANY_WORDS)}有限公司"
        owner = None if rng.random() < 0.12 else rng.choice(sellers)
        lead = Lead(name=fake.name(), company=company, title=rng.choice(TITLES), mobile=fake.phone_number(),
                    email=fake.email() if rng.random() < 0.6 else None, source=rng.choice(sources),
                    industry=rng.choice(industries), company_size=rng.choice(COMPANY_SIZES),
                    requirement=rng.choice(NEEDS), urgency=rng.choice(("low", "normal", "normal", "high")),
                    budget=Decimal(rng.choice((5, 8, 12, 20, 30, 50, 80, 120))) * 10000 if rng.random() < 0.7 else None,
                    province=fake.province(), city=city, owner=owner, status="new", created_at=created,
                    updated_at=created, assigned_at=created if owner else None)
        refresh_keys(lead)
        apply_score(lead)
        db.session.add(lead)
        leads += 1
        if owner is None:
            continue
        age_days = (now - created).days
        touches = rng.randint(0, 3) if age_days > 3 else 0
        when = created
        for _t in range(touches):
            when = min(when + dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(1, 6)), now)
            db.session.add(LeadFollowUp(lead=lead, user_id=owner.id, kind=rng.choice(("call", "visit", "wechat",
                                                                                     "email")),
                                        happened_at=when, content=rng.choice(CONTENTS), created_at=when))
            lead.last_followup_at = when
            followups += 1
        if touches:
            lead.status = "contacting"
        roll = rng.random()
        owned = [c for c in customers if c.owner_id == owner.id]
        if touches >= 2 and roll < 0.35 and owned:
            customer = rng.choice(owned)
            lead.status, lead.converted_customer_id = "converted", customer.id
            lead.converted_at, lead.converted_by_id = when, owner.id
        elif roll > 0.9:
            lead.status, lead.invalid_reason = "invalid", rng.choice(INVALID_REASONS)
        elif touches >= 2 and roll > 0.75:
            lead.status = "qualified"
        lead.updated_at = when
    db.session.flush()
    ctx.counts["leads"] = leads
    ctx.counts["lead follow-ups"] = followups
