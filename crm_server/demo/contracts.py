"""Demo contracts and money: a contract for most won deals (lines from the accepted quote or the deal) and some
signed from scratch over the past year, the approval flows they went through, payment plans, payments matched
to instalments oldest-due-first, two refunds, invoices, and the debts that make every aging bucket real.

Rows are written with the models, not the services (which the seeders never call), but hold what the services
keep: numbers from the site's pattern with the counter advanced, amount = Σ lines = Σ instalments, received =
Σ confirmed payments = Σ allocations, invoiced = Σ issued invoices, `is_effective` and `is_open` on each
instalment, and an approval request with its tasks and timeline wherever a flow's conditions held."""
from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, true
from sqlalchemy.orm import selectinload

from ..approvals.models import (APPROVED, BRANCH_ROLE, CANCELLED, DEPARTMENT_ROLE, DONE_APPROVED, DONE_REJECTED,
                                MANAGER, NAMED_USER, QUEUED, WAITING, ApprovalCondition, ApprovalEvent,
                                ApprovalFlow, ApprovalRequest, ApprovalStep, ApprovalTask)
from ..approvals.models import PENDING as REQUEST_PENDING
from ..approvals.models import REJECTED as REQUEST_REJECTED
from ..approvals.registry import DOCUMENT_TYPES
from ..contacts.models import Contact
from ..contracts import calc
from ..contracts.models import (ACTIVE, DRAFT, EFFECTIVE_STATUSES, EXECUTED, EXPIRED, PENDING, REJECTED, TERMINATED,
                                Contract, ContractLine, ContractTemplate)
from ..contracts.services import NUMBER_SERIES, number_pattern
from ..core.models import User
from ..core.money import to_fen
from ..core.numbering import NumberCounter, format_number, period_of
from ..core.types import utcnow
from ..customers.models import Customer
from ..customers.services import CREDIT_RATINGS
from ..extensions import db
from ..opportunities.models import WON, Opportunity, OpportunityContact
from ..payments.models import CONFIRMED, ISSUED, VOIDED, Instalment, Invoice, Payment, PaymentAllocation
from ..products.models import Product
from ..quotes.models import ACCEPTED, Quote
from ..reminders.services import remind
from .base import DemoContext


ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
SCRATCH = {"small": 130, "large": 1300}  # contracts signed without a deal in the pipeline
CONTRACT_SHARE = 0.92                     # won deals that got their contract

# Flows (name, document type, priority, conditions (fact, operator, value), steps (name, kind, who)); "who" is
# "director" or "finance" for a named user. A step for a role in the branch would find nobody in the regional
# offices (the sales director and the finance manager sit at the head office), so those steps name the person.
FLOWS = (
    ("合同审批（10万以上）", "contract", 10, (("amount", "ge", "100000"),),
     (("部门经理审批", MANAGER, None), ("销售总监审批", NAMED_USER, "director"))),
    ("合同审批（账期超90天）", "contract", 20, (("payment_days", "gt", "90"),),
     (("部门经理审批", MANAGER, None), ("财务经理审批", NAMED_USER, "finance"))),
    ("合同审批（信用评级低于A）", "contract", 30, (("customer_credit_rating", "lt", "A"),),
     (("部门经理审批", MANAGER, None), ("财务经理审批", NAMED_USER, "finance"))),
    ("报价折扣审批（折扣超20%）", "quote_discount", 10, (("discount_percent", "gt", "20"),),
     (("部门经理审批", MANAGER, None), ("销售总监审批", NAMED_USER, "director"))),
    ("退款审批", "payment_refund", 10, (),
     (("部门经理确认", MANAGER, None), ("财务经理审批", NAMED_USER, "finance"))),
)
FLOW_DESCRIPTIONS = {
    "合同审批（10万以上）": "合同金额 10 万元及以上：部门经理、销售总监依次审批。",
    "合同审批（账期超90天）": "账期超过 90 天的合同（风险预警）：部门经理审批后由财务经理审批。",
    "合同审批（信用评级低于A）": "客户信用评级低于 A（B、C）的合同（风险预警）：部门经理审批后由财务经理审批。",
    "报价折扣审批（折扣超20%）": "报价折扣超过 20%：部门经理、销售总监依次审批。",
    "退款审批": "所有退款：部门经理确认后由财务经理审批。",
}

# Payment plans: (terms printed on the contract, 账期 in days, instalments as (percent, days after the start))
SCHEMES = {
    "sales": (
        ("预付30%，发货前付清余款", 30, ((30, 7), (70, 30))),
        ("预付30%，验收合格后付60%，质保金10%一年后付清", 60, ((30, 7), (60, 60), (10, 365))),
        ("预付50%，验收合格后付50%", 90, ((50, 10), (50, 90))),
        ("货到验收合格后30天内一次付清", 30, ((100, 45),)),
        ("货到验收合格后120天内付清", 120, ((30, 10), (70, 120))),
        ("预付20%，分三期付清余款，账期180天", 180, ((20, 7), (30, 60), (30, 120), (20, 180))),
    ),
    "service": (
        ("按季度付款，每季度初支付", 90, ((25, 0), (25, 91), (25, 182), (25, 273))),
        ("签约后一次性支付年费", 30, ((100, 15),)),
        ("半年付，每半年初支付", 30, ((50, 0), (50, 182))),
    ),
}
SCHEME_WEIGHTS = {"sales": (30, 25, 15, 15, 10, 5), "service": (50, 35, 15)}
SCRATCH_TITLES = {
    "sales": ("{short}{year}年{product}采购合同", "{short}{product}补充采购合同", "{short}备品备件采购合同"),
    "service": ("{short}{year}年度设备维保服务合同", "{short}数控编程培训及技术服务合同"),
    "framework": ("{short}{year}年度备件框架协议",),
    "other": ("{short}设备租赁合同",),
}
SERVICE_CODES = ("SVC-AMC", "SVC-AMC-PRO", "SVC-TRN", "SVC-INS", "SVC-PRC")
SPARE_CATEGORIES_HINT = ("BS-", "LG-", "SP-", "ATC-", "SV-", "PMP-", "CHP-", "TH-", "VS-", "ZP-", "TS-")
REMARKS = (None, None, None, "含运输、安装调试及操作培训", "质保期一年，终身技术支持", "交货地点：客户工厂",
           "合同一式两份，双方各执一份")
