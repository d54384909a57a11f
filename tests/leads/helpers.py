"""Factories for the leads tests."""
from __future__ import annotations

from crm_server.extensions import db
from crm_server.leads.models import LeadAssignee
from crm_server.leads.services import create_lead

_n = iter(range(1, 10_000_000))


def make_lead(actor=None, **fields):
    """A lead created through the service (validated, scored); `actor` None leaves it in the pool unless
    `assign` says otherwise."""
    n = next(_n)
    fields.setdefault("name", f"联系人{n}")
    fields.setdefault("company", f"测试线索{n}科技有限公司")
    if actor is None:
        fields.setdefault("assign", "pool")
    else:
        fields.setdefault("confirm_duplicates", True)
    lead = create_lead(actor, **fields)
    db.session.flush()
    return lead


def add_member(user, receives_a_grade=False, is_active=True):
    member = LeadAssignee(user_id=user.id, receives_a_grade=receives_a_grade, is_active=is_active)
    db.session.add(member)
    db.session.flush()
    return member
