"""审批流 rules: choosing a document's flow from its facts, resolving each step's approvers, submitting, deciding,
withdrawing, the lists of requests, and the administrators' flow editor."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, true
from sqlalchemy.orm import joinedload, selectinload

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Department, Role, User
from ..core.permissions import register_permission
from ..core.roles import role_label
from ..core.types import utcnow
from ..core.validation import clean_text
from ..extensions import db
from ..reminders.services import register_kind, remind
from .models import (APPROVED, BRANCH_ROLE, CANCELLED, DEPARTMENT_ROLE, DONE_APPROVED, DONE_REJECTED, MANAGER,
                     NAMED_USER, PENDING, QUEUED, REJECTED, WAITING, WITHDRAWN, ApprovalCondition, ApprovalEvent,
                     ApprovalFlow, ApprovalRequest, ApprovalStep, ApprovalTask)
from .registry import DOCUMENT_TYPES, DocumentType, Fact

FLOWS = register_permission("approval.flows", _l("Define approval flows"), _l("Approvals"))

audit.register_actions({
    "approval.submitted": _l("Submitted for approval"),
    "approval.step_approved": _l("Approved a step of an approval"),
    "approval.approved": _l("Approved (last step of the approval)"),
    "approval.rejected": _l("Rejected in approval"),
    "approval.withdrawn": _l("Withdrew an approval request"),
    "approval.flow_created": _l("Created an approval flow"),
    "approval.flow_updated": _l("Edited an approval flow"),
    "approval.flow_deleted": _l("Deleted an approval flow"),
    "approval.flow_activated": _l("Activated an approval flow"),
    "approval.flow_deactivated": _l("Deactivated an approval flow"),
})
register_kind("approval_task", _l("Approval waiting for me"))
register_kind("approval_result", _l("Approval result"))

REQUEST_STATUS_LABELS = {PENDING: _l("Pending approval"), APPROVED: _l("Approved"), REJECTED: _l("Rejected"),
                         WITHDRAWN: _l("Withdrawn")}
TASK_STATUS_LABELS = {WAITING: _l("Waiting"), DONE_APPROVED: _l("Approved"), DONE_REJECTED: _l("Rejected"),
                      CANCELLED: _l("Not needed"), QUEUED: _l("Later step")}
EVENT_LABELS = {"submitted": _l("Submitted"), "approved": _l("Approved"), "rejected": _l("Rejected"),
                "withdrawn": _l("Withdrawn")}
APPROVER_KINDS = {
    NAMED_USER: _l("A named user"),
    MANAGER: _l("The submitter's manager"),
    DEPARTMENT_ROLE: _l("A role in the owner's department"),
    BRANCH_ROLE: _l("A role in the owner's branch"),
}
OPERATORS = {"gt": _l("greater than (>)"), "ge": _l("at least (≥)"), "lt": _l("less than (<)"),
             "le": _l("at most (≤)"), "eq": _l("equal to (=)"), "ne": _l("not equal to (≠)")}
RATING_OPERATORS = {"gt": _l("better than"), "ge": _l("at least as good as"), "lt": _l("worse than (below)"),
                    "le": _l("no better than"), "eq": _l("equal to (=)"), "ne": _l("not equal to (≠)")}
NUMERIC_KINDS = ("money", "percent", "int")
MAX_MONEY = Decimal("9999999999999999.99")
MAX_STEPS = 10
MAX_CONDITIONS = 10
MAX_APPROVERS = 50  # a role step asks at most this many people (the first by name)
MAX_MANAGER_LEVELS = 20


# --- conditions -------------------------------------------------------------------------------

def fact_choices(fact: Fact) -> list[tuple[str, str]]:
    """(value, label) of each choice of a fact; choices are values or (value, label) pairs."""
    pairs = []
    for choice in fact.choices:
        if isinstance(choice, (tuple, list)):
            pairs.append((str(choice[0]), str(choice[1]) if len(choice) > 1 else str(choice[0])))
        else:
            pairs.append((str(choice), str(choice)))
    return pairs


def _choice_values(fact: Fact) -> list[str]:
    return [value for value, _label in fact_choices(fact)]


def operators_for(fact: Fact) -> dict:
    """The operators a condition on this fact may use: every comparison for numbers and ratings, equality for
    the other kinds (a contract type, a payment method ...)."""
    if fact.kind == "rating":
        return RATING_OPERATORS
    if fact.kind in NUMERIC_KINDS:
        return OPERATORS
    return {key: OPERATORS[key] for key in ("eq", "ne")}


def parse_value(fact: Fact, raw, field: str | None = None):
    """A condition's stored text as the value it compares with: Decimal for money and percent (two decimals at
    most), int for int, the choice itself for ratings and choices. DomainError when it does not parse."""
    text = str(raw if raw is not None else "").strip().replace(",", "").replace("，", "")
    if not text:
        raise DomainError(_("Enter the value to compare with."), field)
    if fact.kind in NUMERIC_KINDS:
        try:
            number = Decimal(text.rstrip("%"))
        except InvalidOperation:
            raise DomainError(_("Enter a number."), field) from None
        if not number.is_finite():
            raise DomainError(_("Enter a number."), field)
        if fact.kind == "int":
            if number != number.to_integral_value() or abs(number) > 10 ** 9:
                raise DomainError(_("Enter a whole number."), field)
            return int(number)
        if number != number.quantize(Decimal("0.01")):
            raise DomainError(_("At most two decimals."), field)
        if fact.kind == "percent" and abs(number) > 100:
            raise DomainError(_("Enter a percentage from -100 to 100."), field)
        if abs(number) > MAX_MONEY:
            raise DomainError(_("The number is too large."), field)
        return number
    choices = fact_choices(fact)
    if choices:
        for value, label in choices:  # the code, or its label as the administrator reads it
            if text.casefold() in (value.casefold(), label.casefold()):
                return value
        raise DomainError(_("Choose one of: %(choices)s", choices=", ".join(
            value if value == label else f"{value} ({label})" for value, label in choices)), field)
    if len(text) > 60:
        raise DomainError(_("At most %(n)d characters.", n=60), field)
    return text


def _compare(left, operator: str, right) -> bool:
    return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right,
            "eq": left == right, "ne": left != right}[operator]


def condition_holds(fact: Fact, operator: str, raw_value: str, document) -> bool:
    """Whether `fact operator value` holds for the document. A missing value (None) never holds; a rating is
    compared by its position in the fact's choices, the first being the best ("lt A" holds for B and C)."""
    value = fact.get(document)
    if value is None or operator not in operators_for(fact):
        return False
    try:
        expected = parse_value(fact, raw_value)
    except DomainError:
        return False  # a stored value that no longer parses (the fact changed kind) matches nothing
    if fact.kind in NUMERIC_KINDS:
        return _compare(Decimal(str(value)), operator, Decimal(str(expected)))
    if fact.kind == "rating":
        values = _choice_values(fact)
        if str(value) not in values:
            return False
        # The rank goes up as the rating gets better, so "lt" reads "worse than".
        return _compare(-values.index(str(value)), operator, -values.index(expected))
    return _compare(str(value).casefold(), operator, str(expected).casefold())