# 收款账户 of the company; the reference looks like each bank's 流水号.
ACCOUNTS = (("招商银行上海张江支行 1219 0876 5432 101", "CMB"), ("工商银行上海浦东分行 1001 2345 0900 1234 567", "ICBC"))
METHODS = (("bank_transfer", 78), ("acceptance_bill", 10), ("cheque", 5), ("online", 4), ("cash", 3))
TERMINATION_REASONS = ("客户项目取消，双方协商一致解除合同", "客户生产计划调整，终止后续交付",
                       "客户未按约定支付预付款，我方依约解除合同")
PROFILES = (("prompt", 60), ("late", 25), ("partial", 10), ("defaulting", 5))
APPROVE_COMMENTS = (None, None, "同意", "同意，请注意回款节点", "已核对合同条款，同意", "同意，按计划推进")
REJECT_COMMENTS = ("账期过长，请与客户重新协商付款方式后再提交", "预付款比例过低，风险较大，请调整为不低于30%",
                   "客户有逾期未回款记录，请先收回前期欠款")


@dataclass
class _Spec:
    """A contract to make, before it has a number."""

    customer_id: int
    customer_name: str
    credit_rating: str | None
    owner: User
    contact_id: int | None
    title: str
    contract_type: str
    lines: list[ContractLine]
    start_on: dt.date             # when the work on the contract began (deal won, or the customer asked)
    overall: Decimal = ZERO       # the overall discount % (an accepted quote's)
    opportunity_id: int | None = None
    quote_id: int | None = None
    outcome: str = "signed"       # signed, draft, pending (at step 1 or 2: "pending2"), rejected
    renewed_from: Contract | None = None
    contract: Contract | None = None
    instalments: list[Instalment] = field(default_factory=list)


def _today() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)).date()


