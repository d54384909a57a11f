"""Quote rules: lines from the catalogue, discount approval, sending, the customer's answer, versions, expiry."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.extensions import db
from crm_server.quotes import services
from crm_server.quotes.models import ACCEPTED, APPROVED, DRAFT, EXPIRED, PENDING, SENT, QuoteDiscountLimit
from crm_server.reminders.models import Reminder
from tests import factories

from .helpers import line, make_opportunity, make_price_list, make_product, make_quote


@pytest.fixture
def team(app, admin):
    """A sales department: a manager and two salespeople reporting to them; a second department's manager."""
    department = factories.make_department("华东销售部")
    manager = factories.make_user("sales_manager", department=department, display_name="王经理")
    seller = factories.make_user("sales", department=department, manager=manager, display_name="李销售")
    other = factories.make_user("sales", department=department, manager=manager, display_name="赵销售")
    far_manager = factories.make_user("sales_manager", department=factories.make_department("华北销售部"))
    return {"manager": manager, "seller": seller, "other": other, "far_manager": far_manager,
            "customer": factories.make_customer(seller, name="上海明远精密机械有限公司")}


def audit_actions(quote) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "quotes",
                                                                 AuditLog.entity_id == quote.id)
                                   .order_by(AuditLog.id)))


def test_catalogue_line_takes_product_values_and_price_list_price(team):
    product = make_product("工业路由器", price="2000.00", tax_rate="13.00", unit="台", specification="4G双卡")
    price_list = make_price_list("经销商价", {product: "1800.00"})
    quote = make_quote(team["seller"], team["customer"], lines=[line(product, quantity="2")],
                       price_list_id=price_list.id)
    row = quote.lines[0]
    assert (row.description, row.specification, row.unit) == ("工业路由器", "4G双卡", "台")
    assert (row.unit_price, row.list_price, row.tax_rate) == (D("1800.00"), D("1800.00"), D("13.00"))
    assert (quote.subtotal, quote.tax_amount, quote.total) == (D("3600.00"), D("468.00"), D("4068.00"))
    assert quote.status == DRAFT and quote.owner_id == team["seller"].id
    assert audit_actions(quote) == ["quote.created"]


def test_free_line_and_validation(team):
    quote = make_quote(team["seller"], team["customer"],
                       lines=[line(description="现场安装调试", quantity="1", unit_price="5000", tax_rate="6")])
    assert quote.lines[0].product_id is None and quote.total == D("5300.00")
    with pytest.raises(DomainError):
        make_quote(team["seller"], team["customer"], lines=[line(description="x", quantity="-1", unit_price="1")])
    with pytest.raises(DomainError):
        make_quote(team["seller"], team["customer"], lines=[line(description="x", unit_price="1",
                                                                 discount_percent="120")])
    with pytest.raises(DomainError):
        make_quote(team["seller"], team["customer"], lines=[services.LineInput(product_id=999999)])


def test_customer_and_opportunity_must_be_visible(team):
    hidden = factories.make_customer(team["other"])
    with pytest.raises(DomainError):
        make_quote(team["seller"], hidden)
    foreign = make_opportunity(team["other"], hidden)
    with pytest.raises(DomainError):
        make_quote(team["seller"], team["customer"], opportunity_id=foreign.id)


def test_within_limit_is_approved_on_submit_and_can_be_sent(team):
    product = make_product(price="100.00")
    quote = make_quote(team["seller"], team["customer"], lines=[line(product, quantity="1", discount_percent="10")])
    assert quote.max_discount_percent == D("10.00") and not services.needs_approval(quote)
    services.mark_sent(team["seller"], quote)
    assert quote.status == SENT and quote.sent_at is not None


def test_above_limit_needs_approval_by_a_manager(team):
    product = make_product(price="100.00")
    seller, manager = team["seller"], team["manager"]
    quote = make_quote(seller, team["customer"], lines=[line(product, quantity="1", discount_percent="8")],
                       overall_discount_percent="5")  # 1 − 0.92 × 0.95 = 12.60 % > 10 %
    assert quote.max_discount_percent == D("12.60") and services.needs_approval(quote)
    with pytest.raises(DomainError):
        services.mark_sent(seller, quote)
    services.submit_quote(seller, quote)
    assert quote.status == PENDING
    reminders = db.session.scalars(select(Reminder).where(Reminder.entity_type == "quotes",
                                                          Reminder.entity_id == quote.id)).all()
    assert {r.user_id for r in reminders} == {manager.id}  # not the other department's manager
    with pytest.raises(DomainError):
        services.mark_sent(seller, quote)
    with pytest.raises(DomainError):  # a salesperson may not approve
        services.decide_approval(team["other"], quote, True)
    with pytest.raises(DomainError):  # outside the approver's scope
        services.decide_approval(team["far_manager"], quote, True)
    services.decide_approval(manager, quote, True, "同意，战略客户")
    assert quote.status == APPROVED and quote.approved_by_id == manager.id
    services.mark_sent(seller, quote)
    assert quote.status == SENT
    assert audit_actions(quote) == ["quote.created", "quote.submitted", "quote.approved", "quote.sent"]
    assert db.session.scalar(select(Reminder.id).where(Reminder.user_id == seller.id,
                                                       Reminder.kind == "quote_decision")) is not None