def flow_matches(flow: ApprovalFlow, document_type: DocumentType, document) -> bool:
    """All the flow's conditions hold (a flow without conditions matches every document of its type). A
    condition on a fact the type no longer has does not hold."""
    for condition in flow.conditions:
        fact = document_type.facts.get(condition.fact)
        if fact is None or not condition_holds(fact, condition.operator, condition.value, document):
            return False
    return True


def _document_type(code: str) -> DocumentType:
    try:
        return DOCUMENT_TYPES[code]
    except KeyError:
        raise ValueError(f"unknown approval document type {code!r}") from None


def matching_flow(document_type: str, document) -> ApprovalFlow | None:
    """The first active flow of the type, in priority order (then oldest first), whose conditions all hold."""
    kind = _document_type(document_type)
    flows = db.session.scalars(
        select(ApprovalFlow).options(selectinload(ApprovalFlow.conditions), selectinload(ApprovalFlow.steps))
        .where(ApprovalFlow.document_type == document_type, ApprovalFlow.is_active == true())
        .order_by(ApprovalFlow.priority, ApprovalFlow.id))
    for flow in flows:
        if flow_matches(flow, kind, document):
            return flow
    return None


# --- approvers --------------------------------------------------------------------------------

def _active_users(stmt: Select, excluded: set[int]) -> list[User]:
    stmt = stmt.where(User.is_active == true())
    if excluded:
        stmt = stmt.where(User.id.not_in(sorted(excluded)))
    return list(db.session.scalars(stmt.order_by(User.display_name, User.id).limit(MAX_APPROVERS)))


