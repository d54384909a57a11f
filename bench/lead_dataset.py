"""The benchmark's leads: 2 per customer (200,000 for 100,000 customers) from trade shows, the website, referrals
and cold calls over two years, owned by the same 200 sales staff (about 10% in the lead pool), a few dozen
campaigns, and follow-ups on the leads already worked, written with plain executemany inserts. Rows hold what
the services would write (leads.services.refresh_keys' normal forms and search text, the scoring rules' score
and grade, last follow-up and conversion columns)."""
from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import func, insert, select

from crm_server.campaigns.models import Campaign
from crm_server.core.dictionaries import items
from crm_server.core.models import Role, User
from crm_server.customers.models import Customer
from crm_server.demo import texts
from crm_server.demo.customers import MOBILE_PREFIXES
from crm_server.demo.names import person
from crm_server.demo.places import CITIES
from crm_server.extensions import db
from crm_server.leads.dictionaries import SOURCE
from crm_server.leads.models import (COMPANY_SIZES, CONTACTING, CONVERTED, INVALID, NEW, QUALIFIED, URGENCIES, Lead,
                                     LeadFollowUp)
from crm_server.leads.scoring import apply_score, load_rules, thresholds
from crm_server.leads.services import refresh_keys

PER_CUSTOMER = 2
BATCH = 10_000
POOL_SHARE = 0.10
CAMPAIGNS = 40
CAMPAIGN_SHARE = 0.25        # leads that came from a campaign
ROLE_WEIGHTS = {"sales": 10, "sales_manager": 3, "sales_director": 1}
TITLES = ("采购经理", "总经理", "技术总监", "设备主管", "行政经理", "IT经理", "生产经理", "副总经理", "采购专员", "厂长")
NEEDS = ("设备升级，需要整体方案和报价", "新厂房投产，采购一批生产设备", "现有系统老化，考虑替换",
         "了解产品价格和交货期", "希望安排技术交流和样机演示", "年度预算内的备件采购", "寻找长期合作供应商")
CONTENTS = ("电话介绍产品，客户有兴趣，约了下周再谈", "发送了产品资料和报价单", "上门拜访，了解了具体需求",
            "微信沟通技术参数", "客户在比较几家供应商的方案", "邀请参加下月的产品发布会", "电话未接通，稍后再联系")
OUTCOMES = ("客户有意向", "需要内部讨论", "暂无采购计划", None)
INVALID_REASONS = ("空号", "同行咨询", "无采购需求", "重复登记", "联系不上")
CAMPAIGN_NAMES = ("工博会", "机床展", "新品发布会", "技术研讨会", "客户答谢会", "线上直播", "行业峰会", "百度推广",
                  "邮件营销")
FOLLOWUP_KINDS = ("call", "call", "call", "visit", "wechat", "email")


