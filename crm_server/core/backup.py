"""Backups of the embedded SQLite database (online, consistent while users work)."""
from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

from flask import current_app


def sqlite_backup(source: Path, target: Path) -> Path:
    """Copy a live SQLite database with SQLite's online backup API (safe while the server writes)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(str(source))
    try:
        dst = sqlite3.connect(str(target))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    return target


def timestamped_name(prefix: str = "crm") -> str:
    return f"{prefix}-{dt.datetime.now():%Y%m%d-%H%M%S}.sqlite3"


def prune(folder: Path, keep: int, pattern: str = "crm-*.sqlite3") -> list[Path]:
    """Delete all but the newest `keep` backups in `folder`; keep=0 keeps everything."""
    if keep <= 0:
        return []
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = files[keep:]
    for path in removed:
        path.unlink()
    return removed


def is_crm_database(path: Path) -> bool:
    """Whether `path` is an SQLite file holding a CRM Server schema (it has alembic_version and users)."""
    try:
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                return False
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        finally:
            conn.close()
    except (OSError, sqlite3.Error):
        return False
    return {"alembic_version", "users"} <= names


def restore_sqlite(backup: Path, live: Path) -> Path:
    """Put `backup` in place of `live`, keeping the current file aside. Returns the path it was kept at."""
    aside = live.with_name(f"{live.stem}-before-restore-{dt.datetime.now():%Y%m%d-%H%M%S}{live.suffix}")
    if live.exists():
        sqlite_backup(live, aside)
    for suffix in ("-wal", "-shm"):
        stale = live.with_name(live.name + suffix)
        if stale.exists():
            stale.unlink()
    tmp = live.with_name(live.name + ".restoring")
    shutil.copyfile(backup, tmp)
    tmp.replace(live)
    return aside


def nightly_backup() -> str:
    """The `backup` job: a daily copy of the SQLite database into the backups folder, pruned to backup_keep."""
    settings = current_app.config["CRM_SETTINGS"]
    if not settings.is_sqlite:
        return "server database: back it up with the database server's own tools"
    target = sqlite_backup(settings.sqlite_path, settings.backups_dir / timestamped_name())
    removed = prune(settings.backups_dir, settings.backup_keep)
    return f"{target.name} ({len(removed)} old removed)"
