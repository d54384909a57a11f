"""A small document type the engine tests register (the documents live in memory: the engine stores only their
ids), and flows made through the service."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from crm_server.approvals import services
from crm_server.approvals.registry import DOCUMENT_TYPES, DocumentType, Fact, register_document_type
from crm_server.core.permissions import can_see_owner
from crm_server.extensions import db

TEST_TYPE = "test_doc"
RATINGS = ("AAA", "AA", "A", "B", "C")
_ids = itertools.count(1)


@dataclass
class Doc:
    owner_id: int
    amount: Decimal | None = None
    discount: Decimal | None = None
    rating: str | None = None
    payment_days: int | None = None
    category: str | None = None
    id: int = field(default_factory=lambda: next(_ids))
    status: str = "draft"
    calls: list = field(default_factory=list)


class Docs:
    """The in-memory store of the test type, with the callbacks recording what the engine asked for."""

    def __init__(self):
        self.items: dict[int, Doc] = {}

    def new(self, owner, **kw) -> Doc:
        kw = {k: (Decimal(v) if k in ("amount", "discount") and v is not None else v) for k, v in kw.items()}
        doc = Doc(owner_id=owner.id, **kw)
        self.items[doc.id] = doc
        return doc

    def register(self) -> DocumentType:
        def on_approved(actor, doc):
            doc.status = "approved"
            doc.calls.append(("approved", actor.id))

        def on_rejected(actor, doc, comment):
            doc.status = "rejected"
            doc.calls.append(("rejected", actor.id, comment))

        def on_withdrawn(actor, doc):
            doc.status = "draft"
            doc.calls.append(("withdrawn", actor.id))

        return register_document_type(DocumentType(
            code=TEST_TYPE, label=_l("Test document"),
            facts={"amount": Fact("amount", "money", lambda d: d.amount),
                   "discount_percent": Fact("discount", "percent", lambda d: d.discount),
                   "credit_rating": Fact("rating", "rating", lambda d: d.rating, RATINGS),
                   "payment_days": Fact("days", "int", lambda d: d.payment_days),
                   "category": Fact("category", "choice", lambda d: d.category,
                                    (("goods", "Goods"), ("service", "Service")))},
            load=self.items.get, title=lambda d: f"测试单据 {d.id}", owner_id=lambda d: d.owner_id,
            url=lambda d: f"/test-docs/{d.id}", can_view=lambda user, d: can_see_owner(user, d.owner_id),
            amount=lambda d: d.amount, on_approved=on_approved, on_rejected=on_rejected,
            on_withdrawn=on_withdrawn))

    @staticmethod
    def unregister() -> None:
        DOCUMENT_TYPES.pop(TEST_TYPE, None)


def make_flow(actor, name="审批流", conditions=(), steps=(), priority=100, document_type=TEST_TYPE,
              is_active=True):
    """conditions: (fact, operator, value); steps: dicts of StepInput fields or (kind, user/role) pairs."""
    rows = []
    for step in steps:
        if isinstance(step, dict):
            rows.append(step)
        else:
            kind, target = step
            row = {"approver_kind": kind, "name": None}
            if kind == "user":
                row["user_id"] = target.id
            elif kind in ("department_role", "branch_role"):
                row["role_id"] = target.id
            rows.append(row)
    flow = services.save_flow(actor, None, document_type=document_type, name=name, priority=priority,
                              is_active=is_active,
                              conditions=[{"fact": f, "operator": o, "value": v} for f, o, v in conditions],
                              steps=rows)
    db.session.flush()
    return flow
