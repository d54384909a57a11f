"""公海 rules: which pools a user may use, releasing and claiming customers, holding and daily limits,
assigning from the pool, and the administration of pools, recycling rules and role limits."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, delete, func, or_, select, true, update
from sqlalchemy.orm import aliased, selectinload

from ..core import audit
from ..core.audit import diff, snapshot
from ..core.dictionaries import DictionaryItem
from ..core.errors import DomainError
from ..core.models import Branch, Role, User
from ..core.permissions import Scope, register_permission, scope_condition
from ..core.roles import register_reference_data, role_label
from ..core.search import contains
from ..core.site_settings import get_setting, set_setting
from ..core.types import utcnow
from ..customers import normalise
from ..customers.access import CUSTOMER, CustomerPermission
from ..customers.dictionaries import LEVEL
from ..customers.models import Customer, CustomerCollaborator, OwnerChange
from ..customers.services import transfer_customers
from ..extensions import db
from .models import PublicPool, RecycleRule, RoleLimit

_SALES = ("sales_director", "sales_manager", "sales")


class PoolPermission:
    USE = register_permission("pool.use", _l("Use the public pool (claim and release customers)"),
                              _l("Public pool"), default_roles=_SALES)
    MANAGE = register_permission("pool.manage", _l("Manage public pools, recycling rules and limits"),
                                 _l("Public pool"))


audit.register_actions({
    "customer.released": _l("Released a customer to the public pool"),
    "customer.claimed": _l("Claimed a customer from the public pool"),
    "customer.recycled": _l("Customer returned to the public pool by a recycling rule"),
    "customer.handover": _l("Handed over a user's customers"),
    "pool.created": _l("Created a public pool"),
    "pool.updated": _l("Edited a public pool"),
    "pool.deleted": _l("Deleted a public pool"),
    "pool.rule_created": _l("Created a recycling rule"),
    "pool.rule_updated": _l("Edited a recycling rule"),
    "pool.rule_deleted": _l("Deleted a recycling rule"),
    "pool.limit_updated": _l("Changed a role's public pool limits"),
    "pool.settings_updated": _l("Changed the public pool settings"),
})

# Readable names of what the pool's audit rows record, for the audit log page to show (it keys them by table and
# field name; the administration domain decides whether to use them).
AUDIT_ENTITY_LABELS = {"public_pools": _l("Public pool"), "pool_recycle_rules": _l("Recycling rule")}
AUDIT_FIELD_LABELS = {
    "pool": _l("Public pool"), "reason": _l("Reason"), "next_followup_at": _l("Next follow-up"),
    "customers_moved_in": _l("Customers moved in"), "to_user": _l("Receiving user"), "customers": _l("Customers"),
    "reminders": _l("Open reminders"), "reclaim_block_hours": _l("Hours before a previous owner may claim back"),
    "max_customers": _l("Customers held at most"), "max_claims_per_day": _l("Claims per day at most"),
    "no_followup_days": _l("Days without a follow-up"), "no_deal_days": _l("Days without a deal"),
    "warn_days": _l("Warning days before"), "level": _l("Customer level"), "is_default": _l("Default pool"),
}

DEFAULT_POOL_NAME = "公海"
# Hours during which the previous owner may not claim back a customer they released or lost (0 = off).
RECLAIM_HOURS_KEY = "pool.reclaim_block_hours"
DEFAULT_RECLAIM_HOURS = 24
CHUNK = 500  # ids per IN (...): far below SQL Server's 2,100 parameters
RELEASE_KINDS = ("released", "recycled")
POOL_FIELDS = ("name", "branch", "is_default", "is_active")
RULE_FIELDS = ("level", "no_followup_days", "no_deal_days", "warn_days", "is_active")


def chunks(values: list, size: int = CHUNK):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _unique(customers) -> list[Customer]:
    seen, result = set(), []
    for customer in customers:
        if customer.id not in seen:
            seen.add(customer.id)
            result.append(customer)
    return result


def check_permission(actor: User | None, permission: str) -> None:
    if actor is not None and not actor.can(permission):
        raise DomainError(_("You do not have permission to do this."))


def site_timezone() -> str:
    if has_app_context():
        return current_app.config["CRM_SETTINGS"].timezone
    return "Asia/Shanghai"


def local_midnight_utc(now: dt.datetime | None = None) -> dt.datetime:
    """The start of today in the site's time zone, as the naive UTC the database stores."""
    now = now or utcnow()
    tz = zoneinfo.ZoneInfo(site_timezone())
    local = now.replace(tzinfo=dt.timezone.utc).astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(dt.timezone.utc).replace(tzinfo=None)


