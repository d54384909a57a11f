"""The filters every report takes: a date range of site days, and branch / department / person within the
viewer's data scope. The scope itself is always applied by `owner_condition`; the choices only offer what the
viewer may see, and a chosen branch, department or person narrows within the scope, never beyond it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, true

from ..activity.services import site_today
from ..core.models import Branch, Department, User
from ..core.permissions import OWN_ONLY, Scope, scope_condition, visible_owner_ids
from ..core.web import date_arg, int_arg
from ..extensions import db

MAX_DAYS = 3 * 366
GROUPINGS = ("day", "week", "month")


@dataclass(frozen=True)
class ReportFilters:
    date_from: dt.date
    date_to: dt.date
    branch_id: int | None = None
    department_id: int | None = None
    user_id: int | None = None
    grouping: str = "month"

    def key(self) -> tuple:
        return (self.date_from.isoformat(), self.date_to.isoformat(), self.branch_id, self.department_id,
                self.user_id, self.grouping)

    def args(self) -> dict:
        """As query arguments (for chart and export links)."""
        values = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat(), "group": self.grouping}
        for name in ("branch_id", "department_id", "user_id"):
            if getattr(self, name):
                values[name.removesuffix("_id")] = getattr(self, name)
        return values


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This year so far: what a manager opens at month end."""
    today = today or site_today()
    return today.replace(month=1, day=1), today


def parse_filters(args, today: dt.date | None = None) -> tuple[ReportFilters, dict[str, str]]:
    """Filters from query arguments, and the errors by field (a wrong value falls back to the default)."""
    errors: dict[str, str] = {}
    first, last = default_range(today)
    date_from = date_arg("from", args) if args.get("from") else first
    date_to = date_arg("to", args) if args.get("to") else last
    if date_from is None:
        errors["from"] = _("Give a date like 2026-01-31.")
        date_from = first
    if date_to is None:
        errors["to"] = _("Give a date like 2026-01-31.")
        date_to = last
    if date_to < date_from:
        errors["to"] = _("The last day is before the first day.")
        date_from, date_to = first, last
    elif (date_to - date_from).days >= MAX_DAYS:
        errors["to"] = _("Choose at most three years.")
        date_from = date_to - dt.timedelta(days=MAX_DAYS - 1)
    grouping = args.get("group") or "month"
    if grouping not in GROUPINGS:
        errors["group"] = _("Choose a grouping.")
        grouping = "month"
    return ReportFilters(date_from, date_to, int_arg("branch", args), int_arg("department", args),
                         int_arg("user", args), grouping), errors


def _chosen_departments(root_id: int):
    """A department and those below it (named apart from the scope's own tree: both can be in one query)."""
    tree = select(Department.id).where(Department.id == root_id).cte("chosen_dept_tree", recursive=True)
    tree = tree.union_all(select(Department.id).where(Department.parent_id == tree.c.id))
    return select(tree.c.id)


def narrowing(filters: ReportFilters, owner_column):
    """Only the chosen person, department (with the ones below it) or branch; None when none is chosen. For
    queries that already hold the domain's scoped condition (e.g. opportunity_condition): a second scope
    condition would repeat its recursive CTE, which SQL refuses."""
    if filters.user_id:
        return owner_column == filters.user_id
    if filters.department_id:
        return owner_column.in_(select(User.id).where(
            User.department_id.in_(_chosen_departments(filters.department_id))))
    if filters.branch_id:
        return owner_column.in_(select(User.id).join(Department, User.department_id == Department.id)
                                .where(Department.branch_id == filters.branch_id))
    return None


def owner_condition(viewer: User, filters: ReportFilters, owner_column, record_type: str | None = None):
    """The viewer's data scope on `owner_column`, narrowed to the chosen person, department or branch."""
    condition = scope_condition(viewer, owner_column, record_type)
    narrow = narrowing(filters, owner_column)
    return condition if narrow is None else condition & narrow


def narrowed(filters: ReportFilters, owner_column) -> list:
    """`narrowing` as a list of WHERE conditions (empty when nothing is chosen)."""
    narrow = narrowing(filters, owner_column)
    return [] if narrow is None else [narrow]


def filter_choices(viewer: User, record_type: str | None = None) -> dict:
    """Branches, departments and people the viewer may pick: those within their data scope."""
    owners = visible_owner_ids(viewer, record_type)
    people = select(User).where(User.is_active == true()).order_by(User.display_name, User.id)
    if owners is OWN_ONLY:
        people = people.where(User.id == viewer.id)
    elif owners is not None:
        people = people.where(User.id.in_(owners))
    users = db.session.scalars(people).all()
    department_ids = {u.department_id for u in users if u.department_id}
    departments, branches = [], []
    if department_ids:
        departments = db.session.scalars(select(Department).where(Department.id.in_(department_ids))
                                         .order_by(Department.name, Department.id)).all()
        branches = db.session.scalars(select(Branch).where(Branch.id.in_({d.branch_id for d in departments}))
                                      .order_by(Branch.name, Branch.id)).all()
    return {"users": users, "departments": departments, "branches": branches}


def scope_key(viewer: User, record_types: tuple) -> tuple:
    """Who else sees exactly these figures: everyone whose scope is "all" for these record types shares one
    cache entry; anyone else has their own."""
    if all(viewer.role.scope_for(rt) == Scope.ALL for rt in record_types):
        return ("all",)
    return ("user", viewer.id)
