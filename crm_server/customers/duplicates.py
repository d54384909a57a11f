"""查重: customers that look like the one being entered, by normalised name, phone, e-mail or credit code."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, or_, select

from ..core import audit
from ..core.errors import DomainError
from ..core.models import User
from ..core.site_settings import get_list, set_setting
from ..extensions import db
from . import normalise
from .access import customer_condition
from .models import Customer

FIELDS = {"name": _l("Name"), "phone": _l("Phone"), "email": _l("E-mail"), "credit_code": _l("Credit code")}
BLOCKING_KEY = "customers.duplicate_blocking_fields"
DEFAULT_BLOCKING = ("credit_code",)  # the same credit code is the same legal entity: refuse by default
MAX_MATCHES = 10

audit.register_actions({"settings.updated": _l("Changed a setting")})


@dataclass
class DuplicateMatch:
    customer_id: int
    name: str
    owner_name: str | None      # None: in the public pool
    fields: list[str] = field(default_factory=list)  # which of FIELDS matched
    visible: bool = False       # whether the user may open it (else only name and owner are shown)


def blocking_fields() -> set[str]:
    """Fields on which a match refuses the save (administrators choose); other matches only warn."""
    return set(get_list(BLOCKING_KEY, DEFAULT_BLOCKING)) & set(FIELDS)


def find_duplicates(user: User, name: str | None = None, phone: str | None = None, email: str | None = None,
                    credit_code: str | None = None, exclude_id: int | None = None) -> list[DuplicateMatch]:
    """Live customers (any owner, the pool included) matching on any given field, best matches first.
    Runs on indexed equality only, so it stays fast on a large file."""
    keys = {"name": normalise.name_key(name), "phone": normalise.phone_digits(phone),
            "email": normalise.email_key(email), "credit_code": (credit_code or "").strip().upper() or None}
    columns = {"name": Customer.name_key, "phone": Customer.phone_digits, "email": Customer.email_key,
               "credit_code": Customer.credit_code}
    conditions = [columns[f] == value for f, value in keys.items() if value]
    if not conditions:
        return []
    stmt = (select(Customer.id, Customer.name, Customer.name_key, Customer.phone_digits, Customer.email_key,
                   Customer.credit_code, User.display_name,
                   case((customer_condition(user), 1), else_=0).label("visible"))
            .outerjoin(User, User.id == Customer.owner_id)
            .where(Customer.deleted_at.is_(None), or_(*conditions)))
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    matches = []
    for row in db.session.execute(stmt.order_by(Customer.id).limit(MAX_MATCHES * 5)):
        values = {"name": row.name_key, "phone": row.phone_digits, "email": row.email_key,
                  "credit_code": row.credit_code}
        matched = [f for f, value in keys.items() if value and values[f] == value]
        matches.append(DuplicateMatch(row.id, row.name, row.display_name, matched, bool(row.visible)))
    matches.sort(key=lambda m: (-len(m.fields), m.customer_id))
    return matches[:MAX_MATCHES]


def set_blocking_fields(actor: User | None, fields) -> list[str]:
    """Choose the fields on which a duplicate match refuses a save (an empty choice: matches only warn).
    Unknown names are refused; the change is audited. Only flushes."""
    chosen = set(fields or ())
    unknown = chosen - set(FIELDS)
    if unknown:
        raise DomainError(_("Unknown duplicate-check field: %(names)s", names=", ".join(sorted(unknown))),
                          "blocking_fields")
    ordered = [name for name in FIELDS if name in chosen]  # stored in the order the form shows them
    before = sorted(blocking_fields(), key=list(FIELDS).index)
    if before == ordered:
        return ordered
    set_setting(BLOCKING_KEY, ",".join(ordered))
    audit.record(actor, "settings.updated", None, {BLOCKING_KEY: [",".join(before), ",".join(ordered)]},
                 label=str(_l("Duplicate check")))
    return ordered