# --- pools ------------------------------------------------------------------------------------

@register_reference_data
def ensure_default_pool() -> PublicPool | None:
    """Every installation has a pool: create the default "公海" when there is none (idempotent, flushes)."""
    if db.session.scalar(select(PublicPool.id).order_by(PublicPool.id).limit(1)) is not None:
        return None
    pool = PublicPool(name=DEFAULT_POOL_NAME, is_default=True, is_active=True)
    db.session.add(pool)
    db.session.flush()
    return pool


def default_pool() -> PublicPool:
    """The default pool (the first active pool if none is marked; created when there is no pool at all)."""
    pool = db.session.scalar(select(PublicPool).where(PublicPool.is_active == true())
                             .order_by(PublicPool.is_default.desc(), PublicPool.id).limit(1))
    if pool is None:
        pool = ensure_default_pool() or db.session.scalar(select(PublicPool).order_by(PublicPool.id).limit(1))
    return pool


def pool_for_branch(branch_id: int | None) -> PublicPool:
    """Where a customer of an owner in this branch goes: the branch's active pool, else the default pool."""
    if branch_id is not None:
        pool = db.session.scalar(select(PublicPool).where(PublicPool.branch_id == branch_id,
                                                          PublicPool.is_active == true())
                                 .order_by(PublicPool.is_default.desc(), PublicPool.id).limit(1))
        if pool is not None:
            return pool
    return default_pool()


def usable_pool_condition(user: User):
    """Pools the user may take customers from: the default pool, company-wide pools (no branch) and the pool
    of their branch; with the data scope "all" for customers, every active pool."""
    active = PublicPool.is_active == true()
    if user.role.scope_for(CUSTOMER) == Scope.ALL:
        return active
    options = [PublicPool.is_default == true(), PublicPool.branch_id.is_(None)]
    if user.branch_id is not None:
        options.append(PublicPool.branch_id == user.branch_id)
    return active & or_(*options)


def usable_pools(user: User) -> list[PublicPool]:
    return list(db.session.scalars(select(PublicPool).where(usable_pool_condition(user))
                                   .order_by(PublicPool.is_default.desc(), PublicPool.name, PublicPool.id)))


def pool_customer_condition(user: User, pool_id: int | None = None):
    """Live customers without an owner in a pool `user` may use. A pool customer without a pool (made before
    pools existed, or by an import) counts as being in the default pool."""
    usable = select(PublicPool.id).where(usable_pool_condition(user))
    default_id = default_pool().id
    in_pool = or_(Customer.pool_id.in_(usable), Customer.pool_id.is_(None))
    condition = Customer.owner_id.is_(None) & Customer.deleted_at.is_(None) & in_pool
    if pool_id is not None:
        chosen = Customer.pool_id == pool_id
        if pool_id == default_id:
            chosen = chosen | Customer.pool_id.is_(None)
        condition = condition & chosen
    return condition


def pool_customers(user: User, stmt: Select | None = None, pool_id: int | None = None) -> Select:
    """`stmt` (default select(Customer)) restricted to the pool customers `user` may see and claim."""
    stmt = select(Customer) if stmt is None else stmt
    return stmt.where(pool_customer_condition(user, pool_id))


def get_pool_customers(user: User, ids: list[int]) -> list[Customer]:
    """The pool customers among `ids` the user may use, by id; fewer than asked means some are not."""
    found: list[Customer] = []
    for part in chunks(sorted(set(ids))):
        found.extend(db.session.scalars(pool_customers(user).where(Customer.id.in_(part)).order_by(Customer.id)))
    return found


# --- the pool list ----------------------------------------------------------------------------

