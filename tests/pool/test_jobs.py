"""The recycling job: due customers return to the pool by their level's rule, owners are warned once, a
follow-up or a deal restarts the clock; and `crm-server run-jobs --job pool.recycle` runs it."""
from __future__ import annotations

import pytest
from sqlalchemy import select

import crm_server
from crm_server.config import load_config
from crm_server.core.jobs import JOBS, run_job
from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.pool.jobs import recycle_customers
from crm_server.pool.models import RecycleRule
from crm_server.pool.services import default_pool
from crm_server.reminders.models import Reminder

from .. import factories
from ..test_cli import _ok, site  # noqa: F401  (the CLI test's site fixture)
from .helpers import audit_rows, changes, company, days_ago, owner_changes


def rule(level=None, followup=None, deal=None, warn=0, active=True) -> RecycleRule:
    row = RecycleRule(level_id=level.id if level else None, no_followup_days=followup, no_deal_days=deal,
                      warn_days=warn, is_active=active)
    db.session.add(row)
    db.session.flush()
    return row


def owned(owner, name, since_days, followup_days=None, deal_days=None, **kw) -> Customer:
    customer = factories.make_customer(owner, name, **kw)
    customer.owner_since = days_ago(since_days)
    customer.created_at = days_ago(since_days)
    customer.last_followup_at = days_ago(followup_days) if followup_days is not None else None
    customer.last_deal_at = days_ago(deal_days) if deal_days is not None else None
    db.session.flush()
    return customer


def reminders(user) -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(Reminder.user_id == user.id).order_by(Reminder.id)))


def test_the_job_is_registered(app):
    job = JOBS["pool.recycle"]
    assert job.func is recycle_customers and job.interval.total_seconds() == 3600


def test_customers_without_follow_up_are_recycled(app):
    org = company()
    alice = factories.make_user("sales", department=org.sh_sales)
    bob = factories.make_user("sales", department=org.bj_sales)
    rule(followup=30)
    due = owned(alice, "久未跟进有限公司", since_days=100, followup_days=35)
    never = owned(bob, "从未跟进有限公司", since_days=40)
    recent = owned(alice, "最近跟进有限公司", since_days=100, followup_days=10)
    just_claimed = owned(alice, "刚认领有限公司", since_days=5, followup_days=200)  # the clock starts at claiming
    gone = owned(alice, "已删除有限公司", since_days=100, followup_days=100)
    gone.deleted_at = days_ago(1)

    assert recycle_customers() == "recycled 2, warned 0"
    db.session.commit()
    for customer in (due, never, recent, just_claimed, gone):
        db.session.refresh(customer)
    assert due.owner_id is None and due.pool_id == default_pool().id and due.released_at is not None
    assert never.owner_id is None and never.pool_id == org.bj_pool.id  # the pool of the owner's branch
    assert (recent.owner_id, just_claimed.owner_id, gone.owner_id) == (alice.id, alice.id, alice.id)
    [change] = owner_changes(due.id)
    assert (change.kind, change.from_user_id, change.actor_id) == ("recycled", alice.id, None)
    assert "30" in change.reason
    [row] = audit_rows("customer.recycled", due.id)
    assert row.actor_id is None and changes(row)["owner"] == [alice.display_name, None]
    assert recycle_customers() == "recycled 0, warned 0"


