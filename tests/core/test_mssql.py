"""SQL Server without a SQL Server: the schema compiles and avoids the traps; the statement guard works.

Tests marked `mssql` run the same checks against a real server when CRM_TEST_MSSQL_URL is set.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import (Column, ForeignKey, Index, Integer, MetaData, String, Table, Text, Unicode, UnicodeText,
                        bindparam, create_engine, func, select, text, true)
from sqlalchemy.schema import CreateTable

from crm_server.core.models import User
from crm_server.extensions import db

from ..mssql_checks import (cascade_path_problems, mssql_dialect, schema_problems, statement_problem,
                            table_problems)


def test_every_table_compiles_for_sql_server_without_traps(app):
    assert db.metadata.sorted_tables, "no tables registered"
    assert schema_problems(db.metadata) == []


def test_timestamps_are_datetime2_and_text_is_nvarchar(app):
    ddl = str(CreateTable(User.__table__).compile(dialect=mssql_dialect()))
    assert "created_at DATETIME2(6) NOT NULL" in ddl
    assert "username NVARCHAR(64) NOT NULL" in ddl
    assert " VARCHAR" not in ddl


def _table(*columns, name="things", metadata=None, **kw):
    return Table(name, metadata or MetaData(), Column("id", Integer, primary_key=True), *columns, **kw)


@pytest.mark.parametrize("build, expected", [
    (lambda: _table(Column("title", String(50))), "VARCHAR(50) loses Chinese text"),
    (lambda: _table(Column("body", Text)), "loses Chinese text"),
    (lambda: _table(Column("body", UnicodeText, index=True)), "text or unbounded column in its key"),
    (lambda: _table(Column("title", Unicode(1000), index=True)), "over SQL Server's 1700"),
    (lambda: _table(Column("code", Unicode(20), unique=True, nullable=True)), "allows only one NULL"),
    (lambda: _table(Column("parent_id", ForeignKey("things.id", ondelete="CASCADE"))), "error 1785"),
    (lambda: _table(name="user"), "table name is reserved"),
    (lambda: _table(Column("order", Integer)), "column name is reserved"),
])
def test_table_checks_catch_each_trap(build, expected):
    problems = table_problems(build())
    assert any(expected in p for p in problems), problems


def test_filtered_unique_index_on_a_nullable_column_passes():
    table = _table(Column("code", Unicode(20), nullable=True))
    Index("uq_things_code", table.c.code, unique=True, mssql_where=text("code IS NOT NULL"))
    assert table_problems(table) == []


def test_two_cascading_paths_to_one_table_are_caught():
    metadata = MetaData()
    _table(name="customers", metadata=metadata)
    _table(Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE")), name="contacts", metadata=metadata)
    _table(Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE")),
           Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE")), name="followups", metadata=metadata)
    problems = cascade_path_problems(metadata)
    assert problems == ["2 cascading paths from customers to followups: SQL Server refuses the second "
                        "(error 1785); make one of them NO ACTION"]


def test_statement_guard_rejects_offset_without_order_by():
    problem = statement_problem(select(User.id).offset(20).limit(10))
    assert problem is not None and "does not compile for SQL Server" in problem
    assert statement_problem(select(User.id).order_by(User.id).offset(20).limit(10)) is None


def test_statement_guard_counts_expanded_parameters():
    assert statement_problem(select(User.id).where(User.id.in_(range(2099)))) is None
    problem = statement_problem(select(User.id).where(User.id.in_(range(2100))))
    assert problem is not None and problem.startswith("2100 parameters")
    # integer ids rendered inline (literal_execute) are not parameters
    ids = bindparam("ids", list(range(5000)), expanding=True, literal_execute=True)
    assert statement_problem(select(User.id).where(User.id.in_(ids))) is None


def test_statement_guard_rejects_boolean_is_comparisons():
    problem = statement_problem(select(User.id).where(User.is_active.is_(True)))
    assert problem is not None and "IS 1" in problem
    assert statement_problem(select(User.id).where(User.is_active == true())) is None


def test_the_guard_is_on_for_the_whole_suite(app):
    """The fixtures' engine refuses what SQL Server would refuse, on SQLite/PostgreSQL/MariaDB alike."""
    with pytest.raises(AssertionError, match="SQL Server would refuse"):
        db.session.execute(select(User.id).offset(5))
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.mssql
@pytest.mark.skipif(not os.environ.get("CRM_TEST_MSSQL_URL"), reason="set CRM_TEST_MSSQL_URL to a SQL Server")
def test_schema_creates_on_a_real_sql_server(app):
    engine = create_engine(os.environ["CRM_TEST_MSSQL_URL"])
    try:
        db.metadata.drop_all(engine)
        db.metadata.create_all(engine)
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(User.__table__)).scalar() == 0
    finally:
        db.metadata.drop_all(engine)
        engine.dispose()
