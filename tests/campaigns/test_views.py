"""Campaign pages through HTTP: the list with its results, create/edit with validation, permissions (a salesperson
cannot edit a campaign, nor link a customer they cannot see), linking customers, the customer page's section,
the campaign select of the opportunity form."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import func, select

from crm_server.campaigns.models import Campaign, CampaignCustomer
from crm_server.core.audit import AuditLog
from crm_server.extensions import db
from crm_server.opportunities.models import Opportunity
from tests import factories
from tests.campaigns.helpers import campaign_opportunity, make_campaign, make_lead
from tests.opportunities.helpers import default_pipeline, stage


def _links(campaign_id: int) -> set[int]:
    return set(db.session.scalars(select(CampaignCustomer.customer_id)
                                  .where(CampaignCustomer.campaign_id == campaign_id)))


def test_director_creates_and_edits_a_campaign_with_an_audit_trail(client, login_as):
    director = login_as("sales_director")
    kind = factories.dictionary_item("campaign_type", "研讨会")
    response = client.post("/campaigns/new", data={
        "name": "智能制造研讨会（苏州）", "kind_id": kind.id, "status": "planned", "start_date": "2026-10-15",
        "end_date": "2026-10-16", "budget": "30,000", "actual_cost": "28500.5", "owner_id": director.id,
        "description": "邀请苏州工业园区制造企业"})
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign).where(Campaign.name == "智能制造研讨会（苏州）"))
    assert campaign.budget == Decimal("30000.00") and campaign.actual_cost == Decimal("28500.50")
    assert campaign.kind_id == kind.id and campaign.end_date == dt.date(2026, 10, 16)
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'id="result-cost" data-value="28500.50"' in page and 'id="result-roi" data-value=""' not in page
    response = client.post(f"/campaigns/{campaign.id}/edit", data={
        "name": "智能制造研讨会（苏州）", "kind_id": kind.id, "status": "completed", "start_date": "2026-10-15",
        "end_date": "2026-10-16", "budget": "30000", "actual_cost": "29000", "owner_id": director.id})
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert campaign.status == "completed" and campaign.actual_cost == Decimal("29000.00")
    stmt = select(AuditLog.action).where(AuditLog.entity_type == "campaigns", AuditLog.entity_id == campaign.id)
    actions = list(db.session.scalars(stmt.order_by(AuditLog.id)))
    assert actions == ["campaign.created", "campaign.updated"]


def test_validation_shows_errors_beside_the_fields_and_saves_nothing(client, login_as):
    director = login_as("sales_director", language="en")
    base = {"name": "华南区展会", "status": "planned", "start_date": "2026-10-15", "owner_id": director.id}
    page = client.post("/campaigns/new", data={**base, "end_date": "2026-10-14"}).get_data(as_text=True)
    assert "The campaign cannot end before it starts." in page and 'is-invalid" id="end_date"' in page
    page = client.post("/campaigns/new", data={**base, "actual_cost": "-1"}).get_data(as_text=True)
    assert "The amount cannot be negative." in page and 'is-invalid" id="actual_cost"' in page
    page = client.post("/campaigns/new", data={**base, "budget": "三万"}).get_data(as_text=True)
    assert 'is-invalid" id="budget"' in page
    page = client.post("/campaigns/new", data={**base, "start_date": ""}).get_data(as_text=True)
    assert 'is-invalid" id="start_date"' in page
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_a_salesperson_sees_campaigns_but_cannot_create_edit_or_delete(client, login_as):
    director = factories.make_user("sales_director")
    campaign = make_campaign(director, name="2026深圳高交会", actual_cost="80000")
    db.session.commit()
    login_as("sales")
    listing = client.get("/campaigns/").get_data(as_text=True)
    assert f'id="campaign-{campaign.id}"' in listing and 'id="new-campaign"' not in listing
    assert 'id="edit-campaign"' not in client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert client.get("/campaigns/new").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}/edit").status_code == 403
    response = client.post(f"/campaigns/{campaign.id}/edit", data={
        "name": "改名", "status": "cancelled", "start_date": "2026-01-01", "actual_cost": "1"})
    assert response.status_code == 403
    assert client.post(f"/campaigns/{campaign.id}/delete").status_code == 403
    db.session.expire_all()
    campaign = db.session.get(Campaign, campaign.id)
    assert (campaign.name, campaign.status, campaign.actual_cost, campaign.deleted_at) == \
        ("2026深圳高交会", "completed", Decimal("80000.00"), None)
    assert client.get("/campaigns/999999").status_code == 404


def test_roles_without_campaign_view_are_refused(client, login_as):
    director = factories.make_user("sales_director")
    campaign = make_campaign(director)
    db.session.commit()
    login_as("service")
    assert client.get("/campaigns/").status_code == 403
    assert client.get(f"/campaigns/{campaign.id}").status_code == 403


def test_linking_customers_is_scoped_to_what_the_user_may_see(client, login_as):
    director = factories.make_user("sales_director")
    other = factories.make_user("sales")
    campaign = make_campaign(director)
    theirs = factories.make_customer(other, name="北京华腾科技有限公司")
    db.session.commit()
    seller = login_as("sales")
    mine = factories.make_customer(seller, name="上海精工机械有限公司")
    db.session.commit()
    # the search offers only the seller's own customers
    page = client.get(f"/campaigns/{campaign.id}?q=有限公司").get_data(as_text=True)
    assert f'id="link-{mine.id}"' in page and f'id="link-{theirs.id}"' not in page
    # posting another's customer id (alone or with one's own) links nothing
    client.post(f"/campaigns/{campaign.id}/customers", data={"customer_ids": [theirs.id]})
    client.post(f"/campaigns/{campaign.id}/customers", data={"customer_ids": [mine.id, theirs.id]})
    assert _links(campaign.id) == set()
    response = client.post(f"/campaigns/{campaign.id}/customers", data={"customer_ids": [mine.id], "note": "已到场"})
    assert response.status_code == 302 and _links(campaign.id) == {mine.id}
    assert db.session.get(CampaignCustomer, (campaign.id, mine.id)).note == "已到场"
    # the director links the other customer; the seller neither sees nor removes it
    db.session.add(CampaignCustomer(campaign_id=campaign.id, customer_id=theirs.id, added_by_id=director.id))
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "上海精工机械有限公司" in page and "北京华腾科技有限公司" not in page
    assert client.post(f"/campaigns/{campaign.id}/customers/{theirs.id}/remove").status_code == 404
    assert _links(campaign.id) == {mine.id, theirs.id}
    assert client.post(f"/campaigns/{campaign.id}/customers/{mine.id}/remove").status_code == 302
    assert _links(campaign.id) == {theirs.id}


def test_bulk_link_from_a_customer_list_filter(client, login_as):
    manager = login_as("sales_director")
    level = factories.dictionary_item("customer_level")
    campaign = make_campaign(manager)
    keep = [factories.make_customer(manager, name=f"重点客户{i}", level_id=level.id) for i in range(3)]
    factories.make_customer(manager, name="普通客户")
    db.session.commit()
    response = client.post(f"/campaigns/{campaign.id}/customers/from-list",
                           data={"query": f"http://crm.local/customers/?level={level.id}"})
    assert response.status_code == 302
    assert _links(campaign.id) == {c.id for c in keep}


def test_the_campaign_page_lists_only_the_leads_the_viewer_may_see_but_counts_all(client, login_as):
    director = factories.make_user("sales_director")
    other = factories.make_user("sales")
    campaign = make_campaign(director, actual_cost="900")
    make_lead(campaign, other, name="赵总")
    seller = login_as("sales")
    make_lead(campaign, seller, name="钱经理")
    make_lead(campaign, seller, name="孙工", status="converted")
    db.session.commit()
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "钱经理" in page and "孙工" in page and "赵总" not in page
    assert 'id="result-leads" data-value="3"' in page and 'id="result-cost-per-lead" data-value="300.00"' in page
    assert 'id="result-conversion" data-value="33.3"' in page


def test_the_list_shows_results_and_filters(client, login_as):
    director = login_as("sales_director")
    seller = factories.make_user("sales")
    customer = factories.make_customer(seller)
    show = make_campaign(director, name="上海工博会", actual_cost="10000", start_date=dt.date(2026, 9, 20))
    ad = make_campaign(director, name="百度推广", actual_cost=None, status="active", start_date=dt.date(2026, 3, 1),
                       kind_id=factories.dictionary_item("campaign_type", "线上广告").id)
    make_lead(show, seller)
    make_lead(show, seller)
    campaign_opportunity(seller, customer, show, "25000", stage="赢单")
    db.session.commit()
    page = client.get("/campaigns/").get_data(as_text=True)
    assert f'id="campaign-{show.id}" data-id="{show.id}" data-leads="2" data-won-amount="25000.00" data-roi="150.0"' \
        in page
    assert f'id="campaign-{ad.id}" data-id="{ad.id}" data-leads="0" data-won-amount="0.00" data-roi=""' in page
    assert f'id="campaign-{show.id}"' not in client.get("/campaigns/?status=active").get_data(as_text=True)
    kind = factories.dictionary_item("campaign_type", "线上广告").id
    page = client.get(f"/campaigns/?kind={kind}").get_data(as_text=True)
    assert f'id="campaign-{ad.id}"' in page and f'id="campaign-{show.id}"' not in page
    page = client.get("/campaigns/?from=2026-09-01&to=2026-09-30").get_data(as_text=True)
    assert f'id="campaign-{show.id}"' in page and f'id="campaign-{ad.id}"' not in page
    page = client.get(f"/campaigns/?owner={seller.id}").get_data(as_text=True)
    assert 'id="no-campaigns"' in page
    page = client.get("/campaigns/?sort=name&dir=asc").get_data(as_text=True)
    assert page.index("上海工博会") < page.index("百度推广")  # by name: 上 (U+4E0A) before 百 (U+767E)


def test_the_customer_page_shows_the_campaigns_it_took_part_in(client, login_as):
    director = factories.make_user("sales_director")
    campaign = make_campaign(director, name="2026客户答谢会")
    seller = login_as("sales")
    customer = factories.make_customer(seller)
    db.session.add(CampaignCustomer(campaign_id=campaign.id, customer_id=customer.id, note="已邀请"))
    db.session.commit()
    page = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert 'id="customer-campaigns"' in page and "2026客户答谢会" in page and "已邀请" in page


def test_the_opportunity_form_attributes_an_opportunity_to_a_campaign(client, login_as):
    director = factories.make_user("sales_director")
    campaign = make_campaign(director, name="上海工博会")
    cancelled = make_campaign(director, name="取消的展会", status="cancelled")
    seller = login_as("sales")
    customer = factories.make_customer(seller)
    db.session.commit()
    page = client.get(f"/opportunities/new?customer_id={customer.id}").get_data(as_text=True)
    form = page[page.index('id="campaign_id"'):]
    form = form[:form.index("</select>")]
    assert f'<option value="{campaign.id}">' in form and f'<option value="{cancelled.id}">' not in form
    data = {"name": "工博会商机", "amount": "50000", "pipeline_id": default_pipeline().id,
            "stage_id": stage("初步接洽").id, "owner_id": seller.id}
    client.post(f"/opportunities/new?customer_id={customer.id}", data={**data, "campaign_id": cancelled.id})
    assert db.session.scalar(select(func.count()).select_from(Opportunity)) == 0
    assert client.post(f"/opportunities/new?customer_id={customer.id}",
                       data={**data, "campaign_id": campaign.id}).status_code == 302
    opportunity = db.session.scalar(select(Opportunity))
    assert opportunity.campaign_id == campaign.id
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'id="result-opportunities" data-value="1"' in page and 'id="result-pipeline" data-value="50000.00"' in page


def test_a_deleted_campaign_leaves_the_list(client, login_as):
    director = login_as("sales_director")
    campaign = make_campaign(director)
    db.session.commit()
    assert client.post(f"/campaigns/{campaign.id}/delete").status_code == 302
    assert f'id="campaign-{campaign.id}"' not in client.get("/campaigns/").get_data(as_text=True)
    assert client.get(f"/campaigns/{campaign.id}").status_code == 404
