"""The approval engine: choosing a flow by its conditions and priority, resolving each kind of approver,
deciding step by step (any one approver decides), rejecting with a comment, withdrawing, and the audit."""
from __future__ import annotations

from decimal import Decimal as D

import pytest
from sqlalchemy import select

from crm_server.approvals import services
from crm_server.approvals.models import (APPROVED, CANCELLED, PENDING, QUEUED, REJECTED, WAITING, WITHDRAWN,
                                         ApprovalTask)
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.extensions import db
from crm_server.reminders.models import Reminder
from tests import factories

from .helpers import TEST_TYPE, make_flow


def approvers(request, status=WAITING) -> set[int]:
    return {task.approver_id for task in request.tasks if task.status == status}


def audit_actions(request) -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "approval_requests",
                                                                 AuditLog.entity_id == request.id)
                                   .order_by(AuditLog.id)))


def reminder_users(kind: str) -> list[int]:
    return sorted(db.session.scalars(select(Reminder.user_id).where(Reminder.kind == kind)))


# --- routing ----------------------------------------------------------------------------------

def test_amount_above_chooses_the_flow(org, docs):
    make_flow(org["admin"], "大额", [("amount", "gt", "100000")], [("manager", None)])
    assert services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], amount="100000.00")) is None
    request = services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], amount="100000.01"))
    assert request.flow_name == "大额" and request.status == PENDING and request.amount == D("100000.01")
    assert approvers(request) == {org["manager"].id}
    # a document without the value never matches
    assert services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"])) is None


def test_discount_percent_condition(org, docs):
    make_flow(org["admin"], "高折扣", [("discount_percent", "ge", "15.5")], [("manager", None)])
    assert services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], discount="15.49")) is None
    assert services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], discount="15.50")) is not None


def test_credit_rating_below_compares_by_position(org, docs):
    make_flow(org["admin"], "信用风险", [("credit_rating", "lt", "A")], [("manager", None)])
    results = {rating: services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], rating=rating))
               for rating in ("AAA", "AA", "A", "B", "C", None)}
    assert {rating for rating, request in results.items() if request is not None} == {"B", "C"}


def test_payment_days_and_all_conditions_must_hold(org, docs):
    make_flow(org["admin"], "长账期大额", [("payment_days", "gt", "60"), ("amount", "ge", "50000")],
              [("manager", None)])
    assert services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], payment_days=90, amount="10")) is None
    assert services.submit(org["seller"], TEST_TYPE,
                           docs.new(org["seller"], payment_days=60, amount="50000")) is None
    assert services.submit(org["seller"], TEST_TYPE,
                           docs.new(org["seller"], payment_days=61, amount="50000")) is not None


def test_choice_fact_equality(org, docs):
    flow = make_flow(org["admin"], "服务类", [("category", "eq", "Service")], [("manager", None)])
    assert flow.conditions[0].value == "service"  # typed as its label, stored as its code
    assert services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], category="goods")) is None
    assert services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], category="service")) is not None


def test_priority_order_and_inactive_flows(org, docs):
    make_flow(org["admin"], "通用", [], [("manager", None)], priority=200)
    make_flow(org["admin"], "大额总监", [("amount", "gt", "100000")], [("user", org["director"])], priority=10)
    make_flow(org["admin"], "停用的", [], [("user", org["finance"])], priority=1, is_active=False)
    big = services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], amount="200000"))
    small = services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"], amount="2000"))
    assert (big.flow_name, small.flow_name) == ("大额总监", "通用")
    assert approvers(big) == {org["director"].id} and approvers(small) == {org["manager"].id}


# --- approvers --------------------------------------------------------------------------------

def test_named_user_and_the_submitter_never_approves(org, docs):
    make_flow(org["admin"], "指定人", [], [{"approver_kind": "user", "user_id": org["seller"].id, "name": "财务复核"}])
    with pytest.raises(DomainError) as error:
        services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"]))
    assert "财务复核" in error.value.message and "指定人" in error.value.message
    request = services.submit(org["other"], TEST_TYPE, docs.new(org["other"]))
    assert approvers(request) == {org["seller"].id}