SORTS = {
    "released": (Customer.released_at.desc(), Customer.id.desc()),
    "released_asc": (Customer.released_at, Customer.id),
    "name": (Customer.name, Customer.id),
    "last_followup": (Customer.last_followup_at.desc(), Customer.id.desc()),
}
KIND_LABELS = {
    "created": _l("Created"), "assigned": _l("Assigned"), "claimed": _l("Claimed"), "released": _l("Released"),
    "recycled": _l("Recycled by a rule"), "transferred": _l("Transferred"), "handover": _l("Hand-over"),
    "merged": _l("Merged"),
}
SORT_LABELS = {
    "released": _l("Released, newest first"),
    "released_asc": _l("Released, oldest first"),
    "name": _l("Name"),
    "last_followup": _l("Last follow-up"),
}


@dataclass
class PoolFilters:
    pool_id: int | None = None
    text: str | None = None
    level_id: int | None = None
    industry_id: int | None = None
    city: str | None = None
    released_from: dt.date | None = None
    released_to: dt.date | None = None
    sort: str = "released"


def _utc_start_of(day: dt.date) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time.min, tzinfo=zoneinfo.ZoneInfo(site_timezone()))
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def pool_list_query(user: User, filters: PoolFilters) -> Select:
    """The pool customers the user may use, filtered and sorted, ready for paginate()."""
    stmt = pool_customers(user, pool_id=filters.pool_id).options(
        selectinload(Customer.level), selectinload(Customer.industry))
    if filters.text:
        term = normalise.search_term(filters.text)
        if term:
            stmt = stmt.where(contains(Customer.search_text, term))
    if filters.level_id:
        stmt = stmt.where(Customer.level_id == filters.level_id)
    if filters.industry_id:
        stmt = stmt.where(Customer.industry_id == filters.industry_id)
    if filters.city:
        stmt = stmt.where(contains(Customer.city, filters.city.strip()))
    if filters.released_from:
        stmt = stmt.where(Customer.released_at >= _utc_start_of(filters.released_from))
    if filters.released_to:
        stmt = stmt.where(Customer.released_at < _utc_start_of(filters.released_to + dt.timedelta(days=1)))
    return stmt.order_by(*SORTS.get(filters.sort, SORTS["released"]))


def owner_changes(customer: Customer, limit: int = 100) -> list[OwnerChange]:
    """The customer's moves between owners and pools, newest first."""
    return list(db.session.scalars(
        select(OwnerChange).options(selectinload(OwnerChange.from_user), selectinload(OwnerChange.to_user),
                                    selectinload(OwnerChange.actor))
        .where(OwnerChange.customer_id == customer.id)
        .order_by(OwnerChange.at.desc(), OwnerChange.id.desc()).limit(limit)))


def last_release(customer: Customer) -> OwnerChange | None:
    """Why the customer is in the pool: its latest release or recycling."""
    return db.session.scalar(
        select(OwnerChange).where(OwnerChange.customer_id == customer.id, OwnerChange.kind.in_(RELEASE_KINDS))
        .order_by(OwnerChange.at.desc(), OwnerChange.id.desc()).limit(1))


def contact_count(customer: Customer) -> int:
    from ..contacts.models import Contact  # contacts hang from customers; read-only count
    return db.session.scalar(select(func.count(Contact.id)).where(Contact.customer_id == customer.id,
                                                                  Contact.deleted_at.is_(None))) or 0


def assignable_users(actor: User) -> list[User]:
    """Active users the actor may give customers to: those within the actor's customer data scope."""
    user = aliased(User)  # not the users table the scope's subquery reads, so nothing is correlated
    return list(db.session.scalars(
        select(user).where(user.is_active == true(), scope_condition(actor, user.id, CUSTOMER))
        .order_by(user.display_name, user.id)))


def _check_assignable(actor: User, to_user: User) -> None:
    if to_user is None or not to_user.is_active:
        raise DomainError(_("Choose an active user."), "to_user_id")
    user = aliased(User)
    allowed = db.session.scalar(select(user.id).where(user.id == to_user.id, scope_condition(actor, user.id, CUSTOMER)))
    if allowed is None:
        raise DomainError(_("You may only give customers to users within your data scope."), "to_user_id")


# --- limits -----------------------------------------------------------------------------------

def role_limit(role_id: int) -> RoleLimit | None:
    return db.session.get(RoleLimit, role_id)


