"""Approval pages over HTTP: waiting for me, submitted by me, the request page, deciding by id (404/403 for
others), reject needing a comment shown beside the field, CSRF, and the administrators' flow editor."""
from __future__ import annotations

from sqlalchemy import select

from crm_server.approvals import services
from crm_server.approvals.models import APPROVED, PENDING, REJECTED, WITHDRAWN, ApprovalFlow
from crm_server.core.audit import AuditLog
from crm_server.extensions import db
from tests import factories

from .helpers import TEST_TYPE, make_flow


def submit(org, docs, who="seller", **kw):
    request = services.submit(org[who], TEST_TYPE, docs.new(org[who], **kw))
    db.session.commit()
    return request


def test_waiting_for_me_lists_exactly_my_turns(client, login_as, org, docs):
    make_flow(org["admin"], "两级", [], [("manager", None), ("user", org["director"])])
    mine = submit(org, docs, amount="1234.50")
    other = submit(org, docs, who="other")
    own = submit(org, docs, who="manager")  # the manager's own: waits for the director, not for the manager
    login_as(org["manager"])
    page = client.get("/approvals/").get_data(as_text=True)
    assert f'id="waiting-{mine.id}"' in page and f'id="waiting-{other.id}"' in page
    assert f'id="waiting-{own.id}"' not in page and "1,234.50" in page
    login_as(org["director"])
    page = client.get("/approvals/").get_data(as_text=True)
    # step 2 is queued, not yet the director's turn
    assert f'id="waiting-{own.id}"' in page and f'id="waiting-{mine.id}"' not in page
    login_as(org["seller"])
    page = client.get("/approvals/").get_data(as_text=True)
    assert 'id="waiting-' not in page
    page = client.get("/approvals/submitted").get_data(as_text=True)
    assert f'id="submitted-{mine.id}"' in page and f'id="submitted-{other.id}"' not in page
    assert "王经理" in page  # who it waits for
    assert 'id="submitted-' not in client.get("/approvals/submitted?status=approved").get_data(as_text=True)


