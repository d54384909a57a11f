"""Demo campaigns of 华东精工: a year of trade shows, seminars, online ads, e-mails and customer events with budgets
and costs in 元, the customers who took part, and opportunities attributed to them (leads come in the leads seeder,
which runs next and reads these campaigns)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select, update

from ..campaigns.models import ACTIVE, CANCELLED, COMPLETED, PLANNED, Campaign, CampaignCustomer
from ..core.dictionaries import DictionaryItem
from ..core.types import utcnow
from ..customers.models import Customer
from ..extensions import db
from ..opportunities.models import Opportunity
from ..opportunities.services import site_today
from .base import DemoContext

# (name, type, start: days from today, length in days, budget 元, cost as a share of the budget, description)
CAMPAIGNS = (
    ("2025秋季上海国际工业博览会", "展会", -330, 5, 200_000, 0.93, "国家会展中心（上海）8.1馆 B168 展位，展示数控机床与自动化产线方案。"),
    ("深圳高交会（中国国际高新技术成果交易会）", "展会", -300, 5, 160_000, 0.95, "深圳会展中心 9 号馆，主推智能仓储与工业机器人。"),
    ("智能制造数字化转型研讨会（苏州）", "研讨会", -250, 1, 40_000, 0.97, "苏州工业园区金鸡湖国际会议中心，邀请园区制造企业 80 家。"),
    ("百度搜索推广（一季度）", "线上广告", -240, 90, 60_000, 1.0, "关键词：数控机床、自动化产线、工业机器人。"),
    ("新春客户答谢会", "客户答谢会", -200, 1, 50_000, 0.92, "上海浦东香格里拉，老客户及重点潜在客户 120 人。"),
    ("新品发布邮件营销", "邮件营销", -170, 14, 5_000, 0.64, "JG-5000 系列五轴加工中心上市，面向全部客户联系人。"),
    ("华南区渠道伙伴研讨会（广州）", "研讨会", -130, 2, 30_000, 0.88, "广州白云国际会议中心，渠道政策与联合拓客。"),
    ("微信朋友圈广告投放", "线上广告", -100, 60, 50_000, 0.96, "定向长三角、珠三角制造业从业者。"),
    ("2026上海工博会", "展会", -60, 5, 220_000, 0.955, "国家会展中心（上海）8.1馆 A201 展位，现场演示五轴联动。"),
    ("成都西部制造业峰会", "研讨会", 20, 2, 50_000, None, "成都世纪城国际会议中心，拓展西南市场。"),
    ("年终客户答谢会", "客户答谢会", 40, 1, 60_000, None, "年度客户答谢晚宴（筹备中）。"),
    ("杭州行业展（取消）", "展会", -20, 3, 80_000, None, "主办方延期，本次不参展。"),
)
ATTRIBUTION_DAYS = 90          # opportunities created within this many days after the start may be the campaign's
SHARE = {"展会": 0.12, "研讨会": 0.06, "线上广告": 0.05, "客户答谢会": 0.08, "邮件营销": 0.03}
NOTES = ("已邀请", "已到场", "已到场，索取资料", "已到场，约了拜访", "未到场")


def seed(ctx: DemoContext) -> None:
    rng = ctx.rng("campaigns")
    owners = ctx.active_users("sales_director", "sales_manager")
    if not owners:
        return
    kinds = {item.label: item for item in db.session.scalars(
        select(DictionaryItem).where(DictionaryItem.kind == "campaign_type"))}
    today = site_today()
    now = utcnow()
    campaigns, links, attributed = [], 0, 0
    for name, kind, offset, days, budget, share, description in CAMPAIGNS:
        start = today + dt.timedelta(days=offset)
        end = start + dt.timedelta(days=days - 1)
        status = CANCELLED if "取消" in name else PLANNED if start > today else ACTIVE if end >= today else COMPLETED
        cost = None if share is None else (Decimal(budget) * Decimal(str(share))).quantize(Decimal("100"))
        owner = owners[rng.randrange(len(owners))]
        created = now + dt.timedelta(days=min(offset, 0) - 30)
        campaign = Campaign(name=name, kind=kinds.get(kind), start_date=start, end_date=end, budget=Decimal(budget),
                            actual_cost=cost, owner=owner, status=status, description=description,
                            created_by=owner, updated_by=owner, created_at=created,
                            updated_at=now if status != COMPLETED else created + dt.timedelta(days=days + 40))
        db.session.add(campaign)
        campaigns.append((campaign, kind, start))
    db.session.flush()
    for campaign, kind, start in campaigns:
        if campaign.status in (PLANNED, CANCELLED):
            continue
        attributed += _attribute(rng, campaign, kind, start)
        links += _link_customers(rng, campaign, kind)
    db.session.flush()
    ctx.counts.update(campaigns=len(campaigns), campaign_customers=links, campaign_opportunities=attributed)


def _attribute(rng, campaign: Campaign, kind: str, start: dt.date) -> int:
    """A share of the opportunities created in the months after the campaign started came from it."""
    begin = dt.datetime.combine(start, dt.time())
    rows = db.session.scalars(
        select(Opportunity.id).where(Opportunity.created_at >= begin,
                                     Opportunity.created_at < begin + dt.timedelta(days=ATTRIBUTION_DAYS),
                                     Opportunity.campaign_id.is_(None), Opportunity.deleted_at.is_(None))
        .order_by(Opportunity.id)).all()
    chosen = [row for row in rows if rng.random() < SHARE.get(kind, 0.05)]
    for at in range(0, len(chosen), 500):
        db.session.execute(update(Opportunity).where(Opportunity.id.in_(chosen[at:at + 500]))
                           .values(campaign_id=campaign.id))
    return len(chosen)


def _link_customers(rng, campaign: Campaign, kind: str) -> int:
    """The customers of its opportunities took part, and as many again who came without buying (yet)."""
    buyers = set(db.session.scalars(select(Opportunity.customer_id).where(Opportunity.campaign_id == campaign.id)))
    size = {"展会": 40, "研讨会": 25, "客户答谢会": 30, "邮件营销": 60}.get(kind, 0)
    others = db.session.scalars(select(Customer.id).where(Customer.deleted_at.is_(None), Customer.owner_id.is_not(None))
                                .order_by(Customer.id).limit(2000)).all()
    guests = set(rng.sample(others, min(size, len(others)))) if size else set()
    added = datetime_of(campaign)
    for customer_id in sorted(buyers | guests):
        note = "已到场" if customer_id in buyers else NOTES[rng.randrange(len(NOTES))]
        if kind in ("线上广告", "邮件营销"):
            note = "点击广告留资" if kind == "线上广告" else "已发送"
        db.session.add(CampaignCustomer(campaign_id=campaign.id, customer_id=customer_id, note=note,
                                        added_by_id=campaign.owner_id, added_at=added))
    return len(buyers | guests)


def datetime_of(campaign: Campaign) -> dt.datetime:
    return dt.datetime.combine(campaign.start_date, dt.time(2, 0))
