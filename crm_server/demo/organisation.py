"""Demo organisation: an equipment company's branches, department tree and staff with a reporting line."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..core.errors import DomainError
from ..core.models import Branch, Department, Role, User
from ..core.security import new_session_token
from ..extensions import db
from .base import DemoContext
from .names import person_name

COMPANY = "华东精工机电设备有限公司"
# A subdomain of example.com (reserved): mail to demo staff can never reach a real person.
EMAIL_DOMAIN = "hdjg.example.com"
FORMER_EMPLOYEE_REMARK = "已离职，账号已停用，历史记录保留。"

# (name, city, address, phone); the first is the head office, "above" every other branch.
BRANCHES = (
    ("上海总部", "上海", "上海市浦东新区张江高科技园区碧波路 690 号 3 号楼 5 层", "021-5080 6688"),
    ("北京分公司", "北京", "北京市海淀区中关村大街 27 号 12 层", "010-8265 3300"),
    ("广州办事处", "广州", "广州市天河区天河路 385 号 21 层", "020-3868 1200"),
    ("深圳分公司", "深圳", "深圳市南山区科技南十二路 2 号 B 座 8 层", "0755-8669 2100"),
    ("杭州分公司", "杭州", "杭州市西湖区文三路 478 号 A 座 9 层", "0571-8821 5500"),
    ("南京办事处", "南京", "南京市鼓楼区中山北路 105 号 15 层", "025-8331 7600"),
    ("成都分公司", "成都", "成都市高新区天府大道中段 1268 号 E 区 3 栋", "028-8512 4400"),
    ("武汉办事处", "武汉", "武汉市洪山区珞喻路 889 号 B 座 10 层", "027-8776 3900"),
    ("西安办事处", "西安", "西安市雁塔区高新路 52 号 16 层", "029-8832 6100"),
    ("苏州办事处", "苏州", "苏州市工业园区星湖街 328 号 6 栋", "0512-6288 9700"),
)
NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Shape:
    branches: int
    hq_sales_groups: int
    regional_sales_groups: int  # 0: a small office's salespeople sit in its sales department
    reps_per_group: int
    regional_reps: int  # per regional group, or in the department when it has no groups
    marketing: int
    service: int
    regional_service: int
    finance: int


SHAPES = {
    "small": Shape(branches=3, hq_sales_groups=2, regional_sales_groups=0, reps_per_group=5, regional_reps=4,
                   marketing=2, service=3, regional_service=1, finance=2),
    "large": Shape(branches=10, hq_sales_groups=6, regional_sales_groups=2, reps_per_group=10,
                   regional_reps=10, marketing=5, service=8, regional_service=2, finance=4),
}


def seed(ctx: DemoContext) -> None:
    """Branches with addresses, the department tree, and staff who report up to the general manager."""
    shape = SHAPES[ctx.size]
    branch_rows = BRANCHES[:shape.branches]
    _refuse_if_seeded([row[0] for row in branch_rows])
    builder = _Builder(ctx)
    for order, (name, city, address, phone) in enumerate(branch_rows):
        ctx.branches.append(Branch(name=name, city=city, address=address, phone=phone, sort_order=order))
    head_office, *regional = ctx.branches
    heads = _staff_head_office(builder, head_office, shape)
    for branch in regional:
        _staff_regional_branch(builder, branch, shape, heads["director"], heads["service"])
    group_manager = heads["first_group_manager"]
    first_rep = next(u for u in ctx.users if u.manager is group_manager and u.is_active)
    samples = (heads["director"], group_manager, first_rep, heads["finance"])
    ctx.sample_usernames.extend(u.username for u in samples)
    db.session.add_all([*ctx.branches, *ctx.departments, *ctx.users])
    db.session.flush()
    ctx.counts.update(branches=len(ctx.branches), departments=len(ctx.departments), users=len(ctx.users))


def _staff_head_office(builder: _Builder, branch: Branch, shape: Shape) -> dict[str, User]:
    """The general manager's office and the company-wide departments; returns the heads others report to."""
    top = builder.department(branch, "总经理办公室")
    general_manager = builder.person(top, "sales_director", "总经理")
    sales = builder.department(branch, "销售部")
    director = builder.person(sales, "sales_director", "销售总监", general_manager)
    group_managers = [builder.sales_group(builder.department(branch, f"华东销售{NUMERALS[n]}组", sales),
                                          "销售经理", director, shape.reps_per_group)
                      for n in range(shape.hq_sales_groups)]
    marketing = builder.department(branch, "市场部")
    marketing_head = builder.person(marketing, "sales_manager", "市场部经理", general_manager)
    builder.people(marketing, "sales", "市场专员", marketing_head, shape.marketing)
    service = builder.department(branch, "客服部")
    service_head = builder.person(service, "service", "客服主管", general_manager)
    builder.people(service, "service", "客服专员", service_head, shape.service)
    builder.person(service, "service", "客服专员", service_head, active=False)
    finance = builder.department(branch, "财务部")
    finance_head = builder.person(finance, "finance", "财务经理", general_manager)
    for n in range(shape.finance):
        builder.person(finance, "finance", "会计" if n % 2 == 0 else "出纳", finance_head)
    return {"director": director, "first_group_manager": group_managers[0], "service": service_head,
            "finance": finance_head}


