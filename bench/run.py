"""The benchmark: a large data set, then the pages users wait on, timed and with their SQL statement counts.

    make bench                                        # 100,000 customers on SQLite in a temporary folder
    make bench BENCH_ARGS="--customers 2000 --runs 5" # a quick run
    make bench BENCH_ARGS="--only 'search|detail'"    # only the pages whose name matches the pattern
    CRM_BENCH_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/crm_bench make bench

The database named by CRM_BENCH_DATABASE_URL is EMPTIED first. The data set: 200 sales staff in 10 departments
owning --customers customers (default 100,000), three contacts and ten follow-ups per customer on average, and
two contracts per customer with their payment plans, payments (2.5 per contract), invoices and approvals.

Each page is requested through the Flask test client as a salesperson (own customers), a sales director (all
customers), for the administration pages the administrator, and for receivables and aging a finance manager:
median and 95th-percentile server time over
--runs requests (after one warm-up), and the SQL statements one request runs (a count that grows with the data
would be an N+1). Prints a table and writes bench/results/latest.json. Exits non-zero if a page fails or runs
more statements than its budget; a page whose route does not exist yet is reported as missing.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import MetaData, event, func, select, text
from werkzeug.exceptions import MethodNotAllowed, NotFound

from crm_server import create_app
from crm_server.config import load_config
from crm_server.core.database import upgrade_schema
from crm_server.core.models import User
from crm_server.customers.models import Customer
from crm_server.extensions import db

from . import contract_pages, dataset, pages, report_pages

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
DATASET_FILE = "bench-dataset.json"  # who the pages are measured as, kept beside the data by --keep


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000,
                        help="customers in the data set (contacts x3, follow-ups x10; default 100000)")
    parser.add_argument("--runs", type=int, default=20, help="requests per page (default 20)")
    parser.add_argument("--only", metavar="PATTERN", help="only pages whose name matches this regular expression")
    parser.add_argument("--audit-rows", type=int, default=100_000, help="audit log rows (default 100000)")
    parser.add_argument("--no-statistics", action="store_true",
                        help="measure SQLite without planner statistics (the server's daily database.statistics "
                             "job gives them; database servers keep their own)")
    parser.add_argument("--output", type=Path, default=RESULTS, help=f"results file (default {RESULTS})")
    parser.add_argument("--keep", action="store_true", help="keep the temporary data folder (the SQLite database)")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="SQLite only: measure the data set a run with --keep left in DIR again (upgraded to "
                             "the newest migration first) instead of building one; DIR is kept")
    parser.add_argument("--show-sql", type=float, metavar="MS",
                        help="print the statements of a page's last request that took at least MS ms")
    args = parser.parse_args(argv)
    if args.customers < 100 or args.runs < 1:
        parser.error("--customers must be at least 100 and --runs at least 1")
    only = re.compile(args.only, re.IGNORECASE) if args.only else None

    reuse = args.reuse is not None
    if reuse and not (args.reuse / DATASET_FILE).is_file():
        parser.error(f"--reuse: no {DATASET_FILE} in {args.reuse} (made by a run with --keep)")
    data_dir = str(args.reuse) if reuse else tempfile.mkdtemp(prefix="crm-bench-")
    url = "" if reuse else os.environ.get("CRM_BENCH_DATABASE_URL", "")
    settings = load_config(path=os.devnull, environ={"CRM_PATHS_DATA_DIR": data_dir, "CRM_JOBS_ENABLED": "no",
                                                     "CRM_DATABASE_URL": url})
    app = create_app(settings)
    app.config["WTF_CSRF_ENABLED"] = False
    engine_name = settings.database_url.get_backend_name()
    sqlite = engine_name == "sqlite"
    if not sqlite:
        with app.app_context():
            _empty_database()
    upgrade_schema(app)
    if reuse:
        if not args.no_statistics:
            with app.app_context():
                _analyze(engine_name)  # indexes a newer migration made have no statistics yet
        return _measure_and_report(app, args, only, engine_name, data_dir, dataset.Dataset.load(
            Path(data_dir) / DATASET_FILE), jobs={})

    print(f"engine: {engine_name}; building {args.customers:,} customers "
          f"({'in ' + data_dir if sqlite else 'in ' + settings.database_url.render_as_string(hide_password=True)})")
    started = time.perf_counter()
    with app.app_context():
        built = dataset.build(args.customers, args.audit_rows, sqlite=sqlite)
    built.build_seconds = time.perf_counter() - started
    print(f"built in {built.build_seconds:.1f} s: " + ", ".join(f"{t} {n:,}" for t, n in built.counts.items()))
    jobs = _run_jobs(app)
    with app.app_context():
        if not sqlite or not args.no_statistics:
            _analyze(engine_name)
    if args.keep and sqlite:
        built.save(Path(data_dir) / DATASET_FILE)
    return _measure_and_report(app, args, only, engine_name, data_dir, built, jobs)


def _measure_and_report(app, args, only, engine_name: str, data_dir: str, built: dataset.Dataset, jobs: dict) -> int:
    sqlite = engine_name == "sqlite"
    load_before = _load()
    results, ok = measure(app, built, args.runs, only, args.show_sql)
    report = {"engine": engine_name, "customers": args.customers, "runs": args.runs,
              "analyzed": not sqlite or not args.no_statistics, "build_seconds": round(built.build_seconds, 1),
              "load_average": [load_before, _load()], "dataset": built.counts, "jobs": jobs, "pages": results}
    statuses = [r["status"] for r in results.values()]
    print(f"{len(statuses)} pages: {statuses.count('ok')} ok, {statuses.count('slow')} missed the p95 target, "
          f"{statuses.count('over budget')} over the statement budget, {statuses.count('missing')} missing, "
          f"{sum(1 for st in statuses if st.startswith('HTTP'))} failed")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"results written to {args.output}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if not args.keep and args.reuse is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    elif sqlite:
        print(f"database kept in {data_dir}")
    return 0 if ok else 1


def _load() -> float | None:
    """The machine's 1-minute load average: timings taken while other work runs are not comparable."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def _empty_database() -> None:
    """Drop every table of the benchmark database (whatever an earlier run or version left there)."""
    db.session.remove()
    metadata = MetaData()
    metadata.reflect(bind=db.engine)
    metadata.drop_all(bind=db.engine)


