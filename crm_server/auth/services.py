"""Signing in and out, lockout after failed attempts, the first-start setup, password changes."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, select

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Branch, Department, Role, User
from ..core.roles import ADMIN, ensure_reference_data
from ..core.security import check_password_rules, hash_password, new_session_token, verify_password
from ..core.types import utcnow
from ..extensions import db


def load_user_from_session_id(session_id: str) -> User | None:
    """Flask-Login loader: the id and session token must both match, and the user must be active."""
    user_id, _sep, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_token != token:
        return None
    return user


def setup_required() -> bool:
    """True until an administrator account exists: the first-start setup page is open only then."""
    return not db.session.scalar(select(exists().where(User.role_id == Role.id, Role.code == ADMIN)))


def create_administrator(username: str, display_name: str, password: str, company_name: str | None = None) -> User:
    """First start: create the administrator (and the head office if there is no branch yet)."""
    if not setup_required():
        raise DomainError(_("Setup has already been completed."))
    username = username.strip()
    check_password_rules(password)
    ensure_reference_data()
    admin_role = db.session.scalar(select(Role).where(Role.code == ADMIN))
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise DomainError(_("This username is already taken."), "username")
    branch = db.session.scalar(select(Branch).order_by(Branch.sort_order, Branch.id).limit(1))
    if branch is None:
        branch = Branch(name=_("Head office"))
        db.session.add(branch)
        db.session.flush()
        department = Department(name=_("General management"), branch=branch)
        db.session.add(department)
    else:
        department = db.session.scalar(select(Department).where(Department.branch_id == branch.id)
                                       .order_by(Department.sort_order, Department.id).limit(1))
    user = User(username=username, display_name=display_name.strip() or username,
                password_hash=hash_password(password), role=admin_role, department=department,
                session_token=new_session_token(), password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    audit.record(user, "setup.completed", user, {"username": [None, username]})
    return user


def authenticate(username: str, password: str) -> User:
    """Check the credentials, counting failures; raise DomainError with the reason shown to the user.

    After `login_max_attempts` failures in a row the account is locked for `login_lockout_minutes`.
    The caller commits in both cases, so that failures are counted.
    """
    settings = current_app.config["CRM_SETTINGS"]
    user = db.session.scalar(select(User).where(User.username == username.strip()))
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise DomainError(_("Too many failed attempts. The account is locked; try again in %(m)d minutes.",
                            m=minutes))
    if user is None or not verify_password(user.password_hash, password):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.login_max_attempts:
                user.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
                user.failed_logins = 0
                audit.record(None, "user.locked", user, label=user.username)
                raise DomainError(_("Too many failed attempts. The account is locked; try again in %(m)d minutes.",
                                    m=settings.login_lockout_minutes))
        raise DomainError(_("Wrong username or password."))
    if not user.is_active:
        raise DomainError(_("This account has been disabled. Ask your administrator."))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    if not user.session_token:
        user.session_token = new_session_token()
    audit.record(user, "user.signed_in", user)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise DomainError(_("The current password is wrong."), "current_password")
    if current == new:
        raise DomainError(_("The new password must differ from the current one."), "new_password")
    check_password_rules(new, "new_password")
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    user.session_token = new_session_token()  # other sessions and remember-me cookies end here
    audit.record(user, "user.password_changed", user)


def set_language(user: User | None, language: str) -> None:
    if user is not None and user.is_authenticated and user.language != language:
        audit.record(user, "user.language_changed", user, {"language": [user.language, language]})
        user.language = language
