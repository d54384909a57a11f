"""Quote discounts through the approval engine: a quote_discount flow whose conditions hold takes the quote
(pending → approved, rejected → draft with the comment, withdrawn → draft); with no flow matching, the
built-in role-limit rule stays as it was."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crm_server.approvals import services as approval_services
from crm_server.approvals.models import APPROVED as REQUEST_APPROVED
from crm_server.approvals.models import PENDING as REQUEST_PENDING
from crm_server.core.errors import DomainError
from crm_server.extensions import db
from crm_server.quotes import services
from crm_server.quotes.models import APPROVED, DRAFT, PENDING
from crm_server.reminders.models import Reminder
from tests import factories

from .helpers import line, make_product, make_quote


@pytest.fixture
def team(app, admin):
    department = factories.make_department("西南销售部")
    director = factories.make_user("sales_director", department=department, display_name="孙总监")
    manager = factories.make_user("sales_manager", department=department, manager=director, display_name="杨经理")
    seller = factories.make_user("sales", department=department, manager=manager, display_name="何销售")
    customer = factories.make_customer(seller, name="成都蓉信自动化有限公司")
    db.session.commit()
    return {"director": director, "manager": manager, "seller": seller, "customer": customer, "admin": admin}


def discounted_quote(team, discount="12.6"):
    """One line of a 1,000.00 product, quantity 2, at `discount` % (the salespeople's limit is 10 %)."""
    product = make_product(price="1000.00")
    return make_quote(team["seller"], team["customer"],
                      lines=[line(product, quantity="2", discount_percent=discount)])


def flow(team, conditions, steps, name="报价折扣审批", priority=100):
    return approval_services.save_flow(
        team["admin"], None, document_type=services.QUOTE_DISCOUNT, name=name, priority=priority,
        conditions=[{"fact": f, "operator": o, "value": v} for f, o, v in conditions], steps=steps)


def test_facts_of_a_quote(team):
    quote = discounted_quote(team)
    kind = approval_services.DOCUMENT_TYPES[services.QUOTE_DISCOUNT]
    # 2 × 1,000.00 at 12.6 % off = 1,748.00 net, 13 % tax 227.24 → 1,975.24
    assert kind.facts["discount_percent"].get(quote) == D("12.60")
    assert kind.facts["amount"].get(quote) == D("1975.24")
    assert kind.facts["over_limit"].get(quote) == D("2.60")  # 12.60 - the salespeople's 10.00
    team["seller"].role_id = factories.role("service").id  # a role without a limit: the fact is missing
    db.session.flush()
    db.session.expire(quote, ["owner"])
    assert kind.facts["over_limit"].get(quote) is None


def test_a_matching_flow_takes_the_quote_and_approves_it(client, login_as, team):
    flow(team, [("over_limit", "gt", "0")],
         [{"approver_kind": "manager"}, {"approver_kind": "user", "user_id": team["director"].id}])
    quote = discounted_quote(team)
    assert services.approval_flow(quote).name == "报价折扣审批"
    services.submit_quote(team["seller"], quote)
    db.session.commit()
    assert quote.status == PENDING
    request = approval_services.pending_request(services.QUOTE_DISCOUNT, quote.id)
    assert request.status == REQUEST_PENDING and request.amount == D("1975.24")
    assert quote.display_number in request.title and "成都蓉信自动化有限公司" in request.title
    # the built-in approvers were not reminded: only the flow's first step
    assert list(db.session.scalars(select(Reminder.user_id).where(Reminder.kind == "quote_approval"))) == []
    login_as(team["manager"])
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert 'id="approval-panel"' in page and 'id="approval-approve"' in page
    assert 'id="approval-form"' not in page and 'id="pending-flow-approval"' in page
    response = client.post(f"/approvals/requests/{request.id}/approve", data={"comment": "同意"})
    assert response.headers["Location"].endswith(f"/quotes/{quote.id}")
    db.session.refresh(quote)
    assert quote.status == PENDING  # the director's step follows
    login_as(team["director"])
    client.post(f"/approvals/requests/{request.id}/approve", data={})
    db.session.expire_all()
    assert quote.status == APPROVED and quote.approved_by_id == team["director"].id
    assert approval_services.requests_of(services.QUOTE_DISCOUNT, quote.id)[0].status == REQUEST_APPROVED
    login_as(team["seller"])
    page = client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    assert 'id="approval-panel"' in page and 'id="send-quote"' in page


def test_rejected_by_the_flow_goes_back_to_draft_with_the_comment(team):
    flow(team, [("discount_percent", "gt", "5")], [{"approver_kind": "manager"}])
    quote = discounted_quote(team)
    services.submit_quote(team["seller"], quote)
    request = approval_services.pending_request(services.QUOTE_DISCOUNT, quote.id)
    # the old entry point decides through the flow too
    services.decide_approval(team["manager"], quote, False, "折扣过大，请重新报价")
    assert request.status == "rejected"
    assert quote.status == DRAFT and quote.approval_comment == "折扣过大，请重新报价"
    assert quote.approved_by_id == team["manager"].id


def test_withdrawn_goes_back_to_draft(client, login_as, team):
    flow(team, [("amount", "ge", "1000")], [{"approver_kind": "manager"}])
    quote = discounted_quote(team, discount="0")  # within the limit, but the amount condition holds
    assert not services.needs_approval(quote)
    with pytest.raises(DomainError):  # cannot be sent around the flow
        services.mark_sent(team["seller"], quote)
    services.submit_quote(team["seller"], quote)
    db.session.commit()
    assert quote.status == PENDING
    request = approval_services.pending_request(services.QUOTE_DISCOUNT, quote.id)
    login_as(team["seller"])
    assert 'id="approval-withdraw"' in client.get(f"/quotes/{quote.id}").get_data(as_text=True)
    client.post(f"/approvals/requests/{request.id}/withdraw")
    db.session.expire_all()
    assert quote.status == DRAFT and request.status == "withdrawn"


def test_without_a_matching_flow_the_role_limit_rule_stays(team):
    flow(team, [("amount", "gt", "1000000")], [{"approver_kind": "manager"}])
    quote = discounted_quote(team)
    services.submit_quote(team["seller"], quote)
    assert quote.status == PENDING
    assert approval_services.pending_request(services.QUOTE_DISCOUNT, quote.id) is None
    reminded = set(db.session.scalars(select(Reminder.user_id).where(Reminder.kind == "quote_approval")))
    assert reminded == {team["manager"].id, team["director"].id}
    services.decide_approval(team["manager"], quote, True, None)
    assert quote.status == APPROVED