def _staff_regional_branch(builder: _Builder, branch: Branch, shape: Shape, director: User,
                           service_head: User) -> None:
    """A sales department (in groups when large) under the sales director; service staff under the head
    office's service supervisor."""
    sales = builder.department(branch, "销售部")
    if shape.regional_sales_groups:
        regional_head = builder.person(sales, "sales_manager", "区域销售经理", director)
        for n in range(shape.regional_sales_groups):
            group = builder.department(branch, f"销售{NUMERALS[n]}组", sales)
            builder.sales_group(group, "销售主管", regional_head, shape.regional_reps)
    else:
        regional_head = builder.person(sales, "sales_manager", "销售经理", director)
        builder.people(sales, "sales", "销售代表", regional_head, shape.regional_reps)
    service = builder.department(branch, "客服部")
    builder.people(service, "service", "客服专员", service_head, shape.regional_service)


def _refuse_if_seeded(branch_names: list[str]) -> None:
    existing = db.session.scalar(select(Branch.name).where(Branch.name.in_(branch_names))
                                 .order_by(Branch.id).limit(1))
    if existing is not None:
        raise DomainError(_("Demo data is already loaded: the branch %(name)s exists.", name=existing))


class _Builder:
    """Makes departments and people; keeps usernames, display names and phones unique."""

    def __init__(self, ctx: DemoContext):
        self.ctx = ctx
        self.fake = ctx.faker("organisation")
        self.roles = {r.code: r for r in db.session.scalars(select(Role))}
        # Usernames already taken (an administrator made on the setup page, say) are avoided, ignoring
        # case because SQL Server's usual collations do.
        self.usernames = {u.lower() for u in db.session.scalars(select(func.lower(User.username)))}
        self.display_names: set[str] = set()
        self.phones: set[str] = set()
        self.sort_order = 0

    def department(self, branch: Branch, name: str, parent: Department | None = None) -> Department:
        self.sort_order += 1
        department = Department(name=name, branch=branch, parent=parent, sort_order=self.sort_order)
        self.ctx.departments.append(department)
        return department

    def person(self, department: Department, role_code: str, title: str, manager: User | None = None,
               active: bool = True) -> User:
        name, pinyin = self._new_name()
        username = self._new_username(pinyin)
        user = User(username=username, display_name=name, email=f"{username}@{EMAIL_DOMAIN}",
                    phone=self._new_phone(), title=title, password_hash=self.ctx.password_hash,
                    role=self.roles[role_code], department=department, manager=manager, is_active=active,
                    session_token=new_session_token(), remarks=None if active else FORMER_EMPLOYEE_REMARK)
        self.ctx.users.append(user)
        return user

    def people(self, department: Department, role_code: str, title: str, manager: User, count: int) -> None:
        for _n in range(count):
            self.person(department, role_code, title, manager)

    def sales_group(self, group: Department, manager_title: str, reports_to: User, reps: int) -> User:
        """A group manager, their salespeople, and one former salesperson whose account was disabled."""
        manager = self.person(group, "sales_manager", manager_title, reports_to)
        self.people(group, "sales", "销售代表", manager, reps)
        self.person(group, "sales", "销售代表", manager, active=False)
        return manager

    def _new_name(self) -> tuple[str, str]:
        # Two people with one name are real life, but in a demo they look like a bug: draw again.
        while True:
            name, pinyin = person_name(self.fake.random)
            if name not in self.display_names:
                self.display_names.add(name)
                return name, pinyin

    def _new_username(self, pinyin: str) -> str:
        candidate, n = pinyin, 1
        while candidate in self.usernames:
            n += 1
            candidate = f"{pinyin}{n}"
        self.usernames.add(candidate)
        return candidate

    def _new_phone(self) -> str:
        while True:
            phone = self.fake.phone_number()
            if phone not in self.phones:
                self.phones.add(phone)
                return phone