def _manager_chain(submitter: User, excluded: set[int]) -> list[User]:
    """The submitter's manager; when that manager is disabled (or is the document's owner), the next one up
    the reporting line."""
    seen = {submitter.id}
    manager = submitter.manager
    for _level in range(MAX_MANAGER_LEVELS):
        if manager is None or manager.id in seen:
            return []
        if manager.is_active and manager.id not in excluded:
            return [manager]
        seen.add(manager.id)
        manager = manager.manager
    return []


def _department_role(role_id: int, department: Department | None, excluded: set[int]) -> list[User]:
    """Active users of the role in the department; when it has none, in the nearest department above it."""
    seen: set[int] = set()
    while department is not None and department.id not in seen:
        seen.add(department.id)
        users = _active_users(select(User).where(User.role_id == role_id, User.department_id == department.id),
                              excluded)
        if users:
            return users
        department = department.parent
    return []


def _branch_role(role_id: int, department: Department | None, excluded: set[int]) -> list[User]:
    if department is None:
        return []
    in_branch = select(Department.id).where(Department.branch_id == department.branch_id)
    return _active_users(select(User).where(User.role_id == role_id, User.department_id.in_(in_branch)), excluded)


def resolve_step(step: ApprovalStep, submitter: User, owner: User | None) -> list[User]:
    """The users who may decide the step for this submission: never the submitter or the document's owner,
    never a disabled user. See the README for how each kind of approver is found."""
    excluded = {submitter.id} | ({owner.id} if owner is not None else set())
    base = owner or submitter
    if step.approver_kind == NAMED_USER:
        user = db.session.get(User, step.user_id) if step.user_id else None
        return [user] if user is not None and user.is_active and user.id not in excluded else []
    if step.approver_kind == MANAGER:
        return _manager_chain(submitter, excluded)
    if step.approver_kind == DEPARTMENT_ROLE and step.role_id:
        return _department_role(step.role_id, base.department, excluded)
    if step.approver_kind == BRANCH_ROLE and step.role_id:
        return _branch_role(step.role_id, base.department, excluded)
    return []


def _nobody_message(step: ApprovalStep, flow_name: str, owner: User | None) -> str:
    if step.approver_kind == NAMED_USER:
        reason = _("the named approver is disabled, or is the submitter or owner.")
    elif step.approver_kind == MANAGER:
        reason = _("the submitter has no active manager (set one under Users).")
    elif step.approver_kind == DEPARTMENT_ROLE:
        reason = _("no active user of the role %(role)s in the owner's department or the departments above it.",
                   role=role_label(step.role) if step.role else "—")
    else:
        reason = _("no active user of the role %(role)s in the owner's branch.",
                   role=role_label(step.role) if step.role else "—")
    return _("Step %(n)d (%(step)s) of the approval flow “%(flow)s” has nobody to approve it: %(reason)s",
             n=step.position, step=step.name, flow=flow_name, reason=reason)


# --- submitting and deciding ------------------------------------------------------------------

def pending_request(document_type: str, document_id: int) -> ApprovalRequest | None:
    """The document's request still waiting for a decision, if any."""
    return db.session.scalar(select(ApprovalRequest).where(
        ApprovalRequest.document_type == document_type, ApprovalRequest.document_id == document_id,
        ApprovalRequest.status == PENDING).order_by(ApprovalRequest.id.desc()).limit(1))


def requests_of(document_type: str, document_id: int) -> list[ApprovalRequest]:
    """Every request of the document, newest first, with its events and tasks (and their users) loaded."""
    return list(db.session.scalars(
        select(ApprovalRequest)
        .options(selectinload(ApprovalRequest.events).joinedload(ApprovalEvent.actor),
                 selectinload(ApprovalRequest.tasks).joinedload(ApprovalTask.approver),
                 joinedload(ApprovalRequest.submitted_by))
        .where(ApprovalRequest.document_type == document_type, ApprovalRequest.document_id == document_id)
        .order_by(ApprovalRequest.id.desc())))


def _stamp() -> tuple[dt.datetime, str]:
    now = utcnow()
    return now, f"{now:%Y%m%d%H%M%S%f}"


