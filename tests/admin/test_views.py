"""The administration pages through the test client: what an administrator sees and does, who may not."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import false, func, select

from crm_server.core.audit import AuditLog
from crm_server.core.models import Branch, Department, Role, User
from crm_server.core.permissions import RECORD_TYPES, Permission
from crm_server.core.security import verify_password
from crm_server.extensions import db
from tests.factories import PASSWORD, make_branch, make_department, make_user, role


def page_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def audit_rows(action: str) -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def invalid_fields(page: str) -> set[str]:
    """Names of the inputs the page marks is-invalid (the message then sits beside them)."""
    tags = re.findall(r"<(?:input|select|textarea)[^>]*>", page)
    return {re.search(r'name="([^"]+)"', tag).group(1) for tag in tags if "is-invalid" in tag}


@pytest.fixture
def as_admin(login_as, admin):
    """The administrator, signed in, reading English (the assertions quote the English messages)."""
    admin.language = "en"
    login_as(admin)
    return admin


# --- who may open the pages -------------------------------------------------------------------

def test_salesperson_gets_403_everywhere(app, client, login_as):
    branch = make_branch()
    department = make_department(branch=branch)
    target = make_user("sales")
    custom = Role(code="role_9", name="自定义")
    db.session.add(custom)
    login_as("sales")
    ids = {"branch_id": branch.id, "department_id": department.id, "user_id": target.id, "role_id": custom.id}
    pages = ["/admin/departments", "/admin/branches/new", "/admin/branches/{branch_id}/edit",
             "/admin/departments/new", "/admin/departments/{department_id}/edit", "/admin/users",
             "/admin/users/new", "/admin/users/{user_id}/edit", "/admin/users/{user_id}/password",
             "/admin/roles", "/admin/roles/new", "/admin/roles/{role_id}/edit", "/admin/audit"]
    posts = pages[1:5] + pages[6:9] + pages[10:12] + [
        "/admin/branches/{branch_id}/delete", "/admin/departments/{department_id}/remove",
        "/admin/users/{user_id}/disable", "/admin/users/{user_id}/enable", "/admin/roles/{role_id}/delete"]
    for url in pages:
        assert client.get(url.format(**ids)).status_code == 403, url
    for url in posts:
        assert client.post(url.format(**ids), data={"name": "x", "username": "x"}).status_code == 403, url
    assert db.session.get(Branch, branch.id) and db.session.get(Role, custom.id) and target.is_active
    assert not audit_rows("branch.created") and not audit_rows("user.disabled")
    assert "/admin/" not in page_of(client.get("/"))  # and the menu does not offer them


def test_sales_director_sees_only_the_audit_log(app, client, login_as):
    login_as("sales_director")
    assert client.get("/admin/audit").status_code == 200
    assert client.get("/admin/users").status_code == 403
    home = page_of(client.get("/"))
    assert "/admin/audit" in home and "/admin/users" not in home


def test_anonymous_is_sent_to_sign_in(client, admin):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- branches and departments -----------------------------------------------------------------

def test_departments_page_shows_tree_with_user_counts(client, as_admin):
    branch = make_branch("华东区", city="上海")
    top = make_department("销售部", branch=branch)
    group = make_department("销售一组", parent=top)
    for _ in range(3):
        make_user("sales", department=group)
    make_department("停用部门", branch=branch, is_active=False)
    page = page_of(client.get("/admin/departments"))
    assert "华东区" in page and "上海" in page
    # the group is nested in a list inside its parent's item, with its own count
    nested = re.search(rf'id="department-{top.id}".*?<ul class="list-unstyled ps-4 mb-0">\s*'
                       rf'<li id="department-{group.id}"', page, re.S)
    assert nested and "销售部" in nested.group(0)
    group_block = page[page.index(f'id="department-{group.id}"'):]
    assert re.search(r'class="user-count">3<', group_block)
    assert "停用部门" in page


def test_create_and_edit_branch(client, as_admin):
    response = client.post("/admin/branches/new", data={
        "name": "北京分公司", "city": "北京", "address": "", "phone": "010-1", "sort_order": "2", "is_active": "y"})
    assert response.status_code == 302
    branch = db.session.scalar(select(Branch).where(Branch.name == "北京分公司"))
    assert branch.city == "北京" and branch.sort_order == 2 and branch.is_active
    assert "北京分公司" in page_of(client.get("/admin/departments"))

    form = page_of(client.get(f"/admin/branches/{branch.id}/edit"))
    assert 'value="北京分公司"' in form
    client.post(f"/admin/branches/{branch.id}/edit", data={
        "name": "北京分公司", "city": "北京", "phone": "010-9", "sort_order": "2"})
    db.session.expire_all()
    assert branch.phone == "010-9" and not branch.is_active
    entry = audit_rows("branch.updated")[-1]
    assert json.loads(entry.changes) == {"phone": ["010-1", "010-9"], "is_active": [True, False]}
    assert entry.actor_id == as_admin.id and entry.ip == "127.0.0.1"


def test_duplicate_branch_name_shows_beside_the_field(client, as_admin):
    make_branch("上海总部")
    db.session.commit()
    page = page_of(client.post("/admin/branches/new", data={"name": "上海总部", "sort_order": "0"}))
    assert invalid_fields(page) == {"name"} and "already exists" in page
    assert db.session.scalar(select(func.count(Branch.id))) == 1
    assert not audit_rows("branch.created")


def test_create_department_under_parent(client, as_admin):
    branch = make_branch("总部")
    parent = make_department("销售部", branch=branch)
    db.session.commit()
    form = page_of(client.get(f"/admin/departments/new?parent_id={parent.id}"))
    assert re.search(rf'<option selected value="{parent.id}">|<option value="{parent.id}" selected', form)
    response = client.post("/admin/departments/new", data={"name": "销售二组", "branch_id": branch.id,
                                                           "parent_id": parent.id, "sort_order": "1",
                                                           "is_active": "y"})
    assert response.status_code == 302
    child = db.session.scalar(select(Department).where(Department.name == "销售二组"))
    assert child.parent_id == parent.id and child.branch_id == branch.id
    assert json.loads(audit_rows("department.created")[0].changes)["parent"] == [None, "销售部"]


def test_department_cycle_is_refused_beside_the_parent(client, as_admin):
    top = make_department("总部")
    below = make_department("下级", parent=top)
    db.session.commit()
    page = page_of(client.post(f"/admin/departments/{top.id}/edit", data={
        "name": "总部", "branch_id": top.branch_id, "parent_id": below.id, "sort_order": "0",
        "is_active": "y"}))
    assert invalid_fields(page) == {"parent_id"}
    db.session.expire_all()
    assert top.parent_id is None and not audit_rows("department.updated")
    # a department is not offered as its own parent
    form = page_of(client.get(f"/admin/departments/{top.id}/edit"))
    start = form.index('name="parent_id"')
    parent_select = form[start:form.index("</select>", start)]
    assert f'value="{top.id}"' not in parent_select


def test_department_with_blank_name_is_not_saved(client, as_admin):
    branch = make_branch()
    db.session.commit()
    page = page_of(client.post("/admin/departments/new", data={"name": "", "branch_id": branch.id}))
    assert invalid_fields(page) == {"name"}
    assert db.session.scalar(select(func.count(Department.id))) == 0


def test_move_department_to_another_branch(client, as_admin):
    old, new = make_branch("旧分公司"), make_branch("新分公司")
    top = make_department("市场部", branch=old)
    child = make_department("活动组", parent=top)
    db.session.commit()
    response = client.post(f"/admin/departments/{top.id}/edit", data={
        "name": "市场部", "branch_id": new.id, "parent_id": "", "sort_order": "0", "is_active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert top.branch_id == new.id and child.branch_id == new.id


def test_remove_department(client, as_admin):
    used = make_department("有人")
    make_user("sales", department=used)
    empty = make_department("空部门")
    db.session.commit()
    response = client.post(f"/admin/departments/{used.id}/remove", follow_redirects=True)
    assert "deactivated" in page_of(response)
    response = client.post(f"/admin/departments/{empty.id}/remove", follow_redirects=True)
    assert "deleted" in page_of(response)
    db.session.expire_all()
    assert not db.session.get(Department, used.id).is_active
    assert db.session.get(Department, empty.id) is None
    assert [e.entity_label for e in audit_rows("department.deleted")] == ["空部门"]


# --- users ------------------------------------------------------------------------------------

def user_form(**overrides) -> dict:
    data = {"username": "lily", "display_name": "李丽", "email": "", "phone": "13800000000", "title": "",
            "role_id": role("sales").id, "department_id": "", "manager_id": "", "language": "",
            "is_active": "y", "password": "Secret123", "confirm": "Secret123"}
    data.update(overrides)
    return data


def test_create_user(client, as_admin):
    department = make_department("销售一组")
    db.session.commit()
    form = page_of(client.get("/admin/users/new"))
    assert 'name="password"' in form and "销售一组" in form
    response = client.post("/admin/users/new", data=user_form(department_id=department.id,
                                                              manager_id=as_admin.id))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "lily"))
    assert user.department_id == department.id and user.manager_id == as_admin.id and user.is_active
    assert verify_password(user.password_hash, "Secret123")
    changes = json.loads(audit_rows("user.created")[0].changes)
    assert changes["display_name"] == [None, "李丽"] and "password_hash" not in changes
    assert "李丽" in page_of(client.get("/admin/users"))


@pytest.mark.parametrize("overrides, field", [
    ({"username": "admin"}, "username"),
    ({"username": "li li"}, "username"),
    ({"password": "short", "confirm": "short"}, "password"),
    ({"confirm": "Different1"}, "confirm"),
    ({"email": "nope"}, "email"),
    ({"display_name": ""}, "display_name"),
])
def test_create_user_errors_show_beside_the_field(client, as_admin, overrides, field):
    page = page_of(client.post("/admin/users/new", data=user_form(**overrides)))
    assert field in invalid_fields(page)
    assert db.session.scalar(select(func.count(User.id))) == 1  # only the administrator
    assert not audit_rows("user.created")


def test_edit_user_is_audited(client, as_admin):
    user = make_user("sales", username="lily", display_name="李丽")
    db.session.commit()
    form = page_of(client.get(f"/admin/users/{user.id}/edit"))
    assert 'value="lily"' in form and 'name="password"' not in form
    response = client.post(f"/admin/users/{user.id}/edit", data=user_form(
        display_name="李莉", role_id=role("sales_manager").id, language="en", password=None, confirm=None))
    assert response.status_code == 302
    db.session.expire_all()
    assert user.display_name == "李莉" and user.role.code == "sales_manager" and user.language == "en"
    assert json.loads(audit_rows("user.updated")[0].changes) == {
        "display_name": ["李丽", "李莉"], "role": ["销售人员", "销售经理"], "language": [None, "en"],
        "phone": [None, "13800000000"]}


def test_manager_cycle_refused_on_the_form(client, as_admin):
    boss = make_user("sales_manager", username="boss")
    rep = make_user("sales", username="rep", manager=boss)
    db.session.commit()
    page = page_of(client.post(f"/admin/users/{boss.id}/edit", data=user_form(
        username="boss", role_id=boss.role_id, manager_id=rep.id)))
    assert invalid_fields(page) == {"manager_id"}
    db.session.expire_all()
    assert boss.manager_id is None


def test_last_administrator_cannot_demote_or_disable_themself(client, as_admin):
    page = page_of(client.post(f"/admin/users/{as_admin.id}/edit", data=user_form(
        username="admin", display_name="管理员", role_id=role("sales").id)))
    assert invalid_fields(page) == {"role_id"} and "last active administrator" in page
    response = client.post(f"/admin/users/{as_admin.id}/disable", follow_redirects=True)
    assert "cannot disable your own account" in page_of(response)
    db.session.expire_all()
    assert as_admin.role.code == "admin" and as_admin.is_active
    assert not audit_rows("user.updated") and not audit_rows("user.disabled")


def test_disable_and_enable_user(app, client, as_admin):
    user = make_user("sales", username="lily")
    db.session.commit()
    response = client.post(f"/admin/users/{user.id}/disable",
                           headers={"Referer": "http://localhost/admin/users?page=1"})
    assert response.headers["Location"].endswith("/admin/users?page=1")
    db.session.expire_all()
    assert not user.is_active
    other = app.test_client()
    other.get("/login")
    page = other.post("/login", data={"username": "lily", "password": PASSWORD}).get_data(as_text=True)
    assert "disabled" in page or "停用" in page
    client.post(f"/admin/users/{user.id}/enable", headers={"Referer": "http://evil.example/"})
    db.session.expire_all()
    assert user.is_active
    entries = db.session.scalars(select(AuditLog).order_by(AuditLog.id).where(
        AuditLog.entity_id == user.id, AuditLog.entity_type == "users"))
    assert [e.action for e in entries] == ["user.disabled", "user.enabled"]


def test_password_reset_ends_the_users_sessions(app, client, as_admin):
    user = make_user("sales", username="lily", locked_until=dt.datetime(2099, 1, 1))
    db.session.commit()
    theirs = app.test_client()
    with theirs.session_transaction() as s:
        s["_user_id"] = user.get_id()
    assert theirs.get("/").status_code == 200
    page = page_of(client.post(f"/admin/users/{user.id}/password",
                               data={"new_password": "short", "confirm": "short"}))
    assert invalid_fields(page) == {"new_password"}
    response = client.post(f"/admin/users/{user.id}/password",
                           data={"new_password": "Fresh1234", "confirm": "Fresh1234"})
    assert response.status_code == 302
    assert theirs.get("/").status_code == 302  # the old session token no longer signs in
    assert client.get("/admin/users").status_code == 200  # the administrator's own session goes on
    db.session.expire_all()
    assert verify_password(user.password_hash, "Fresh1234") and user.locked_until is None
    fresh = app.test_client()
    fresh.get("/login")
    assert fresh.post("/login", data={"username": "lily", "password": "Fresh1234"}).status_code == 302
    assert len(audit_rows("user.password_reset")) == 1


def test_admin_resetting_own_password_stays_signed_in(client, as_admin):
    response = client.post(f"/admin/users/{as_admin.id}/password",
                           data={"new_password": "Fresh1234", "confirm": "Fresh1234"})
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_users_list_paginates_in_the_database(client, as_admin):
    for n in range(45):
        make_user("sales", username=f"u{n:02d}", display_name=f"员工{n:02d}")
    db.session.commit()
    first = page_of(client.get("/admin/users"))
    assert "员工00" in first and "员工19" in first and "员工20" not in first
    second = page_of(client.get("/admin/users?page=2"))
    assert "员工20" in second and "员工39" in second and "员工19" not in second and "员工40" not in second
    assert "page 2 of 3" in second and "46 records" in second
    assert "/admin/users?page=3" in second


def test_users_list_filters(client, as_admin):
    sales = make_department("销售部")
    make_user("sales", username="lily", display_name="李丽", department=sales, phone="13911112222")
    make_user("finance", username="fang", display_name="方芳")
    make_user("sales", username="gone", display_name="离职员工", is_active=False)
    db.session.commit()

    def names(query):
        page = page_of(client.get("/admin/users?" + query))
        return set(re.findall(r'class="user-name">([^<]+)', page))

    assert names("q=1391111") == {"李丽"}
    assert names("q=fang") == {"方芳"}
    assert names(f"department={sales.id}") == {"李丽"}
    assert names(f"role={role('finance').id}") == {"方芳"}
    assert names("active=0") == {"离职员工"}
    assert names("active=1") == {"李丽", "方芳", "管理员"}


# --- roles ------------------------------------------------------------------------------------

def test_roles_page_lists_user_counts(client, as_admin):
    make_user("sales")
    make_user("sales")
    db.session.commit()
    page = page_of(client.get("/admin/roles"))
    row = page[page.index(f'id="role-{role("sales").id}"'):]
    assert re.search(r'class="user-count">2<', row[:row.index("</tr>")])
    assert "Salesperson" in page or "销售人员" in page


def test_create_edit_and_delete_role(client, as_admin):
    form = page_of(client.get("/admin/roles/new"))
    assert f'value="{Permission.ADMIN_USERS}"' in form
    assert ("record-type-scopes" in form) == bool(RECORD_TYPES)  # the section only when there are types
    response = client.post("/admin/roles/new", data={
        "name": "区域经理", "description": "", "permissions": [Permission.ADMIN_AUDIT, Permission.ADMIN_USERS],
        "data_scope": "branch"})
    assert response.status_code == 302
    created = db.session.scalar(select(Role).where(Role.name == "区域经理"))
    assert created.code == "role_1" and not created.is_builtin
    assert created.permissions == {Permission.ADMIN_AUDIT, Permission.ADMIN_USERS}

    edit = page_of(client.get(f"/admin/roles/{created.id}/edit"))
    assert re.search(rf'value="{re.escape(Permission.ADMIN_AUDIT)}"\s+id="[^"]+" checked', edit)
    client.post(f"/admin/roles/{created.id}/edit", data={
        "name": "区域经理", "permissions": [Permission.ADMIN_AUDIT], "data_scope": "branch"})
    db.session.expire_all()
    assert created.permissions == {Permission.ADMIN_AUDIT}
    both = ", ".join(sorted([Permission.ADMIN_AUDIT, Permission.ADMIN_USERS]))
    changes = json.loads(audit_rows("role.updated")[0].changes)
    assert changes == {"permissions": [both, Permission.ADMIN_AUDIT]}

    response = client.post(f"/admin/roles/{created.id}/delete", follow_redirects=True)
    assert "has been deleted" in page_of(response)
    assert db.session.get(Role, created.id) is None


def test_role_name_errors_show_beside_the_field(client, as_admin):
    page = page_of(client.post("/admin/roles/new", data={"name": "销售人员", "data_scope": "own"}))
    assert invalid_fields(page) == {"name"}
    assert db.session.scalar(select(func.count(Role.id)).where(Role.is_builtin == false())) == 0


def test_builtin_role_and_role_in_use_cannot_be_deleted(client, as_admin):
    response = client.post(f"/admin/roles/{role('finance').id}/delete", follow_redirects=True)
    assert "cannot be deleted" in page_of(response)
    assert db.session.get(Role, role("finance").id) is not None
    assert not audit_rows("role.deleted")


def test_admin_role_checkboxes_are_disabled_and_kept(client, as_admin):
    admin_role = role("admin")
    page = page_of(client.get(f"/admin/roles/{admin_role.id}/edit"))
    assert re.search(rf'value="{re.escape(Permission.ADMIN_ROLES)}"[^>]*checked disabled', page)
    assert 'id="role-code">admin<' in page
    client.post(f"/admin/roles/{admin_role.id}/edit", data={"name": admin_role.name, "data_scope": "all"})
    db.session.expire_all()
    assert Permission.ADMIN_ROLES in admin_role.permissions
    assert client.get("/admin/roles").status_code == 200  # the administrator did not lock themself out


def test_record_type_scopes_appear_when_registered(client, as_admin, monkeypatch):
    monkeypatch.setitem(RECORD_TYPES, "customer", "Customers")
    sales = role("sales")
    page = page_of(client.get(f"/admin/roles/{sales.id}/edit"))
    assert "record-type-scopes" in page and 'name="scope_customer"' in page
    client.post(f"/admin/roles/{sales.id}/edit", data={
        "name": sales.name, "data_scope": "own", "scope_customer": "department"})
    db.session.expire_all()
    assert sales.scope_for("customer") == "department" and sales.scope_for(None) == "own"


# --- audit log --------------------------------------------------------------------------------

def test_audit_log_lists_changes_and_filters(client, as_admin):
    other = make_user("sales_director", display_name="赵总")
    db.session.add_all([
        AuditLog(actor_id=as_admin.id, actor_name="管理员", action="branch.created", entity_type="branches",
                 entity_id=1, entity_label="北京分公司", at=dt.datetime(2026, 3, 1, 2, 0),
                 changes=json.dumps({"city": [None, "北京"]}, ensure_ascii=False), ip="10.0.0.8"),
        AuditLog(actor_id=other.id, actor_name="赵总", action="user.password_changed", entity_type="users",
                 entity_id=other.id, entity_label="赵总", at=dt.datetime(2026, 3, 5, 2, 0)),
        AuditLog(actor_id=as_admin.id, actor_name="管理员", action="department.created",
                 entity_type="departments", entity_id=2, entity_label="销售部",
                 at=dt.datetime(2026, 3, 9, 2, 0)),
    ])
    db.session.commit()

    def labels(query=""):
        page = page_of(client.get("/admin/audit?" + query))
        return re.findall(r'class="audit-label">([^<]*)<', page)

    page = page_of(client.get("/admin/audit"))
    assert labels() == ["销售部", "赵总", "北京分公司"]  # newest first
    assert "2026-03-01 10:00" in page  # shown in the site time zone (UTC+8)
    assert "10.0.0.8" in page and "Created a branch" in page
    assert re.search(r'title="city">City</span>: <del>—</del> → <ins>北京</ins>', page)
    assert labels(f"actor={other.id}") == ["赵总"]
    assert labels("action=department.created") == ["销售部"]
    assert labels("entity_type=branches") == ["北京分公司"]
    assert labels("q=北京") == ["北京分公司"]
    assert labels("date_from=2026-03-05&date_to=2026-03-05") == ["赵总"]
    assert labels("date_from=2026-03-06") == ["销售部"]
    assert labels("date_from=not-a-date") == ["销售部", "赵总", "北京分公司"]


def test_admin_writes_appear_in_the_audit_log(client, as_admin):
    client.post("/admin/branches/new", data={"name": "成都分公司", "city": "成都", "sort_order": "0",
                                             "is_active": "y"})
    page = page_of(client.get("/admin/audit?entity_type=branches"))
    assert "成都分公司" in page and "管理员" in page
    assert re.search(r'title="city">City</span>: <del>—</del> → <ins>成都</ins>', page)


def test_audit_log_paginates(client, as_admin):
    db.session.add_all([AuditLog(action="branch.updated", entity_label=f"条目{n:03d}",
                                 at=dt.datetime(2026, 1, 1) + dt.timedelta(minutes=n)) for n in range(60)])
    db.session.commit()
    second = page_of(client.get("/admin/audit?page=2"))
    assert "条目009" in second and "条目010" not in second and "page 2 of 2" in second