def test_own_quote_cannot_be_approved(team):
    manager = team["manager"]
    manager_customer = factories.make_customer(manager)
    quote = make_quote(manager, manager_customer,
                       lines=[line(make_product(price="100.00"), quantity="1", discount_percent="30")])
    services.submit_quote(manager, quote)  # 30 % > the sales managers' 20 %
    assert quote.status == PENDING
    with pytest.raises(DomainError):
        services.decide_approval(manager, quote, True)
    assert quote.status == PENDING


def test_rejected_approval_goes_back_to_draft_with_a_reason(team):
    quote = make_quote(team["seller"], team["customer"],
                       lines=[line(make_product(price="100.00"), quantity="1", discount_percent="25")])
    services.submit_quote(team["seller"], quote)
    with pytest.raises(DomainError):  # a reason is required
        services.decide_approval(team["manager"], quote, False, "")
    services.decide_approval(team["manager"], quote, False, "折扣过大")
    assert quote.status == DRAFT and quote.approval_comment == "折扣过大"
    services.update_quote(team["seller"], quote, lines=[line(make_product(price="100.00"), quantity="1",
                                                             discount_percent="5")])
    services.submit_quote(team["seller"], quote)
    assert quote.status == APPROVED


def test_no_limit_for_a_role_without_one(team):
    director = factories.make_user("sales_director")
    quote = make_quote(director, factories.make_customer(director),
                       lines=[line(make_product(price="100.00"), quantity="1", discount_percent="60")])
    assert not services.needs_approval(quote)


def test_limits_are_edited_per_role(team, admin):
    role = team["seller"].role
    assert services.discount_limit(role.id) == D("10.00")
    services.set_discount_limit(admin, role, "15")
    assert db.session.get(QuoteDiscountLimit, role.id).max_discount_percent == D("15.00")
    services.set_discount_limit(admin, role, None)
    assert services.discount_limit(role.id) is None
    with pytest.raises(DomainError):
        services.set_discount_limit(team["manager"], role, "50")  # needs quote.discount_rules
    with pytest.raises(DomainError):
        services.set_discount_limit(admin, role, "101")


def test_accepting_updates_the_opportunity_amount(team):
    opportunity = make_opportunity(team["seller"], team["customer"], amount="50000.00")
    product = make_product(price="12345.67")
    quote = make_quote(team["seller"], team["customer"], lines=[line(product, quantity="3")],
                       opportunity_id=opportunity.id)
    services.mark_sent(team["seller"], quote)
    services.close_quote(team["seller"], quote, accepted=True)
    assert quote.status == ACCEPTED
    # 37,037.01 + 13 % tax 4,814.81 = 41,851.82
    assert quote.total == D("41851.82") and opportunity.amount == D("41851.82")


def test_revise_keeps_the_old_version_read_only(team):
    quote = make_quote(team["seller"], team["customer"])
    services.mark_sent(team["seller"], quote)
    new = services.revise_quote(team["seller"], quote)
    assert (new.number, new.version, new.display_number) == (quote.number, 2, f"{quote.number}-V2")
    assert new.status == DRAFT and new.previous_id == quote.id and new.total == quote.total
    assert quote.status == SENT and not quote.is_latest and new.is_latest
    with pytest.raises(DomainError):
        services.revise_quote(team["seller"], quote)
    with pytest.raises(DomainError):
        services.close_quote(team["seller"], quote, accepted=True)
    assert [q.version for q in services.versions_of(new)] == [1, 2]


def test_only_drafts_are_edited(team):
    quote = make_quote(team["seller"], team["customer"])
    services.mark_sent(team["seller"], quote)
    with pytest.raises(DomainError):
        services.update_quote(team["seller"], quote, title="改")


def test_expiry(team):
    today = services.site_today()
    quote = make_quote(team["seller"], team["customer"], quote_date=today - dt.timedelta(days=40),
                       valid_until=today - dt.timedelta(days=10))
    with pytest.raises(DomainError):  # a draft past its date cannot be submitted
        services.submit_quote(team["seller"], quote)
    fresh = make_quote(team["seller"], team["customer"])
    services.mark_sent(team["seller"], fresh)
    fresh.valid_until = today - dt.timedelta(days=1)
    assert services.expire_quotes(today) == 1
    assert fresh.status == EXPIRED and quote.status == DRAFT
    assert services.revise_quote(team["seller"], fresh).status == DRAFT