def _remind_approvers(request: ApprovalRequest, users: list[User], kind: DocumentType) -> None:
    now, _key = _stamp()
    title = _("%(type)s awaits your approval: %(title)s", type=kind.label, title=request.title)
    for user in users:
        remind(user.id, "approval_task", title, now,
               f"approval:{request.id}:{request.current_position}", "approvals", request.id)


def _remind_outcome(request: ApprovalRequest, actor: User, title: str) -> None:
    now, key = _stamp()
    for user_id in sorted({request.submitted_by_id, request.owner_id or request.submitted_by_id} - {actor.id}):
        remind(user_id, "approval_result", title, now, f"approval-result:{request.id}:{key}", "approvals",
               request.id)


def _event(request: ApprovalRequest, actor: User, action: str, comment: str | None = None,
           position: int | None = None, step_name: str | None = None) -> ApprovalEvent:
    event = ApprovalEvent(request=request, actor_id=actor.id, action=action, comment=comment, position=position,
                          step_name=step_name, at=utcnow())
    db.session.add(event)
    return event


def submit(actor: User, document_type: str, document) -> ApprovalRequest | None:
    """Send a document into approval: the first active flow of its type (priority order) whose conditions all
    hold is used; None when none does (the caller treats the document as approved). Every step's approvers are
    resolved now, so a step nobody can approve is refused at once (DomainError naming the step); step 1's
    approvers get a task and a reminder, later steps' wait queued. Refused while a request is pending."""
    kind = _document_type(document_type)
    if pending_request(document_type, document.id) is not None:
        raise DomainError(_("This document is already waiting for approval."))
    flow = matching_flow(document_type, document)
    if flow is None:
        return None
    if not flow.steps:
        raise DomainError(_("The approval flow “%(flow)s” has no steps: ask an administrator to fix it.",
                            flow=flow.name))
    owner_id = kind.owner_id(document) or actor.id
    owner = db.session.get(User, owner_id)
    resolved = []
    for step in flow.steps:
        users = resolve_step(step, actor, owner)
        if not users:
            raise DomainError(_nobody_message(step, flow.name, owner))
        resolved.append((step, users))
    amount = kind.amount(document)
    request = ApprovalRequest(document_type=document_type, document_id=document.id, flow_id=flow.id,
                              flow_name=flow.name, step_count=len(resolved), current_position=1, status=PENDING,
                              title=(kind.title(document) or "")[:200] or f"{kind.label} #{document.id}",
                              amount=Decimal(str(amount)) if amount is not None else None, owner_id=owner_id,
                              submitted_by_id=actor.id, submitted_at=utcnow())
    db.session.add(request)
    for position, (step, users) in enumerate(resolved, start=1):
        for user in users:
            db.session.add(ApprovalTask(request=request, position=position, step_name=step.name,
                                        approver_id=user.id, status=WAITING if position == 1 else QUEUED))
    _event(request, actor, "submitted")
    db.session.flush()
    audit.record(actor, "approval.submitted", request,
                 {"flow": [None, flow.name], "status": [None, PENDING],
                  "approvers": [None, ", ".join(user.display_name for user in resolved[0][1])]})
    _remind_approvers(request, resolved[0][1], kind)
    return request


def my_task(user: User, request: ApprovalRequest) -> ApprovalTask | None:
    """The user's waiting task on the request's current step, if any."""
    if request.status != PENDING:
        return None
    return db.session.scalar(select(ApprovalTask).where(
        ApprovalTask.request_id == request.id, ApprovalTask.position == request.current_position,
        ApprovalTask.approver_id == user.id, ApprovalTask.status == WAITING).limit(1))


def _load(kind: DocumentType, request: ApprovalRequest):
    document = kind.load(request.document_id)
    if document is None:
        raise DomainError(_("The document of this approval no longer exists."))
    return document


def _step_name(request: ApprovalRequest, position: int) -> str | None:
    for task in request.tasks:
        if task.position == position:
            return task.step_name
    return None


