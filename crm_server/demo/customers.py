"""Demo customers: the customer file of an equipment maker, with contacts, a year of follow-ups, the owners'
history (created, transferred, released, claimed), a public pool, and customers left by former employees.

Rows are written with bulk inserts, not through the services, but hold exactly what the services would
write: the normal forms and search text of customers.normalise / customers.search.refresh_keys, an
OwnerChange for every move, and the follow-up dates the customer list sorts on.
"""
from __future__ import annotations

import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, true

from ..contacts.models import Contact
from ..core.dictionaries import items
from ..core.models import User
from ..core.types import utcnow
from ..customers import normalise
from ..customers.models import Customer, CustomerCollaborator, CustomerTag, OwnerChange, Tag
from ..extensions import db
from ..followups.daycounts import rebuild_day_counts
from ..followups.models import FollowUp
from ..pool.models import PublicPool
from . import texts
from .base import DemoContext
from .names import person
from .places import STREETS, City, cities_by_branch

CUSTOMERS = {"small": 400, "large": 4000}
DEFAULT_POOL = "公海"
TAGS = ("重点客户", "老客户转介绍", "政府项目", "外资企业", "年度框架")
BATCH = 1000
YEAR = dt.timedelta(days=365)

# Levels A-D (few A, many C); status by level: (new, intent, deal, lost) weights.
LEVEL_WEIGHTS = (5, 20, 50, 25)
STATUS_WEIGHTS = ((5, 25, 70, 0), (10, 35, 45, 10), (35, 35, 20, 10), (55, 15, 5, 25))
SOURCES = {"电话营销": 15, "网络推广": 20, "展会": 20, "客户介绍": 15, "老客户": 8, "上门拜访": 10, "招投标": 7,
           "其他": 5}
# Follow-ups in the past year by status: (fewest, most)
FOLLOWUPS = {"new": (0, 3), "intent": (2, 7), "deal": (4, 12), "lost": (2, 5)}
POOL_SHARE = 0.08
TRANSFER_SHARE = 0.06
CLAIM_SHARE = 0.05
COLLABORATOR_SHARE = 0.05
FOREIGN_SHARE = 0.03
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "180", "181", "182", "183", "186", "187", "188", "189")
# 统一社会信用代码 (GB 32100-2015): 31 characters and the weights of its check character.
CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = tuple(3 ** i % 31 for i in range(17))
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # the organisation code's check digit (GB 11714)


def seed(ctx: DemoContext) -> None:
    """Customers owned by the demo sales staff in their branches' cities, their contacts and follow-ups."""
    builder = _Builder(ctx)
    for _n in range(CUSTOMERS[ctx.size]):
        builder.customer()
    builder.write()
    ctx.counts.update(customers=len(builder.customers), contacts=builder.contact_count,
                      followups=len(builder.followups),
                      pool_customers=sum(1 for c in builder.customers if c.row["owner_id"] is None))


def credit_code(rng: random.Random, division: str, prefix: str = "91") -> str:
    """A well-formed (made-up) unified social credit code: registration authority and type ("91" a company,
    "52" a private non-enterprise unit), division code, organisation code with its check digit, check character.
    The organisation code starts "MA" as every code issued since 2015 does."""
    body = "MA" + "".join(rng.choice(CODE_CHARS) for _n in range(6))
    total = sum(CODE_CHARS.index(ch) * w for ch, w in zip(body, ORG_WEIGHTS))
    check = 11 - total % 11
    org = body + ("X" if check == 10 else "0" if check == 11 else str(check))
    first = prefix + division + org
    total = sum(CODE_CHARS.index(ch) * w for ch, w in zip(first, CODE_WEIGHTS))
    return first + CODE_CHARS[(31 - total % 31) % 31]


def valid_credit_code(code: str) -> bool:
    if len(code) != 18 or any(ch not in CODE_CHARS for ch in code):
        return False
    total = sum(CODE_CHARS.index(ch) * w for ch, w in zip(code[:17], CODE_WEIGHTS))
    return code[17] == CODE_CHARS[(31 - total % 31) % 31]


@dataclass
class _Staff:
    user: User
    branch: str
    weight: int
    left_at: dt.datetime | None = None  # a former employee: when they left


@dataclass
class _Period:
    start: dt.datetime
    end: dt.datetime
    user_id: int


@dataclass
class _Customer:
    row: dict
    contacts: list[dict]
    periods: list[_Period]
    tags: list[str] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)


