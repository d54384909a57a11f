"""The administration rules: organisation tree, users, roles and the audit log query, called directly."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from crm_server.admin import services
from crm_server.core.audit import AuditLog
from crm_server.core.errors import DomainError
from crm_server.core.models import Branch, Department, Role, User
from crm_server.core.permissions import PERMISSIONS, RECORD_TYPES, Permission, Scope
from crm_server.core.security import verify_password
from crm_server.extensions import db
from tests.factories import make_branch, make_department, make_user, role


def last_audit(action: str) -> AuditLog:
    return db.session.scalar(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id.desc()))


def changes_of(entry: AuditLog) -> dict:
    return json.loads(entry.changes) if entry.changes else {}


def refused(field: str | None, call, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field, caught.value.message
    return caught.value


# --- branches ---------------------------------------------------------------------------------

def test_branch_create_and_edit_are_audited(admin):
    branch = services.create_branch(admin, name=" 北京分公司 ", city="北京", phone="010-1")
    assert branch.name == "北京分公司" and branch.is_active and branch.sort_order == 0
    created = last_audit("branch.created")
    assert created.actor_id == admin.id and created.entity_id == branch.id
    assert changes_of(created)["name"] == [None, "北京分公司"]

    services.update_branch(admin, branch, name="北京分公司", city="北京", address="海淀区", phone="010-2",
                           sort_order=3, is_active=True)
    assert changes_of(last_audit("branch.updated")) == {
        "address": [None, "海淀区"], "phone": ["010-1", "010-2"], "sort_order": [0, 3]}


def test_branch_without_changes_writes_no_audit_row(admin):
    branch = services.create_branch(admin, name="上海")
    services.update_branch(admin, branch, name="上海")
    assert last_audit("branch.updated") is None


def test_branch_name_is_unique_ignoring_case(admin):
    services.create_branch(admin, name="Head Office")
    refused("name", services.create_branch, admin, name="head office")
    other = services.create_branch(admin, name="Other")
    refused("name", services.update_branch, admin, other, name="HEAD OFFICE")


def test_branch_with_departments_cannot_be_deleted(admin):
    branch = make_branch("广州")
    make_department("销售部", branch=branch)
    refused(None, services.delete_branch, admin, branch)
    empty = make_branch("深圳")
    services.delete_branch(admin, empty)
    assert db.session.get(Branch, empty.id) is None
    assert changes_of(last_audit("branch.deleted"))["name"] == ["深圳", None]


# --- departments ------------------------------------------------------------------------------

def test_department_name_unique_among_siblings_only(admin):
    branch = make_branch()
    sales = services.create_department(admin, name="销售部", branch_id=branch.id)
    refused("name", services.create_department, admin, name="销售部", branch_id=branch.id)
    group = services.create_department(admin, name="一组", branch_id=branch.id, parent_id=sales.id)
    refused("name", services.create_department, admin, name="一组", branch_id=branch.id, parent_id=sales.id)
    # the same name at another level, or in another branch, is fine
    services.create_department(admin, name="一组", branch_id=branch.id)
    services.create_department(admin, name="销售部", branch_id=make_branch().id)
    assert group.parent is sales
    assert changes_of(last_audit("department.created"))["branch"][1] is not None


def test_department_cycle_is_refused(admin):
    top = make_department("总部")
    middle = make_department("中层", parent=top)
    bottom = make_department("基层", parent=middle)
    refused("parent_id", services.update_department, admin, top, name="总部", branch_id=top.branch_id,
            parent_id=top.id)
    refused("parent_id", services.update_department, admin, top, name="总部", branch_id=top.branch_id,
            parent_id=bottom.id)
    assert top.parent_id is None


def test_parent_must_be_in_the_same_branch(admin):
    parent = make_department("销售部")
    other_branch = make_branch()
    refused("parent_id", services.create_department, admin, name="一组", branch_id=other_branch.id,
            parent_id=parent.id)


def test_moving_a_department_moves_its_subtree(admin):
    old, new = make_branch("旧"), make_branch("新")
    sales = make_department("销售部", branch=old)
    group = make_department("一组", parent=sales)
    team = make_department("小队", parent=group)
    rep = make_user("sales", department=team)
    services.update_department(admin, sales, name="销售部", branch_id=new.id, parent_id=None)
    db.session.flush()
    assert {sales.branch_id, group.branch_id, team.branch_id} == {new.id}
    assert rep.branch_id == new.id
    moved = db.session.scalars(select(AuditLog).where(AuditLog.action == "department.updated")).all()
    assert {entry.entity_id for entry in moved} == {sales.id, group.id, team.id}
    assert changes_of(last_audit("department.updated"))["branch"] == ["旧", "新"]


def test_remove_department_deactivates_when_in_use_and_deletes_when_empty(admin):
    with_users = make_department("有人")
    make_user("sales", department=with_users)
    with_children = make_department("有下级")
    make_department("下级", parent=with_children)
    empty = make_department("空")
    assert services.remove_department(admin, with_users) == "deactivated"
    assert services.remove_department(admin, with_children) == "deactivated"
    assert not with_users.is_active and not with_children.is_active
    assert changes_of(last_audit("department.deactivated")) == {"is_active": [True, False]}
    assert services.remove_department(admin, empty) == "deleted"
    assert db.session.get(Department, empty.id) is None
    assert last_audit("department.deleted").entity_label == "空"


def test_organisation_tree_counts_users(admin):
    branch = make_branch("总部", sort_order=-1)
    top = make_department("总经办", branch=branch)
    child = make_department("秘书处", parent=top)
    make_user("sales", department=child)
    make_user("sales", department=child)
    make_user("sales", department=top)
    tree = next(t for t in services.organisation_tree() if t.branch.id == branch.id)
    assert tree.user_count == 3
    (root,) = tree.roots
    assert (root.department, root.user_count, root.depth) == (top, 1, 0)
    assert (root.children[0].department, root.children[0].user_count, root.children[0].depth) == (child, 2, 1)


# --- users ------------------------------------------------------------------------------------

def user_values(**overrides) -> dict:
    values = {"username": "lily", "display_name": "李丽", "password": "Secret123", "role_id": role("sales").id,
              "email": "lily@example.com", "phone": "13800000000", "title": "销售代表"}
    values.update(overrides)
    return values


def test_create_user_is_audited_without_secrets(admin):
    department = make_department("销售一组")
    user = services.create_user(admin, **user_values(department_id=department.id, manager_id=admin.id))
    assert verify_password(user.password_hash, "Secret123") and user.session_token
    changes = changes_of(last_audit("user.created"))
    assert changes["username"] == [None, "lily"]
    assert changes["role"] == [None, "销售人员"] and changes["department"] == [None, "销售一组"]
    assert changes["manager"] == [None, "管理员"]
    assert not {"password", "password_hash", "session_token"} & changes.keys()


def test_create_user_rules(admin):
    services.create_user(admin, **user_values())
    refused("username", services.create_user, admin, **user_values(username="LILY"))
    refused("username", services.create_user, admin, **user_values(username="li li"))
    refused("password", services.create_user, admin, **user_values(username="amy", password="short1"))
    refused("password", services.create_user, admin, **user_values(username="amy", password="lettersonly"))
    refused("email", services.create_user, admin, **user_values(username="amy", email="not-an-address"))
    refused("role_id", services.create_user, admin, **user_values(username="amy", role_id=None))
    assert db.session.scalar(select(func.count(User.id)).where(User.username == "amy")) == 0


def test_manager_cycle_and_self_are_refused(admin):
    boss = make_user("sales_manager")
    middle = make_user("sales", manager=boss)
    rep = make_user("sales", manager=middle)

    def edit(user, manager):
        services.update_user(admin, user, username=user.username, display_name=user.display_name,
                             role_id=user.role_id, manager_id=manager.id)

    refused("manager_id", edit, boss, boss)
    refused("manager_id", edit, boss, rep)
    assert boss.manager_id is None
    edit(rep, boss)  # moving up the chain is fine
    assert rep.manager is boss


def test_update_user_records_changed_fields(admin):
    user = make_user("sales", username="lily", display_name="李丽")
    department = make_department("华南区")
    services.update_user(admin, user, username="lily", display_name="李莉", role_id=role("sales_manager").id,
                         department_id=department.id, language="en")
    changes = changes_of(last_audit("user.updated"))
    assert changes == {"display_name": ["李丽", "李莉"], "role": ["销售人员", "销售经理"],
                       "department": [None, "华南区"], "language": [None, "en"]}


def test_last_active_administrator_is_protected(admin):
    def edit(user, **kw):
        values = {"username": user.username, "display_name": user.display_name, "role_id": user.role_id,
                  "is_active": user.is_active}
        values.update(kw)
        services.update_user(admin, user, **values)

    refused("role_id", edit, admin, role_id=role("sales").id)
    refused("is_active", edit, admin, is_active=False)
    refused("is_active", services.set_user_active, admin, admin, False)
    assert admin.role.code == "admin" and admin.is_active

    second = make_user("admin")
    refused("is_active", services.set_user_active, admin, admin, False)  # never oneself
    services.set_user_active(admin, second, False)
    assert changes_of(last_audit("user.disabled")) == {"is_active": [True, False]}
    refused("role_id", edit, admin, role_id=role("sales").id)  # the other one is disabled now
    services.set_user_active(admin, second, True)
    edit(admin, role_id=role("sales").id)  # another active administrator exists
    assert admin.role.code == "sales"


def test_reset_password_ends_sessions_and_unlocks(admin):
    user = make_user("sales", failed_logins=3, locked_until=dt.datetime(2099, 1, 1))
    old_token = user.session_token
    refused("new_password", services.reset_password, admin, user, "weak")
    services.reset_password(admin, user, "Fresh1234")
    assert verify_password(user.password_hash, "Fresh1234")
    assert user.session_token != old_token
    assert user.locked_until is None and user.failed_logins == 0
    entry = last_audit("user.password_reset")
    assert entry.entity_id == user.id and "Fresh1234" not in (entry.changes or "")


def test_create_user_from_cli(admin):
    make_department("财务部")
    user = services.create_user_from_cli("amy", "Secret123", "finance", "艾米", "财务部")
    assert (user.role.code, user.display_name, user.department.name) == ("finance", "艾米", "财务部")
    assert last_audit("user.created").actor_id is None
    assert "wizard" in refused("role_id", services.create_user_from_cli, "bob", "Secret123", "wizard").message
    refused("department_id", services.create_user_from_cli, "bob", "Secret123", "sales", None, "没有")
    refused("username", services.create_user_from_cli, "amy", "Secret123", "sales")
    refused("password", services.create_user_from_cli, "bob", "short", "sales")
    make_department("财务部")  # a second one, in another branch
    refused("department_id", services.create_user_from_cli, "bob", "Secret123", "sales", None, "财务部")
    nameless = services.create_user_from_cli("carl", "Secret123", "sales")
    assert nameless.display_name == "carl" and nameless.department is None


def test_list_users_filters(admin):
    top = make_department("销售部")
    group = make_department("一组", parent=top)
    make_user("sales", username="lily", display_name="李丽", department=group, phone="13911112222")
    make_user("sales_manager", username="wang", display_name="王强", department=top)
    make_user("sales", username="gone", display_name="离职", department=group, is_active=False)

    def names(**kw):
        return {u.username for u in db.session.scalars(services.list_users(**kw)).unique()}

    assert names(search="1391111") == {"lily"}
    assert names(search="王") == {"wang"}
    assert names(search="50%") == set()
    assert names(department_id=top.id) == {"lily", "wang", "gone"}  # sub-departments included
    assert names(department_id=group.id, active=True) == {"lily"}
    assert names(role_id=role("sales_manager").id) == {"wang"}
    assert names(active=False) == {"gone"}


# --- roles ------------------------------------------------------------------------------------

def test_create_role_generates_code_and_is_audited(admin):
    first = services.create_role(admin, name="区域经理", description="管理一个区域",
                                 permissions=[Permission.ADMIN_AUDIT, "no.such.permission"],
                                 data_scope=Scope.BRANCH)
    second = services.create_role(admin, name="实习生")
    assert (first.code, second.code) == ("role_1", "role_2")
    assert first.permissions == {Permission.ADMIN_AUDIT} and first.data_scope == Scope.BRANCH
    changes = changes_of(db.session.scalar(
        select(AuditLog).where(AuditLog.action == "role.created", AuditLog.entity_id == first.id)))
    assert changes["name"] == [None, "区域经理"] and changes["permissions"] == [None, Permission.ADMIN_AUDIT]
    refused("name", services.create_role, admin, name="区域经理")


def test_update_role_records_permission_changes(admin):
    sales = role("sales")
    before = ", ".join(sorted(sales.permissions))
    services.update_role(admin, sales, name=sales.name, permissions=[Permission.ADMIN_AUDIT],
                         data_scope=Scope.DEPARTMENT)
    assert sales.code == "sales" and sales.permissions == {Permission.ADMIN_AUDIT}
    changes = changes_of(last_audit("role.updated"))
    assert changes == {"permissions": [before, Permission.ADMIN_AUDIT], "data_scope": ["own", "department"]}


def test_admin_role_keeps_every_permission(admin):
    admin_role = role("admin")
    services.update_role(admin, admin_role, name="超级管理员", permissions=[], data_scope=Scope.ALL)
    assert admin_role.permissions == set(PERMISSIONS) and admin_role.name == "超级管理员"


def test_scopes_per_record_type(admin, monkeypatch):
    monkeypatch.setitem(RECORD_TYPES, "customer", "Customers")
    custom = services.create_role(admin, name="客服", scopes={"customer": Scope.ALL, "unknown": Scope.ALL})
    assert custom.scope_for("customer") == Scope.ALL and custom.scope_for("other") == Scope.OWN
    services.update_role(admin, custom, name="客服", scopes={"customer": None})
    assert custom.scope_for("customer") == Scope.OWN
    assert changes_of(last_audit("role.updated")) == {"scope:customer": ["all", None]}
    refused("scope_customer", services.update_role, admin, custom, name="客服", scopes={"customer": "galaxy"})


def test_role_deletion_rules(admin):
    refused(None, services.delete_role, admin, role("sales"))
    used = services.create_role(admin, name="在用")
    user = make_user("sales")
    user.role = used
    db.session.flush()
    refused(None, services.delete_role, admin, used)
    unused = services.create_role(admin, name="闲置", permissions=[Permission.ADMIN_AUDIT])
    services.delete_role(admin, unused)
    assert db.session.get(Role, unused.id) is None
    assert changes_of(last_audit("role.deleted"))["name"] == ["闲置", None]


# --- audit log --------------------------------------------------------------------------------

def test_audit_query_filters(admin):
    other = make_user("sales", display_name="李丽")
    services.create_branch(admin, name="北京分公司")
    services.create_branch(other, name="上海分公司")
    services.create_department(admin, name="销售部", branch_id=make_branch("广州").id)
    db.session.flush()

    def labels(**kw):
        stmt = services.audit_query(services.AuditFilters(**kw), "Asia/Shanghai")
        return [entry.entity_label for entry in db.session.scalars(stmt)]

    assert labels()[0] == "销售部"  # newest first
    assert labels(actor_id=other.id) == ["上海分公司"]
    assert set(labels(action="branch.created")) == {"北京分公司", "上海分公司"}
    assert labels(entity_type="departments") == ["销售部"]
    assert labels(text="北京") == ["北京分公司"]


def test_audit_dates_are_days_in_the_site_time_zone(admin):
    # 17:30 UTC on 1 January is 01:30 on 2 January in Shanghai
    for label, hour in (("late", 17), ("early", 15)):
        db.session.add(AuditLog(action="branch.created", entity_label=label,
                                at=dt.datetime(2026, 1, 1, hour, 30)))
    db.session.flush()

    def labels(**kw):
        stmt = services.audit_query(services.AuditFilters(**kw), "Asia/Shanghai")
        return [entry.entity_label for entry in db.session.scalars(stmt)]

    day = dt.date(2026, 1, 2)
    assert labels(date_from=day, date_to=day) == ["late"]
    assert labels(date_to=dt.date(2026, 1, 1)) == ["early"]