def held_count(user: User) -> int:
    return db.session.scalar(select(func.count(Customer.id)).where(Customer.owner_id == user.id,
                                                                   Customer.deleted_at.is_(None))) or 0


def claimed_today(user: User, now: dt.datetime | None = None) -> int:
    """Customers the user claimed from the pool since midnight in the site's time zone."""
    return db.session.scalar(select(func.count(OwnerChange.id)).where(
        OwnerChange.to_user_id == user.id, OwnerChange.kind == "claimed",
        OwnerChange.at >= local_midnight_utc(now))) or 0


def _check_holding_limit(user: User, adding: int, own: bool) -> None:
    limit = role_limit(user.role_id)
    if limit is None or limit.max_customers is None:
        return
    held = held_count(user)
    if held + adding <= limit.max_customers:
        return
    left = max(0, limit.max_customers - held)
    if not own:
        raise DomainError(_("%(name)s already holds %(held)d customers; the limit for their role is %(max)d.",
                            name=user.display_name, held=held, max=limit.max_customers), "to_user_id")
    if left == 0:
        raise DomainError(_("You have reached the limit of %(max)d customers you may hold.",
                            max=limit.max_customers))
    raise DomainError(_("You may hold at most %(max)d customers and hold %(held)d, so you can claim %(left)d "
                        "more.", max=limit.max_customers, held=held, left=left))


def _check_daily_limit(user: User, adding: int) -> None:
    limit = role_limit(user.role_id)
    if limit is None or limit.max_claims_per_day is None:
        return
    today = claimed_today(user)
    if today + adding <= limit.max_claims_per_day:
        return
    left = max(0, limit.max_claims_per_day - today)
    if left == 0:
        raise DomainError(_("You have reached today's limit of %(max)d customers claimed from the pool.",
                            max=limit.max_claims_per_day))
    raise DomainError(_("You may claim %(max)d customers a day and have claimed %(today)d today, so %(left)d "
                        "more.", max=limit.max_claims_per_day, today=today, left=left))


def reclaim_hours() -> int:
    value = get_setting(RECLAIM_HOURS_KEY)
    return int(value) if value is not None and value.isdigit() else DEFAULT_RECLAIM_HOURS


def _check_reclaim(user: User, customers: list[Customer], now: dt.datetime) -> None:
    hours = reclaim_hours()
    if not hours:
        return
    for part in chunks([c.id for c in customers]):
        customer_id = db.session.scalar(
            select(OwnerChange.customer_id).where(OwnerChange.customer_id.in_(part),
                                                  OwnerChange.from_user_id == user.id,
                                                  OwnerChange.kind.in_(RELEASE_KINDS),
                                                  OwnerChange.at >= now - dt.timedelta(hours=hours))
            .order_by(OwnerChange.customer_id).limit(1))
        if customer_id is not None:
            name = next(c.name for c in customers if c.id == customer_id)
            raise DomainError(_("%(name)s left your hands less than %(hours)d hours ago; you cannot claim it back "
                                "yet.", name=name, hours=hours))


# --- release, claim, assign -------------------------------------------------------------------

def may_release(actor: User, customers) -> bool:
    """Whether the actor may release all these customers: owned ones whose owner is the actor or within the
    actor's customer data scope (a collaborator, who only shares the customer, may not)."""
    ids = [c.id for c in _unique(customers)]
    allowed = 0
    for part in chunks(ids):
        allowed += db.session.scalar(select(func.count(Customer.id)).where(
            Customer.id.in_(part), Customer.owner_id.is_not(None), Customer.deleted_at.is_(None),
            scope_condition(actor, Customer.owner_id, CUSTOMER))) or 0
    return allowed == len(ids)


def _clean_reason(reason: str | None, field: str = "reason", required: bool = True) -> str | None:
    reason = (reason or "").strip()
    if not reason:
        if required:
            raise DomainError(_("Give a reason."), field)
        return None
    if len(reason) > 500:
        raise DomainError(_("At most %(n)d characters.", n=500), field)
    return reason


