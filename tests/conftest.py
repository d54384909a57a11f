"""Fixtures: one app per test session, a clean database per test, a client, login_as(role), factories.

The database is SQLite in a temporary folder, or the server named by CRM_TEST_DATABASE_URL
(PostgreSQL, MariaDB; its `test` database is emptied first). The schema is built by the real Alembic
migrations, so every run also proves they apply on that engine.
"""
from __future__ import annotations

import os

import pytest
from argon2 import PasswordHasher
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import MetaData, inspect, update

from crm_server import create_app
from crm_server.config import load_config
from crm_server.core import security
from crm_server.core.database import upgrade_schema
from crm_server.core.roles import ensure_reference_data
from crm_server.extensions import db

from . import factories
from .mssql_checks import install_statement_guard

TEST_DATABASE_URL = os.environ.get("CRM_TEST_DATABASE_URL", "")


def make_settings(data_dir, **overrides):
    environ = {"CRM_PATHS_DATA_DIR": str(data_dir), "CRM_SECURITY_SECRET_KEY": "test-secret",
               "CRM_JOBS_ENABLED": "no", "CRM_DATABASE_URL": TEST_DATABASE_URL}
    environ.update({k: str(v) for k, v in overrides.items()})
    return load_config(path=os.devnull, environ=environ)


def _drop_everything(engine) -> None:
    """Empty the test database, whatever an earlier run left in it (tables of any version)."""
    metadata = MetaData()
    metadata.reflect(bind=engine)
    metadata.drop_all(bind=engine)


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """argon2 with tiny costs: the suite hashes hundreds of passwords; production keeps the defaults."""
    original = security._hasher
    security._hasher = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    yield
    security._hasher = original


class IsolatedClient(FlaskClient):
    """Requests reuse the test's app context (so test code and views share one session); Flask-Login caches
    the signed-in user and Flask-Babel the language on that context's `g`, so clear both, or one request's
    user or language would leak into the next."""

    PER_REQUEST = ("_login_user", "_flask_babel")

    def open(self, *args, **kwargs):
        for name in self.PER_REQUEST:
            g.pop(name, None)
        try:
            return super().open(*args, **kwargs)
        finally:
            for name in self.PER_REQUEST:
                g.pop(name, None)


@pytest.fixture(scope="session")
def _session_app(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("data"))
    app = create_app(settings, testing=True)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _drop_everything(db.engine)
        install_statement_guard(db.engine)  # every statement is also compiled for SQL Server
    upgrade_schema(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _clean_tables() -> None:
    tables = db.metadata.sorted_tables
    for table in tables:  # break self-references before deleting (row-by-row FK checks on MariaDB)
        self_fks = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
        for column in self_fks:
            db.session.execute(update(table).values({column.name: None}))
    for table in reversed(tables):
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(_session_app):
    """The app with an empty database holding only the built-in roles; an app context is pushed."""
    app = _session_app
    app.extensions.pop("crm_setup_done", None)
    # audit ids start again in a cleaned database, so a cached report of an earlier test could look current
    app.extensions.pop("crm_report_cache", None)
    app.config["WTF_CSRF_ENABLED"] = False  # tests post forms directly; test_csrf turns it back on
    with app.app_context():
        _clean_tables()
        ensure_reference_data()
        db.session.commit()
        yield app
        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(app):
    """The administrator account (its existence also closes the first-start setup page)."""
    user = factories.make_user("admin", username="admin", display_name="管理员")
    db.session.commit()
    return user


@pytest.fixture
def login_as(app, client, admin):
    """login_as("sales") signs the client in as a new user of that role; login_as(user) as that user."""

    def _login(role_or_user="sales", **kw):
        user = role_or_user if not isinstance(role_or_user, str) else factories.make_user(role_or_user, **kw)
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return _login


@pytest.fixture
def engine_name(app):
    return inspect(db.engine).dialect.name
