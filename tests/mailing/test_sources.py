"""Recipients from leads and from a campaign's members, limited to what the sender may see."""
from __future__ import annotations

import datetime as dt

from crm_server.campaigns.models import Campaign, CampaignCustomer
from crm_server.extensions import db
from crm_server.leads.models import Lead
from crm_server.mailing.recipients import Audience, plan
from tests import factories

from .helpers import department_with


def make_lead(owner, name, email, **kw) -> Lead:
    lead = Lead(name=name, email=email, owner_id=owner.id if owner else None, **kw)
    db.session.add(lead)
    db.session.flush()
    return lead


def addresses(user, **audience) -> list[str]:
    return sorted(c.address for c in plan(user, Audience(**audience)).recipients)


def test_leads_by_status_and_grade_within_the_senders_scope(app):
    manager, sales = department_with()
    outsider, other_sales = department_with("赵经理", "钱销售")
    make_lead(sales, "周杰", "zhou.jie@huaxin.cn", company="华信科技", status="new", grade="A")
    make_lead(sales, "郑爽", "zheng.shuang@huaxin.cn", company="华信科技", status="contacting", grade="B")
    make_lead(other_sales, "冯涛", "feng.tao@beifang.cn", status="new", grade="A")
    gone = make_lead(sales, "韩梅", "han.mei@huaxin.cn", status="new", grade="A")
    gone.deleted_at = dt.datetime(2026, 1, 1)
    db.session.commit()

    assert addresses(manager, kind="leads") == ["zheng.shuang@huaxin.cn", "zhou.jie@huaxin.cn"]
    assert addresses(manager, kind="leads", lead_status="new") == ["zhou.jie@huaxin.cn"]
    assert addresses(manager, kind="leads", lead_grade="B") == ["zheng.shuang@huaxin.cn"]
    assert addresses(outsider, kind="leads", lead_grade="A") == ["feng.tao@beifang.cn"]
    found = plan(manager, Audience(kind="leads", lead_status="new")).recipients[0]
    assert found.source_type == "lead"
    assert (found.values["lead_name"], found.values["company"], found.values["owner_name"]) == \
        ("周杰", "华信科技", "销售甲")


def test_a_campaigns_members_are_its_customers_contacts_and_its_leads(app):
    manager, sales = department_with()
    outsider, other_sales = department_with("赵经理", "钱销售")
    campaign = Campaign(name="2026 上海工业博览会", start_date=dt.date(2026, 9, 20), owner_id=manager.id)
    db.session.add(campaign)
    db.session.flush()
    linked = factories.make_customer(sales, "上海星辰电子有限公司")
    hidden = factories.make_customer(other_sales, "北京远方科技有限公司")
    unlinked = factories.make_customer(sales, "杭州未参加有限公司")
    factories.make_contact(linked, "张伟", email="zhang.wei@xingchen.cn")
    factories.make_contact(hidden, "孙强", email="sun.qiang@yuanfang.cn")
    factories.make_contact(unlinked, "刘洋", email="liu.yang@weicanjia.cn")
    for customer in (linked, hidden):
        db.session.add(CampaignCustomer(campaign_id=campaign.id, customer_id=customer.id))
    make_lead(sales, "周杰", "zhou.jie@huaxin.cn", campaign_id=campaign.id)
    make_lead(other_sales, "冯涛", "feng.tao@beifang.cn", campaign_id=campaign.id)
    make_lead(sales, "郑爽", "zheng.shuang@huaxin.cn")
    db.session.commit()

    assert addresses(manager, kind="campaign", campaign_id=campaign.id) == [
        "zhang.wei@xingchen.cn", "zhou.jie@huaxin.cn"]
    assert addresses(outsider, kind="campaign", campaign_id=campaign.id) == [
        "feng.tao@beifang.cn", "sun.qiang@yuanfang.cn"]
    assert addresses(manager, kind="campaign", campaign_id=None) == []
    assert addresses(sales, kind="campaign", campaign_id=campaign.id + 99) == []