def test_approve_over_http_redirects_to_the_document(client, login_as, org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    request = submit(org, docs)
    login_as(org["manager"])
    page = client.get(f"/approvals/requests/{request.id}").get_data(as_text=True)
    assert 'id="approval-approve"' in page and 'id="approval-withdraw"' not in page
    response = client.post(f"/approvals/requests/{request.id}/approve", data={"comment": "同意"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/test-docs/{request.document_id}")
    db.session.refresh(request)
    assert request.status == APPROVED


def test_reject_without_a_comment_shows_the_error_beside_the_field(client, login_as, org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    request = submit(org, docs)
    login_as(org["manager"])
    response = client.post(f"/approvals/requests/{request.id}/reject", data={"comment": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="approval-comment-error"' in page and "is-invalid" in page
    db.session.refresh(request)
    assert request.status == PENDING
    client.post(f"/approvals/requests/{request.id}/reject", data={"comment": "资料不全"})
    db.session.refresh(request)
    assert request.status == REJECTED and request.events[-1].comment == "资料不全"


def test_others_cannot_decide_by_id(client, login_as, org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    request = submit(org, docs)
    login_as(org["far"])  # another department: neither involved nor able to see the document
    assert client.get(f"/approvals/requests/{request.id}").status_code == 404
    assert client.post(f"/approvals/requests/{request.id}/approve", data={}).status_code == 404
    assert client.post(f"/approvals/requests/{request.id}/withdraw", data={}).status_code == 404
    login_as(org["director"])  # sees the document (scope: all) but is not an approver of this step
    assert client.get(f"/approvals/requests/{request.id}").status_code == 200
    assert client.post(f"/approvals/requests/{request.id}/approve", data={}).status_code == 403
    assert client.post(f"/approvals/requests/{request.id}/withdraw", data={}).status_code == 403
    login_as(org["seller"])  # the submitter cannot approve their own
    assert client.post(f"/approvals/requests/{request.id}/approve", data={}).status_code == 403
    assert client.get("/approvals/requests/999999").status_code == 404
    db.session.refresh(request)
    assert request.status == PENDING


def test_withdraw_over_http(client, login_as, org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    request = submit(org, docs)
    login_as(org["seller"])
    assert 'id="approval-withdraw"' in client.get(f"/approvals/requests/{request.id}").get_data(as_text=True)
    assert client.post(f"/approvals/requests/{request.id}/withdraw").status_code == 302
    db.session.refresh(request)
    assert request.status == WITHDRAWN


def test_decisions_need_the_csrf_token(app, client, login_as, org, docs):
    make_flow(org["admin"], "上级", [], [("manager", None)])
    request = submit(org, docs)
    login_as(org["manager"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(f"/approvals/requests/{request.id}/approve", data={"comment": "ok"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400
    db.session.refresh(request)
    assert request.status == PENDING


# --- the flow editor --------------------------------------------------------------------------

def flow_data(**overrides) -> dict:
    data = {"name": "大额合同", "priority": "10", "is_active": "y", "description": "",
            "conditions-0-fact": "amount", "conditions-0-operator": "gt", "conditions-0-value": "100,000",
            "conditions-1-fact": "", "conditions-1-operator": "", "conditions-1-value": "",
            "steps-0-name": "", "steps-0-approver_kind": "manager", "steps-0-user_id": "", "steps-0-role_id": "",
            "steps-1-name": "总监", "steps-1-approver_kind": "user", "steps-1-user_id": "", "steps-1-role_id": "",
            "steps-2-name": "", "steps-2-approver_kind": "", "steps-2-user_id": "", "steps-2-role_id": ""}
    data.update(overrides)
    return data


def test_only_administrators_edit_flows(client, login_as, org, docs):
    login_as(org["director"])
    assert client.get("/approvals/flows/").status_code == 403
    assert client.get(f"/approvals/flows/new?type={TEST_TYPE}").status_code == 403
    login_as(org["admin"])
    page = client.get(f"/approvals/flows/?type={TEST_TYPE}").get_data(as_text=True)
    assert 'id="new-flow"' in page
    assert 'href="/approvals/flows/"' in client.get("/approvals/").get_data(as_text=True)  # the sidebar entry


def test_flow_editor_creates_edits_toggles_and_deletes(client, login_as, org, docs):
    login_as(org["admin"])
    url = f"/approvals/flows/new?type={TEST_TYPE}"
    assert 'id="step-row-1"' in client.get(url).get_data(as_text=True)
    response = client.post(url, data=flow_data(**{"steps-1-user_id": str(org["director"].id)}))
    assert response.status_code == 302
    flow = db.session.scalar(select(ApprovalFlow))
    assert (flow.name, flow.priority, flow.document_type) == ("大额合同", 10, TEST_TYPE)
    assert [(c.fact, c.operator, c.value) for c in flow.conditions] == [("amount", "gt", "100000")]
    assert [(s.position, s.approver_kind, s.user_id) for s in flow.steps] == [
        (1, "manager", None), (2, "user", org["director"].id)]
    page = client.get(f"/approvals/flows/?type={TEST_TYPE}").get_data(as_text=True)
    assert f'id="flow-{flow.id}"' in page and "孙总监" in page and "100000" in page
    page = client.get(f"/approvals/flows/{flow.id}/edit").get_data(as_text=True)
    assert 'value="大额合同"' in page and 'value="100000"' in page
    data = flow_data(**{"steps-1-user_id": "", "steps-1-approver_kind": "branch_role",
                        "steps-1-role_id": str(factories.role("finance").id), "conditions-0-value": "200000"})
    assert client.post(f"/approvals/flows/{flow.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    flow = db.session.get(ApprovalFlow, flow.id)
    assert flow.conditions[0].value == "200000" and flow.steps[1].approver_kind == "branch_role"
    client.post(f"/approvals/flows/{flow.id}/active", data={"active": "0"})
    db.session.refresh(flow)
    assert not flow.is_active
    client.post(f"/approvals/flows/{flow.id}/delete")
    assert db.session.scalar(select(ApprovalFlow)) is None
    actions = list(db.session.scalars(select(AuditLog.action).where(AuditLog.entity_type == "approval_flows")
                                      .order_by(AuditLog.id)))
    assert actions == ["approval.flow_created", "approval.flow_updated", "approval.flow_deactivated",
                       "approval.flow_deleted"]


def test_flow_editor_validation_beside_the_fields(client, login_as, org, docs):
    org["admin"].language = "en"
    login_as(org["admin"])
    url = f"/approvals/flows/new?type={TEST_TYPE}"
    cases = [
        ({"conditions-0-fact": "nonsense"}, "conditions-0-fact", "Choose a fact of this document type."),
        ({"conditions-0-fact": "category", "conditions-0-operator": "gt", "conditions-0-value": "goods"},
         "conditions-0-operator", "Choose a comparison this fact allows."),
        ({"conditions-0-value": "十万"}, "conditions-0-value", "Enter a number."),
        ({"conditions-0-value": "1.005"}, "conditions-0-value", "At most two decimals."),
        ({"conditions-0-fact": "credit_rating", "conditions-0-operator": "lt", "conditions-0-value": "D"},
         "conditions-0-value", "Choose one of: AAA, AA, A, B, C"),
        ({"conditions-0-fact": "payment_days", "conditions-0-value": "30.5"}, "conditions-0-value",
         "Enter a whole number."),
        ({"steps-1-user_id": ""}, "steps-1-user_id", "Choose the user who approves this step."),
        ({"steps-1-approver_kind": "department_role"}, "steps-1-role_id", "Choose the role that approves this step."),
        ({"steps-0-approver_kind": "", "steps-1-approver_kind": "", "steps-1-name": ""}, "steps-error",
         "A flow needs at least one step."),
        ({"name": ""}, "name", "This field is required."),
        ({"priority": "abc", "steps-1-user_id": str(org["director"].id)}, "priority", "Enter a whole number."),
    ]
    for overrides, field_id, message in cases:
        response = client.post(url, data=flow_data(**overrides))
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and message in page, (overrides, message)
        if field_id == "steps-error":
            assert 'id="steps-error"' in page
        else:
            at = page.index(f'id="{field_id}"')
            tag = page[page.rindex("<", 0, at):page.index(">", at)]
            assert "is-invalid" in tag, (overrides, field_id)
            assert message in page[at:at + 1500], (overrides, field_id)  # the message follows its field
    assert db.session.scalar(select(ApprovalFlow)) is None