class _Seeder:
    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.rng = ctx.rng("contracts")
        self.today = _today()
        self.now = utcnow().replace(microsecond=0)
        self.zone = zoneinfo.ZoneInfo(current_app.config["CRM_SETTINGS"].timezone)
        self.users = {user.id: user for user in ctx.users}
        self.director = next((u for u in ctx.users if u.title == "销售总监"), None)
        self.finance_head = next((u for u in ctx.users if u.title == "财务经理"), None)
        self.finance = [u for u in ctx.active_users("finance")] or [self.director]
        self.products = {p.id: p for p in db.session.scalars(select(Product).order_by(Product.id))}
        self.template_id = db.session.scalar(
            select(ContractTemplate.id).where(ContractTemplate.is_active == true())
            .order_by(ContractTemplate.is_default.desc(), ContractTemplate.id).limit(1))
        self.contacts: dict[int, int] = {}
        for contact_id, customer_id in db.session.execute(select(Contact.id, Contact.customer_id)
                                                          .where(Contact.deleted_at.is_(None)).order_by(Contact.id)):
            self.contacts.setdefault(customer_id, contact_id)
        self.invoice_seq = self.rng.randint(10_000_000, 20_000_000)
        self.waiting: list[ApprovalRequest] = []
        self.unbound: list[tuple[ApprovalRequest, Contract]] = []
        self.customers: dict[int, Customer] = {}
        self.counts = {"contracts": 0, "contract_lines": 0, "payment_instalments": 0, "payments": 0,
                       "invoices": 0, "approval_flows": 0, "approval_requests": 0}

    # --- time -------------------------------------------------------------------------------------------------
    def at(self, on: dt.date, earliest: dt.datetime | None = None) -> dt.datetime:
        """A moment in office hours (09:00-18:00 local) of a local day, as naive UTC, never in the future."""
        local = dt.datetime.combine(on, dt.time(9, 0)) + dt.timedelta(minutes=self.rng.randint(0, 540))
        moment = local.replace(tzinfo=self.zone).astimezone(dt.timezone.utc).replace(tzinfo=None)
        if earliest is not None and moment <= earliest:
            moment = earliest + dt.timedelta(minutes=self.rng.randint(5, 90))
        return min(moment, self.now)

    def pick(self, weighted):
        return self.rng.choices([v for v, _w in weighted], weights=[w for _v, w in weighted])[0]

    # --- flows --------------------------------------------------------------------------------------------------
    def flows(self) -> dict[str, ApprovalFlow]:
        """The demo company's approval flows (kept if a flow of that name is already there)."""
        existing = {f.name: f for f in db.session.scalars(select(ApprovalFlow).options(
            selectinload(ApprovalFlow.conditions), selectinload(ApprovalFlow.steps)))}
        made = {}
        for name, document_type, priority, conditions, steps in FLOWS:
            if name in existing:
                made[name] = existing[name]
                continue
            named = {"director": self.director, "finance": self.finance_head}
            if any(kind == NAMED_USER and named[who] is None for _s, kind, who in steps):
                continue
            flow = ApprovalFlow(document_type=document_type, name=name, priority=priority, is_active=True,
                                description=FLOW_DESCRIPTIONS[name])
            flow.conditions = [ApprovalCondition(fact=f, operator=o, value=v) for f, o, v in conditions]
            flow.steps = [ApprovalStep(position=n, name=step_name, approver_kind=kind,
                                       user_id=named[who].id if who else None)
                          for n, (step_name, kind, who) in enumerate(steps, start=1)]
            db.session.add(flow)
            made[name] = flow
            self.counts["approval_flows"] += 1
        db.session.flush()
        return made

    def contract_flow(self, flows: dict[str, ApprovalFlow], amount: Decimal, payment_days: int | None,
                      rating: str | None) -> ApprovalFlow | None:
        """The first active contract flow, by priority, whose conditions all hold (as approvals.submit picks)."""
        facts = {"amount": amount, "payment_days": payment_days, "customer_credit_rating": rating,
                 "contract_type": None, "discount_percent": None}
        candidates = sorted((f for f in flows.values() if f.document_type == "contract" and f.is_active),
                            key=lambda f: (f.priority, f.id))
        for flow in candidates:
            if all(_holds(facts.get(c.fact), c.operator, c.value, c.fact) for c in flow.conditions):
                return flow
        return None

    def approvers(self, step: ApprovalStep, owner: User) -> list[int]:
        """Who a step resolves to for a document `owner` submitted, as approvals.resolve_step finds them: never
        the submitter, never a disabled user; the manager is the first active one up the reporting line."""
        if step.approver_kind == NAMED_USER:
            user = self.users.get(step.user_id)
            return [user.id] if user is not None and user.is_active and user.id != owner.id else []
        if step.approver_kind == MANAGER:
            seen, manager = {owner.id}, owner.manager
            while manager is not None and manager.id not in seen:
                if manager.is_active:
                    return [manager.id]
                seen.add(manager.id)
                manager = manager.manager
            return []
        if step.approver_kind in (DEPARTMENT_ROLE, BRANCH_ROLE):
            return [u.id for u in self.ctx.users if u.is_active and u.role_id == step.role_id and u.id != owner.id
                    and (u.department_id == owner.department_id if step.approver_kind == DEPARTMENT_ROLE
                         else u.department.branch_id == owner.department.branch_id)]
        return []

    def request(self, flow: ApprovalFlow, document_type: str, document, owner: User, submitted_at: dt.datetime,
                outcome: str, stop_at: int = 1, deadline: dt.datetime | None = None) -> ApprovalRequest | None:
        """An approval request as approvals.submit and decide leave it: every step's approvers resolved at
        submission (later steps queued), run to `outcome` — approved (each step decided by `deadline`, when
        given), rejected at step `stop_at` (the queued tasks cancelled), or pending at step `stop_at` (its
        tasks waiting). None when a step resolves to nobody (submit would refuse the document)."""
        resolved = [(step, self.approvers(step, owner)) for step in flow.steps]
        if not resolved or any(not people for _step, people in resolved):
            return None
        kind = DOCUMENT_TYPES.get(document_type)
        title = kind.title(document) if kind is not None else str(document)
        amount = kind.amount(document) if kind is not None else None
        # a contract not flushed yet gets its id once all are (see `bind_documents`)
        request = ApprovalRequest(document_type=document_type, document_id=document.id or 0, flow_id=flow.id,
                                  flow_name=flow.name, step_count=len(resolved), current_position=1,
                                  status=REQUEST_PENDING, title=(title or "")[:200],
                                  amount=Decimal(str(amount)) if amount is not None else None, owner_id=owner.id,
                                  submitted_by_id=owner.id, submitted_at=submitted_at)
        request.events.append(ApprovalEvent(action="submitted", actor_id=owner.id, at=submitted_at))
        tasks = {}
        for position, (step, people) in enumerate(resolved, start=1):
            tasks[position] = [ApprovalTask(position=position, step_name=step.name, approver_id=person,
                                            status=WAITING if position == 1 else QUEUED, created_at=submitted_at)
                               for person in people]
            request.tasks.extend(tasks[position])
        moment = submitted_at
        for position, (step, _people) in enumerate(resolved, start=1):
            request.current_position = position
            for task in tasks[position]:
                task.status, task.created_at = WAITING, moment
            if outcome == "pending" and position == stop_at:
                break
            if deadline is not None:
                span = max(deadline - moment, dt.timedelta(0))
                moment = moment + span * self.rng.uniform(0.3, 0.8) if position < len(resolved) else \
                    max(deadline, moment)
            else:
                moment = moment + dt.timedelta(hours=self.rng.randint(1, 30))
            moment = min(moment, self.now)
            rejecting = outcome == "rejected" and position == stop_at
            decider, *others = tasks[position]
            decider.status, decider.decided_at = (DONE_REJECTED if rejecting else DONE_APPROVED), moment
            for other in others:
                other.status, other.decided_at = CANCELLED, moment
            comment = self.rng.choice(REJECT_COMMENTS) if rejecting else self.rng.choice(APPROVE_COMMENTS)
            request.events.append(ApprovalEvent(position=position, step_name=step.name,
                                                actor_id=decider.approver_id,
                                                action="rejected" if rejecting else "approved", comment=comment,
                                                at=moment))
            if rejecting:
                request.status, request.decided_at = REQUEST_REJECTED, moment
                for task in request.tasks:
                    if task.status == QUEUED:
                        task.status, task.decided_at = CANCELLED, moment
                break
        else:
            request.status, request.decided_at = APPROVED, moment
        db.session.add(request)
        if document.id is None:
            self.unbound.append((request, document))
        self.counts["approval_requests"] += 1
        if request.status == REQUEST_PENDING:
            self.waiting.append(request)
        return request

    def remind_approvers(self) -> None:
        """The reminder approvals.submit (or a decision opening the next step) gives each waiting approver."""
        for request in self.waiting:
            kind = DOCUMENT_TYPES.get(request.document_type)
            label = kind.label if kind is not None else request.document_type
            title = _("%(type)s awaits your approval: %(title)s", type=label, title=request.title)
            for task in request.tasks:
                if task.status == WAITING:
                    remind(task.approver_id, "approval_task", title, task.created_at,
                           f"approval:{request.id}:{request.current_position}", "approvals", request.id)

    # --- what to make -------------------------------------------------------------------------------------------
    def specs(self) -> list[_Spec]:
        rng = self.rng
        specs: list[_Spec] = []
        customers = self.customers = {c.id: c for c in db.session.scalars(
            select(Customer).where(Customer.deleted_at.is_(None)).order_by(Customer.id))}
        quotes = {}
        for quote in db.session.scalars(select(Quote).options(selectinload(Quote.lines))
                                        .where(Quote.status == ACCEPTED).order_by(Quote.id)):
            quotes[quote.opportunity_id] = quote
        involved = dict(db.session.execute(select(OpportunityContact.opportunity_id, OpportunityContact.contact_id)
                                           .order_by(OpportunityContact.contact_id)).all())
        won = db.session.scalars(select(Opportunity).options(selectinload(Opportunity.lines))
                                 .where(Opportunity.status == WON, Opportunity.deleted_at.is_(None))
                                 .order_by(Opportunity.id)).all()
        for opportunity in won:
            customer = customers.get(opportunity.customer_id)
            owner = self.users.get(opportunity.owner_id)
            quote = quotes.get(opportunity.id)
            if customer is None or owner is None or (quote is None and not opportunity.lines):
                continue
            if rng.random() > CONTRACT_SHARE:
                continue
            closed = opportunity.closed_on or self.today
            lines = _quote_lines(quote) if quote is not None else self.opportunity_lines(opportunity)
            kind = "framework" if "框架" in opportunity.name else "sales"
            contact = (quote.contact_id if quote is not None and quote.contact_id else
                       involved.get(opportunity.id) or self.contacts.get(customer.id))
            # titled as the services title a contract made from the quote or the deal
            spec = _Spec(customer.id, customer.name, customer.credit_rating, owner, contact,
                         (quote.title if quote is not None else opportunity.name)[:200], kind, lines,
                         min(closed, self.today), opportunity_id=opportunity.id,
                         quote_id=quote.id if quote is not None else None,
                         overall=quote.overall_discount_percent if quote is not None else ZERO)
            age = (self.today - closed).days
            if age <= 3:
                spec.outcome = rng.choice(("draft", "draft", "pending"))
            elif age <= 8 and rng.random() < 0.4:
                spec.outcome = "pending"
            specs.append(spec)
        owned = [c for c in customers.values()
                 if c.owner_id in self.users and self.users[c.owner_id].is_active
                 and self.users[c.owner_id].role.code in ("sales", "sales_manager")]
        if not owned:
            return specs
        for n in range(SCRATCH[self.ctx.size]):
            customer = rng.choice(owned)
            kind = rng.choices(("sales", "service", "framework", "other"), weights=(55, 35, 6, 4))[0]
            started = self.today - dt.timedelta(days=rng.randint(2, 360))
            spec = self.scratch(customer, kind, started)
            roll = rng.random()
            if (self.today - started).days < 25:
                spec.outcome = "draft" if roll < 0.5 else "pending" if roll < 0.8 else "signed"
            elif roll < 0.03:
                spec.outcome = "rejected"
            specs.append(spec)
        self.renewals(specs, owned)
        self.sample_approvals(specs, customers)
        return specs

    def scratch(self, customer: Customer, kind: str, started: dt.date) -> _Spec:
        rng = self.rng
        products = [p for p in self.products.values() if p.is_on_sale]
        if kind == "service":
            picked = [p for p in products if p.code in SERVICE_CODES] or products
            picked = rng.sample(picked, min(len(picked), rng.choice((1, 1, 2))))
        elif kind in ("framework", "other"):
            spares = [p for p in products if p.code.startswith(SPARE_CATEGORIES_HINT)] or products
            picked = rng.sample(spares, min(len(spares), rng.choice((2, 3, 4))))
        else:
            picked = rng.sample(products, rng.choice((1, 1, 2, 3)))
        lines = []
        for order, product in enumerate(picked, start=1):
            unit = product.unit or ""
            quantity = Decimal(rng.choice((1, 1, 2, 3))) if unit in ("台", "套", "年", "次") else \
                Decimal(rng.randint(2, 30))
            discount = Decimal(rng.choice((0, 0, 3, 5, 8)))
            lines.append(_line(product.id, product.name, product.specification, product.unit, quantity,
                               product.list_price, discount, product.tax_rate, order))
        short = customer.short_name or customer.name[:4]
        title = rng.choice(SCRATCH_TITLES[kind]).format(short=short, year=started.year,
                                                        product=picked[0].name.split()[0])
        owner = self.users[customer.owner_id]
        return _Spec(customer.id, customer.name, customer.credit_rating, owner, self.contacts.get(customer.id),
                     title[:200], kind, lines, started)

    def opportunity_lines(self, opportunity: Opportunity) -> list[ContractLine]:
        lines = []
        for order, line in enumerate(opportunity.lines, start=1):
            product = self.products.get(line.product_id)
            lines.append(_line(line.product_id, line.description, product.specification if product else None,
                               product.unit if product else None, line.quantity, line.unit_price,
                               line.discount_percent, product.tax_rate if product else Decimal("13.00"), order))
        return lines

    def renewals(self, specs: list[_Spec], owned: list[Customer]) -> None:
        """A few service contracts signed 7-12 months ago for half a year, renewed when they ran out."""
        rng = self.rng
        for _n in range(3 if self.ctx.size == "small" else 20):
            customer = rng.choice(owned)
            started = self.today - dt.timedelta(days=rng.randint(200, 330))
            old = self.scratch(customer, "service", started)
            old.title = f"{customer.short_name or customer.name[:4]}{started.year}年上半年设备维保服务合同"[:200]
            old.outcome = "signed-half-year"
            renewal = self.scratch(customer, "service", started + dt.timedelta(days=180))
            renewal.lines = [_copy_line(line) for line in old.lines]
            renewal.title = old.title.replace("上半年", "下半年至次年")
            renewal.renewed_from = old  # resolved to the contract once the old one is made
            specs += [old, renewal]

    def sample_approvals(self, specs: list[_Spec], customers: dict[int, Customer]) -> None:
        """Something in "waiting for me" for the sample manager (step 1) and the director (step 2), and a
        contract a manager rejected."""
        names = self.ctx.sample_usernames
        rep = next((u for u in self.ctx.users if len(names) > 2 and u.username == names[2]), None)
        if rep is None:
            return
        mine = [c for c in customers.values() if c.owner_id == rep.id]
        if not mine:
            return
        for n, outcome in enumerate(("pending", "pending2", "rejected")):
            started = self.today - dt.timedelta(days=(2, 4, 12)[n])
            spec = self.scratch(mine[n % len(mine)], "sales", started)
            big = max(self.products.values(), key=lambda p: (p.unit == "台", -abs(p.list_price - 600000)))
            spec.lines = [_line(big.id, big.name, big.specification, big.unit, Decimal(1), big.list_price,
                                Decimal(5), big.tax_rate, 1)]
            spec.title = f"{mine[n % len(mine)].short_name or ''}{big.name.split()[0]}采购合同"
            spec.outcome = outcome
            specs.append(spec)

    # --- making them --------------------------------------------------------------------------------------------
    def make(self, spec: _Spec, flows: dict[str, ApprovalFlow], numbers: _Numbers) -> None:
        """The contract with its lines, its approval as far as it got, and its payment plan."""
        rng = self.rng
        amount = calc.compute(spec.lines, spec.overall).total if spec.lines else ZERO
        kind = "service" if spec.contract_type == "service" else "sales"
        terms, payment_days, parts = rng.choices(SCHEMES[kind], weights=SCHEME_WEIGHTS[kind])[0]
        if spec.outcome == "rejected":
            terms, payment_days, parts = SCHEMES["sales"][5]  # the long credit period the manager refused
        half_year = spec.outcome == "signed-half-year"
        if half_year:
            terms, payment_days, parts = SCHEMES["service"][2]
        flow = self.contract_flow(flows, amount, payment_days, spec.credit_rating)
        outcome = "signed" if half_year else spec.outcome
        if outcome in ("pending", "pending2", "rejected") and flow is None:
            outcome = "draft"
        if outcome == "pending2" and len(flow.steps) < 2:
            outcome = "pending"
        created_on = min(spec.start_on + dt.timedelta(days=rng.randint(0, 2)), self.today)
        created_at = self.at(created_on)
        submitted_at = approved_at = sign_date = None
        if outcome != "draft":
            submitted_on = min(created_on + dt.timedelta(days=rng.randint(0, 2)), self.today)
            submitted_at = self.at(submitted_on, created_at)
        if outcome == "signed":
            sign_date = max(min(created_on + dt.timedelta(days=rng.randint(2, 8)), self.today), submitted_at.date())
        start_date = sign_date or (created_on + dt.timedelta(days=rng.randint(5, 15)))
        if spec.contract_type != "service":
            start_date += dt.timedelta(days=rng.randint(0, 5))
        months = 6 if half_year else 12 if spec.contract_type in ("service", "framework") else rng.choice((3, 4, 6, 9))
        renewed = spec.renewed_from.contract if spec.renewed_from is not None else None
        if renewed is not None:  # starts the day after the old one ends
            start_date = renewed.end_date + dt.timedelta(days=1)
            months = 12
        end_date = _add_months(start_date, months) - dt.timedelta(days=1)
        number = numbers.next(sign_date or created_on)
        contract = Contract(
            number=number, revision=0, revision_of_id=None, renewed_from=renewed,
            customer=self.customers[spec.customer_id], customer_id=spec.customer_id,
            contact_id=spec.contact_id, opportunity_id=spec.opportunity_id, quote_id=spec.quote_id,
            template_id=self.template_id, title=spec.title, contract_type=spec.contract_type,
            overall_discount_percent=spec.overall, sign_date=sign_date, start_date=start_date, end_date=end_date,
            payment_terms=terms, payment_days=payment_days, owner_id=spec.owner.id, status=DRAFT,
            remarks=rng.choice(REMARKS), submitted_at=submitted_at, created_by_id=spec.owner.id,
            updated_by_id=spec.owner.id, created_at=created_at, updated_at=created_at)
        contract.lines = spec.lines
        calc.apply(contract)  # the lines' amounts and the contract's (tax included), as the services store them
        if contract.amount != amount:
            raise AssertionError(f"{contract.amount} != {amount}")
        db.session.add(contract)
        spec.contract = contract
        self.counts["contracts"] += 1
        self.counts["contract_lines"] += len(spec.lines)
        request = None
        if outcome == "signed":
            if flow is not None:
                local_end = dt.datetime.combine(sign_date, dt.time(17, 0)).replace(tzinfo=self.zone)
                deadline = local_end.astimezone(dt.timezone.utc).replace(tzinfo=None)
                deadline = min(max(deadline, submitted_at + dt.timedelta(minutes=30)), self.now)
                request = self.request(flow, "contract", contract, spec.owner, submitted_at, "approved",
                                       deadline=deadline)
            # no flow matched (or nobody to ask): active on submitting
            approved_at = request.decided_at if request is not None else submitted_at
            contract.status, contract.approved_at = ACTIVE, approved_at
        elif outcome in ("pending", "pending2"):
            request = self.request(flow, "contract", contract, spec.owner, submitted_at, "pending",
                                   stop_at=1 if outcome == "pending" else 2)
            contract.status = PENDING if request is not None else DRAFT
        elif outcome == "rejected":
            request = self.request(flow, "contract", contract, spec.owner, submitted_at, "rejected")
            contract.status = REJECTED if request is not None else DRAFT
        if contract.status == DRAFT:
            contract.submitted_at = None
        moments = (created_at, contract.submitted_at, approved_at, request.decided_at if request else None)
        contract.updated_at = max(d for d in moments if d is not None)
        spec.instalments = self.plan(contract, parts, start_date)

    def plan(self, contract: Contract, parts, start_date: dt.date) -> list[Instalment]:
        """Instalments summing exactly to the amount (the fen left over by rounding goes on the last)."""
        instalments = []
        left = contract.amount
        for sequence, (percent, days) in enumerate(parts, start=1):
            amount = left if sequence == len(parts) else to_fen(contract.amount * Decimal(percent) / HUNDRED)
            left -= amount
            instalments.append(Instalment(
                contract=contract, customer_id=contract.customer_id, owner_id=contract.owner_id,
                sequence=sequence, due_date=start_date + dt.timedelta(days=days), amount=amount,
                received_amount=ZERO, is_open=amount > ZERO, is_effective=False,
                remarks=_instalment_label(percent, sequence, len(parts))))
        db.session.add_all(instalments)
        self.counts["payment_instalments"] += len(instalments)
        return instalments

    def payments(self, spec: _Spec, terminated_on: dt.date | None) -> list[Payment]:
        """Money received on a signed contract, by how its customer pays, matched oldest-due-first."""
        rng = self.rng
        contract = spec.contract
        profile = self.pick(PROFILES)
        lateness = rng.randint(12, 170)
        last_day = min(self.today, terminated_on or self.today)
        events: list[tuple[dt.date, Decimal]] = []
        for k, instalment in enumerate(spec.instalments):
            due = instalment.due_date
            if profile == "defaulting" and k >= 1:
                break
            if profile == "prompt":
                plan = [(due + dt.timedelta(days=rng.randint(-6, 12)), instalment.amount)]
            elif profile == "late":
                plan = [(due + dt.timedelta(days=max(1, lateness + rng.randint(-10, 10))), instalment.amount)]
            elif profile == "partial" and instalment.amount >= Decimal(1000):
                first = to_fen(instalment.amount * Decimal(rng.choice(("0.3", "0.5", "0.6"))))
                paid_on = due + dt.timedelta(days=rng.randint(0, 20))
                plan = [(paid_on, first), (paid_on + dt.timedelta(days=rng.randint(25, 130)),
                                           instalment.amount - first)]
            else:
                plan = [(due + dt.timedelta(days=rng.randint(-3, 10)), instalment.amount)]
            for paid_on, amount in plan:
                paid_on = max(paid_on, contract.sign_date)
                if paid_on <= last_day:
                    events.append((paid_on, amount))
        events.sort(key=lambda e: e[0])
        merged: list[tuple[dt.date, Decimal]] = []
        for paid_on, amount in events:  # now and then two instalments come in one transfer
            if merged and (paid_on - merged[-1][0]).days <= 4 and rng.random() < 0.5:
                merged[-1] = (merged[-1][0], merged[-1][1] + amount)
            else:
                merged.append((paid_on, amount))
        return [self.payment(spec, paid_on, amount) for paid_on, amount in merged]

    def payment(self, spec: _Spec, paid_on: dt.date, amount: Decimal) -> Payment:
        """A confirmed payment allocated to the open instalments, oldest due first; the rest is unallocated."""
        rng = self.rng
        contract = spec.contract
        method = self.pick(METHODS)
        account, bank = rng.choice(ACCOUNTS)
        reference = {
            "bank_transfer": f"{bank}{paid_on:%Y%m%d}{rng.randrange(10 ** 8):08d}",
            "online": f"{bank}{paid_on:%Y%m%d}{rng.randrange(10 ** 8):08d}",
            "acceptance_bill": f"银行承兑汇票 {rng.randrange(10 ** 4):04d}{paid_on:%Y%m%d}{rng.randrange(10 ** 6):06d}",
            "cheque": f"转账支票 {rng.randrange(10 ** 8):08d}",
            "cash": None,
        }[method]
        if method == "cash":
            account = "现金"
        recorded_at = self.at(min(paid_on + dt.timedelta(days=rng.choice((0, 0, 1, 2))), self.today))
        payment = Payment(contract=contract, customer_id=contract.customer_id, owner_id=contract.owner_id,
                          received_on=paid_on, amount=amount, method=method, account=account, reference=reference,
                          status=CONFIRMED, recorded_by_id=rng.choice(self.finance).id,
                          created_at=recorded_at, updated_at=recorded_at)
        left = amount
        for instalment in sorted(spec.instalments, key=lambda i: (i.due_date, i.sequence)):
            if left <= ZERO:
                break
            open_amount = instalment.amount - instalment.received_amount
            if open_amount <= ZERO:
                continue
            part = min(open_amount, left)
            payment.allocations.append(PaymentAllocation(instalment=instalment, amount=part))
            instalment.received_amount += part
            instalment.is_open = instalment.amount > instalment.received_amount
            left -= part
        payment.unallocated_amount = left
        names = "、".join(f"第{a.instalment.sequence}期" for a in payment.allocations)
        payment.remarks = f"{names}回款" if names else "多收款项，待退回"
        contract.received_amount += amount
        db.session.add(payment)
        self.counts["payments"] += 1
        return payment

    def refund(self, spec: _Spec, flow: ApprovalFlow | None, paid_on: dt.date, amount: Decimal,
               reason: str, from_instalments: bool) -> Payment:
        """A refund (a negative payment) approved by the refund flow; taken back from the latest instalments
        that received money, or from money received over the amount."""
        contract = spec.contract
        recorded_at = self.at(paid_on)
        payment = Payment(contract=contract, customer_id=contract.customer_id, owner_id=contract.owner_id,
                          received_on=paid_on, amount=-amount, method="bank_transfer",
                          account=ACCOUNTS[0][0], reference=f"CMB{paid_on:%Y%m%d}{self.rng.randrange(10 ** 8):08d}",
                          status=CONFIRMED, remarks=reason, recorded_by_id=self.rng.choice(self.finance).id,
                          created_at=recorded_at, updated_at=recorded_at)
        left = amount
        if from_instalments:
            for instalment in sorted(spec.instalments, key=lambda i: (i.due_date, i.sequence), reverse=True):
                part = min(instalment.received_amount, left)
                if part <= ZERO:
                    continue
                payment.allocations.append(PaymentAllocation(instalment=instalment, amount=-part))
                instalment.received_amount -= part
                instalment.is_open = instalment.amount > instalment.received_amount
                left -= part
        payment.unallocated_amount = -left
        contract.received_amount -= amount
        db.session.add(payment)
        db.session.flush()
        self.counts["payments"] += 1
        if flow is not None:
            submitted = recorded_at - dt.timedelta(days=self.rng.randint(2, 4))
            self.request(flow, "payment_refund", payment, spec.owner, submitted, "approved",
                         deadline=recorded_at - dt.timedelta(hours=2))
        return payment

    def invoices(self, spec: _Spec, payments: list[Payment]) -> None:
        """专票 for most companies, 普票 for some; mostly one invoice per payment received, some issued on the
        due date before the money came, now and then one voided and issued again."""
        rng = self.rng
        contract = spec.contract
        invoice_type = "special" if rng.random() < 0.75 else "normal"
        tax_rate = max((line.tax_rate for line in contract.lines), default=Decimal("13.00"))
        wanted: list[tuple[dt.date, Decimal, str]] = []
        if rng.random() < 0.12:  # 先票后款: invoiced on each instalment's due date
            for instalment in spec.instalments:
                on = instalment.due_date - dt.timedelta(days=rng.randint(0, 7))
                if contract.sign_date <= on <= self.today:
                    wanted.append((on, instalment.amount, f"第{instalment.sequence}期"))
        else:
            for payment in payments:
                if payment.amount > ZERO and payment.unallocated_amount == ZERO and rng.random() < 0.88:
                    on = min(payment.received_on + dt.timedelta(days=rng.randint(0, 12)), self.today)
                    wanted.append((on, payment.amount, payment.remarks or ""))
        for on, amount, remark in wanted:
            if rng.random() < 0.03:  # 开错抬头: voided, then issued again
                self.invoice(contract, spec, on, amount, invoice_type, tax_rate, "抬头有误，已作废重开", VOIDED)
            self.invoice(contract, spec, on, amount, invoice_type, tax_rate, remark, ISSUED)

    def invoice(self, contract: Contract, spec: _Spec, on: dt.date, amount: Decimal, invoice_type: str,
                tax_rate: Decimal, remark: str, status: str) -> None:
        self.invoice_seq += self.rng.randint(1, 40)
        at = self.at(on)
        invoice = Invoice(contract=contract, customer_id=contract.customer_id, owner_id=contract.owner_id,
                          number=f"{on.year % 100:02d}3120000{self.invoice_seq:011d}", invoice_type=invoice_type,
                          amount=amount, tax_rate=tax_rate, issued_on=on, status=status, title=spec.customer_name,
                          remarks=remark or None, recorded_by_id=self.rng.choice(self.finance).id,
                          created_at=at, updated_at=at,
                          voided_at=min(at + dt.timedelta(hours=3), self.now) if status == VOIDED else None)
        if status == ISSUED:
            contract.invoiced_amount += amount
        db.session.add(invoice)
        self.counts["invoices"] += 1

    def settle(self, spec: _Spec, terminated_on: dt.date | None) -> None:
        """The status a signed contract has today, and the flag its instalments carry."""
        contract = spec.contract
        if terminated_on is not None:
            contract.status = TERMINATED
            contract.closed_at = self.at(terminated_on)
            contract.termination_reason = self.rng.choice(TERMINATION_REASONS)
        elif contract.end_date < self.today:
            contract.status = EXECUTED if contract.received_amount >= contract.amount else EXPIRED
            contract.closed_at = self.at(contract.end_date + dt.timedelta(days=1))
        effective = contract.status in EFFECTIVE_STATUSES
        for instalment in spec.instalments:
            instalment.is_effective = effective
        moments = [contract.updated_at, contract.closed_at]
        contract.updated_at = min(max(m for m in moments if m is not None), self.now)