def _run_jobs(app) -> dict[str, float]:
    """Run the reminder job once (it fills the reminders page from the follow-up plans), timed."""
    from crm_server.core.jobs import JOBS, run_job
    timings = {}
    with app.app_context():
        for name in ("reminders.generate",):
            if name in JOBS:
                started = time.perf_counter()
                summary = run_job(name)
                timings[name] = round(time.perf_counter() - started, 2)
                print(f"job {name}: {summary} ({timings[name]} s)")
    return timings


def _analyze(engine_name: str) -> None:
    """Fresh planner statistics, as a running server keeps them (autovacuum, InnoDB's automatic statistics).
    SQLite keeps none unless told: the server's daily job "database.statistics" runs ANALYZE, and so does this."""
    db.session.commit()
    if engine_name == "postgresql":
        # VACUUM too: autovacuum sets the visibility map that index-only scans (counts) rely on
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    elif engine_name in ("mysql", "mariadb"):
        names = ", ".join(f"`{t}`" for t in db.metadata.tables)
        db.session.execute(text(f"ANALYZE TABLE {names}"))
        db.session.commit()
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()


class _Counter:
    """Counts the statements of a request and keeps how long each took (for --show-sql)."""

    def __init__(self):
        self.n = 0
        self.statements: list[tuple[float, str]] = []

    def reset(self) -> None:
        self.n = 0
        self.statements = []

    def before(self, conn, _cursor, _statement, _parameters, _context, _executemany):
        self.n += 1
        conn.info["bench_started"] = time.perf_counter()

    def after(self, conn, _cursor, statement, _parameters, _context, _executemany):
        started = conn.info.pop("bench_started", None)
        if started is not None:
            self.statements.append(((time.perf_counter() - started) * 1000, " ".join(statement.split())))


