"""The `crm-server` commands, run through click's CliRunner against a config.ini in a temporary folder.

Each test's site has its own data folder; its database is a fresh SQLite file there, or the server test
database named by CRM_TEST_DATABASE_URL (emptied first by the `app` fixture). Tests that need a file
they can back up, restore or start from nothing run on SQLite only.
"""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, insert, inspect, select

import crm_server
from crm_server.cli import main
from crm_server.config import load_config
from crm_server.core.backup import is_crm_database
from crm_server.core.database import copy_sqlite_aside, pending_revisions, upgrade_schema
from crm_server.core.models import Branch, Role, User
from crm_server.core.roles import BUILTIN_ROLES
from crm_server.core.security import verify_password
from crm_server.extensions import db

TEST_DATABASE_URL = os.environ.get("CRM_TEST_DATABASE_URL", "")
sqlite_only = pytest.mark.skipif(bool(TEST_DATABASE_URL), reason="needs the embedded SQLite database")
server_only = pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs a server database")


class Site:
    """A config.ini, its data folder, and a way to run commands against them."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data_dir = folder / "data"
        self.config = folder / "config.ini"
        self.write_config()

    def write_config(self, extra: str = "") -> None:
        text = f"[paths]\ndata_dir = {self.data_dir}\n\n[security]\nsecret_key = cli-test\n\n"
        if TEST_DATABASE_URL:
            text += f"[database]\nurl = {TEST_DATABASE_URL}\n\n"
        self.config.write_text(text + extra, encoding="utf-8")

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "crm.sqlite3"

    def invoke(self, *args: str, env: dict | None = None, input: str | None = None):
        return CliRunner().invoke(main, ["--config", str(self.config), *args], env=env, input=input)

    def add_branch(self, name: str) -> None:
        """A change made behind the commands' back (independent of the user services)."""
        engine = create_engine(load_config(self.config, environ={}).database_url)
        try:
            with engine.begin() as conn:
                conn.execute(insert(Branch.__table__).values(name=name))
        finally:
            engine.dispose()

    def branch_names(self) -> set[str]:
        return set(self._select(Branch.__table__.c.name))

    def usernames(self) -> set[str]:
        return set(self._select(User.__table__.c.username))

    def role_codes(self) -> set[str]:
        return set(self._select(Role.__table__.c.code))

    def table_names(self) -> set[str]:
        engine = create_engine(load_config(self.config, environ={}).database_url)
        try:
            return set(inspect(engine).get_table_names())
        finally:
            engine.dispose()

    def _select(self, column) -> list:
        engine = create_engine(load_config(self.config, environ={}).database_url)
        try:
            with engine.connect() as conn:
                return list(conn.scalars(select(column)))
        finally:
            engine.dispose()


@pytest.fixture
def site(tmp_path, monkeypatch, request):
    # Only the site's config.ini may count: no CRM_* setting from the shell running the tests.
    for name in list(os.environ):
        if name.startswith("CRM_") and not name.startswith("CRM_TEST_"):
            monkeypatch.delenv(name)
    if TEST_DATABASE_URL:
        request.getfixturevalue("app")  # the shared server database, emptied down to the built-in roles
    # Every command builds its own app; close its connections afterwards, so that a restore does not
    # swap the SQLite file under connections an earlier command left in its pool.
    apps = []
    real_create_app = crm_server.create_app

    def create_app(*args, **kwargs):
        app = real_create_app(*args, **kwargs)
        apps.append(app)
        return app

    monkeypatch.setattr(crm_server, "create_app", create_app)
    yield Site(tmp_path)
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def _refused(result) -> str:
    """The command failed with a message, not a traceback."""
    assert result.exit_code not in (0, None), result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.output