def move_to_pool(customers: list[Customer], actor: User | None, kind: str, reason,
                 now: dt.datetime | None = None) -> int:
    """Put owned customers into the pool of their owner's branch (else the default pool): no owner, collaborators
    removed, the next planned follow-up cleared (the history stays); one OwnerChange and one audit row each.
    `reason` is a text, or a function of the customer giving one (read before anything changes)."""
    now = now or utcnow()
    owner_ids = {c.owner_id for c in customers if c.owner_id is not None}
    for part in chunks(sorted(owner_ids)):  # loads the owners (and their departments) in one query
        list(db.session.scalars(select(User).where(User.id.in_(part))))
    pools: dict[int | None, PublicPool] = {}
    action = "customer.released" if kind == "released" else "customer.recycled"
    for part in chunks([c.id for c in customers]):
        db.session.execute(delete(CustomerCollaborator).where(CustomerCollaborator.customer_id.in_(part))
                           .execution_options(synchronize_session=False))
    for customer in customers:
        owner = customer.owner
        branch_id = owner.branch_id if owner is not None else None
        if branch_id not in pools:
            pools[branch_id] = pool_for_branch(branch_id)
        pool = pools[branch_id]
        why = (reason(customer) if callable(reason) else reason)[:500]
        db.session.add(OwnerChange(customer_id=customer.id, kind=kind, from_user_id=customer.owner_id,
                                   to_user_id=None, actor_id=actor.id if actor is not None else None,
                                   reason=why, at=now))
        changes = {"owner": [owner.display_name if owner else None, None], "pool": [None, pool.name],
                   "reason": [None, why]}
        if customer.next_followup_at is not None:
            changes["next_followup_at"] = [customer.next_followup_at, None]
        customer.owner = None
        customer.pool_id = pool.id
        customer.released_at = now
        customer.owner_since = None
        customer.next_followup_at = None
        customer.recycle_warned_at = None
        if actor is not None:
            customer.updated_by_id = actor.id
        db.session.expire(customer, ["collaborators"])
        audit.record(actor, action, customer, changes)
    db.session.flush()
    return len(customers)


def release_customers(actor: User, customers, reason: str | None) -> int:
    """Release customers to the public pool with a reason. The owner, or a manager whose customer data scope
    covers the owner, may do it. Returns how many were released. Only flushes."""
    check_permission(actor, PoolPermission.USE)
    reason = _clean_reason(reason)
    customers = _unique(customers)
    if not customers:
        raise DomainError(_("Choose at least one customer."))
    for customer in customers:
        if customer.deleted_at is not None or customer.owner_id is None:
            raise DomainError(_("%(name)s is not an owned customer.", name=customer.name))
    if not may_release(actor, customers):
        raise DomainError(_("You may only release your own customers or those of your team."))
    return move_to_pool(customers, actor, "released", reason)


def _check_in_usable_pools(actor: User, customers: list[Customer]) -> None:
    usable = {c.id for c in get_pool_customers(actor, [c.id for c in customers])}
    for customer in customers:
        if customer.id not in usable:
            raise DomainError(_("%(name)s is no longer in a public pool you may use.", name=customer.name))


def claim_customers(actor: User, customers) -> int:
    """Take customers from the pools the actor may use, within the holding and daily limits of the actor's role.
    A customer someone else claimed a moment earlier is refused. Returns how many were claimed. Only flushes."""
    check_permission(actor, PoolPermission.USE)
    customers = _unique(customers)
    if not customers:
        raise DomainError(_("Choose at least one customer."))
    _check_in_usable_pools(actor, customers)
    now = utcnow()
    _check_holding_limit(actor, len(customers), own=True)
    _check_daily_limit(actor, len(customers))
    _check_reclaim(actor, customers, now)
    pool_names = dict(db.session.execute(select(PublicPool.id, PublicPool.name)).all())
    default_name = default_pool().name
    before = {c.id: pool_names.get(c.pool_id, default_name) for c in customers}
    taken = 0
    for part in chunks([c.id for c in customers]):
        # Guarded by "still without an owner": of two people claiming at once, only one gets each customer.
        result = db.session.execute(
            update(Customer).where(Customer.id.in_(part), Customer.owner_id.is_(None), Customer.deleted_at.is_(None))
            .values(owner_id=actor.id, owner_since=now, pool_id=None, released_at=None, recycle_warned_at=None,
                    updated_by_id=actor.id, updated_at=now)
            .execution_options(synchronize_session=False))
        taken += result.rowcount
    if taken != len(customers):
        raise DomainError(_("Someone claimed one of these customers a moment ago. Reload the list and try again."))
    for customer in customers:
        db.session.expire(customer)
        db.session.add(OwnerChange(customer_id=customer.id, kind="claimed", from_user_id=None, to_user_id=actor.id,
                                   actor_id=actor.id, at=now))
        audit.record(actor, "customer.claimed", customer,
                     {"owner": [None, actor.display_name], "pool": [before[customer.id], None]})
    db.session.flush()
    return len(customers)


