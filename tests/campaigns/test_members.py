"""The mass-email audience of a campaign (campaign_member_query): contacts of linked customers and the
campaign's leads, only those the user may see, only with an e-mail address."""
from __future__ import annotations

from crm_server.campaigns.models import CampaignCustomer
from crm_server.campaigns.services import campaign_member_query
from crm_server.extensions import db
from tests import factories
from tests.campaigns.helpers import make_campaign, make_lead


def test_members_are_what_the_user_may_see(app):
    director = factories.make_user("sales_director")
    seller = factories.make_user("sales")
    other = factories.make_user("sales")
    campaign = make_campaign(director)
    mine = factories.make_customer(seller, name="上海精工机械有限公司")
    theirs = factories.make_customer(other, name="北京华腾科技有限公司")
    unlinked = factories.make_customer(seller, name="未参加的客户")
    with_mail = factories.make_contact(mine, name="陈经理", email="chen@jinggong.cn")
    factories.make_contact(mine, name="无邮箱")
    factories.make_contact(theirs, name="李总", email="li@huateng.cn")
    factories.make_contact(unlinked, name="周工", email="zhou@example.cn")
    for customer in (mine, theirs):
        db.session.add(CampaignCustomer(campaign_id=campaign.id, customer_id=customer.id))
    own_lead = make_lead(campaign, seller, name="钱经理", email="qian@example.cn")
    make_lead(campaign, other, name="赵总", email="zhao@example.cn")
    make_lead(campaign, seller, name="孙工")  # no e-mail
    db.session.commit()

    members = campaign_member_query(seller, campaign.id)
    assert [c.id for c in db.session.scalars(members.contacts)] == [with_mail.id]
    assert [lead.id for lead in db.session.scalars(members.leads)] == [own_lead.id]
    everyone = campaign_member_query(director, campaign.id)
    assert {c.email for c in db.session.scalars(everyone.contacts)} == {"chen@jinggong.cn", "li@huateng.cn"}
    assert {lead.email for lead in db.session.scalars(everyone.leads)} == {"qian@example.cn", "zhao@example.cn"}
    service = factories.make_user("service")
    nobody = campaign_member_query(service, campaign.id)
    assert list(db.session.scalars(nobody.contacts)) == [] and list(db.session.scalars(nobody.leads)) == []
