"""The `crm-server` command line (also `python -m crm_server`)."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .core.errors import ConfigError, DomainError


class Context:
    def __init__(self, config_path: str | None):
        self.config_path = config_path
        self._settings = None
        self._app = None

    @property
    def settings(self):
        if self._settings is None:
            from .config import load_config
            self._settings = load_config(self.config_path)
        return self._settings

    @property
    def app(self):
        if self._app is None:
            from . import create_app
            self._app = create_app(self.settings)
        return self._app


def fail(message: str, code: int = 2):
    click.echo(message, err=True)
    sys.exit(code)


class CrmGroup(click.Group):
    """Turns configuration and domain errors into one clear message and a non-zero exit, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(exc.message)
        except DomainError as exc:
            fail(f"错误 / Error: {exc.message}")


@click.group(cls=CrmGroup)
@click.option("--config", "config_path", envvar="CRM_CONFIG", type=click.Path(dir_okay=False),
              help="config.ini to use (default: the checkout's or the working folder's)")
@click.pass_context
def main(ctx, config_path):
    """CRM Server 客户关系管理系统."""
    ctx.obj = Context(config_path)


@main.command()
@click.option("--demo", is_flag=True, help="load demo data when the database is empty")
@click.pass_obj
def run(obj: Context, demo):
    """Upgrade the schema and serve with waitress (运行服务器)."""
    from .server import serve
    serve(obj.app, obj.settings, demo=demo)


@main.command("check-config")
@click.pass_obj
def check_config(obj: Context):
    """Validate config.ini and test the database connection (检查配置)."""
    from .core.database import check_connection
    from .extensions import db
    settings = obj.settings
    click.echo(f"config: {settings.config_path or '(defaults)'}")
    click.echo(f"data folder: {settings.data_dir}")
    click.echo(f"database: {settings.database_url.render_as_string(hide_password=True)}")
    with obj.app.app_context():
        check_connection(db.engine)
    click.echo("OK: 配置正确，数据库可以连接 / configuration valid, database reachable")


def _prepare(obj: Context) -> dict:
    from .server import prepare
    return prepare(obj.app)


@main.command("init-db")
@click.pass_obj
def init_db(obj: Context):
    """Create or upgrade the schema and the built-in roles (初始化数据库)."""
    result = _prepare(obj)
    click.echo("数据库已就绪 / database ready")
    if result.get("upgrade_backup"):
        click.echo(f"升级前的数据库副本 / copy before upgrade: {result['upgrade_backup']}")


@main.command("upgrade-db")
@click.pass_obj
def upgrade_db(obj: Context):
    """Apply pending migrations (升级数据库结构)."""
    result = _prepare(obj)
    if result.get("upgrade_backup"):
        click.echo(f"升级前的数据库副本 / copy before upgrade: {result['upgrade_backup']}")
    click.echo("数据库结构已是最新 / schema is up to date")


@main.command("create-user")
@click.option("--username", required=True)
@click.option("--password", required=True)
@click.option("--role", "role_code", required=True, help="role code, e.g. admin, sales_manager, sales")
@click.option("--display-name", default=None)
@click.option("--department", default=None, help="department name")
@click.pass_obj
def create_user(obj: Context, username, password, role_code, display_name, department):
    """Create a user account (创建用户)."""
    _prepare(obj)
    from .admin.services import create_user_from_cli
    from .extensions import db
    with obj.app.app_context():
        user = create_user_from_cli(username, password, role_code, display_name, department)
        db.session.commit()
        click.echo(f"已创建用户 / created user: {user.username} ({user.role.code})")


@main.command("seed-demo")
@click.option("--size", type=click.Choice(["small", "large"]), default="small", show_default=True)
@click.option("--admin-password", default=None, help="also create the administrator 'admin' with this password")
@click.pass_obj
def seed_demo_command(obj: Context, size, admin_password):
    """Load demo data: a Chinese company's branches, departments and staff (加载演示数据)."""
    _prepare(obj)
    from .demo import DEMO_PASSWORD, seed_demo
    from .extensions import db
    with obj.app.app_context():
        counts = seed_demo(size, admin_password=admin_password)
        db.session.commit()
    for key, value in counts.items():
        if key != "sample_usernames":
            click.echo(f"{key}: {value}")
    click.echo(f"演示账号 / demo users: {', '.join(counts['sample_usernames'])}  密码 / password: {DEMO_PASSWORD}")