def test_python_m_crm_server_help(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    done = subprocess.run([sys.executable, "-m", "crm_server", "--help"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for command in ("init-db", "create-user", "seed-demo", "backup", "restore", "run-jobs", "check-config"):
        assert command in done.stdout


def test_init_db_creates_schema_and_roles(site):
    output = _ok(site.invoke("init-db"))
    assert "database ready" in output
    if not TEST_DATABASE_URL:
        assert site.sqlite_path.is_file()
    assert {"alembic_version", "users", "roles", "branches", "departments", "audit_logs", "job_leases"} \
        <= site.table_names()
    assert site.role_codes() == set(BUILTIN_ROLES)
    # a second run changes nothing and copies nothing aside
    output = _ok(site.invoke("init-db"))
    assert "copy before upgrade" not in output
    assert site.role_codes() == set(BUILTIN_ROLES)


def test_create_user(site):
    output = _ok(site.invoke("create-user", "--username", "lily", "--password", "Secret123",
                             "--role", "sales", "--display-name", "李丽"))
    assert "lily (sales)" in output
    engine = create_engine(load_config(site.config, environ={}).database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(User.__table__.c.display_name, User.__table__.c.password_hash,
                                      Role.__table__.c.code)
                               .join_from(User.__table__, Role.__table__)
                               .where(User.__table__.c.username == "lily")).one()
    finally:
        engine.dispose()
    assert row.display_name == "李丽" and row.code == "sales"
    assert verify_password(row.password_hash, "Secret123")


def test_create_user_unknown_role(site):
    output = _refused(site.invoke("create-user", "--username", "lily", "--password", "Secret123",
                                  "--role", "wizard"))
    assert "错误 / Error" in output
    assert "wizard" in output or "role" in output.lower() or "角色" in output
    assert "lily" not in site.usernames()


def test_create_user_duplicate_username(site):
    _ok(site.invoke("create-user", "--username", "lily", "--password", "Secret123", "--role", "sales"))
    output = _refused(site.invoke("create-user", "--username", "lily", "--password", "Other1234",
                                  "--role", "sales_manager"))
    assert "错误 / Error" in output
    assert "lily" in output or "username" in output.lower() or "用户名" in output
    assert sorted(u for u in site.usernames() if u == "lily") == ["lily"]


def test_create_user_weak_password(site):
    output = _refused(site.invoke("create-user", "--username", "lily", "--password", "short",
                                  "--role", "sales"))
    assert "错误 / Error" in output
    assert "password" in output.lower() or "密码" in output
    assert "lily" not in site.usernames()


def test_seed_demo(site):
    output = _ok(site.invoke("seed-demo", "--admin-password", "Admin1234"))
    assert "branches: 3" in output
    users = int(re.search(r"^users: (\d+)$", output, re.M).group(1))
    demo_line = next(line for line in output.splitlines() if line.startswith("演示账号 / demo users:"))
    samples = re.search(r"demo users: (.*?)\s+密码", demo_line).group(1).split(", ")
    assert 3 <= len(samples) <= 4
    assert "demo123456" in demo_line
    usernames = site.usernames()
    assert len(usernames) == users and set(samples) <= usernames and "admin" in usernames
    # a second run is refused and adds nobody
    output = _refused(site.invoke("seed-demo"))
    assert "错误 / Error" in output and "上海总部" in output
    assert site.usernames() == usernames


@sqlite_only
def test_backup_writes_a_copy_and_never_overwrites(site, tmp_path):
    _ok(site.invoke("init-db"))
    site.add_branch("上海总部")
    target = tmp_path / "elsewhere" / "crm-backup.sqlite3"
    output = _ok(site.invoke("backup", str(target)))
    assert str(target) in output
    assert is_crm_database(target)
    conn = sqlite3.connect(target)
    try:
        assert [r[0] for r in conn.execute("SELECT name FROM branches")] == ["上海总部"]
    finally:
        conn.close()
    size = target.stat().st_size
    output = _refused(site.invoke("backup", str(target)))
    assert "not overwritten" in output and "不会覆盖" in output
    assert target.stat().st_size == size


@server_only
def test_backup_and_restore_on_a_server_name_the_server_tools(site, tmp_path):
    output = _refused(site.invoke("backup", str(tmp_path / "x.sqlite3")))
    assert "pg_dump" in output or "mysqldump" in output
    assert not (tmp_path / "x.sqlite3").exists()
    some_file = tmp_path / "crm.dump"
    some_file.write_bytes(b"dump")
    output = _refused(site.invoke("restore", str(some_file), "--yes"))
    assert "pg_restore" in output or "mysql " in output


@sqlite_only
def test_restore_puts_the_backup_back_and_keeps_the_current_file(site, tmp_path):
    _ok(site.invoke("init-db"))
    site.add_branch("上海总部")
    backup = tmp_path / "monday.sqlite3"
    _ok(site.invoke("backup", str(backup)))
    site.add_branch("北京分公司")

    output = _ok(site.invoke("restore", str(backup), "--yes"))
    assert site.branch_names() == {"上海总部"}  # 北京分公司 came after the backup
    aside = Path(re.search(r"previous database kept at (.+)$", output, re.M).group(1).strip())
    assert aside.parent == site.data_dir and aside.is_file()
    conn = sqlite3.connect(aside)
    try:
        assert {r[0] for r in conn.execute("SELECT name FROM branches")} == {"上海总部", "北京分公司"}
    finally:
        conn.close()
    # the restored database still works for the next command
    assert _ok(site.invoke("run-jobs", "--job", "backup")).startswith("backup: ran:")


@sqlite_only
def test_restore_asks_first(site, tmp_path):
    _ok(site.invoke("init-db"))
    site.add_branch("上海总部")
    backup = tmp_path / "monday.sqlite3"
    _ok(site.invoke("backup", str(backup)))
    site.add_branch("北京分公司")
    result = site.invoke("restore", str(backup), input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    assert site.branch_names() == {"上海总部", "北京分公司"}


@sqlite_only
@pytest.mark.parametrize("content", [b"not a database at all", None])
def test_restore_refuses_a_file_that_is_not_a_crm_backup(site, tmp_path, content):
    _ok(site.invoke("init-db"))
    site.add_branch("上海总部")
    other = tmp_path / "other.sqlite3"
    if content is None:  # a valid SQLite file, but some other program's
        conn = sqlite3.connect(other)
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        conn.commit()
        conn.close()
    else:
        other.write_bytes(content)
    output = _refused(site.invoke("restore", str(other), "--yes"))
    assert "not a CRM Server database backup" in output and "不是 CRM Server 的数据库备份" in output
    assert site.branch_names() == {"上海总部"}
    assert not list(site.data_dir.glob("*before-restore*"))


def test_check_config_passes_on_a_good_config(site):
    output = _ok(site.invoke("check-config"))
    assert "OK" in output and str(site.data_dir) in output


def _assert_names_the_port(output: str) -> None:
    assert "配置错误 [server] port" in output
    assert "Configuration error [server] port" in output
    assert "端口" in output and "the port must be a whole number" in output


def test_check_config_bad_port_in_file(site):
    site.write_config("[server]\nport = 99999\n")
    output = _refused(site.invoke("check-config"))
    _assert_names_the_port(output)
    assert "99999" in output


def test_check_config_bad_port_in_environment(site):
    output = _refused(site.invoke("check-config", env={"CRM_SERVER_PORT": "abc"}))
    _assert_names_the_port(output)
    assert "'abc'" in output


def test_unknown_key_is_refused_by_name(site):
    site.write_config("[server]\nprot = 8000\n")
    output = _refused(site.invoke("check-config"))
    assert "[server] prot" in output
    assert "未知的配置项" in output and "unknown key" in output


def test_run_jobs_list_and_backup(site):
    output = _ok(site.invoke("run-jobs", "--list"))
    line = next(line for line in output.splitlines() if line.startswith("backup\t"))
    assert "every 1 day" in line and "last: never" in line
    output = _ok(site.invoke("run-jobs", "--job", "backup"))
    assert output.startswith("backup: ran:")
    if TEST_DATABASE_URL:
        assert "server database" in output
    else:
        copies = list((site.data_dir / "backups").glob("crm-*.sqlite3"))
        assert len(copies) == 1 and is_crm_database(copies[0])
    output = _ok(site.invoke("run-jobs", "--list"))
    line = next(line for line in output.splitlines() if line.startswith("backup\t"))
    assert "ok" in line and "never" not in line


def test_run_jobs_unknown_job(site):
    output = _refused(site.invoke("run-jobs", "--job", "coffee"))
    assert "coffee" in output and "backup" in output


@sqlite_only
def test_copy_sqlite_aside(site):
    _ok(site.invoke("init-db"))
    copy = copy_sqlite_aside(site.sqlite_path, "abc123")
    assert copy.parent == site.data_dir / "backups"
    assert copy.name.startswith("before-upgrade-abc123-")
    assert is_crm_database(copy)
    assert copy_sqlite_aside(site.data_dir / "missing.sqlite3", "abc123") is None


def test_upgrade_schema_does_nothing_at_head(site):
    _ok(site.invoke("init-db"))
    app = crm_server.create_app(load_config(site.config, environ={}))
    assert upgrade_schema(app) is None
    output = _ok(site.invoke("upgrade-db"))
    assert "schema is up to date" in output and "copy before upgrade" not in output


@sqlite_only
def test_upgrade_db_copies_an_older_sqlite_database_aside_first(site, monkeypatch):
    """Only one migration exists so far, so the older revision is pretended; the copy is real."""
    import flask_migrate

    from crm_server.core import database
    _ok(site.invoke("init-db"))
    app = crm_server.create_app(load_config(site.config, environ={}))
    with app.app_context():
        _current, head = pending_revisions(db.engine)
    monkeypatch.setattr(database, "pending_revisions", lambda engine: ("0123oldrev", head))
    copies_when_upgrading = []
    monkeypatch.setattr(flask_migrate, "upgrade", lambda **kw: copies_when_upgrading.append(
        list((site.data_dir / "backups").glob("before-upgrade-0123oldrev-*.sqlite3"))))
    output = _ok(site.invoke("upgrade-db"))
    copy = Path(re.search(r"copy before upgrade: (.+)$", output, re.M).group(1).strip())
    assert copy.name.startswith("before-upgrade-0123oldrev-") and is_crm_database(copy)
    assert copies_when_upgrading == [[copy]]  # the copy existed before the upgrade ran
