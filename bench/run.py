"""The benchmark: a large data set, then the pages users wait on, timed and with their SQL query counts.

    make bench                      # SQLite in a temporary folder
    CRM_BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/crm_bench make bench

Prints one line per page: median and 95th-percentile time over the runs, and the SQL statements one request
runs (a count that grows with the data would be an N+1). Exits non-zero if a page fails or a statement count
exceeds its budget, so a regression is seen, not just timed.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time

from sqlalchemy import event, insert, select

from crm_server import create_app
from crm_server.config import load_config
from crm_server.core.audit import AuditLog
from crm_server.core.database import upgrade_schema
from crm_server.core.models import User
from crm_server.demo import seed_demo
from crm_server.extensions import db

# page -> the most SQL statements one request may run, whatever the data size
PAGES = {
    "/login": 2,
    "/": 8,
    "/admin/users": 10,
    "/admin/users?q=wang": 10,
    "/admin/users?page=5": 10,
    "/admin/departments": 10,
    "/admin/roles": 10,
    "/admin/audit": 10,
    "/admin/audit?page=200": 10,
    "/admin/audit?action=user.signed_in": 10,
}


def build_dataset(app, audit_rows: int) -> User:
    with app.app_context():
        seed_demo("large", admin_password="BenchAdmin123")
        db.session.commit()
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        users = db.session.execute(select(User.id, User.display_name)).all()
        rng = random.Random(7)
        start = dt.datetime(2025, 11, 1)
        actions = ["user.signed_in", "user.updated", "user.created", "user.password_changed", "department.updated"]
        batch = []
        for i in range(audit_rows):
            uid, name = users[rng.randrange(len(users))]
            batch.append({"at": start + dt.timedelta(minutes=5 * i), "actor_id": uid, "actor_name": name,
                          "action": actions[i % len(actions)], "entity_type": "users", "entity_id": uid,
                          "entity_label": name, "ip": "10.0.0.%d" % (i % 250)})
            if len(batch) == 5000:
                db.session.execute(insert(AuditLog), batch)
                batch = []
        if batch:
            db.session.execute(insert(AuditLog), batch)
        db.session.commit()
        return admin.id


def measure(app, admin_id: int, runs: int) -> bool:
    counter = {"n": 0}

    def count(*_args):
        counter["n"] += 1

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
        session_id = db.session.get(User, admin_id).get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
    ok = True
    print(f"{'page':40} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'budget':>7}")
    for path, budget in PAGES.items():
        timings = []
        queries = 0
        for _ in range(runs):
            counter["n"] = 0
            t0 = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - t0) * 1000)
            queries = counter["n"]
            if response.status_code != 200:
                print(f"{path}: HTTP {response.status_code}")
                ok = False
                break
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        flag = "" if queries <= budget else "  OVER BUDGET"
        ok = ok and queries <= budget
        print(f"{path:40} {statistics.median(timings):10.1f} {p95:8.1f} {queries:8d} {budget:7d}{flag}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audit-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="crm-bench-")
    settings = load_config(path=os.devnull, environ={
        "CRM_PATHS_DATA_DIR": data_dir, "CRM_JOBS_ENABLED": "no",
        "CRM_DATABASE_URL": os.environ.get("CRM_BENCH_DATABASE_URL", "")})
    app = create_app(settings)
    app.config["WTF_CSRF_ENABLED"] = False
    upgrade_schema(app)
    t0 = time.perf_counter()
    admin_id = build_dataset(app, args.audit_rows)
    with app.app_context():
        users = db.session.query(User).count()
    print(f"engine: {settings.database_url.get_backend_name()}; data: {users} users, "
          f"{args.audit_rows} audit rows (built in {time.perf_counter() - t0:.1f} s); {args.runs} runs per page")
    return 0 if measure(app, admin_id, args.runs) else 1


if __name__ == "__main__":
    sys.exit(main())
