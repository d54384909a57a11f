"""Factories for test records: make_user(role="sales", ...), make_branch(...), make_department(...)."""
from __future__ import annotations

import itertools

from sqlalchemy import select

from crm_server.core.models import Branch, Department, Role, User
from crm_server.core.security import hash_password, new_session_token
from crm_server.extensions import db

PASSWORD = "Passw0rd123"
_seq = itertools.count(1)


def make_branch(name: str | None = None, **kw) -> Branch:
    branch = Branch(name=name or f"分公司{next(_seq)}", **kw)
    db.session.add(branch)
    db.session.flush()
    return branch


def make_department(name: str | None = None, branch: Branch | None = None, parent: Department | None = None,
                    **kw) -> Department:
    branch = branch or (parent.branch if parent else make_branch())
    department = Department(name=name or f"部门{next(_seq)}", branch=branch, parent=parent, **kw)
    db.session.add(department)
    db.session.flush()
    return department


def role(code: str) -> Role:
    found = db.session.scalar(select(Role).where(Role.code == code))
    assert found is not None, f"no role {code}"
    return found


def make_user(role_code: str = "sales", username: str | None = None, password: str = PASSWORD,
              department: Department | None = None, manager: User | None = None, **kw) -> User:
    n = next(_seq)
    user = User(username=username or f"user{n}", display_name=kw.pop("display_name", f"员工{n}"),
                password_hash=hash_password(password), role=role(role_code), department=department,
                manager=manager, session_token=new_session_token(), **kw)
    db.session.add(user)
    db.session.flush()
    return user