def _open_next_step(request: ApprovalRequest, kind: DocumentType, document) -> list[User]:
    """Make the queued approvers of the new current step wait (those still active); when all have been
    disabled since the submission, ask the flow's step again if the flow still has it."""
    position = request.current_position
    queued = [task for task in request.tasks if task.position == position and task.status == QUEUED]
    users = []
    for task in queued:
        if task.approver.is_active:
            task.status = WAITING
            task.created_at = utcnow()
            users.append(task.approver)
        else:
            task.status = CANCELLED
    if users:
        return users
    flow = request.flow
    step = next((s for s in flow.steps if s.position == position), None) if flow is not None else None
    if step is not None:
        submitter = db.session.get(User, request.submitted_by_id)
        owner = db.session.get(User, request.owner_id) if request.owner_id else None
        for user in resolve_step(step, submitter, owner):
            db.session.add(ApprovalTask(request=request, position=position, step_name=step.name,
                                        approver_id=user.id, status=WAITING))
            users.append(user)
    if not users:
        name = _step_name(request, position) or (step.name if step is not None else str(position))
        raise DomainError(_("Nobody can approve step %(n)d (%(step)s) any more: its approvers have been disabled. "
                            "The submitter should withdraw the request and submit it again.", n=position, step=name))
    return users


def decide(actor: User, request: ApprovalRequest, approve: bool, comment: str | None) -> ApprovalRequest:
    """The actor decides the current step (any one of its approvers decides for all: the others' tasks are
    closed). Approving the last step approves the request and calls the type's on_approved; rejecting (a
    comment is required) ends it and calls on_rejected; the submitter is reminded of the outcome, the next
    step's approvers of their turn."""
    kind = _document_type(request.document_type)
    if request.status != PENDING:
        raise DomainError(_("This request is no longer waiting for approval."))
    task = my_task(actor, request)
    if task is None:
        raise DomainError(_("This request is not waiting for your approval."))
    comment = clean_text(comment, 500, "comment", required=not approve)
    document = _load(kind, request)
    now = utcnow()
    position = request.current_position
    task.status = DONE_APPROVED if approve else DONE_REJECTED
    task.decided_at = now
    for other in request.tasks:
        if other is not task and other.position == position and other.status == WAITING:
            other.status = CANCELLED
            other.decided_at = now
    _event(request, actor, "approved" if approve else "rejected", comment, position, task.step_name)
    changes = {"step": [None, f"{position}/{request.step_count} {task.step_name}"]}
    if comment:
        changes["comment"] = [None, comment]
    if not approve:
        request.status = REJECTED
        request.decided_at = now
        _cancel_queued(request, now)
        db.session.flush()
        audit.record(actor, "approval.rejected", request, dict(changes, status=[PENDING, REJECTED]))
        kind.on_rejected(actor, document, comment)
        _remind_outcome(request, actor, _("%(title)s was rejected by %(name)s: %(comment)s", title=request.title,
                                          name=actor.display_name, comment=comment))
    elif position >= request.step_count:
        request.status = APPROVED
        request.decided_at = now
        db.session.flush()
        audit.record(actor, "approval.approved", request, dict(changes, status=[PENDING, APPROVED]))
        kind.on_approved(actor, document)
        _remind_outcome(request, actor, _("%(title)s was approved by %(name)s", title=request.title,
                                          name=actor.display_name))
    else:
        request.current_position = position + 1
        users = _open_next_step(request, kind, document)
        db.session.flush()
        audit.record(actor, "approval.step_approved", request, changes)
        _remind_approvers(request, users, kind)
    db.session.flush()
    return request


def _cancel_queued(request: ApprovalRequest, now: dt.datetime) -> None:
    for task in request.tasks:
        if task.status in (WAITING, QUEUED):
            task.status = CANCELLED
            task.decided_at = now


def may_withdraw(user: User, request: ApprovalRequest) -> bool:
    return request.status == PENDING and user.id in (request.submitted_by_id, request.owner_id)


def withdraw(actor: User, request: ApprovalRequest) -> ApprovalRequest:
    """The submitter (or the document's owner) takes a pending request back; the type's on_withdrawn runs."""
    kind = _document_type(request.document_type)
    if request.status != PENDING:
        raise DomainError(_("This request is no longer waiting for approval."))
    if not may_withdraw(actor, request):
        raise DomainError(_("Only the submitter or the document's owner may withdraw the request."))
    document = _load(kind, request)
    now = utcnow()
    request.status = WITHDRAWN
    request.decided_at = now
    _cancel_queued(request, now)
    _event(request, actor, "withdrawn")
    db.session.flush()
    audit.record(actor, "approval.withdrawn", request, {"status": [PENDING, WITHDRAWN]})
    kind.on_withdrawn(actor, document)
    return request


