"""The data scope in the query: own, own and subordinates, department (with sub-departments), branch, all.

The scoped query is tried with the users table itself as the "records" (owner = the user), so the real SQL,
recursive CTEs included, runs on every engine the suite runs on.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from crm_server.core.models import Role, RoleDataScope
from crm_server.core.permissions import Scope, can_see_owner, scoped
from crm_server.extensions import db

from .. import factories


@pytest.fixture
def org(app):
    """上海分公司: 华东销售部 (with 苏州组 below it) and 客服部; 北京分公司: 华北销售部."""
    shanghai, beijing = factories.make_branch("上海分公司"), factories.make_branch("北京分公司")
    east = factories.make_department("华东销售部", branch=shanghai)
    suzhou = factories.make_department("苏州组", parent=east)
    service = factories.make_department("客服部", branch=shanghai)
    north = factories.make_department("华北销售部", branch=beijing)
    people = {}
    people["boss"] = factories.make_user("sales_manager", department=east, display_name="王总")
    people["lead"] = factories.make_user("sales", department=suzhou, manager=people["boss"], display_name="李组长")
    people["rep"] = factories.make_user("sales", department=suzhou, manager=people["lead"], display_name="张三")
    people["peer"] = factories.make_user("sales", department=east, display_name="赵六")
    people["agent"] = factories.make_user("service", department=service, display_name="孙客服")
    people["north"] = factories.make_user("sales", department=north, display_name="周北")
    people["loose"] = factories.make_user("sales", display_name="无部门")
    db.session.commit()
    return people


def _role_with_scope(scope: str) -> Role:
    role = Role(code=f"test_{scope}", name=f"测试{scope}", data_scope=scope)
    db.session.add(role)
    db.session.flush()
    return role


def visible(viewer, record_type=None) -> set[str]:
    from crm_server.core.models import User
    stmt = scoped(select(User.display_name), viewer, User.id, record_type)
    return set(db.session.scalars(stmt))


ALL = {"王总", "李组长", "张三", "赵六", "孙客服", "周北", "无部门"}


@pytest.mark.parametrize("scope, viewer, expected", [
    (Scope.OWN, "lead", {"李组长"}),
    (Scope.SUBORDINATES, "boss", {"王总", "李组长", "张三"}),     # at any depth, not the peer
    (Scope.SUBORDINATES, "lead", {"李组长", "张三"}),
    (Scope.DEPARTMENT, "boss", {"王总", "李组长", "张三", "赵六"}),  # 华东销售部 and 苏州组 below it
    (Scope.DEPARTMENT, "rep", {"李组长", "张三"}),                  # 苏州组 only
    (Scope.BRANCH, "rep", {"王总", "李组长", "张三", "赵六", "孙客服"}),
    (Scope.BRANCH, "north", {"周北"}),
    (Scope.ALL, "rep", ALL),
    (Scope.DEPARTMENT, "loose", {"无部门"}),  # no department: only their own
    (Scope.BRANCH, "loose", {"无部门"}),
])
def test_each_scope_sees_exactly_its_owners(org, scope, viewer, expected):
    user = org[viewer]
    user.role = _role_with_scope(scope)
    db.session.flush()
    assert visible(user) == expected
    for name, person in org.items():
        assert can_see_owner(user, person.id) == (person.display_name in expected), name


def test_scope_per_record_type_overrides_the_default(org):
    role = _role_with_scope(Scope.OWN)
    role.scope_rows.append(RoleDataScope(record_type="customer", scope=Scope.BRANCH))
    org["rep"].role = role
    db.session.flush()
    assert visible(org["rep"]) == {"张三"}
    assert visible(org["rep"], "customer") == {"王总", "李组长", "张三", "赵六", "孙客服"}
    assert visible(org["rep"], "contract") == {"张三"}


def test_builtin_roles_scope(org):
    assert visible(org["rep"]) == {"张三"}                                   # 销售人员: own
    assert visible(org["boss"]) == {"王总", "李组长", "张三", "赵六"}         # 销售经理: department
    director = factories.make_user("sales_director")
    assert visible(director) == ALL | {director.display_name}             # 销售总监: all


def test_record_without_owner_is_only_for_all_scope(org):
    assert not can_see_owner(org["boss"], None)
    director = factories.make_user("sales_director")
    assert can_see_owner(director, None)


def test_moving_a_user_changes_what_the_manager_sees_without_any_cache(org):
    boss = org["boss"]
    assert "周北" not in visible(boss)
    org["north"].department = org["peer"].department
    db.session.flush()
    assert "周北" in visible(boss)