def measure(app, built: dataset.Dataset, runs: int, only, show_sql: float | None = None) -> tuple[dict, bool]:
    counter = _Counter()
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", counter.before)
        event.listen(db.engine, "after_cursor_execute", counter.after)
        visitors = []
        samples = pages.samples_for(built.rep_id)
        rep_contracts = contract_pages.contract_pages(pages.Page, built.rep_id, built.rep_id, receivables=False)
        director_contracts = contract_pages.contract_pages(pages.Page, built.director_id, built.rep_id,
                                                           receivables=True)
        from crm_server.reports.model import REPORTS
        reports = sorted(REPORTS)
        for user_id, role, page_list in (
                (built.rep_id, "sales", pages.customer_pages(samples) + rep_contracts
                 + report_pages.report_pages(pages.Page, reports)),
                (built.director_id, "director", pages.customer_pages(samples) + director_contracts
                 + report_pages.report_pages(pages.Page, reports)),
                (built.admin_id, "admin", pages.ADMIN_PAGES),
                # receivables and aging as finance reads them (every contract in scope); older data sets have none
                (built.finance_id, "finance", contract_pages.finance_pages(pages.Page, built.rep_id)
                 + report_pages.report_pages(pages.Page, ["money"]))):
            if not user_id:
                continue
            user = db.session.get(User, user_id)
            visitors.append((role, f"{user.display_name} {user.title or ''}".strip(), user.get_id(), page_list))
        visitors.append(("anonymous", "not signed in", None, pages.ANONYMOUS_PAGES))
        owned = db.session.scalar(select(func.count()).select_from(Customer).where(Customer.owner_id == built.rep_id))
        db.session.remove()
    print(f"measured as: salesperson (own scope, {owned:,} customers), sales director (all), administrator, "
          f"finance manager (receivables); "
          f"{runs} runs per page after one warm-up; load average {_load()}")
    adapter = app.url_map.bind("localhost")
    results: dict[str, dict] = {}
    ok = True
    print(f"{'page':52} {'p50 ms':>8} {'p95 ms':>8} {'target':>7} {'queries':>8} {'budget':>7}")
    for role, who, session_id, page_list in visitors:
        client = app.test_client()
        if session_id is not None:
            with client.session_transaction() as session:
                session["_user_id"] = session_id
                session["_fresh"] = True
        print(f"-- {role}: {who}")
        for page in page_list:
            name = f"{role}: {page.name}"
            if only is not None and not only.search(name):
                continue
            result = _measure_page(client, adapter, page, runs, counter)
            results[name] = result
            ok = ok and result["status"] in ("ok", "missing", "slow")
            _print_row(name, page, result)
            if show_sql is not None:
                for ms, statement in counter.statements:
                    if ms >= show_sql:
                        print(f"{'':6}{ms:8.1f} ms  {statement[:400]}")
    return results, ok


def _measure_page(client, adapter, page: pages.Page, runs: int, counter: _Counter) -> dict:
    base = {"n": 0, "p50_ms": None, "p95_ms": None, "queries": None, "budget": page.budget,
            "target_ms": page.target_ms}
    try:
        adapter.match(page.path.split("?")[0], method=page.method)
    except (NotFound, MethodNotAllowed):
        return {**base, "status": "missing"}
    timings, queries = [], 0
    for run in range(runs + 1):  # the first request warms caches (templates, compiled SQL) and is not counted
        _clear_report_cache(client.application, page.clear)
        counter.reset()
        data = page.data() if page.data else None
        started = time.perf_counter()
        response = client.open(page.path, method=page.method, data=data)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != page.expect:
            return {**base, "status": f"HTTP {response.status_code}"}
        if run:
            timings.append(elapsed)
            queries = max(queries, counter.n)
    timings.sort()
    p95 = timings[min(len(timings) - 1, max(0, round(len(timings) * 0.95) - 1))]
    status = "ok"
    if queries > page.budget:
        status = "over budget"
    elif page.target_ms is not None and p95 > page.target_ms:
        status = "slow"
    return {**base, "n": len(timings), "p50_ms": round(statistics.median(timings), 1), "p95_ms": round(p95, 1),
            "queries": queries, "status": status}


def _clear_report_cache(app, what: str | None) -> None:
    """A cold report page: nothing cached; a chart image timed alone: its figures cached, no image."""
    cache = app.extensions.get("crm_report_cache")
    if what is None or cache is None:
        return
    if what == "all":
        cache.clear()
    else:
        cache.drop(lambda key: key[0] in ("chart", "home-png"))


def _print_row(name: str, page: pages.Page, result: dict) -> None:
    target = f"{page.target_ms:g}" if page.target_ms is not None else "-"
    if result["n"] == 0:
        print(f"{name:52} {result['status']:>17} {target:>7} {'':8} {page.budget:7d}")
        return
    flag = {"ok": "", "slow": "  MISSED TARGET", "over budget": "  OVER BUDGET"}.get(result["status"], "")
    print(f"{name:52} {result['p50_ms']:8.1f} {result['p95_ms']:8.1f} {target:>7} {result['queries']:8d} "
          f"{page.budget:7d}{flag}")


if __name__ == "__main__":
    sys.exit(main())