@main.command()
@click.argument("path", type=click.Path(dir_okay=False))
@click.pass_obj
def backup(obj: Context, path):
    """Back up the embedded database to PATH (备份)."""
    from .core.backup import sqlite_backup
    settings = obj.settings
    if not settings.is_sqlite:
        fail(_server_db_hint(settings, "backup"), 3)
    source = settings.sqlite_path
    if not source.exists():
        fail(f"数据库文件不存在 / the database file does not exist: {source}")
    target = Path(path)
    if target.exists():
        fail(f"目标文件已存在，不会覆盖 / the target exists and is not overwritten: {target}")
    sqlite_backup(source, target)
    click.echo(f"已备份到 / backed up to: {target}")


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@click.pass_obj
def restore(obj: Context, path, yes):
    """Replace the embedded database with a backup; stop the server first (恢复)."""
    from .core.backup import is_crm_database, restore_sqlite
    settings = obj.settings
    if not settings.is_sqlite:
        fail(_server_db_hint(settings, "restore"), 3)
    backup_path = Path(path)
    if not is_crm_database(backup_path):
        fail(f"不是 CRM Server 的数据库备份 / not a CRM Server database backup: {backup_path}")
    if not yes:
        click.confirm("当前数据库将被替换（原文件会先另存）。继续？ / Replace the current database "
                      "(it is kept aside first)?", abort=True)
    aside = restore_sqlite(backup_path, settings.sqlite_path)
    click.echo(f"已恢复 / restored from {backup_path}; 原数据库另存为 / previous database kept at {aside}")
    _prepare(obj)  # a backup from an older version is upgraded to the current schema


def _server_db_hint(settings, what: str) -> str:
    backend = settings.database_url.get_backend_name()
    db_name = settings.database_url.database or "<database>"
    hints = {
        "mssql": {"backup": f"BACKUP DATABASE [{db_name}] TO DISK = N'D:\\Backup\\crm.bak' WITH INIT",
                  "restore": f"RESTORE DATABASE [{db_name}] FROM DISK = N'D:\\Backup\\crm.bak' WITH REPLACE"},
        "postgresql": {"backup": f"pg_dump -Fc -f crm.dump {db_name}",
                       "restore": f"pg_restore --clean -d {db_name} crm.dump"},
        "mysql": {"backup": f"mysqldump --single-transaction {db_name} > crm.sql",
                  "restore": f"mysql {db_name} < crm.sql"},
    }
    command = hints.get(backend, {}).get(what, "your database server's backup tool")
    return (f"数据库在服务器上（{backend}），此命令不执行{'备份' if what == 'backup' else '恢复'}。请在数据库服务器上运行：\n"
            f"The database is on a server ({backend}); this command did not {what} it. Run on the server:\n"
            f"  {command}")


@main.command("run-jobs")
@click.option("--job", "job_names", multiple=True, help="run only this job (repeatable)")
@click.option("--list", "list_only", is_flag=True, help="list the jobs and their last run")
@click.pass_obj
def run_jobs(obj: Context, job_names, list_only):
    """Run background jobs now, once (运行后台任务)."""
    from .core.jobs import JOBS, JobLease, run_job
    from .extensions import db
    _prepare(obj)
    with obj.app.app_context():
        if list_only:
            for name, job in JOBS.items():
                lease = db.session.get(JobLease, name)
                last = f"{lease.last_finished_at} {lease.last_status}" if lease and lease.last_finished_at else "never"
                click.echo(f"{name}\tevery {job.interval}\tlast: {last}\t{job.description}")
            return
        unknown = [n for n in job_names if n not in JOBS]
        if unknown:
            fail(f"未知的任务 / unknown job: {', '.join(unknown)}; 可用 / available: {', '.join(JOBS)}")
        failed = False
        for name in job_names or JOBS:
            try:
                click.echo(f"{name}: {run_job(name)}")
            except Exception as exc:  # the job is logged; report and go on with the others
                failed = True
                click.echo(f"{name}: failed: {exc}", err=True)
        if failed:
            sys.exit(1)