def assign_from_pool(actor: User, customers, to_user: User, reason: str | None = None) -> int:
    """Give pool customers to a user within the actor's data scope (needs the transfer permission); the
    receiver's holding limit applies. Returns how many were assigned. Only flushes."""
    check_permission(actor, CustomerPermission.TRANSFER)
    customers = _unique(customers)
    if not customers:
        raise DomainError(_("Choose at least one customer."))
    _check_assignable(actor, to_user)
    _check_in_usable_pools(actor, customers)
    _check_holding_limit(to_user, len(customers), own=False)
    return transfer_customers(actor, customers, to_user, reason=_clean_reason(reason, required=False),
                              kind="assigned")


# --- administration: pools --------------------------------------------------------------------

def _same_name(column, name: str):
    return func.lower(column) == name.lower()


def _pool_values(pool: PublicPool | None, name, branch_id, is_default, is_active) -> dict:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("This field is required."), "name")
    if len(name) > 60:
        raise DomainError(_("At most %(n)d characters.", n=60), "name")
    taken = select(PublicPool.id).where(_same_name(PublicPool.name, name))
    if pool is not None and pool.id is not None:
        taken = taken.where(PublicPool.id != pool.id)
    if db.session.scalar(taken) is not None:
        raise DomainError(_("A pool with this name already exists."), "name")
    branch = None
    if branch_id:
        branch = db.session.get(Branch, branch_id)
        if branch is None:
            raise DomainError(_("Choose a branch."), "branch_id")
    if is_default and not is_active:
        raise DomainError(_("The default pool must be active."), "is_active")
    if pool is not None and pool.is_default and not is_default:
        raise DomainError(_("There must be a default pool: make another pool the default instead."), "is_default")
    return {"name": name, "branch": branch, "is_default": bool(is_default), "is_active": bool(is_active)}


def _take_default_from_others(actor: User | None, pool: PublicPool) -> None:
    for other in db.session.scalars(select(PublicPool).where(PublicPool.is_default == true(),
                                                             PublicPool.id != pool.id)):
        other.is_default = False
        audit.record(actor, "pool.updated", other, {"is_default": [True, False]})


def _empty_pool(actor: User | None, pool: PublicPool) -> int:
    """Move what a pool holds to the default pool (before it is deactivated or deleted); returns how many."""
    target = db.session.scalar(select(PublicPool).where(PublicPool.is_default == true(), PublicPool.id != pool.id,
                                                        PublicPool.is_active == true())
                               .order_by(PublicPool.id).limit(1))
    if target is None:
        raise DomainError(_("There must be a default pool: make another pool the default instead."))
    moved = db.session.scalar(select(func.count(Customer.id)).where(Customer.pool_id == pool.id,
                                                                    Customer.owner_id.is_(None))) or 0
    db.session.execute(update(Customer).where(Customer.pool_id == pool.id, Customer.owner_id.is_(None))
                       .values(pool_id=target.id).execution_options(synchronize_session=False))
    # Owned customers may still name the pool they came from; that reference goes with the pool.
    db.session.execute(update(Customer).where(Customer.pool_id == pool.id, Customer.owner_id.is_not(None))
                       .values(pool_id=None).execution_options(synchronize_session=False))
    if moved:
        audit.record(actor, "pool.updated", target, {"customers_moved_in": [None, moved]},
                     label=f"{target.name} ← {pool.name}")
    return moved


def create_pool(actor: User | None, *, name: str, branch_id: int | None = None, is_default: bool = False,
                is_active: bool = True) -> PublicPool:
    """Add a pool; a name is unique; making it the default takes that from the previous default."""
    check_permission(actor, PoolPermission.MANAGE)
    values = _pool_values(None, name, branch_id, is_default, is_active)
    pool = PublicPool(**values)
    db.session.add(pool)
    db.session.flush()
    if pool.is_default:
        _take_default_from_others(actor, pool)
    audit.record(actor, "pool.created", pool, diff({}, snapshot(pool, POOL_FIELDS)))
    db.session.flush()
    return pool