# --- what a user sees -------------------------------------------------------------------------

def involves(user: User, request: ApprovalRequest) -> bool:
    """The user submitted or owns the document of the request, or is (or was) one of its approvers."""
    if user.id in (request.submitted_by_id, request.owner_id):
        return True
    return db.session.scalar(select(ApprovalTask.id).where(ApprovalTask.request_id == request.id,
                                                           ApprovalTask.approver_id == user.id).limit(1)) is not None


def can_view_document(user: User, request: ApprovalRequest):
    """The document if it still exists and the user may open its page (its own domain's scope), else None."""
    kind = DOCUMENT_TYPES.get(request.document_type)
    document = kind.load(request.document_id) if kind is not None else None
    if document is None or not kind.can_view(user, document):
        return None
    return document


def get_request(user: User, request_id: int) -> ApprovalRequest | None:
    """The request if the user is involved in it or may see its document; None otherwise (a 404)."""
    request = db.session.scalar(select(ApprovalRequest).options(
        selectinload(ApprovalRequest.events).joinedload(ApprovalEvent.actor),
        selectinload(ApprovalRequest.tasks).joinedload(ApprovalTask.approver),
        joinedload(ApprovalRequest.submitted_by)).where(ApprovalRequest.id == request_id))
    if request is None or request.document_type not in DOCUMENT_TYPES:
        return None
    if involves(user, request) or can_view_document(user, request) is not None:
        return request
    return None


def document_url(user: User, request: ApprovalRequest) -> str | None:
    """The document's page if the user may open it."""
    document = can_view_document(user, request)
    return DOCUMENT_TYPES[request.document_type].url(document) if document is not None else None


def panel_context(user: User, document_type: str, document_id: int) -> dict:
    """What `approvals/_panel.html` needs: every request of the document with its timeline, the pending one,
    the user's waiting task on it and whether the user may withdraw it."""
    requests = requests_of(document_type, document_id)
    pending = next((request for request in requests if request.status == PENDING), None)
    task = None
    if pending is not None:
        task = next((t for t in pending.tasks if t.position == pending.current_position
                     and t.approver_id == user.id and t.status == WAITING), None)
    return {"approval_requests": requests, "approval_pending": pending, "approval_my_task": task,
            "approval_may_withdraw": pending is not None and may_withdraw(user, pending)}


def timeline_labels() -> dict:
    """Labels the panel and the request page show."""
    return {"approval_status_labels": REQUEST_STATUS_LABELS, "approval_task_labels": TASK_STATUS_LABELS,
            "approval_event_labels": EVENT_LABELS, "approval_type_labels": type_labels()}


def type_labels() -> dict:
    return {code: kind.label for code, kind in DOCUMENT_TYPES.items()}


def waiting_for(user: User) -> Select:
    """The user's tasks waiting for a decision, the longest-waiting first (ordered for paginate)."""
    return (select(ApprovalTask)
            .options(joinedload(ApprovalTask.request).joinedload(ApprovalRequest.submitted_by))
            .where(ApprovalTask.approver_id == user.id, ApprovalTask.status == WAITING)
            .order_by(ApprovalTask.created_at, ApprovalTask.id))


def waiting_count(user: User) -> int:
    return db.session.scalar(select(func.count(ApprovalTask.id)).where(ApprovalTask.approver_id == user.id,
                                                                       ApprovalTask.status == WAITING)) or 0


def submitted_by(user: User, status: str | None = None) -> Select:
    """The requests the user submitted, newest first (ordered for paginate)."""
    stmt = select(ApprovalRequest).where(ApprovalRequest.submitted_by_id == user.id)
    if status in REQUEST_STATUS_LABELS:
        stmt = stmt.where(ApprovalRequest.status == status)
    return stmt.order_by(ApprovalRequest.submitted_at.desc(), ApprovalRequest.id.desc())


def waiting_approvers(requests: list[ApprovalRequest]) -> dict[int, list[str]]:
    """{request id: names of the approvers the current step waits for}, in one query for a page of requests."""
    pending = [request.id for request in requests if request.status == PENDING]
    result: dict[int, list[str]] = {}
    if not pending:
        return result
    rows = db.session.execute(
        select(ApprovalTask.request_id, User.display_name).join(User, ApprovalTask.approver_id == User.id)
        .where(ApprovalTask.request_id.in_(pending), ApprovalTask.status == WAITING)
        .order_by(ApprovalTask.request_id, User.display_name, User.id))
    for request_id, name in rows:
        result.setdefault(request_id, []).append(name)
    return result