def test_owners_are_warned_once_before(app):
    alice = factories.make_user("sales")
    rule(followup=30, warn=3)
    soon = owned(alice, "快到期有限公司", since_days=100, followup_days=28)
    later = owned(alice, "还早有限公司", since_days=100, followup_days=20)

    assert recycle_customers() == "recycled 0, warned 1"
    db.session.commit()
    [reminder] = reminders(alice)
    assert reminder.kind == "pool_recycle" and soon.name in reminder.title and "2" in reminder.title
    assert (reminder.entity_type, reminder.entity_id) == ("customers", soon.id)
    assert reminder.source_key.startswith(f"recycle:{soon.id}:")
    db.session.refresh(soon)
    assert soon.recycle_warned_at is not None and later.recycle_warned_at is None
    assert recycle_customers() == "recycled 0, warned 0"  # warned once
    assert len(reminders(alice)) == 1

    # a follow-up after the warning restarts the clock; when it runs low again, the owner is warned again
    soon.recycle_warned_at = days_ago(29)
    soon.last_followup_at = days_ago(27.9)
    db.session.flush()
    assert recycle_customers() == "recycled 0, warned 1"
    assert len(reminders(alice)) == 2


def test_each_level_follows_its_own_rule_or_the_default(app):
    alice = factories.make_user("sales")
    level_a = factories.dictionary_item("customer_level")
    level_b = factories.dictionary_item("customer_level", "B（普通客户）")
    level_c = factories.dictionary_item("customer_level", "C（一般客户）")
    rule(level=level_a, followup=60)
    rule(followup=30)
    rule(level=level_b)                       # an active rule without days: level B is never recycled
    rule(level=level_c, followup=5, active=False)  # inactive: level C follows the default
    important = owned(alice, "重点客户有限公司", since_days=100, followup_days=40, level_id=level_a.id)
    ordinary = owned(alice, "普通客户有限公司", since_days=100, followup_days=40, level_id=level_b.id)
    common = owned(alice, "一般客户有限公司", since_days=100, followup_days=20, level_id=level_c.id)
    unlevelled = owned(alice, "未分级有限公司", since_days=100, followup_days=40)
    assert recycle_customers() == "recycled 1, warned 0"
    assert important.owner_id == ordinary.owner_id == common.owner_id == alice.id
    assert unlevelled.owner_id is None
    important.last_followup_at = days_ago(61)
    db.session.flush()
    assert recycle_customers() == "recycled 1, warned 0"
    assert important.owner_id is None
    assert level_a.label in owner_changes(important.id)[-1].reason


def test_a_deal_resets_the_no_deal_clock(app):
    alice = factories.make_user("sales")
    rule(deal=90)
    stale = owned(alice, "久未成交有限公司", since_days=400, followup_days=1, deal_days=100)
    fresh = owned(alice, "刚成交有限公司", since_days=400, followup_days=1, deal_days=10)
    assert recycle_customers() == "recycled 1, warned 0"
    assert stale.owner_id is None and fresh.owner_id == alice.id
    assert "90" in owner_changes(stale.id)[-1].reason


def test_no_rule_recycles_nothing(app):
    alice = factories.make_user("sales")
    owned(alice, "没有规则有限公司", since_days=1000)
    assert recycle_customers() == "recycled 0, warned 0"


def test_run_job_runs_it(app):
    alice = factories.make_user("sales")
    rule(followup=30)
    customer = owned(alice, "任务回收有限公司", since_days=60)
    db.session.commit()
    assert run_job("pool.recycle", holder="test") == "ran: recycled 1, warned 0"
    db.session.refresh(customer)
    assert customer.owner_id is None


@pytest.mark.usefixtures("site")
def test_run_jobs_command_recycles(site):  # noqa: F811
    _ok(site.invoke("init-db"))
    site_app = crm_server.create_app(load_config(site.config, environ={}))
    with site_app.app_context():
        alice = factories.make_user("sales")
        rule(followup=30)
        owned(alice, "命令行回收有限公司", since_days=60)
        db.session.commit()
        db.session.remove()
    output = _ok(site.invoke("run-jobs", "--job", "pool.recycle"))
    assert "pool.recycle: ran: recycled 1, warned 0" in output
    assert "pool.recycle" in _ok(site.invoke("run-jobs", "--list"))
    with site_app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.name == "命令行回收有限公司"))
        assert customer.owner_id is None and customer.pool_id is not None
        db.session.remove()
