"""Lead rules: validation, normal forms, duplicates, round robin (A-grade rule), claiming, merge, conversion."""
from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select

from crm_server.contacts.models import Contact
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.types import utcnow
from crm_server.customers.models import Customer
from crm_server.extensions import db
from crm_server.followups.models import FollowUp
from crm_server.leads import assignment, conversion, duplicates, scoring, services
from crm_server.leads.models import Lead, LeadFollowUp
from crm_server.leads.scoring import LeadScoringRule
from crm_server.opportunities.models import Opportunity
from crm_server.reminders.models import Reminder

from .. import factories
from .helpers import add_member, make_lead


@pytest.fixture
def seller(app):
    return factories.make_user("sales")


def a_grade_rules():
    """Only one rule: urgency "high" scores 100 (grade A); anything else scores 0 (grade D)."""
    db.session.execute(delete(LeadScoringRule))
    db.session.add(LeadScoringRule(criterion=scoring.URGENCY, value="high", points=100))
    db.session.flush()
    scoring.forget_cached_rules()


def test_create_validates_each_field_with_its_name(seller):
    for fields, field in (({"name": ""}, "name"), ({"name": "张三", "mobile": "12345678901"}, "mobile"),
                          ({"name": "张三", "phone": "abc"}, "phone"), ({"name": "张三", "email": "no-at"}, "email"),
                          ({"name": "张三", "company_size": "huge"}, "company_size"),
                          ({"name": "张三", "urgency": "now"}, "urgency"), ({"name": "张三", "budget": "-5"}, "budget"),
                          ({"name": "张三", "source_id": 999999}, "source_id")):
        with pytest.raises(DomainError) as caught:
            services.create_lead(seller, **fields)
        assert caught.value.field == field
    assert db.session.scalar(select(func.count()).select_from(Lead)) == 0


def test_create_normalises_scores_audits_and_the_actor_owns_it(seller):
    lead = make_lead(seller, name="李雷", company="上海华东贸易有限公司", mobile="+86 138-0013-8000",
                     email=" Li@Example.COM ", budget="12500.555")
    assert lead.owner_id == seller.id and lead.status == "new"
    assert lead.name_key == "华东贸易" and lead.phone_digits == "13800138000" and lead.email_key == "li@example.com"
    assert lead.budget == Decimal("12500.56")
    assert lead.grade in ("A", "B", "C", "D")
    action = select(AuditLog.action).where(AuditLog.entity_id == lead.id, AuditLog.entity_type == "leads")
    assert db.session.scalar(action) == "lead.created"


def test_public_lead_without_team_stays_in_pool_and_is_audited_without_actor(app):
    lead = services.create_lead(None, name="访客", mobile="13900001111")
    assert lead.owner_id is None
    row = db.session.scalar(select(AuditLog).where(AuditLog.entity_type == "leads", AuditLog.entity_id == lead.id))
    assert row.actor_id is None


def test_round_robin_takes_turns_and_a_grade_goes_only_to_seniors(app):
    a_grade_rules()
    junior1, junior2, senior = (factories.make_user("sales") for _ in range(3))
    add_member(junior1)
    add_member(junior2)
    add_member(senior, receives_a_grade=True)
    owners = [services.create_lead(None, name=f"客户{i}").owner_id for i in range(6)]
    # three members, each in turn, twice
    assert sorted(owners[:3]) == sorted([junior1.id, junior2.id, senior.id])
    assert owners[3:] == owners[:3]
    for _ in range(3):
        hot = services.create_lead(None, name="急需", urgency="high")
        assert hot.grade == "A" and hot.owner_id == senior.id


def test_a_grade_without_senior_and_inactive_members_stay_in_pool(app):
    a_grade_rules()
    junior = factories.make_user("sales")
    add_member(junior)
    away = factories.make_user("sales")
    add_member(away, is_active=False)
    assert services.create_lead(None, name="急需", urgency="high").owner_id is None
    assert services.create_lead(None, name="一般").owner_id == junior.id


def test_duplicates_against_leads_customers_and_contacts(seller):
    make_lead(seller, name="王五", company="北京星辰科技有限公司", mobile="13811112222")
    customer = factories.make_customer(seller, name="星辰科技（北京）")
    factories.make_contact(customer, name="赵六", mobile="13933334444")
    with pytest.raises(services.DuplicateWarning) as caught:
        services.create_lead(seller, name="王五", company="星辰科技有限公司", mobile="139 3333 4444")
    kinds = {(m.kind, tuple(m.fields)) for m in caught.value.matches}
    assert ("lead", ("name",)) in kinds
    assert ("customer", ("name",)) in kinds
    assert ("contact", ("phone",)) in kinds
    lead = services.create_lead(seller, name="王五", company="星辰科技有限公司", mobile="139 3333 4444",
                                confirm_duplicates=True)
    assert lead.id is not None


def test_manual_assignment_needs_permission_and_scope(seller):
    lead = make_lead(None)
    with pytest.raises(DomainError):
        assignment.assign_leads(seller, [lead], seller)
    manager = factories.make_user("sales_director")
    assert assignment.assign_leads(manager, [lead], seller) == 1
    assert lead.owner_id == seller.id and lead.assigned_at is not None


def test_claim_from_pool_once(seller):
    lead = make_lead(None)
    other = factories.make_user("sales")
    assignment.claim_lead(seller, lead)
    assert lead.owner_id == seller.id
    with pytest.raises(DomainError):
        assignment.claim_lead(other, lead)
    assert lead.owner_id == seller.id