# --- the flow editor --------------------------------------------------------------------------

@dataclass
class ConditionInput:
    fact: str | None = None
    operator: str | None = None
    value: str | None = None

    def is_blank(self) -> bool:
        return not (self.fact or (self.value or "").strip())


@dataclass
class StepInput:
    name: str | None = None
    approver_kind: str | None = None
    user_id: int | None = None
    role_id: int | None = None

    def is_blank(self) -> bool:
        return not ((self.name or "").strip() or self.approver_kind)


def _check_admin(actor: User) -> None:
    if not actor.can(FLOWS):
        raise DomainError(_("You may not define approval flows."))


def _conditions(kind: DocumentType, rows: list) -> list[ApprovalCondition]:
    result = []
    for index, row in enumerate(rows):
        row = row if isinstance(row, ConditionInput) else ConditionInput(**row)
        if row.is_blank():
            continue
        field = f"conditions-{index}"
        fact = kind.facts.get(row.fact or "")
        if fact is None:
            raise DomainError(_("Choose a fact of this document type."), f"{field}-fact")
        if row.operator not in operators_for(fact):
            raise DomainError(_("Choose a comparison this fact allows."), f"{field}-operator")
        value = parse_value(fact, row.value, f"{field}-value")
        result.append(ApprovalCondition(fact=row.fact, operator=row.operator, value=str(value)))
    if len(result) > MAX_CONDITIONS:
        raise DomainError(_("At most %(n)d conditions.", n=MAX_CONDITIONS))
    return result


def _steps(rows: list) -> list[ApprovalStep]:
    result = []
    for index, row in enumerate(rows):
        row = row if isinstance(row, StepInput) else StepInput(**row)
        if row.is_blank():
            continue
        field = f"steps-{index}"
        if row.approver_kind not in APPROVER_KINDS:
            raise DomainError(_("Choose who approves this step."), f"{field}-approver_kind")
        user_id = role_id = None
        if row.approver_kind == NAMED_USER:
            user = db.session.get(User, row.user_id) if row.user_id else None
            if user is None or not user.is_active:
                raise DomainError(_("Choose the user who approves this step."), f"{field}-user_id")
            user_id = user.id
        elif row.approver_kind in (DEPARTMENT_ROLE, BRANCH_ROLE):
            role = db.session.get(Role, row.role_id) if row.role_id else None
            if role is None:
                raise DomainError(_("Choose the role that approves this step."), f"{field}-role_id")
            role_id = role.id
        name = clean_text(row.name, 100, f"{field}-name")
        if name is None:
            name = _default_step_name(row.approver_kind, user_id, role_id)
        result.append(ApprovalStep(position=len(result) + 1, name=name, approver_kind=row.approver_kind,
                                   user_id=user_id, role_id=role_id))
    if not result:
        raise DomainError(_("A flow needs at least one step."), "steps")
    if len(result) > MAX_STEPS:
        raise DomainError(_("At most %(n)d steps.", n=MAX_STEPS), "steps")
    return result


def _default_step_name(approver_kind: str, user_id: int | None, role_id: int | None) -> str:
    if user_id:
        return db.session.get(User, user_id).display_name[:100]
    if role_id:
        return role_label(db.session.get(Role, role_id))[:100]
    return str(APPROVER_KINDS[approver_kind])[:100]


def describe_condition(kind: DocumentType | None, condition: ApprovalCondition) -> str:
    fact = kind.facts.get(condition.fact) if kind is not None else None
    if fact is None:
        return f"{condition.fact} {condition.operator} {condition.value}"
    operators = operators_for(fact)
    return f"{fact.label} {operators.get(condition.operator, condition.operator)} {condition.value}"


def describe_step(step: ApprovalStep) -> str:
    if step.approver_kind == NAMED_USER:
        who = step.user.display_name if step.user else "—"
    elif step.approver_kind in (DEPARTMENT_ROLE, BRANCH_ROLE):
        who = f"{APPROVER_KINDS[step.approver_kind]}: {role_label(step.role) if step.role else '—'}"
    else:
        who = str(APPROVER_KINDS.get(step.approver_kind, step.approver_kind))
    return f"{step.position}. {step.name} ({who})"


