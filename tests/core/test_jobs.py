"""Background jobs: the lease row lets only one server process run a job at a time; status is recorded."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from crm_server.core import jobs
from crm_server.core.jobs import JobLease, Scheduler, acquire_lease, register_job, release_lease, run_job
from crm_server.core.types import utcnow
from crm_server.extensions import db


@pytest.fixture
def counting_job():
    calls = []
    job = register_job("test.count", lambda: calls.append(1) or f"call {len(calls)}",
                       interval=dt.timedelta(hours=1), lease=dt.timedelta(minutes=5))
    yield job, calls
    jobs.JOBS.pop(job.name, None)


def test_only_one_holder_gets_the_lease(app):
    assert acquire_lease("test.lease", "server-a", dt.timedelta(minutes=5))
    assert not acquire_lease("test.lease", "server-b", dt.timedelta(minutes=5))
    assert acquire_lease("test.lease", "server-a", dt.timedelta(minutes=5))  # renewing its own lease
    release_lease("test.lease", "server-a", "ok")
    assert acquire_lease("test.lease", "server-b", dt.timedelta(minutes=5))


def test_an_expired_lease_is_taken_over(app):
    assert acquire_lease("test.lease", "crashed-server", dt.timedelta(minutes=5))
    db.session.execute(update(JobLease).where(JobLease.name == "test.lease")
                       .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    db.session.commit()
    assert acquire_lease("test.lease", "server-b", dt.timedelta(minutes=5))
    assert db.session.get(JobLease, "test.lease").holder == "server-b"


def test_run_job_records_the_run(app, counting_job):
    job, calls = counting_job
    assert run_job(job.name, holder="server-a") == "ran: call 1"
    lease = db.session.get(JobLease, job.name)
    db.session.refresh(lease)
    assert (lease.last_status, lease.run_count, lease.holder, lease.last_error) == ("ok", 1, None, None)
    assert lease.last_finished_at >= lease.last_started_at


def test_a_job_held_elsewhere_is_skipped(app, counting_job):
    job, calls = counting_job
    assert acquire_lease(job.name, "other-server", job.lease)
    assert run_job(job.name, holder="this-server").startswith("skipped")
    assert calls == []


def test_due_jobs_wait_for_their_interval(app, counting_job):
    job, calls = counting_job
    assert run_job(job.name, only_if_due=True).startswith("ran")
    assert run_job(job.name, only_if_due=True).startswith("skipped")  # an hour has not passed
    assert run_job(job.name).startswith("ran")  # run-jobs from the command line runs it now
    assert len(calls) == 2


def test_a_failing_job_records_its_error_and_the_others_still_run(app, counting_job):
    job, calls = counting_job

    def broken():
        raise RuntimeError("邮件服务器拒绝连接")

    register_job("test.broken", broken, interval=dt.timedelta(hours=1))
    try:
        results = Scheduler(app).run_due()
    finally:
        jobs.JOBS.pop("test.broken", None)
    assert results["test.broken"] == "failed: 邮件服务器拒绝连接"
    assert results[job.name] == "ran: call 1"
    lease = db.session.get(JobLease, "test.broken")
    assert lease.last_status == "failed" and "RuntimeError: 邮件服务器拒绝连接" in lease.last_error
    assert lease.holder is None  # released, so the next tick may try again


def test_statistics_job_gives_sqlite_planner_statistics(app, engine_name):
    from sqlalchemy import inspect, text
    result = run_job("database.statistics")
    if engine_name != "sqlite":
        assert result == "ran: not needed: the database server keeps its own statistics"
        return
    assert result == "ran: analyzed"
    assert "sqlite_stat1" in inspect(db.engine).get_table_names() or db.session.execute(
        text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 1