def test_followup_moves_new_to_contacting_and_reminds_the_owner(seller):
    lead = make_lead(seller)
    when = utcnow() - dt.timedelta(hours=1)
    services.log_lead_followup(seller, lead, kind="call", happened_at=when, content="介绍了产品",
                               next_followup_at=utcnow() + dt.timedelta(days=2))
    assert lead.status == "contacting" and lead.last_followup_at == when
    reminder = db.session.scalar(select(Reminder).where(Reminder.user_id == seller.id))
    assert reminder.entity_type == "leads" and reminder.entity_id == lead.id
    with pytest.raises(DomainError):
        services.log_lead_followup(seller, lead, kind="call", happened_at=utcnow() + dt.timedelta(days=1),
                                   content="未来")


def test_mark_invalid_needs_a_reason(seller):
    lead = make_lead(seller)
    with pytest.raises(DomainError):
        services.mark_invalid(seller, lead, " ")
    services.mark_invalid(seller, lead, "空号")
    assert lead.status == "invalid" and lead.invalid_reason == "空号"


def test_merge_moves_followups_and_closes_the_other(app):
    manager = factories.make_user("sales_director")
    keep = make_lead(manager, name="甲", company=None, mobile="13700001111")
    other = make_lead(manager, name="甲", company="合并科技", mobile="137 0000 1111", email="a@b.cn")
    services.log_lead_followup(manager, other, kind="call", happened_at=utcnow(), content="通话")
    groups = duplicates.duplicate_groups(manager)
    assert any({keep.id, other.id} <= {lead.id for lead in leads} for _f, _v, leads in groups)
    duplicates.merge_leads(manager, keep, other)
    assert other.deleted_at is not None and other.merged_into_id == keep.id
    assert keep.company == "合并科技" and keep.email == "a@b.cn"
    assert db.session.scalar(select(func.count()).select_from(LeadFollowUp)
                             .where(LeadFollowUp.lead_id == keep.id)) == 1


def _with_followups(seller, lead):
    services.log_lead_followup(seller, lead, kind="call", happened_at=utcnow() - dt.timedelta(days=2),
                               content="第一次电话")
    services.log_lead_followup(seller, lead, kind="visit", happened_at=utcnow() - dt.timedelta(days=1),
                               content="上门拜访", outcome="有意向")


def test_conversion_without_opportunity(seller):
    show = factories.dictionary_item("lead_source", "展会")
    lead = make_lead(seller, name="韩梅梅", company="广州远航物流有限公司", mobile="13655556666", title="采购经理",
                     source_id=show.id)
    _with_followups(seller, lead)
    conversion.convert_lead(seller, lead)
    db.session.commit()
    customer = db.session.get(Customer, lead.converted_customer_id)
    contact = db.session.get(Contact, lead.converted_contact_id)
    assert lead.status == "converted" and lead.converted_by_id == seller.id
    assert customer.name == "广州远航物流有限公司" and customer.owner_id == seller.id
    assert customer.source is not None and customer.source.label == "展会"
    assert contact.name == "韩梅梅" and contact.customer_id == customer.id and contact.mobile == "13655556666"
    assert lead.converted_opportunity_id is None
    carried = db.session.scalars(select(FollowUp).where(FollowUp.customer_id == customer.id)
                                 .order_by(FollowUp.happened_at)).all()
    assert [f.content for f in carried] == ["第一次电话", "上门拜访"]
    assert all(f.user_id == seller.id and f.contact_id == contact.id for f in carried)


def test_conversion_with_opportunity_into_an_existing_customer(seller):
    customer = factories.make_customer(seller, name="深圳海川电子有限公司")
    lead = make_lead(seller, name="陈工", company="海川电子", budget="80000")
    assert customer.id in {m.customer_id for m in duplicates.customer_candidates(seller, lead)}
    conversion.convert_lead(seller, lead, customer_id=customer.id, create_deal=True, opportunity_name="海川产线改造")
    opportunity = db.session.get(Opportunity, lead.converted_opportunity_id)
    assert lead.converted_customer_id == customer.id
    assert opportunity.name == "海川产线改造" and opportunity.customer_id == customer.id
    assert opportunity.amount == Decimal("80000.00")
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


def test_converting_twice_is_impossible(seller):
    lead = make_lead(seller)
    conversion.convert_lead(seller, lead)
    with pytest.raises(DomainError):
        conversion.convert_lead(seller, lead)
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1


def test_two_concurrent_conversions_make_one_customer(app, seller):
    lead = make_lead(seller)
    db.session.commit()
    lead_id, seller_id = lead.id, seller.id
    results: list = []
    barrier = threading.Barrier(2)

    def convert():
        with app.app_context():
            from crm_server.core.models import User
            user = db.session.get(User, seller_id)
            row = db.session.get(Lead, lead_id)
            barrier.wait()
            try:
                conversion.convert_lead(user, row)
                db.session.commit()
                results.append("ok")
            except DomainError:
                db.session.rollback()
                results.append("refused")
            except Exception as exc:  # a lock timeout is also a refusal, never a second customer
                db.session.rollback()
                results.append(type(exc).__name__)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=convert) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    db.session.rollback()  # a new transaction: MariaDB's REPEATABLE READ would keep showing the old snapshot
    assert results.count("ok") == 1, results
    assert db.session.scalar(select(func.count()).select_from(Customer)) == 1
    assert db.session.get(Lead, lead_id).status == "converted"


def test_other_salesperson_may_not_convert_or_edit(seller):
    lead = make_lead(seller)
    other = factories.make_user("sales")
    with pytest.raises(DomainError):
        conversion.convert_lead(other, lead)
    with pytest.raises(DomainError):
        services.update_lead(other, lead, name="改名")
    assert lead.status == "new"
