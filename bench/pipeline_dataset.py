"""The benchmark's sales pipeline: 3 opportunities per customer (300,000 for 100,000 customers) owned by the
customers' owners, each with the StageChange rows of its path through the default pipeline, written with plain
executemany inserts. Rows hold what the services would write (status mirrors the stage, closing day and loss
reason of closed deals, the stage's probability)."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, insert, select

from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.opportunities.models import LOST, OPEN, WON, Opportunity, StageChange
from crm_server.opportunities.pipelines import default_pipeline, stages

PER_CUSTOMER = 3
BATCH = 10_000
PROJECTS = ("ERP升级项目", "数控机床采购项目", "产线自动化改造项目", "设备更新项目", "备件框架协议", "MES实施项目",
            "新厂区设备项目", "五轴加工中心项目")
LOSS_REASONS = ("价格高于竞争对手", "客户预算取消", "交期无法满足", "客户选择了进口品牌", "项目延期至明年")


def add_opportunities(rng: random.Random, now: dt.datetime, customers: int, progress=print) -> dict[str, int]:
    """Write PER_CUSTOMER × `customers` opportunities with their stage changes; returns the row counts."""
    pipeline = default_pipeline()
    all_stages = stages(pipeline.id)
    open_stages = [s for s in all_stages if s.kind == OPEN]
    won = next(s for s in all_stages if s.kind == WON)
    lost = next(s for s in all_stages if s.kind == LOST)
    owned = db.session.execute(select(Customer.id, Customer.owner_id, Customer.short_name)
                               .where(Customer.owner_id.is_not(None)).order_by(Customer.id)).all()
    total = PER_CUSTOMER * customers
    made = changes = 0
    while made < total:
        size = min(BATCH, total - made)
        rows, paths = [], []
        for _n in range(size):
            customer = owned[rng.randrange(len(owned))]
            created = now - dt.timedelta(seconds=rng.uniform(3600, 365 * 86400))
            age = (now - created).days
            draw = rng.random()
            outcome = WON if draw < 0.15 + age / 1000 else LOST if draw < 0.30 + age / 600 else OPEN
            depth = rng.randint(1, len(open_stages) - (1 if outcome == LOST else 0))
            path = open_stages[:depth] + ([won] if outcome == WON else [lost] if outcome == LOST else [])
            moments = [created]
            for _stage in path[1:]:
                moments.append(moments[-1] + dt.timedelta(days=rng.uniform(2, 20)))
            if moments[-1] > now:
                span = (now - created) * 0.95
                moments = [created + span * i / max(1, len(moments) - 1) for i in range(len(moments))]
            final = path[-1]
            closed_on = (moments[-1] + dt.timedelta(hours=8)).date() if final.kind != OPEN else None
            amount = Decimal(int(rng.lognormvariate(12, 1.0))).quantize(Decimal("0.01"))
            rows.append({
                "customer_id": customer.id, "owner_id": customer.owner_id, "created_by_id": customer.owner_id,
                "updated_by_id": customer.owner_id,
                "name": f"{customer.short_name or '客户'}{created.year}年{rng.choice(PROJECTS)}",
                "amount": amount, "amount_from_lines": False, "pipeline_id": pipeline.id, "stage_id": final.id,
                "stage_entered_at": moments[-1], "probability": final.probability, "status": final.kind,
                "closed_on": closed_on,
                # as the services keep them: the furthest open/won stage entered, the first entry into won
                "furthest_stage_id": max((s for s in path if s.kind != LOST), key=lambda s: (s.sort_order, s.id)).id,
                "first_won_at": moments[-1] if final.kind == WON else None,
                "expected_close_date": closed_on or (now + dt.timedelta(days=rng.randint(-20, 180))).date(),
                "loss_reason": rng.choice(LOSS_REASONS) if final.kind == LOST else None,
                "next_step": "提交正式报价" if final.kind == OPEN else None,
                "created_at": created, "updated_at": moments[-1]})
            paths.append(list(zip(path, moments)))
        before = db.session.scalar(select(func.max(Opportunity.id))) or 0
        db.session.execute(insert(Opportunity.__table__), rows)
        # one session writes alone: the new ids come in the order of the rows
        ids = list(db.session.scalars(select(Opportunity.id).where(Opportunity.id > before).order_by(Opportunity.id)))
        change_rows = []
        for opportunity_id, path, row in zip(ids, paths, rows):
            previous = None
            for stage, at in path:
                change_rows.append({"opportunity_id": opportunity_id, "from_stage_id": previous,
                                    "to_stage_id": stage.id, "actor_id": row["owner_id"], "at": at})
                previous = stage.id
        for start in range(0, len(change_rows), BATCH):
            db.session.execute(insert(StageChange.__table__), change_rows[start:start + BATCH])
        made += size
        changes += len(change_rows)
        if made % 100_000 == 0 or made == total:
            progress(f"  {made:,} opportunities, {changes:,} stage changes")
    return {"opportunities": made, "opportunity_stage_changes": changes}
