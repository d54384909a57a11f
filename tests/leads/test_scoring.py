"""Lead scoring: rules and thresholds against hand-computed scores, rescoring on every change and in batches."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.jobs import JOBS
from crm_server.core.roles import ensure_reference_data
from crm_server.extensions import db
from crm_server.leads import scoring
from crm_server.leads.models import Lead
from crm_server.leads.scoring import LeadScoringRule
from crm_server.leads.services import create_lead, update_lead

from .. import factories


def only_rules(*rules: tuple) -> None:
    """Replace the starting rules with these (criterion, value, points); a dictionary value is given by label."""
    db.session.execute(delete(LeadScoringRule))
    for criterion, value, points in rules:
        fields = {"criterion": criterion, "points": points}
        if criterion == scoring.INDUSTRY:
            fields["item_id"] = factories.dictionary_item("customer_industry", value).id
        elif criterion == scoring.SOURCE:
            fields["item_id"] = factories.dictionary_item("lead_source", value).id
        elif criterion == scoring.BUDGET:
            fields["min_amount"] = Decimal(value)
        else:
            fields["value"] = value
        db.session.add(LeadScoringRule(**fields))
    db.session.flush()
    scoring.forget_cached_rules()


HAND_RULES = ((scoring.INDUSTRY, "制造业", 20), (scoring.SOURCE, "展会", 15), (scoring.COMPANY_SIZE, "500+", 30),
              (scoring.URGENCY, "high", 20), (scoring.BUDGET, "500000", 25), (scoring.FILLED, "mobile", 10),
              (scoring.FILLED, "requirement", 5))


def _lead(user, **fields) -> Lead:
    fields.setdefault("name", "王经理")
    return create_lead(user, assign="pool" if user is None else None, **fields)


@pytest.fixture
def seller(app):
    return factories.make_user("sales")


def test_scores_and_grades_match_hand_computed_examples(seller):
    only_rules(*HAND_RULES)
    industry = factories.dictionary_item("customer_industry", "制造业").id
    show = factories.dictionary_item("lead_source", "展会").id
    # 20 + 15 + 30 + 20 + 25 + 10 + 5 = 125, kept at 100: A
    top = _lead(seller, company="上海重工有限公司", industry_id=industry, source_id=show, company_size="500+",
                urgency="high", budget="800000", mobile="13812345678", requirement="两条产线的 MES")
    assert (top.score, top.grade) == (100, "A")
    # 15 + 30 + 10 + 5 = 60: B (the threshold itself counts)
    mid = _lead(seller, company="苏州精密机械有限公司", source_id=show, company_size="500+", mobile="13912345678",
                requirement="报价")
    assert (mid.score, mid.grade) == (60, "B")
    # 20 + 20 + 10 = 50 with a budget just under the rule: C
    low = _lead(seller, company="杭州小厂", industry_id=industry, urgency="high", budget="499999.99",
                mobile="13712345678")
    assert (low.score, low.grade) == (50, "C")
    # nothing but an email: 0, D
    none = _lead(seller, company="无名公司", email="a@example.com", company_size="1-20")
    assert (none.score, none.grade) == (0, "D")


def test_negative_points_never_take_a_score_below_zero(seller):
    only_rules((scoring.URGENCY, "low", -30), (scoring.FILLED, "mobile", 10))
    lead = _lead(seller, urgency="low", mobile="13812345678")
    assert (lead.score, lead.grade) == (0, "D")


def test_inactive_rules_do_not_count(seller):
    only_rules((scoring.FILLED, "mobile", 50), (scoring.FILLED, "email", 40))
    db.session.execute(update(LeadScoringRule).where(LeadScoringRule.value == "email").values(is_active=False))
    scoring.forget_cached_rules()
    lead = _lead(seller, mobile="13812345678", email="li@example.com")
    assert lead.score == 50


def test_the_score_follows_every_change_of_the_lead(seller):
    only_rules(*HAND_RULES)
    lead = _lead(seller, company="宁波模具有限公司", mobile="13812345678")
    assert (lead.score, lead.grade) == (10, "D")
    update_lead(seller, lead, company_size="500+", urgency="high",
                source_id=factories.dictionary_item("lead_source", "展会").id)
    assert (lead.score, lead.grade) == (75, "B")
    update_lead(seller, lead, source_id=None)
    assert lead.score == 60
    update_lead(seller, lead, budget="500000")
    assert (lead.score, lead.grade) == (85, "A")
    db.session.commit()
    assert db.session.scalar(select(Lead.grade).where(Lead.id == lead.id)) == "A"


def test_thresholds_are_site_settings_and_change_grades(seller):
    assert scoring.thresholds() == {"A": 80, "B": 60, "C": 40}
    assert scoring.grade_for(79, scoring.thresholds()) == "B"
    admin = factories.make_user("admin")
    assert scoring.set_thresholds(admin, 70, 50, 30) is True
    assert scoring.thresholds() == {"A": 70, "B": 50, "C": 30}
    assert [scoring.grade_for(s, scoring.thresholds()) for s in (70, 69, 50, 30, 29)] == ["A", "B", "B", "C", "D"]
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "lead.grade_thresholds_changed"))
    assert row is not None and "grade_a_min" in row.changes
    assert scoring.scores_stale()
    for bad in ((60, 60, 40), (80, 60, 0), (101, 60, 40), (40, 60, 80)):
        with pytest.raises(DomainError):
            scoring.set_thresholds(admin, *bad)
    assert scoring.set_thresholds(admin, 70, 50, 30) is False  # nothing changed: no audit row
    assert db.session.scalar(select(db.func.count(AuditLog.id)).where(
        AuditLog.action == "lead.grade_thresholds_changed")) == 1


def test_rule_changes_are_checked_audited_and_mark_scores_stale(seller):
    admin = factories.make_user("admin")
    only_rules()
    db.session.execute(delete(AuditLog))
    with pytest.raises(DomainError) as error:  # an industry rule must name an industry, not a lead source
        scoring.create_rule(admin, criterion=scoring.INDUSTRY,
                            item_id=factories.dictionary_item("lead_source", "展会").id, points=10)
    assert error.value.field == "item_id"
    with pytest.raises(DomainError) as error:
        scoring.create_rule(admin, criterion=scoring.BUDGET, points=10)
    assert error.value.field == "min_amount"
    with pytest.raises(DomainError):
        scoring.create_rule(admin, criterion=scoring.FILLED, value="password_hash", points=10)
    with pytest.raises(DomainError):
        scoring.create_rule(admin, criterion=scoring.URGENCY, value="high", points=500)
    rule = scoring.create_rule(admin, criterion=scoring.BUDGET, min_amount="100000", points=12)
    assert rule.min_amount == Decimal("100000.00") and scoring.scores_stale()
    assert _lead(seller, budget="100000").score == 12  # the same request scores with the new rule
    scoring.update_rule(admin, rule, criterion=scoring.BUDGET, min_amount="200000", points=12)
    scoring.delete_rule(admin, rule)
    actions = list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert [a for a in actions if a.startswith("lead.scoring")] == [
        "lead.scoring_rule_created", "lead.scoring_rule_updated", "lead.scoring_rule_deleted"]
    assert db.session.scalar(select(db.func.count(LeadScoringRule.id))) == 0


def test_rescoring_every_lead_runs_in_batches_and_leaves_edit_times_alone(seller):
    only_rules((scoring.FILLED, "mobile", 10))
    leads = [_lead(seller, name=f"客户{n}", mobile=f"1381234560{n}" if n % 2 else None, email=f"k{n}@example.com")
             for n in range(7)]
    db.session.commit()
    long_ago = dt.datetime(2026, 1, 2, 3, 4, 5)
    db.session.execute(update(Lead).values(updated_at=long_ago))
    admin = factories.make_user("admin")
    scoring.create_rule(admin, criterion=scoring.FILLED, value="email", points=45)
    scoring.set_thresholds(admin, 80, 50, 20)
    db.session.commit()
    commits = []
    read, changed = scoring.rescore_all(admin, commit=lambda: commits.append(db.session.commit()), size=3)
    assert (read, changed) == (7, 7)
    assert len(commits) == 4  # 3 + 3 + 1 leads, then the empty read that ends the loop
    rows = {row.id: row for row in db.session.execute(select(Lead.id, Lead.score, Lead.grade, Lead.updated_at))}
    for n, lead in enumerate(leads):
        assert (rows[lead.id].score, rows[lead.id].grade) == ((55, "B") if n % 2 else (45, "C"))
        assert rows[lead.id].updated_at == long_ago
    assert not scoring.scores_stale()
    assert scoring.rescore_all(admin, size=3) == (7, 0)  # nothing left to change
    audit_row = db.session.scalar(select(AuditLog).where(AuditLog.action == "lead.scores_recomputed")
                                  .order_by(AuditLog.id).limit(1))
    assert audit_row is not None and '"changed": [null, 7]' in audit_row.changes


def test_the_rescoring_job_runs_only_when_rules_changed(seller):
    only_rules((scoring.FILLED, "mobile", 10))
    lead = _lead(seller, mobile="13812345678")
    db.session.commit()
    assert JOBS["leads.rescore"].func() == "scores up to date"
    scoring.create_rule(None, criterion=scoring.FILLED, value="mobile", points=60)
    db.session.commit()
    assert JOBS["leads.rescore"].func() == "1 leads read, 1 rescored"
    db.session.refresh(lead)
    assert (lead.score, lead.grade) == (70, "B")
    assert JOBS["leads.rescore"].func() == "scores up to date"


def test_a_new_installation_gets_starting_rules_once(seller):
    rules = scoring.list_rules()
    described = {(r.criterion, r.value or (r.item.label if r.item else str(r.min_amount))) for r in rules}
    assert {(scoring.COMPANY_SIZE, "500+"), (scoring.URGENCY, "high"), (scoring.BUDGET, "500000.00"),
            (scoring.SOURCE, "客户介绍"), (scoring.SOURCE, "展会"), (scoring.FILLED, "mobile"),
            (scoring.FILLED, "requirement")} <= described
    # a big, urgent referral with a budget and a phone number is an A lead out of the box
    lead = _lead(seller, company="大客户集团", company_size="500+", urgency="high", budget="600000",
                 mobile="13812345678", source_id=factories.dictionary_item("lead_source", "客户介绍").id)
    assert lead.grade == "A"
    db.session.execute(delete(LeadScoringRule))
    ensure_reference_data()
    assert scoring.list_rules() == []  # deleted by an administrator: not recreated


def test_rescoring_in_batches_gives_each_lead_the_score_saving_it_gives(seller):
    only_rules(*HAND_RULES, (scoring.URGENCY, "low", -15), (scoring.FILLED, "email", 7),
               (scoring.BUDGET, "100000", 3))
    industries = [None, factories.dictionary_item("customer_industry", "制造业").id,
                  factories.dictionary_item("customer_industry", "金融保险").id]
    sources = [None, factories.dictionary_item("lead_source", "展会").id,
               factories.dictionary_item("lead_source", "客户介绍").id]
    expected = {}
    for n in range(24):
        lead = _lead(seller, name=f"样本{n}", company=f"样本公司{n}", industry_id=industries[n % 3],
                     source_id=sources[(n // 3) % 3], company_size=("500+", "1-20", None)[n % 3],
                     urgency=("low", "normal", "high")[n % 3 if n % 4 else 2],
                     budget=(None, "99999.99", "100000", "500000")[n % 4],
                     mobile=f"139{n:08d}" if n % 2 else None, email=f"s{n}@example.com" if n % 5 else "",
                     requirement="  " if n % 6 == 0 else "需要报价")
        expected[lead.id] = (lead.score, lead.grade)
    assert len(set(expected.values())) > 5  # the sample spreads over many scores
    db.session.commit()
    db.session.execute(update(Lead).values(score=0, grade=None))
    assert scoring.rescore_all(None, size=5)[1] == len([v for v in expected.values() if v != (0, None)])
    assert {row.id: (row.score, row.grade) for row in db.session.execute(
        select(Lead.id, Lead.score, Lead.grade))} == expected