def _flow_state(flow: ApprovalFlow) -> dict:
    kind = DOCUMENT_TYPES.get(flow.document_type)
    state = audit.snapshot(flow, ("name", "priority", "is_active", "description"))
    state["conditions"] = "; ".join(describe_condition(kind, c) for c in flow.conditions) or None
    state["steps"] = "; ".join(describe_step(s) for s in flow.steps) or None
    return state


def save_flow(actor: User, flow: ApprovalFlow | None, *, document_type: str, name: str | None, priority,
              is_active: bool = True, description: str | None = None, conditions: list = (),
              steps: list = ()) -> ApprovalFlow:
    """Create (flow None) or replace a flow with its conditions and ordered steps, validated: each condition's
    fact belongs to the document type, its comparison suits the fact and its value parses; at least one
    step; a named-user step names an active user, a role step a role. Requests already under way keep the
    approvers they were given."""
    _check_admin(actor)
    if document_type not in DOCUMENT_TYPES:
        raise DomainError(_("Choose a document type."), "document_type")
    kind = DOCUMENT_TYPES[document_type]
    name = clean_text(name, 100, "name", required=True)
    try:
        priority = int(str(priority).strip()) if priority not in (None, "") else 100
    except ValueError:
        raise DomainError(_("Enter a whole number."), "priority") from None
    if not 0 <= priority <= 9999:
        raise DomainError(_("Enter a number from %(low)s to %(high)s.", low=0, high=9999), "priority")
    description = clean_text(description, 500, "description")
    new_conditions = _conditions(kind, list(conditions))
    new_steps = _steps(list(steps))
    created = flow is None
    before = {} if created else _flow_state(flow)
    if created:
        flow = ApprovalFlow(document_type=document_type)
        db.session.add(flow)
    flow.name = name
    flow.priority = priority
    flow.is_active = bool(is_active)
    flow.description = description
    flow.conditions = new_conditions
    flow.steps = new_steps
    db.session.flush()
    changes = audit.diff(before, _flow_state(flow))
    if created or changes:
        audit.record(actor, "approval.flow_created" if created else "approval.flow_updated", flow, changes)
    return flow


def set_flow_active(actor: User, flow: ApprovalFlow, active: bool) -> bool:
    _check_admin(actor)
    if flow.is_active == active:
        return False
    flow.is_active = active
    db.session.flush()
    audit.record(actor, "approval.flow_activated" if active else "approval.flow_deactivated", flow,
                 {"is_active": [not active, active]})
    return True


def delete_flow(actor: User, flow: ApprovalFlow) -> None:
    """Delete a flow. Its requests stay (they keep the flow's name and their approvers; pending ones go on)."""
    _check_admin(actor)
    audit.record(actor, "approval.flow_deleted", flow,
                 {key: [value, None] for key, value in _flow_state(flow).items() if value is not None})
    db.session.execute(ApprovalRequest.__table__.update().where(ApprovalRequest.flow_id == flow.id)
                       .values(flow_id=None))
    db.session.delete(flow)
    db.session.flush()


def flows_of(document_type: str) -> list[ApprovalFlow]:
    """A type's flows in the order they are tried (a handful per type: an administrator's configuration)."""
    return list(db.session.scalars(
        select(ApprovalFlow).options(selectinload(ApprovalFlow.conditions),
                                     selectinload(ApprovalFlow.steps).joinedload(ApprovalStep.user),
                                     selectinload(ApprovalFlow.steps).joinedload(ApprovalStep.role))
        .where(ApprovalFlow.document_type == document_type)
        .order_by(ApprovalFlow.is_active.desc(), ApprovalFlow.priority, ApprovalFlow.id)))


def flow_counts() -> dict[str, int]:
    rows = db.session.execute(select(ApprovalFlow.document_type, func.count(ApprovalFlow.id))
                              .group_by(ApprovalFlow.document_type))
    return {code: count for code, count in rows}


def user_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(User.id, User.display_name, User.username).where(User.is_active == true())
                              .order_by(User.display_name, User.id).limit(2000))
    return [(row.id, f"{row.display_name} ({row.username})") for row in rows]


def role_choices() -> list[tuple[int, str]]:
    return [(role.id, role_label(role)) for role in db.session.scalars(select(Role).order_by(Role.name, Role.id))]