def test_manager_skips_a_disabled_manager_and_needs_one(org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    org["manager"].is_active = False
    request = services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"]))
    assert approvers(request) == {org["director"].id}
    with pytest.raises(DomainError) as error:  # the director has no manager
        services.submit(org["director"], TEST_TYPE, docs.new(org["director"]))
    assert "上级" in error.value.message


def test_department_role_goes_up_to_the_department_above_and_is_or_signed(org, docs):
    role = factories.role("sales_manager")
    make_flow(org["admin"], "部门经理", [], [("department_role", role)])
    # the seller's team has no manager of its own: both managers of the department above are asked
    request = services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"]))
    assert approvers(request) == {org["manager"].id, org["manager2"].id}
    services.decide(org["manager2"], request, True, None)
    assert request.status == APPROVED
    statuses = {task.approver_id: task.status for task in request.tasks}
    assert statuses == {org["manager2"].id: "approved", org["manager"].id: CANCELLED}
    with pytest.raises(DomainError):
        services.decide(org["manager"], request, True, None)


def test_branch_role_and_disabled_users_skipped(org, docs):
    finance_role = factories.role("finance")
    make_flow(org["admin"], "分公司财务", [], [("branch_role", finance_role)])
    other_branch_finance = factories.make_user("finance", department=factories.make_department("北京"))
    disabled = factories.make_user("finance", department=org["team"], is_active=False)
    request = services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"]))
    assert approvers(request) == {org["finance"].id}
    assert other_branch_finance.id not in approvers(request) and disabled.id not in approvers(request)


def test_a_step_resolving_to_nobody_is_refused(org, docs):
    make_flow(org["admin"], "客服复核", [], [{"approver_kind": "department_role",
                                          "role_id": factories.role("service").id, "name": "客服主管"}])
    with pytest.raises(DomainError) as error:
        services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"]))
    assert "客服主管" in error.value.message
    assert services.pending_request(TEST_TYPE, 1) is None


# --- deciding ---------------------------------------------------------------------------------

def test_multi_step_approval_with_reminders_events_and_audit(org, docs):
    make_flow(org["admin"], "两级", [], [("manager", None), ("user", org["director"])])
    doc = docs.new(org["seller"], amount="88000.50")
    request = services.submit(org["seller"], TEST_TYPE, doc)
    assert request.step_count == 2 and approvers(request) == {org["manager"].id}
    assert approvers(request, QUEUED) == {org["director"].id}
    assert reminder_users("approval_task") == [org["manager"].id]
    with pytest.raises(DomainError):  # not their turn yet
        services.decide(org["director"], request, True, None)
    services.decide(org["manager"], request, True, "同意")
    assert request.status == PENDING and request.current_position == 2 and doc.calls == []
    assert approvers(request) == {org["director"].id}
    assert reminder_users("approval_task") == sorted([org["manager"].id, org["director"].id])
    services.decide(org["director"], request, True, None)
    assert request.status == APPROVED and request.decided_at is not None
    assert doc.calls == [("approved", org["director"].id)]
    assert reminder_users("approval_result") == [org["seller"].id]
    assert [(e.action, e.position, e.actor_id, e.comment) for e in request.events] == [
        ("submitted", None, org["seller"].id, None), ("approved", 1, org["manager"].id, "同意"),
        ("approved", 2, org["director"].id, None)]
    assert audit_actions(request) == ["approval.submitted", "approval.step_approved", "approval.approved"]


def test_reject_needs_a_comment_and_ends_the_request(org, docs):
    make_flow(org["admin"], "两级", [], [("manager", None), ("user", org["director"])])
    doc = docs.new(org["seller"])
    request = services.submit(org["seller"], TEST_TYPE, doc)
    with pytest.raises(DomainError) as error:
        services.decide(org["manager"], request, False, "  ")
    assert error.value.field == "comment"
    services.decide(org["manager"], request, False, "价格太低")
    assert request.status == REJECTED and doc.calls == [("rejected", org["manager"].id, "价格太低")]
    assert {task.status for task in request.tasks if task.position == 2} == {CANCELLED}
    assert audit_actions(request) == ["approval.submitted", "approval.rejected"]
    reminder = db.session.scalar(select(Reminder).where(Reminder.kind == "approval_result"))
    assert reminder.user_id == org["seller"].id and "价格太低" in reminder.title
    with pytest.raises(DomainError):
        services.decide(org["director"], request, True, None)
    # submitted again: a new request, the old one stays in the timeline
    again = services.submit(org["seller"], TEST_TYPE, doc)
    assert [r.id for r in services.requests_of(TEST_TYPE, doc.id)] == [again.id, request.id]


def test_withdraw_by_the_submitter_only(org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    doc = docs.new(org["seller"])
    request = services.submit(org["seller"], TEST_TYPE, doc)
    with pytest.raises(DomainError):
        services.submit(org["seller"], TEST_TYPE, doc)  # already pending
    with pytest.raises(DomainError):
        services.withdraw(org["manager"], request)
    services.withdraw(org["seller"], request)
    assert request.status == WITHDRAWN and doc.calls == [("withdrawn", org["seller"].id)]
    assert {task.status for task in request.tasks} == {CANCELLED}
    assert audit_actions(request) == ["approval.submitted", "approval.withdrawn"]
    with pytest.raises(DomainError):
        services.decide(org["manager"], request, True, None)


def test_owner_is_not_asked_when_someone_else_submits(org, docs):
    make_flow(org["admin"], "部门经理", [], [("department_role", factories.role("sales_manager"))])
    doc = docs.new(org["manager"])  # the manager's own document, submitted by the director
    request = services.submit(org["director"], TEST_TYPE, doc)
    assert approvers(request) == {org["manager2"].id}
    services.withdraw(org["manager"], request)  # the owner may withdraw it too
    assert request.status == WITHDRAWN


def test_a_later_step_whose_approver_was_disabled_asks_the_flow_again(org, docs):
    make_flow(org["admin"], "两级", [], [("manager", None), ("department_role", factories.role("sales_manager"))])
    request = services.submit(org["other"], TEST_TYPE, docs.new(org["other"]))
    assert approvers(request, QUEUED) == {org["manager"].id, org["manager2"].id}
    org["manager2"].is_active = False
    services.decide(org["manager"], request, True, None)
    # step 2's queued managers: manager (who already decided step 1 may decide step 2 too), manager2 disabled
    assert approvers(request) == {org["manager"].id}
    waiting = db.session.scalars(select(ApprovalTask).where(ApprovalTask.request_id == request.id,
                                                            ApprovalTask.status == WAITING)).all()
    assert [task.position for task in waiting] == [2]


def test_panel_context_and_lists(org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    mine = services.submit(org["seller"], TEST_TYPE, docs.new(org["seller"]))
    services.submit(org["other"], TEST_TYPE, docs.new(org["other"]))
    services.submit(org["manager"], TEST_TYPE, docs.new(org["manager"]))  # waits for the director
    context = services.panel_context(org["manager"], TEST_TYPE, mine.document_id)
    assert context["approval_pending"] is mine and context["approval_my_task"] is not None
    assert not context["approval_may_withdraw"]
    context = services.panel_context(org["seller"], TEST_TYPE, mine.document_id)
    assert context["approval_my_task"] is None and context["approval_may_withdraw"]
    waiting = db.session.scalars(services.waiting_for(org["manager"])).all()
    assert sorted(task.request.title for task in waiting) == sorted([mine.title, f"测试单据 {mine.document_id + 1}"])
    assert services.waiting_count(org["manager"]) == 2 and services.waiting_count(org["director"]) == 1
    assert [r.id for r in db.session.scalars(services.submitted_by(org["seller"]))] == [mine.id]
