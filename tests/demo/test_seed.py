"""The demo company: counts, a sound reporting line, sign-in with the demo password, same data every run."""
import re

import pytest
from sqlalchemy import false, func, select

from crm_server.core.audit import AuditLog, action_label
from crm_server.core.errors import DomainError
from crm_server.core.models import Branch, Department, User
from crm_server.core.roles import ensure_reference_data
from crm_server.demo import DEMO_PASSWORD, seed_demo
from crm_server.extensions import db
from tests.conftest import _clean_tables


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _people() -> list[tuple]:
    users = db.session.scalars(select(User).order_by(User.id)).all()
    return [(u.username, u.display_name, u.title, u.role.code, u.department.branch.name, u.department.name,
             u.manager.username if u.manager else None, u.phone, u.email, u.is_active) for u in users]


def _empty_database() -> None:
    db.session.rollback()
    _clean_tables()
    ensure_reference_data()
    db.session.commit()


def test_counts_match_what_is_stored(app):
    result = seed_demo()
    db.session.commit()
    assert result["branches"] == _count(Branch) == 3
    assert result["departments"] == _count(Department) >= 10
    assert result["users"] == _count(User) >= 30
    assert 3 <= len(result["sample_usernames"]) <= 4
    names = set(db.session.scalars(select(Branch.name)))
    assert {"上海总部", "北京分公司", "广州办事处"} <= names
    for branch in db.session.scalars(select(Branch)):
        assert branch.city and branch.address and branch.phone
    # no administrator unless asked for: the setup page creates it
    assert db.session.scalar(select(User).where(User.username == "admin")) is None
    assert all(u.role.code != "admin" for u in db.session.scalars(select(User)))


def test_staff_look_real(app):
    seed_demo()
    db.session.commit()
    users = db.session.scalars(select(User)).all()
    usernames = [u.username for u in users]
    assert len(usernames) == len({u.lower() for u in usernames})
    for user in users:
        assert re.fullmatch(r"[a-z]+[0-9]*", user.username), user.username
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", user.display_name), user.display_name
        assert re.fullmatch(r"1[3-9][0-9]{9}", user.phone), user.phone
        assert user.email == f"{user.username}@hdjg.example.com"
        assert user.title and user.department is not None
    roles = {u.role.code for u in users}
    assert {"sales_director", "sales_manager", "sales", "service", "finance"} <= roles
    titles = {u.title for u in users}
    assert {"销售总监", "销售经理", "销售代表", "客服专员", "会计"} <= titles
    disabled = [u for u in users if not u.is_active]
    assert 1 <= len(disabled) <= 5 and all(u.remarks for u in disabled)


def test_department_tree(app):
    seed_demo()
    db.session.commit()
    head_office = db.session.scalar(select(Branch).where(Branch.name == "上海总部"))
    departments = db.session.scalars(select(Department).where(Department.branch_id == head_office.id))
    by_name = {d.name: d for d in departments}
    assert {"总经理办公室", "销售部", "华东销售一组", "华东销售二组", "市场部", "客服部", "财务部"} <= set(by_name)
    assert by_name["华东销售一组"].parent is by_name["销售部"]
    for department in db.session.scalars(select(Department)):
        if department.parent is not None:
            assert department.parent.branch_id == department.branch_id


def test_reporting_line_is_sound(app):
    seed_demo()
    db.session.commit()
    head_office = db.session.scalar(select(Branch).order_by(Branch.sort_order, Branch.id).limit(1))
    assert head_office.name == "上海总部"
    users = db.session.scalars(select(User)).all()
    tops = [u for u in users if u.manager is None]
    assert [u.title for u in tops] == ["总经理"]
    for user in users:
        if user.manager is not None:
            # the manager works in the same branch, or above it at the head office
            assert user.manager.branch_id in (user.branch_id, head_office.id), user.username
        seen = set()
        boss = user
        while boss.manager is not None:  # no cycles: every chain ends at the general manager
            assert boss.id not in seen
            seen.add(boss.id)
            boss = boss.manager
        assert boss is tops[0]
    for user in users:
        if user.role.code == "sales" and user.title == "销售代表":
            assert user.manager.role.code == "sales_manager"
            assert user.manager.department_id == user.department_id


def test_sample_users_sign_in_with_the_demo_password(app, client, admin):
    result = seed_demo()
    db.session.commit()
    titles = []
    for username in result["sample_usernames"]:
        user = db.session.scalar(select(User).where(User.username == username))
        assert user.is_active
        titles.append(user.title)
        response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert user.display_name in client.get("/").get_data(as_text=True)
        client.post("/logout")
    assert titles[0] == "销售总监" and titles[1] == "销售经理" and titles[2] == "销售代表"
    assert titles[3] in ("财务经理", "会计", "出纳")


def test_former_employees_cannot_sign_in(app, client, admin):
    seed_demo()
    db.session.commit()
    former = db.session.scalar(select(User).where(User.is_active == false()).order_by(User.id).limit(1))
    response = client.post("/login", data={"username": former.username, "password": DEMO_PASSWORD})
    page = response.get_data(as_text=True)
    assert "disabled" in page or "停用" in page


def test_same_data_on_every_run(app):
    first = seed_demo()
    db.session.commit()
    people = _people()
    _empty_database()
    second = seed_demo()
    db.session.commit()
    assert first == second
    assert _people() == people


def test_seeding_twice_is_refused(app):
    seed_demo()
    db.session.commit()
    before = _count(User)
    with pytest.raises(DomainError) as caught:
        seed_demo()
    assert "上海总部" in caught.value.message
    db.session.rollback()
    assert _count(User) == before


def test_one_audit_row_with_a_label(app):
    result = seed_demo()
    db.session.commit()
    rows = db.session.scalars(select(AuditLog)).all()
    assert [r.action for r in rows] == ["demo.seeded"]
    assert '"users": [null, %d]' % result["users"] in rows[0].changes
    assert action_label("demo.seeded") != "demo.seeded"


def test_administrator_only_on_request(app, client):
    result = seed_demo(admin_password="Admin1234")
    db.session.commit()
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.role.code == "admin" and admin.department.branch.name == "上海总部"
    assert result["users"] == _count(User)
    assert "admin" not in result["sample_usernames"]
    # the setup page is closed and the administrator signs in with their own password
    assert client.post("/login", data={"username": "admin", "password": "Admin1234"}).status_code == 302


def test_weak_administrator_password_adds_nothing(app):
    with pytest.raises(DomainError):
        seed_demo(admin_password="short")
    db.session.rollback()
    assert _count(User) == 0 and _count(Branch) == 0


def test_existing_users_keep_their_usernames(app, admin):
    from tests.factories import make_user
    make_user("sales", username="zhangwei")
    db.session.commit()
    seed_demo("large")
    db.session.commit()
    assert _count(User, func.lower(User.username) == "zhangwei") == 1


def test_large_has_the_same_shape_bigger(app):
    result = seed_demo("large")
    db.session.commit()
    assert result["branches"] == 10
    assert 250 <= result["users"] == _count(User) <= 400
    assert _count(Department, Department.parent_id.is_not(None)) >= 20