def update_pool(actor: User | None, pool: PublicPool, *, name: str, branch_id: int | None = None,
                is_default: bool = False, is_active: bool = True) -> int:
    """Edit a pool. Deactivating it moves its customers to the default pool; returns how many moved."""
    check_permission(actor, PoolPermission.MANAGE)
    values = _pool_values(pool, name, branch_id, is_default, is_active)
    before = snapshot(pool, POOL_FIELDS)
    moved = 0
    if pool.is_active and not values["is_active"]:
        moved = _empty_pool(actor, pool)
    for key, value in values.items():
        setattr(pool, key, value)
    db.session.flush()
    if pool.is_default:
        _take_default_from_others(actor, pool)
    changes = diff(before, snapshot(pool, POOL_FIELDS))
    if changes:
        audit.record(actor, "pool.updated", pool, changes)
    db.session.flush()
    return moved


def delete_pool(actor: User | None, pool: PublicPool) -> int:
    """Delete a pool other than the default; its customers move to the default pool. Returns how many moved."""
    check_permission(actor, PoolPermission.MANAGE)
    if pool.is_default:
        raise DomainError(_("The default pool cannot be deleted."))
    moved = _empty_pool(actor, pool)
    gone = {k: [v, None] for k, v in snapshot(pool, POOL_FIELDS).items() if v is not None}
    audit.record(actor, "pool.deleted", pool, gone)
    db.session.delete(pool)
    db.session.flush()
    return moved


def pools_with_counts() -> list[tuple[PublicPool, int]]:
    """Every pool with how many customers it holds (customers without a pool count for the default)."""
    default_id = default_pool().id
    counts: dict[int | None, int] = dict(db.session.execute(
        select(Customer.pool_id, func.count(Customer.id))
        .where(Customer.owner_id.is_(None), Customer.deleted_at.is_(None)).group_by(Customer.pool_id)).all())
    counts[default_id] = counts.get(default_id, 0) + counts.pop(None, 0)
    pools = db.session.scalars(select(PublicPool).options(selectinload(PublicPool.branch))
                               .order_by(PublicPool.is_default.desc(), PublicPool.name, PublicPool.id))
    return [(pool, counts.get(pool.id, 0)) for pool in pools]


# --- administration: recycling rules ----------------------------------------------------------

def _days(value, field: str, low: int = 1, high: int = 3650) -> int | None:
    if value in (None, ""):
        return None
    value = int(value)
    if not low <= value <= high:
        raise DomainError(_("Enter a number from %(low)d to %(high)d.", low=low, high=high), field)
    return value


def _rule_values(rule: RecycleRule | None, level_id, no_followup_days, no_deal_days, warn_days,
                 is_active) -> dict:
    level = None
    if level_id:
        level = db.session.get(DictionaryItem, level_id)
        if level is None or level.kind != LEVEL:
            raise DomainError(_("Choose a customer level."), "level_id")
    taken = select(RecycleRule.id).where(RecycleRule.level_id == level.id if level else RecycleRule.level_id.is_(None))
    if rule is not None and rule.id is not None:
        taken = taken.where(RecycleRule.id != rule.id)
    if db.session.scalar(taken) is not None:
        raise DomainError(_("This level already has a rule; edit that one."), "level_id")
    followup = _days(no_followup_days, "no_followup_days")
    deal = _days(no_deal_days, "no_deal_days")
    warn = _days(warn_days, "warn_days", low=0, high=365) or 0
    for days, field in ((followup, "no_followup_days"), (deal, "no_deal_days")):
        if days is not None and warn >= days:
            raise DomainError(_("The warning must come fewer days ahead than the rule's %(days)d days.", days=days),
                              "warn_days")
    return {"level": level, "no_followup_days": followup, "no_deal_days": deal, "warn_days": warn,
            "is_active": bool(is_active)}


