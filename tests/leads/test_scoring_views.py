"""The lead scoring page as an administrator uses it, and what other roles get (403, nothing changed)."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from crm_server.core.audit import AuditLog
from crm_server.extensions import db
from crm_server.leads import scoring
from crm_server.leads.models import Lead
from crm_server.leads.scoring import LeadScoringRule
from crm_server.leads.services import create_lead

from .. import factories
from .test_scoring import only_rules


def text(response) -> str:
    return response.get_data(as_text=True)


def rule_count() -> int:
    return db.session.scalar(select(func.count(LeadScoringRule.id)))


def test_the_administrator_sees_the_rules_and_the_menu_entry(client, login_as):
    login_as("admin")
    page = text(client.get("/leads/scoring"))
    assert 'href="/leads/scoring"' in page  # in the sidebar
    assert 'id="rules-table"' in page
    for rule in scoring.list_rules():
        assert f'id="rule-{rule.id}"' in page
    assert re.search(r'<input[^>]*id="grade_a"[^>]*value="80"', page)


def test_adding_editing_and_deleting_a_rule(client, login_as):
    admin = login_as("admin")
    only_rules()
    db.session.commit()
    industry = factories.dictionary_item("customer_industry", "信息技术")
    response = client.post("/leads/scoring/rules/new", data={
        "condition": f"industry:{industry.id}", "points": "15", "is_active": "y"})
    assert response.status_code == 302
    rule = db.session.scalar(select(LeadScoringRule))
    assert (rule.criterion, rule.item_id, rule.points, rule.is_active) == ("industry", industry.id, 15, True)
    page = text(client.get("/leads/scoring"))
    assert f'id="rule-{rule.id}"' in page and "信息技术" in page and 'id="scores-stale"' in page

    response = client.post(f"/leads/scoring/rules/{rule.id}/edit", data={
        "condition": "budget:", "min_amount": "300000", "points": "-5"})
    assert response.status_code == 302
    db.session.refresh(rule)
    assert (rule.criterion, rule.item_id, str(rule.min_amount), rule.points, rule.is_active) == (
        "budget", None, "300000.00", -5, False)

    # a budget rule without an amount is refused beside the field, nothing saved
    response = client.post(f"/leads/scoring/rules/{rule.id}/edit", data={"condition": "budget:", "points": "5"})
    assert response.status_code == 200 and 'id="min_amount"' in text(response) and "is-invalid" in text(response)
    db.session.refresh(rule)
    assert rule.points == -5

    assert client.post(f"/leads/scoring/rules/{rule.id}/delete").status_code == 302
    assert rule_count() == 0
    actions = set(db.session.scalars(select(AuditLog.action).where(AuditLog.actor_id == admin.id)))
    assert {"lead.scoring_rule_created", "lead.scoring_rule_updated", "lead.scoring_rule_deleted"} <= actions


def test_thresholds_and_recompute_grade_existing_leads(client, login_as):
    login_as("admin")
    only_rules((scoring.FILLED, "mobile", 45))
    seller = factories.make_user("sales")
    lead = create_lead(seller, name="赵总", mobile="13812345678")
    db.session.commit()
    assert (lead.score, lead.grade) == (45, "C")
    bad = client.post("/leads/scoring/thresholds", data={"grade_a": "40", "grade_b": "60", "grade_c": "20"})
    assert bad.status_code == 200 and "invalid-feedback" in text(bad) and scoring.thresholds()["A"] == 80
    assert client.post("/leads/scoring/thresholds", data={
        "grade_a": "45", "grade_b": "30", "grade_c": "10"}).status_code == 302
    assert scoring.thresholds() == {"A": 45, "B": 30, "C": 10}
    db.session.refresh(lead)
    assert lead.grade == "C"  # existing leads keep their grade until recomputed
    assert client.post("/leads/scoring/recompute").status_code == 302
    assert db.session.scalar(select(Lead.grade).where(Lead.id == lead.id)) == "A"
    assert 'id="scores-stale"' not in text(client.get("/leads/scoring"))


def test_a_salesperson_or_manager_cannot_see_or_change_the_rules(client, login_as):
    only_rules((scoring.FILLED, "mobile", 10))
    db.session.commit()
    rule = db.session.scalar(select(LeadScoringRule))
    for role in ("sales", "sales_manager"):
        login_as(role)
        assert 'href="/leads/scoring"' not in text(client.get("/"))
        assert client.get("/leads/scoring").status_code == 403
        assert client.post("/leads/scoring/rules/new", data={"condition": "urgency:high", "points": "50"}
                           ).status_code == 403
        assert client.post(f"/leads/scoring/rules/{rule.id}/edit", data={"condition": "urgency:high",
                                                                         "points": "50"}).status_code == 403
        assert client.post(f"/leads/scoring/rules/{rule.id}/delete").status_code == 403
        assert client.post("/leads/scoring/thresholds", data={"grade_a": "2", "grade_b": "1",
                                                              "grade_c": "0"}).status_code == 403
        assert client.post("/leads/scoring/recompute").status_code == 403
    db.session.refresh(rule)
    assert rule_count() == 1 and (rule.criterion, rule.points) == ("filled", 10)
    assert scoring.thresholds() == {"A": 80, "B": 60, "C": 40}