class _Builder:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.rng = ctx.rng("customers")
        self.now = utcnow().replace(microsecond=0)
        self.today = self.now.date()
        self.staff = self._staff()
        self.staff_weights = list(itertools.accumulate(s.weight for s in self.staff))
        branches = [b.name for b in ctx.branches]
        self.cities = cities_by_branch(branches)
        self.dictionaries = {kind: items(kind) for kind in ("customer_industry", "customer_source",
                                                            "customer_level", "customer_status")}
        self.pool_id = self._default_pool()
        self.customers: list[_Customer] = []
        self.followups: list[dict] = []
        self.owner_changes: list[dict] = []
        self.collaborators: list[dict] = []
        self.contact_count = 0
        self.name_keys: set[str] = set()
        self.domains: set[str] = set()
        self.mobiles: set[str] = set()
        self.codes: set[str] = set()

    # --- who and where ----------------------------------------------------------------------------

    def _staff(self) -> list[_Staff]:
        """The sales staff who own customers: salespeople most, managers some, the director a few key accounts;
        former salespeople keep what they owned when they left."""
        staff = []
        for user in self.ctx.users:
            branch = user.department.branch.name
            if user.role.code == "sales" and user.title == "销售代表":
                if user.is_active:
                    staff.append(_Staff(user, branch, 10))
                else:
                    left = self.now - dt.timedelta(days=self.rng.randint(30, 120))
                    staff.append(_Staff(user, branch, 6, left_at=left))
            elif user.is_active and user.role.code == "sales_manager" and "销售" in (user.title or ""):
                staff.append(_Staff(user, branch, 3))
            elif user.is_active and user.title == "销售总监":
                staff.append(_Staff(user, branch, 1))
        return staff

    def _default_pool(self) -> int:
        pool = db.session.scalar(select(PublicPool).where(PublicPool.is_active == true())
                                 .order_by(PublicPool.is_default.desc(), PublicPool.id).limit(1))
        if pool is None:
            pool = PublicPool(name=DEFAULT_POOL, is_default=True, is_active=True)
            db.session.add(pool)
            db.session.flush()
        return pool.id

    def _item(self, kind: str, label: str | None = None, index: int | None = None) -> int | None:
        values = self.dictionaries[kind]
        if label is not None:
            return next((v.id for v in values if v.label == label), None)
        return values[min(index, len(values) - 1)].id if values else None

    def _status(self, name: str) -> int | None:
        """The status item for new / intent / deal / lost: by flag, "intent" being the one without a flag."""
        values = self.dictionaries["customer_status"]
        if name == "intent":
            found = next((v for v in values if v.flag is None), None)
        else:
            found = next((v for v in values if v.flag == name), None)
        return found.id if found else None

    def _colleague(self, staff: _Staff, active: bool = True) -> _Staff:
        """Someone else selling in the same branch."""
        same = [s for s in self.staff if s.branch == staff.branch and s is not staff
                and (s.left_at is None or not active)]
        return self.rng.choice(same or [s for s in self.staff if s is not staff and s.left_at is None])

    def _moment(self, days_ago: float) -> dt.datetime:
        """A working-hours moment (09:00-18:00 Beijing time, stored as UTC) about `days_ago` days ago."""
        day = self.today - dt.timedelta(days=int(days_ago))
        at = dt.datetime.combine(day, dt.time(1)) + dt.timedelta(minutes=self.rng.randrange(0, 540, 5))
        return min(at, self.now - dt.timedelta(minutes=10))

    # --- one customer -------------------------------------------------------------------------------

    def customer(self) -> None:
        rng = self.rng
        owner = rng.choices(self.staff, cum_weights=self.staff_weights)[0]
        level = rng.choices(range(4), weights=LEVEL_WEIGHTS)[0]
        status = rng.choices(("new", "intent", "deal", "lost"), weights=STATUS_WEIGHTS[level])[0]
        history = rng.random()
        in_pool = history < POOL_SHARE
        if in_pool and owner.left_at is not None:
            owner = self._colleague(owner)
        if in_pool and status == "deal":
            status = "lost"
        city = rng.choices(self.cities[owner.branch], weights=[c.weight for c in self.cities[owner.branch]])[0]
        row = self._company(city)
        created_days = 14 + int(rng.betavariate(1.3, 2.2) * 1000)
        if owner.left_at is not None:
            created_days = max(created_days, (self.now - owner.left_at).days + 20)
        created = self._moment(created_days)
        periods = self._history(row, owner, created, history)
        source = rng.choices(list(SOURCES), weights=list(SOURCES.values()))[0]
        row.update(industry_id=self._item("customer_industry", label=row.pop("_industry")),
                   source_id=self._item("customer_source", label=source),
                   level_id=self._item("customer_level", index=level), status_id=self._status(status),
                   created_at=created, created_by_id=periods[0].user_id)
        customer = _Customer(row, self._contacts(row, city, created, periods[0].user_id), periods)
        customer.tags = self._tags(row, level, status, source)
        self._followups(customer, status)
        self._finish(customer, status)
        self.customers.append(customer)

    def _company(self, city: City) -> dict:
        rng = self.rng
        district, division = rng.choice(city.districts)
        foreign = rng.random() < FOREIGN_SHARE
        tries = 0
        while True:
            tries += 1
            foreign = foreign and tries < 10  # a dozen made-up brands: few enough to run out of in "large"
            if foreign:
                brand, slug = rng.choice(texts.FOREIGN_BRANDS)
                trade = rng.choice(texts.FOREIGN_TRADES)
                name, short = f"{brand}{trade.word}（{city.short}）有限公司", brand
            else:
                trade = rng.choices(texts.TRADES, weights=texts.TRADE_WEIGHTS)[0]
                first, second = rng.sample(texts.TRADE_CHARS, 2)
                brand, slug = first[0] + second[0], first[1] + second[1]
                name = f"{city.short}{brand}{trade.word}" + ("" if trade.school else "有限公司")
                short = brand + trade.short
            key = normalise.name_key(name)
            if key not in self.name_keys:
                self.name_keys.add(key)
                break
        domain = f"{slug}-{trade.slug}.example.com"
        if domain in self.domains:
            domain = f"{slug}-{trade.slug}-{city.pinyin}.example.com"
        n = 2
        while domain in self.domains:
            domain = f"{slug}-{trade.slug}{n}.example.com"
            n += 1
        self.domains.add(domain)
        while True:
            code = credit_code(rng, division, "52" if trade.school else "91")
            if code not in self.codes:
                self.codes.add(code)
                break
        address = f"{city.name}{district}{rng.choice(STREETS)} {rng.randint(1, 1288)} 号"
        if rng.random() < 0.3:
            address += f" {rng.randint(1, 12)} 号厂房"
        return {
            "name": name, "short_name": short, "kind": "company", "province": city.province, "city": city.name,
            "district": district, "address": address,
            "phone": self._landline(city) if rng.random() < 0.85 else None,
            "email": f"{rng.choice(('info', 'sales', 'service', 'contact'))}@{domain}" if rng.random() < 0.5 else None,
            "website": f"www.{domain}" if rng.random() < 0.6 else None, "credit_code": code,
            "remarks": texts.remark(rng), "credit_rating": None, "_industry": trade.industry, "_domain": domain,
            "_foreign": foreign, "_school": trade.school,
        }

    def _landline(self, city: City) -> str:
        rng = self.rng
        return f"{city.area_code}-{rng.randint(5, 8)}{rng.randint(0, 999):03d} {rng.randint(0, 9999):04d}"

    def _history(self, row: dict, owner: _Staff, created: dt.datetime, history: float) -> list[_Period]:
        """Who owned the customer when: OwnerChange rows for each move, and the owner columns of the row."""
        rng = self.rng
        age = (self.now - created).days
        first = owner
        periods: list[_Period] = []
        moves: list[tuple] = []  # (kind, from staff, to staff, actor id, reason, at)
        row.update(owner_id=owner.user.id, owner_since=created, pool_id=None, released_at=None)
        if history < POOL_SHARE:
            released = self._moment(rng.randint(1, max(1, min(age - 7, 400))))
            periods.append(_Period(created, released, owner.user.id))
            if rng.random() < 0.35:
                days = rng.choice((30, 60, 90))
                moves.append(("recycled", owner, None, None, texts.RECYCLE_REASON.format(days=days), released))
            else:
                moves.append(("released", owner, None, owner.user.id, rng.choice(texts.RELEASE_REASONS), released))
            row.update(owner_id=None, owner_since=None, pool_id=self.pool_id, released_at=released)
        elif history < POOL_SHARE + TRANSFER_SHARE and owner.left_at is None and age > 40:
            first = self._colleague(owner, active=False)
            if first.left_at is not None and first.left_at - created > dt.timedelta(days=20):
                moved = first.left_at + dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
                reason = "离职交接"
            else:
                first = self._colleague(owner)
                moved = self._moment(rng.randint(3, age - 30))
                reason = rng.choice(texts.TRANSFER_REASONS[:3])
            moved = min(moved, self.now - dt.timedelta(hours=1))
            manager = owner.user.manager or owner.user
            periods += [_Period(created, min(moved, first.left_at or moved), first.user.id),
                        _Period(moved, self.now, owner.user.id)]
            moves.append(("transferred", first, owner, manager.id, reason, moved))
            row["owner_since"] = moved
        elif history < POOL_SHARE + TRANSFER_SHARE + CLAIM_SHARE and owner.left_at is None and age > 60:
            first = self._colleague(owner)
            released = self._moment(rng.randint(30, age - 20))
            claimed = min(released + dt.timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 6)),
                          self.now - dt.timedelta(hours=1))
            periods += [_Period(created, released, first.user.id), _Period(claimed, self.now, owner.user.id)]
            moves.append(("released", first, None, first.user.id, rng.choice(texts.RELEASE_REASONS), released))
            moves.append(("claimed", None, owner, owner.user.id, None, claimed))
            row["owner_since"] = claimed
        else:
            periods.append(_Period(created, owner.left_at or self.now, owner.user.id))
        self.owner_changes.append({"customer_id": row, "kind": "created", "from_user_id": None,
                                   "to_user_id": first.user.id, "actor_id": first.user.id, "reason": None,
                                   "at": created})
        for kind, source, target, actor_id, reason, at in moves:
            self.owner_changes.append({"customer_id": row, "kind": kind,
                                       "from_user_id": source.user.id if source else None,
                                       "to_user_id": target.user.id if target else None,
                                       "actor_id": actor_id, "reason": reason, "at": at})
        row["_owner_staff"] = None if history < POOL_SHARE else owner
        return periods

    def _contacts(self, row: dict, city: City, created: dt.datetime, creator_id: int) -> list[dict]:
        rng = self.rng
        count = rng.choices((2, 3, 4), weights=(4, 4, 2))[0]
        first = texts.POSTS[0] if rng.random() < 0.6 else texts.POSTS[2]
        posts = [first] + rng.sample([p for p in texts.POSTS if p is not first], count - 1)
        contacts, names = [], []
        added = sorted(rng.randint(0, 120) for _post in posts)  # minutes: entered with the customer
        for n, (title, department, role) in enumerate(posts):
            while True:
                name, pinyin, gender = person(rng)
                if name not in names:
                    names.append(name)
                    break
            birthday = None
            if rng.random() < 0.6:
                birthday = dt.date(rng.randint(1962, 1996), rng.randint(1, 12), rng.randint(1, 28))
            mobile = self._mobile()
            at = min(created + dt.timedelta(minutes=added[n] + n), self.now)
            contacts.append({
                "name": name, "title": title, "department": department, "mobile": mobile,
                "phone": self._landline(city) if rng.random() < 0.35 else None,
                "email": f"{pinyin}@{row['_domain']}" if rng.random() < 0.5 else None,
                "wechat": (mobile if rng.random() < 0.5 else f"{pinyin}{rng.randint(70, 99)}")
                if rng.random() < 0.3 else None,
                "birthday": birthday, "birthday_md": birthday.strftime("%m-%d") if birthday else None,
                "gender": gender, "decision_role": role, "is_primary": n == 0,
                "remarks": None, "mobile_digits": normalise.phone_digits(mobile), "created_by_id": creator_id,
                "deleted_at": None, "created_at": at, "updated_at": at,
            })
        self.contact_count += len(contacts)
        return contacts

    def _mobile(self) -> str:
        while True:
            mobile = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 99999999):08d}"
            if mobile not in self.mobiles:
                self.mobiles.add(mobile)
                return mobile

    def _tags(self, row: dict, level: int, status: str, source: str) -> list[str]:
        rng = self.rng
        tags = []
        if level == 0 or (level == 1 and rng.random() < 0.2):
            tags.append("重点客户")
        if source == "客户介绍" and rng.random() < 0.8:
            tags.append("老客户转介绍")
        if row["_school"] or rng.random() < 0.03:
            tags.append("政府项目")
        if row["_foreign"]:
            tags.append("外资企业")
        if status == "deal" and level <= 1 and rng.random() < 0.4:
            tags.append("年度框架")
        return tags

    def _followups(self, customer: _Customer, status: str) -> None:
        """Follow-ups of the past year within the periods someone owned the customer; the plans made at each,
        done by the next follow-up; the deal among them for a customer who bought."""
        rng = self.rng
        row = customer.row
        fewest, most = FOLLOWUPS[status]
        count = rng.randint(fewest, most) + (3 if row["level_id"] == self._item("customer_level", index=0) else 0)
        windows = [(max(p.start, self.now - YEAR), p.end, p.user_id) for p in customer.periods]
        windows = [w for w in windows if w[1] - w[0] > dt.timedelta(hours=2)]
        row["last_deal_at"] = None
        if not windows or not count:
            if status == "deal":
                row["last_deal_at"] = (row["created_at"] + (self.now - row["created_at"]) / 3).replace(microsecond=0)
            return
        span = sum(((end - start).total_seconds() for start, end, _u in windows))
        moments = []
        for _n in range(count):
            offset = rng.uniform(0, span)
            for start, end, user_id in windows:
                length = (end - start).total_seconds()
                if offset <= length:
                    at = start + dt.timedelta(seconds=offset)
                    moments.append((self._working_hours(at, start, end), user_id))
                    break
                offset -= length
        moments.sort()
        for n in range(1, len(moments)):  # strictly one after another: a plan is done by the next contact
            if moments[n][0] <= moments[n - 1][0]:
                moments[n] = (moments[n - 1][0] + dt.timedelta(minutes=5), moments[n][1])
        moments = [m for m in moments if m[0] <= self.now]
        deal_index = int(len(moments) * rng.uniform(0.35, 0.75)) if status == "deal" else None
        contacts = customer.contacts
        rows = []
        for n, (at, user_id) in enumerate(moments):
            if status == "new" or (status in ("intent", "lost") and n < len(moments) * 0.4):
                stage = "early"
            elif status == "lost" and n == len(moments) - 1:
                stage = "lost"
            elif status == "deal" and n == deal_index:
                stage = "deal"
            elif status == "deal" and n > deal_index:
                stage = "after"
            else:
                stage = "intent"
            contact = contacts[0] if rng.random() < 0.5 else rng.choice(contacts)
            kind, content, outcome, next_step = texts.followup_text(rng, stage, contact["name"], contact["title"])
            rows.append({"customer_id": row, "contact_id": contact["mobile"], "user_id": user_id, "kind": kind,
                         "happened_at": at, "content": content, "outcome": outcome, "next_step": next_step,
                         "next_followup_at": None, "next_done_at": None,
                         "created_at": at + dt.timedelta(minutes=rng.randint(2, 90))})
            if stage == "deal":
                row["last_deal_at"] = at
        for n, followup in enumerate(rows[:-1]):
            if rng.random() < 0.55:
                followup["next_followup_at"] = self._plan(followup["happened_at"] + dt.timedelta(
                    days=rng.randint(2, 14)))
                followup["next_done_at"] = rows[n + 1]["happened_at"]
        self._last_plan(rows[-1], row, status)
        for followup in rows:
            followup["created_at"] = min(followup["created_at"], self.now)
        customer.followups = rows
        self.followups.extend(rows)
        row["last_followup_at"] = rows[-1]["happened_at"]

    def _working_hours(self, at: dt.datetime, start: dt.datetime, end: dt.datetime) -> dt.datetime:
        """`at` moved into 09:00-18:00 Beijing time of its day, kept inside its owner's period."""
        moved = dt.datetime.combine(at.date(), dt.time(1)) + dt.timedelta(minutes=self.rng.randrange(0, 540, 5))
        return moved if start <= moved <= min(end, self.now) else at.replace(microsecond=0)

    def _plan(self, at: dt.datetime) -> dt.datetime:
        """A planned follow-up at 09:30 Beijing time of that day."""
        return dt.datetime.combine(at.date(), dt.time(1, 30))

    def _last_plan(self, last: dict, row: dict, status: str) -> None:
        """The plan made at the latest follow-up is still open: due in the coming days, or overdue; customers
        of former employees keep theirs (overdue) until someone takes them over; pool customers have none."""
        rng = self.rng
        staff = row["_owner_staff"]
        if staff is None or status == "lost":
            return
        chance = rng.random()
        if staff.left_at is not None:
            if chance < 0.4:
                last["next_followup_at"] = self._plan(last["happened_at"] + dt.timedelta(days=rng.randint(3, 10)))
        elif chance < 0.45:
            last["next_followup_at"] = self._plan(self.now + dt.timedelta(days=rng.randint(1, 10)))
        elif chance < 0.6:
            overdue = self._plan(self.now - dt.timedelta(days=rng.randint(1, 7)))
            last["next_followup_at"] = max(overdue, self._plan(last["happened_at"] + dt.timedelta(days=1)))

    def _finish(self, customer: _Customer, status: str) -> None:
        """The columns the services keep: follow-up dates, search keys, who changed it last, collaborators."""
        rng = self.rng
        row = customer.row
        staff = row.pop("_owner_staff")
        row.setdefault("last_followup_at", None)
        open_plans = [f["next_followup_at"] for f in customer.followups
                      if f["next_followup_at"] is not None and f["next_done_at"] is None]
        row["next_followup_at"] = min(open_plans) if open_plans else None
        row.update(name_key=normalise.name_key(row["name"]), phone_digits=normalise.phone_digits(row["phone"]),
                   email_key=normalise.email_key(row["email"]))
        row["search_text"] = normalise.customer_search_text(
            row["name"], row["short_name"], row["phone"], row["email"],
            [(contact["name"], contact["mobile"], contact["phone"]) for contact in customer.contacts])
        changed = [row["created_at"], row["owner_since"], row["released_at"], row["last_followup_at"]]
        row["updated_at"] = max(c for c in changed if c is not None)
        row["updated_by_id"] = customer.periods[-1].user_id
        row.update(recycle_warned_at=None, deleted_at=None, deleted_by_id=None, merged_into_id=None)
        for key in ("_domain", "_foreign", "_school"):
            row.pop(key)
        if staff is not None and staff.left_at is None and rng.random() < COLLABORATOR_SHARE:
            colleagues = [s for s in self.staff if s.left_at is None and s is not staff
                          and s.user.department_id == staff.user.department_id]
            if colleagues:
                colleague = rng.choice(colleagues)
                added = min(row["owner_since"] + dt.timedelta(days=rng.randint(1, 30)), self.now)
                self.collaborators.append({"customer_id": row, "user_id": colleague.user.id,
                                           "can_edit": rng.random() < 0.3, "added_at": added})

    # --- writing ------------------------------------------------------------------------------------

    def write(self) -> None:
        """Bulk inserts in batches; rows that point at a customer or a contact get its id once it exists."""
        rows = [c.row for c in self.customers]
        customer_ids = _insert_returning_ids(Customer, rows, Customer.name, "name")
        ids = {id(row): customer_ids[row["name"]] for row in rows}
        contact_rows = []
        for customer in self.customers:
            for contact in customer.contacts:
                contact["customer_id"] = ids[id(customer.row)]
                contact_rows.append(contact)
        contact_ids = _insert_returning_ids(Contact, contact_rows, Contact.mobile, "mobile")
        for followup in self.followups:
            followup["customer_id"] = ids[id(followup["customer_id"])]
            followup["contact_id"] = contact_ids[followup["contact_id"]]
        for change in self.owner_changes:
            change["customer_id"] = ids[id(change["customer_id"])]
        for collaborator in self.collaborators:
            collaborator["customer_id"] = ids[id(collaborator["customer_id"])]
        tag_ids = self._tag_ids()
        tag_rows = [{"customer_id": ids[id(c.row)], "tag_id": tag_ids[name]} for c in self.customers
                    for name in c.tags]
        for model, batch in ((FollowUp, self.followups), (OwnerChange, self.owner_changes),
                             (CustomerCollaborator, self.collaborators), (CustomerTag, tag_rows)):
            _insert(model, batch)
        rebuild_day_counts()  # the follow-ups went in by Core inserts, past the session's upkeep

    def _tag_ids(self) -> dict[str, int]:
        existing = {tag.name: tag.id for tag in db.session.scalars(select(Tag).where(Tag.name.in_(TAGS)))}
        for name in TAGS:
            if name not in existing:
                tag = Tag(name=name)
                db.session.add(tag)
                db.session.flush()
                existing[name] = tag.id
        return existing


def _insert(model, rows: list[dict]) -> None:
    # A Core insert on the table: one executemany per batch. (The ORM's bulk insert leaves out None values,
    # which splits the batch into a statement per pattern of empty fields.)
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model.__table__), rows[start:start + BATCH])


def _insert_returning_ids(model, rows: list[dict], key_column, key: str) -> dict:
    """Insert the rows and return {their unique `key`: new id}, read back among the ids the insert made."""
    before = db.session.scalar(select(func.max(model.id))) or 0
    _insert(model, rows)
    stmt = select(key_column, model.id).where(model.id > before)
    return {value: row_id for value, row_id in db.session.execute(stmt)}
