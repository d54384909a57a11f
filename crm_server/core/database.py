"""Engine options per database, the SQLite pragmas, the connection check and schema upgrades."""
from __future__ import annotations

import logging
from pathlib import Path

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine

from ..paths import MIGRATIONS_DIR
from .errors import ConfigError

log = logging.getLogger(__name__)


def engine_options(url: URL, connect_timeout: int = 5) -> dict:
    """SQLAlchemy engine options suited to each engine."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        # check_same_thread off: waitress serves from a thread pool; `timeout` is SQLite's busy wait.
        return {"connect_args": {"check_same_thread": False, "timeout": 15}}
    options: dict = {"pool_pre_ping": True, "pool_recycle": 1800}
    if backend == "mssql":
        # Without a login timeout the Microsoft driver waits ~15 s on a closed port before failing.
        options["connect_args"] = {"timeout": connect_timeout}
        options["fast_executemany"] = True
    elif backend == "postgresql":
        options["connect_args"] = {"connect_timeout": connect_timeout}
    elif backend in ("mysql", "mariadb"):
        options["connect_args"] = {"connect_timeout": connect_timeout, "charset": "utf8mb4"}
    return options


def install_sqlite_pragmas(engine: Engine) -> None:
    """Foreign keys ON (else SQLite ignores them), WAL for readers beside a writer, a busy timeout."""
    if engine.url.get_backend_name() != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def describe_connection_error(url: URL, exc: Exception) -> ConfigError:
    """Turn a failed connection into one Chinese-and-English message saying what to check."""
    reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:300]
    backend = url.get_backend_name()
    key = "url"
    if backend == "mssql" and not url.query.get("odbc_connect"):
        key = "server"
    if "IM002" in reason or "Can't open lib" in reason or "No module named" in reason:
        return ConfigError("database", "driver", url.query.get("driver"),
                           f"找不到数据库驱动，请安装后重试（{reason}）。",
                           f"the database driver is not installed ({reason}).")
    return ConfigError(
        "database", key, url.render_as_string(hide_password=True),
        f"无法连接数据库：{reason}。请检查服务器地址、端口、防火墙、用户名和密码。",
        f"cannot connect to the database: {reason}. Check the server, port, firewall, user and password.")


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        raise describe_connection_error(engine.url, exc) from exc


def alembic_config(engine: Engine | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def pending_revisions(engine: Engine) -> tuple[str | None, str]:
    """(current revision or None, head revision)."""
    script = ScriptDirectory.from_config(alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, script.get_current_head()


def copy_sqlite_aside(path: Path, revision: str | None) -> Path | None:
    """Before an upgrade, keep a copy of the SQLite file so a failed migration loses nothing."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    from .backup import sqlite_backup, timestamped_name
    target = path.parent / "backups" / timestamped_name(f"before-upgrade-{revision or 'empty'}")
    sqlite_backup(path, target)
    return target


def upgrade_schema(app) -> str | None:
    """Bring the schema to the newest migration (copying an SQLite file aside first). Returns the copy's path."""
    from flask_migrate import upgrade

    from ..extensions import db
    with app.app_context():
        current, head = pending_revisions(db.engine)
        if current == head:
            return None
        settings = app.config["CRM_SETTINGS"]
        copy = None
        if settings.is_sqlite and current is not None:
            copy = copy_sqlite_aside(settings.sqlite_path, current)
            log.info("database copied to %s before upgrading from %s to %s", copy, current, head)
        upgrade(directory=str(MIGRATIONS_DIR))
        return str(copy) if copy else None


def refresh_statistics() -> str:
    """Give SQLite's query planner statistics (ANALYZE). Without them it cannot tell a salesperson's 500 customers
    from the 100,000 of the whole file and picks slow plans for lists as the data grows. PostgreSQL, MariaDB and
    SQL Server keep their statistics themselves. Runs as the daily job "database.statistics"."""
    from ..extensions import db
    if db.engine.url.get_backend_name() != "sqlite":
        return "not needed: the database server keeps its own statistics"
    db.session.commit()  # ANALYZE needs no open transaction of ours around it
    with db.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    return "analyzed"