def create_rule(actor: User | None, *, level_id: int | None, no_followup_days: int | None = None,
                no_deal_days: int | None = None, warn_days: int | None = 3, is_active: bool = True) -> RecycleRule:
    """Add the recycling rule of a customer level (None: every level without a rule of its own)."""
    check_permission(actor, PoolPermission.MANAGE)
    rule = RecycleRule(**_rule_values(None, level_id, no_followup_days, no_deal_days, warn_days, is_active))
    db.session.add(rule)
    db.session.flush()
    audit.record(actor, "pool.rule_created", rule, diff({}, snapshot(rule, RULE_FIELDS)), label=rule_name(rule))
    return rule


def update_rule(actor: User | None, rule: RecycleRule, *, level_id: int | None,
                no_followup_days: int | None = None, no_deal_days: int | None = None, warn_days: int | None = 3,
                is_active: bool = True) -> RecycleRule:
    check_permission(actor, PoolPermission.MANAGE)
    values = _rule_values(rule, level_id, no_followup_days, no_deal_days, warn_days, is_active)
    before = snapshot(rule, RULE_FIELDS)
    for key, value in values.items():
        setattr(rule, key, value)
    db.session.flush()
    changes = diff(before, snapshot(rule, RULE_FIELDS))
    if changes:
        audit.record(actor, "pool.rule_updated", rule, changes, label=rule_name(rule))
    return rule


def delete_rule(actor: User | None, rule: RecycleRule) -> None:
    check_permission(actor, PoolPermission.MANAGE)
    audit.record(actor, "pool.rule_deleted", rule,
                 {k: [v, None] for k, v in snapshot(rule, RULE_FIELDS).items() if v is not None},
                 label=rule_name(rule))
    db.session.delete(rule)
    db.session.flush()


def rule_name(rule: RecycleRule) -> str:
    return rule.level.label if rule.level is not None else _("Every other level")


def rules() -> list[RecycleRule]:
    return list(db.session.scalars(
        select(RecycleRule).options(selectinload(RecycleRule.level))
        .outerjoin(DictionaryItem, RecycleRule.level_id == DictionaryItem.id)
        .order_by(RecycleRule.level_id.is_(None), DictionaryItem.sort_order, RecycleRule.id)))


# --- administration: role limits and settings -------------------------------------------------

def roles_with_limits() -> list[tuple[Role, RoleLimit | None]]:
    limits = {row.role_id: row for row in db.session.scalars(select(RoleLimit))}
    roles = db.session.scalars(select(Role).order_by(Role.is_builtin.desc(), Role.name, Role.id))
    return [(role, limits.get(role.id)) for role in roles]


def set_role_limit(actor: User | None, role: Role, max_customers: int | None,
                   max_claims_per_day: int | None) -> bool:
    """Set how many customers a role's users may hold and claim per day (None = no limit). Returns whether
    anything changed."""
    check_permission(actor, PoolPermission.MANAGE)
    held = _days(max_customers, f"max_customers_{role.id}", low=0, high=1_000_000)
    daily = _days(max_claims_per_day, f"max_claims_{role.id}", low=0, high=100_000)
    row = db.session.get(RoleLimit, role.id)
    before = {"max_customers": row.max_customers if row else None,
              "max_claims_per_day": row.max_claims_per_day if row else None}
    after = {"max_customers": held, "max_claims_per_day": daily}
    changes = diff(before, after)
    if not changes:
        return False
    if held is None and daily is None:
        if row is not None:
            db.session.delete(row)
    else:
        if row is None:
            row = RoleLimit(role_id=role.id)
            db.session.add(row)
        row.max_customers, row.max_claims_per_day = held, daily
    db.session.flush()
    audit.record(actor, "pool.limit_updated", role, changes, label=role_label(role))
    return True


def set_reclaim_hours(actor: User | None, hours: int | None) -> bool:
    """How long the previous owner must wait before claiming back a customer (0 = no wait)."""
    check_permission(actor, PoolPermission.MANAGE)
    hours = _days(hours, "reclaim_hours", low=0, high=720)
    hours = 0 if hours is None else hours
    before = reclaim_hours()
    if before == hours:
        return False
    set_setting(RECLAIM_HOURS_KEY, str(hours))
    audit.record(actor, "pool.settings_updated", None, {"reclaim_block_hours": [before, hours]},
                 label=str(_("Public pool")))
    return True