def add_leads(rng: random.Random, now: dt.datetime, customers: int, progress=print) -> dict[str, int]:
    """Write PER_CUSTOMER × `customers` leads with their follow-ups and the campaigns they came from."""
    rng = random.Random(rng.random())  # the leads' own stream: the rest of the data set does not move
    staff = db.session.execute(select(User.id, Role.code).join(Role, Role.id == User.role_id)
                               .where(Role.code.in_(ROLE_WEIGHTS)).order_by(User.id)).all()
    staff_cum = list(itertools.accumulate(ROLE_WEIGHTS[code] for _id, code in staff))
    owned: dict[int, list[int]] = {}
    for customer_id, owner_id in db.session.execute(select(Customer.id, Customer.owner_id)
                                                    .where(Customer.owner_id.is_not(None)).order_by(Customer.id)):
        owned.setdefault(owner_id, []).append(customer_id)
    campaigns = _campaigns(rng, now, [user_id for user_id, _code in staff])
    sources = {item.label: item.id for item in items(SOURCE)}
    source_ids = list(sources.values())
    source_weights = [{"展会": 20, "官网表单": 25, "客户介绍": 10, "电话陌拜": 15, "市场活动": 15, "网络推广": 12}.get(
        label, 3) for label in sources]
    campaign_sources = [sources[s] for s in ("展会", "市场活动", "网络推广") if s in sources] or source_ids
    industries = {i.label: i.id for i in items("customer_industry")}
    trade_industry = [industries.get(t.industry) for t in texts.TRADES]
    city_cum = list(itertools.accumulate(c.weight for c in CITIES))
    trade_cum = list(itertools.accumulate(texts.TRADE_WEIGHTS))
    rules, limits = load_rules(), thresholds()
    total = PER_CUSTOMER * customers
    made = followups = 0
    while made < total:
        size = min(BATCH, total - made)
        rows, plans = [], []
        for _n in range(size):
            created = now - dt.timedelta(seconds=int(rng.uniform(3600, 2 * 365 * 86400)))
            age_days = (now - created).days
            owner_id = None if rng.random() < POOL_SHARE else \
                staff[bisect.bisect_left(staff_cum, rng.random() * staff_cum[-1])][0]
            city = CITIES[bisect.bisect_left(city_cum, rng.random() * city_cum[-1])]
            trade_index = bisect.bisect_left(trade_cum, rng.random() * trade_cum[-1])
            trade = texts.TRADES[trade_index]
            first, second = rng.sample(texts.TRADE_CHARS, 2)
            name, pinyin, _gender = person(rng)
            individual = rng.random() < 0.08
            company = None if individual else \
                f"{city.short}{first[0]}{second[0]}{trade.word}" + ("" if trade.school else "有限公司")
            mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}" if rng.random() < 0.9 \
                else None
            phone = f"{city.area_code}-{rng.randint(5, 8)}{rng.randrange(10**7):07d}" if rng.random() < 0.3 else None
            email = f"{pinyin}@{first[1]}{second[1]}-{trade.slug}.example.com" if rng.random() < 0.4 and \
                not individual else None
            campaign = rng.choice(campaigns) if campaigns and rng.random() < CAMPAIGN_SHARE else None
            source_id = rng.choice(campaign_sources) if campaign else \
                rng.choices(source_ids, weights=source_weights)[0]
            lead = SimpleNamespace(
                name=name, company=company, title=rng.choice(TITLES), mobile=mobile, phone=phone, email=email,
                source_id=source_id, campaign_id=campaign, industry_id=trade_industry[trade_index],
                company_size=rng.choice(COMPANY_SIZES) if rng.random() < 0.7 else None,
                requirement=rng.choice(NEEDS) if rng.random() < 0.6 else None,
                budget=Decimal(rng.choice((3, 5, 8, 12, 20, 30, 50, 80, 120))) * 10000 if rng.random() < 0.5
                else None,
                urgency=rng.choices(URGENCIES, weights=(2, 6, 2))[0], province=city.province, city=city.name,
                address=None)
            refresh_keys(lead)
            apply_score(lead, rules, limits)
            # older leads are more often worked, converted or closed as invalid
            draw = rng.random()
            worked = min(0.9, 0.2 + age_days / 120)
            if draw > worked or owner_id is None and draw > 0.3:
                status = NEW
            else:
                status = rng.choices((CONTACTING, QUALIFIED, CONVERTED, INVALID), weights=(40, 15, 25, 20))[0]
            if owner_id is None and status in (CONVERTED, QUALIFIED):
                status = CONTACTING  # released back to the pool while being worked
            touches = 0 if status == NEW else rng.randint(1, 4)
            span = max(7200.0, (now - created).total_seconds())
            moments = sorted(created + dt.timedelta(seconds=int(rng.uniform(3600, span))) for _t in range(touches))
            by = owner_id or staff[bisect.bisect_left(staff_cum, rng.random() * staff_cum[-1])][0]
            converted_at = moments[-1] if status == CONVERTED and moments else None
            customer_ids = owned.get(owner_id) or []
            rows.append({
                **vars(lead), "owner_id": owner_id, "status": status,
                "invalid_reason": rng.choice(INVALID_REASONS) if status == INVALID else None,
                "web_form_id": None, "converted_at": converted_at,
                "converted_customer_id": rng.choice(customer_ids) if converted_at and customer_ids else None,
                "converted_contact_id": None, "converted_opportunity_id": None,
                "converted_by_id": owner_id if converted_at else None,
                "assigned_at": created if owner_id else None,
                "last_followup_at": moments[-1] if moments else None,
                "created_by_id": owner_id, "updated_by_id": by if moments else owner_id,
                "deleted_at": None, "merged_into_id": None,
                "created_at": created, "updated_at": moments[-1] if moments else created})
            plans.append((by, moments))
        before = db.session.scalar(select(func.max(Lead.id))) or 0
        db.session.execute(insert(Lead.__table__), rows)
        # one session writes alone: the new ids come in the order of the rows
        ids = list(db.session.scalars(select(Lead.id).where(Lead.id > before).order_by(Lead.id)))
        followup_rows = []
        for lead_id, (by, moments) in zip(ids, plans):
            for k, at in enumerate(moments):
                followup_rows.append({
                    "lead_id": lead_id, "user_id": by, "kind": rng.choice(FOLLOWUP_KINDS), "happened_at": at,
                    "content": rng.choice(CONTENTS), "outcome": rng.choice(OUTCOMES), "next_step": None,
                    "next_followup_at": moments[k + 1] if k + 1 < len(moments) else None, "created_at": at})
        for start in range(0, len(followup_rows), BATCH):
            db.session.execute(insert(LeadFollowUp.__table__), followup_rows[start:start + BATCH])
        made += size
        followups += len(followup_rows)
        if made % 100_000 == 0 or made == total:
            progress(f"  {made:,} leads, {followups:,} lead follow-ups")
    return {"campaigns": len(campaigns), "leads": made, "lead_followups": followups}


def _campaigns(rng: random.Random, now: dt.datetime, owners: list[int]) -> list[int]:
    """Two years of trade shows, seminars and online campaigns the leads came from."""
    kinds = [i.id for i in items("campaign_type")] or [None]
    rows = []
    for n in range(CAMPAIGNS):
        start = (now - dt.timedelta(days=int(730 * (n + 0.5) / CAMPAIGNS))).date()
        owner = rng.choice(owners)
        created = dt.datetime.combine(start - dt.timedelta(days=30), dt.time(9))
        rows.append({
            "name": f"{start.year}年{start.month}月{rng.choice(CAMPAIGN_NAMES)}", "kind_id": rng.choice(kinds),
            "start_date": start, "end_date": start + dt.timedelta(days=rng.randint(0, 30)),
            "budget": Decimal(rng.choice((2, 5, 10, 20, 50))) * 10000, "actual_cost": None, "owner_id": owner,
            "status": "completed" if start < (now - dt.timedelta(days=30)).date() else "active",
            "description": None, "created_by_id": owner, "updated_by_id": owner, "deleted_at": None,
            "created_at": created, "updated_at": created})
    before = db.session.scalar(select(func.max(Campaign.id))) or 0
    db.session.execute(insert(Campaign.__table__), rows)
    return list(db.session.scalars(select(Campaign.id).where(Campaign.id > before).order_by(Campaign.id)))
