"""Start-up for serving: logging, schema upgrade, built-in roles, optional demo data, jobs, waitress."""
from __future__ import annotations

import logging
import logging.handlers
import sys

from .config import Settings

log = logging.getLogger("crm_server")


def configure_logging(settings: Settings) -> None:
    """Log to the console and to a rotating file in the data folder (10 files of 5 MB)."""
    root = logging.getLogger()
    if any(getattr(h, "_crm", False) for h in root.handlers):
        return
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(
        settings.logs_dir / "crm-server.log", maxBytes=5 * 1024 * 1024, backupCount=10, encoding="utf-8")
    console = logging.StreamHandler(sys.stderr)
    for handler in (file_handler, console):
        handler.setFormatter(fmt)
        handler._crm = True
        root.addHandler(handler)
    root.setLevel(logging.INFO)


def prepare(app, demo: bool = False) -> dict:
    """Check the database, upgrade the schema, create built-in roles, seed demo data into an empty database."""
    from sqlalchemy import func, select

    from .core.database import check_connection, upgrade_schema
    from .core.models import User
    from .core.roles import ensure_reference_data
    from .extensions import db
    result: dict = {}
    with app.app_context():
        check_connection(db.engine)
    result["upgrade_backup"] = upgrade_schema(app)
    with app.app_context():
        ensure_reference_data()
        db.session.commit()
        if demo and not db.session.scalar(select(func.count(User.id))):
            from .demo import seed_demo
            result["demo"] = seed_demo("small")
            db.session.commit()
    return result


def serve(app, settings: Settings, demo: bool = False) -> None:
    from waitress import serve as waitress_serve

    from .core.jobs import Scheduler
    configure_logging(settings)
    result = prepare(app, demo=demo)
    if result.get("upgrade_backup"):
        log.info("schema upgraded; the previous database was copied to %s", result["upgrade_backup"])
    scheduler = None
    if settings.jobs_enabled:
        scheduler = Scheduler(app)
        scheduler.start()
    url = f"http://{'127.0.0.1' if settings.host in ('0.0.0.0', '::') else settings.host}:{settings.port}" \
          f"{settings.url_prefix}/"
    banner = [f"CRM Server 已启动 / is running: {url}",
              f"数据文件夹 / data folder: {settings.data_dir}",
              f"数据库 / database: {settings.database_url.render_as_string(hide_password=True)}"]
    if result.get("demo"):
        from .demo import DEMO_PASSWORD
        banner.append("首次访问请先创建系统管理员 / first visit: create the administrator on the setup page;")
        banner.append(f"演示账号 / demo users: {', '.join(result['demo']['sample_usernames'])} "
                      f"密码 / password: {DEMO_PASSWORD}")
    for line in banner:
        print(line, flush=True)
    try:
        waitress_serve(app, host=settings.host, port=settings.port, threads=settings.threads,
                       url_prefix=settings.url_prefix or "", ident="CRM Server")
    finally:
        if scheduler is not None:
            scheduler.stop()