def seed(ctx: DemoContext) -> None:
    if not ctx.users:
        return
    seeder = _Seeder(ctx)
    rng = seeder.rng
    flows = seeder.flows()
    specs = seeder.specs()
    numbers = _Numbers(NUMBER_SERIES, number_pattern())
    # numbered in the order they were signed (drafts and pending ones by the day they were written)
    specs.sort(key=lambda s: (s.renewed_from is not None, s.start_on))
    for spec in specs:
        seeder.make(spec, flows, numbers)
    numbers.save()
    db.session.flush()
    for request, document in seeder.unbound:
        request.document_id = document.id
    signed = [s for s in specs if s.contract.status == ACTIVE]
    old = [s for s in signed if (seeder.today - s.contract.sign_date).days > 90 and s.renewed_from is None]
    terminated = {id(s): s.contract.sign_date + dt.timedelta(days=rng.randint(25, 80))
                  for s in rng.sample(old, min(len(old), 3 if ctx.size == "small" else 25))}
    refund_flow = next((f for f in flows.values() if f.document_type == "payment_refund"), None)
    paid: dict[int, list[Payment]] = {}
    for spec in signed:
        paid[id(spec)] = seeder.payments(spec, terminated.get(id(spec)))
    db.session.flush()
    # A customer who paid the last instalment twice, refunded; a terminated contract's advance, half refunded.
    twice = next((s for s in signed if id(s) not in terminated and paid[id(s)]
                  and s.contract.received_amount == s.contract.amount
                  and (seeder.today - paid[id(s)][-1].received_on).days > 20), None)
    if twice is not None:
        last = paid[id(twice)][-1]
        again = seeder.payment(twice, last.received_on + dt.timedelta(days=rng.randint(1, 3)), last.amount)
        paid[id(twice)].append(again)
        db.session.flush()
        seeder.refund(twice, refund_flow, again.received_on + dt.timedelta(days=rng.randint(6, 12)), again.amount,
                      "客户重复付款，原路退回", from_instalments=False)
    cancelled = next((s for s in signed if id(s) in terminated and s.contract.received_amount > ZERO), None)
    if cancelled is not None:
        back = to_fen(cancelled.contract.received_amount / 2)
        on = min(terminated[id(cancelled)] + dt.timedelta(days=rng.randint(5, 20)), seeder.today)
        seeder.refund(cancelled, refund_flow, on, back, "合同解除，按协议退还部分预付款", from_instalments=True)
    for spec in signed:
        seeder.invoices(spec, [p for p in paid[id(spec)] if p.status == CONFIRMED])
        seeder.settle(spec, terminated.get(id(spec)))
    db.session.flush()
    seeder.remind_approvers()
    ctx.counts.update(seeder.counts)


class _Numbers:
    """Numbers from the site's pattern as core.numbering.next_number gives them, counted here and written to the
    counter rows once at the end (thousands of contracts, one writer): a contract made later gets the next."""

    def __init__(self, series: str, pattern: str):
        self.series, self.pattern = series, pattern
        self.values = dict(db.session.execute(select(NumberCounter.period, NumberCounter.value)
                                              .where(NumberCounter.series == series)).all())
        self.touched: set[str] = set()

    def next(self, on: dt.date) -> str:
        period = period_of(self.pattern, on)
        self.values[period] = self.values.get(period, 0) + 1
        self.touched.add(period)
        return format_number(self.pattern, on, self.values[period])

    def save(self) -> None:
        for period in sorted(self.touched):
            row = db.session.get(NumberCounter, (self.series, period))
            if row is None:
                db.session.add(NumberCounter(series=self.series, period=period, value=self.values[period]))
            else:
                row.value = self.values[period]


# --- helpers -------------------------------------------------------------------------------------------------------

def _holds(value, operator: str, expected: str, fact: str) -> bool:
    """A condition on a fact, as the approvals domain tests it (no value: it does not hold)."""
    if value is None:
        return False
    if fact == "customer_credit_rating":
        if value not in CREDIT_RATINGS or expected not in CREDIT_RATINGS:
            return False
        # first is best: "lt A" holds for the ratings after A
        left, right = -CREDIT_RATINGS.index(value), -CREDIT_RATINGS.index(expected)
    else:
        left, right = Decimal(value), Decimal(expected)
    return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right,
            "eq": left == right, "ne": left != right}[operator]


def _line(product_id, description, specification, unit, quantity, unit_price, discount, tax_rate,
          order: int) -> ContractLine:
    """A line at a price before tax (the amount is set by contracts.calc)."""
    return ContractLine(product_id=product_id, description=description[:200], specification=specification,
                        unit=unit, quantity=Decimal(quantity), unit_price=Decimal(unit_price),
                        discount_percent=Decimal(discount), tax_rate=Decimal(tax_rate), sort_order=order)


def _copy_line(line: ContractLine) -> ContractLine:
    return _line(line.product_id, line.description, line.specification, line.unit, line.quantity, line.unit_price,
                 line.discount_percent, line.tax_rate, line.sort_order)


def _quote_lines(quote: Quote) -> list[ContractLine]:
    """The accepted quote's lines as they are (with its overall discount the contract's amount is the quote's
    grand total, to the fen)."""
    return [_line(line.product_id, line.description, line.specification, line.unit, line.quantity, line.unit_price,
                  line.discount_percent, line.tax_rate, line.sort_order) for line in quote.lines]


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def _instalment_label(percent: int, sequence: int, count: int) -> str:
    if count == 1:
        return "一次性付款"
    if sequence == 1 and percent <= 50:
        return f"预付款（{percent}%）"
    if sequence == count and percent <= 10:
        return f"质保金（{percent}%）"
    return f"第{sequence}期（{percent}%）"
