"""SQL Server guards that run without a SQL Server: the schema traps and the statement guard.

No SQL Server runs on our Linux machines, so what breaks only there is caught here: every table is compiled
for the mssql dialect and its metadata checked for the traps in shared/guides/databases.md, and every
statement the suite runs is compiled for mssql too (see `statement_problem`).
"""
from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import MetaData, Table, UniqueConstraint
from sqlalchemy.dialects.mssql import pyodbc as mssql_pyodbc
from sqlalchemy.dialects.mssql.base import RESERVED_WORDS
from sqlalchemy.exc import CompileError
from sqlalchemy.schema import CreateIndex, CreateTable
from sqlalchemy.sql import CompoundSelect, Delete, Insert, Select, Update
from sqlalchemy.sql.util import find_tables

MAX_PARAMETERS = 2099  # SQL Server accepts 2,100 parameters per statement; pyodbc needs one spare
MAX_INDEX_KEY_BYTES = 1700  # nonclustered index key limit (900 for the clustered primary key)
MAX_PRIMARY_KEY_BYTES = 900
CASCADING = {"CASCADE", "SET NULL", "SET DEFAULT"}


def mssql_dialect():
    """The dialect CRM Server uses on SQL Server, as if connected to SQL Server 2019 (version 15)."""
    dialect = mssql_pyodbc.dialect()
    dialect.server_version_info = (15, 0)
    dialect.supports_multivalues_insert = True
    return dialect


def _type_sql(column, dialect) -> str:
    return column.type.compile(dialect=dialect).upper()


def _key_bytes(columns, dialect) -> int | None:
    """Bytes an index key takes at most; None when a column has no bounded size (text, max)."""
    total = 0
    for column in columns:
        sql = _type_sql(column, dialect)
        if "(MAX)" in sql or sql in ("NTEXT", "TEXT", "IMAGE", "XML"):
            return None
        length = getattr(column.type, "length", None)
        if sql.startswith(("NVARCHAR", "NCHAR")):
            if length is None:
                return None
            total += 2 * length
        elif sql.startswith(("VARCHAR", "CHAR", "VARBINARY", "BINARY")):
            if length is None:
                return None
            total += length
        else:
            total += 8  # numbers, dates, bits: at most 8 bytes (DATETIME2 and NUMERIC(18,2) fit in 9; close enough)
    return total


def _on_sql_server(index) -> bool:
    """False for an index made only on other engines (Index(...).ddl_if(dialect="sqlite"))."""
    only = getattr(index, "_ddl_if", None)
    return only is None or only.dialect is None or only.dialect == "mssql"


def _unique_keys(table: Table):
    """(name, columns, filtered) for every unique constraint and unique index of a table."""
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            yield constraint.name or "unique", list(constraint.columns), False
    for index in table.indexes:
        if index.unique:
            filtered = index.dialect_options["mssql"].get("where") is not None
            yield index.name, [c for c in index.columns], filtered


def table_problems(table: Table, dialect=None) -> list[str]:
    """What in this table's definition would fail, or behave differently, on SQL Server."""
    dialect = dialect or mssql_dialect()
    problems = []
    try:
        CreateTable(table).compile(dialect=dialect)
        for index in table.indexes:
            CreateIndex(index).compile(dialect=dialect)
    except CompileError as exc:
        return [f"{table.name}: does not compile for SQL Server: {exc}"]

    if table.name.lower() in RESERVED_WORDS:
        problems.append(f"{table.name}: the table name is reserved on SQL Server")
    for column in table.columns:
        where = f"{table.name}.{column.name}"
        if column.name.lower() in RESERVED_WORDS:
            problems.append(f"{where}: the column name is reserved on SQL Server")
        sql = _type_sql(column, dialect)
        if sql.startswith(("VARCHAR", "CHAR", "TEXT")):
            problems.append(f"{where}: {sql} loses Chinese text on a non-Chinese collation; use Unicode/UnicodeText")

    keys = [("primary key", list(table.primary_key.columns), MAX_PRIMARY_KEY_BYTES)]
    keys += [(index.name, list(index.columns), MAX_INDEX_KEY_BYTES) for index in table.indexes
             if _on_sql_server(index)]
    keys += [(name, columns, MAX_INDEX_KEY_BYTES) for name, columns, _ in _unique_keys(table)]
    for name, columns, limit in keys:
        if not columns:
            continue
        size = _key_bytes(columns, dialect)
        if size is None:
            problems.append(f"{table.name}: {name} has a text or unbounded column in its key")
        elif size > limit:
            problems.append(f"{table.name}: {name} key is up to {size} bytes, over SQL Server's {limit}")

    for name, columns, filtered in _unique_keys(table):
        nullable = [c.name for c in columns if c.nullable]
        if nullable and not filtered:
            problems.append(f"{table.name}: unique {name} has nullable {', '.join(nullable)}: SQL Server allows "
                            "only one NULL; use a filtered unique index (mssql_where=... IS NOT NULL)")

    for fk in table.foreign_keys:
        if fk.column.table is table and (fk.ondelete or "").upper() in CASCADING:
            problems.append(f"{table.name}.{fk.parent.name}: a self-reference with ON DELETE {fk.ondelete} is "
                            "refused by SQL Server (error 1785); use NO ACTION and cascade in the ORM")
    return problems


def cascade_path_problems(metadata: MetaData) -> list[str]:
    """SQL Server refuses a foreign key that gives a second cascading path (or a cycle) between two tables."""
    edges = defaultdict(list)  # referenced table -> tables a delete there cascades into
    for table in metadata.tables.values():
        for fk in table.foreign_keys:
            if (fk.ondelete or "").upper() in CASCADING and fk.column.table is not table:
                edges[fk.column.table.name].append(table.name)

    problems = []

    def walk(start: str, node: str, seen: tuple[str, ...], counts: dict[str, int]):
        for child in edges.get(node, ()):
            if child in seen:
                problems.append(f"cascade cycle: {' -> '.join(seen + (child,))}")
                continue
            counts[child] += 1
            walk(start, child, seen + (child,), counts)

    for start in sorted(edges):
        counts: dict[str, int] = defaultdict(int)
        walk(start, start, (start,), counts)
        for target, paths in sorted(counts.items()):
            if paths > 1:
                problems.append(f"{paths} cascading paths from {start} to {target}: SQL Server refuses the "
                                "second (error 1785); make one of them NO ACTION")
    return sorted(set(problems))


def schema_problems(metadata: MetaData) -> list[str]:
    dialect = mssql_dialect()
    problems = []
    for table in metadata.sorted_tables:
        problems.extend(table_problems(table, dialect))
    problems.extend(cascade_path_problems(metadata))
    return problems


# --- the statement guard --------------------------------------------------------------------------

GUARDED = (Select, CompoundSelect, Insert, Update, Delete)
BOOLEAN_IS = re.compile(r"\bIS (NOT )?[01]\b")


def statement_problem(statement, params=None, dialect=None) -> str | None:
    """Compile a statement the app runs for SQL Server; say what SQL Server would refuse, or None."""
    if not isinstance(statement, GUARDED):
        return None
    if any(getattr(table, "schema", None) for table in find_tables(statement, include_crud=True)):
        return None  # the dialect's own catalogue queries (pg_catalog, information_schema), not the app's
    dialect = dialect or mssql_dialect()
    try:
        compiled = statement.compile(dialect=dialect)
    except CompileError as exc:
        return f"does not compile for SQL Server: {exc}"
    if BOOLEAN_IS.search(compiled.string):
        # `col.is_(True)` renders "col IS 1", a syntax error on SQL Server; write `col == true()` instead.
        return "compares a boolean with IS 1 / IS 0, a syntax error on SQL Server; use `column == true()`"
    values = compiled.construct_params(params or None, _check=False)
    count = 0
    for key, value in values.items():
        bind = compiled.binds.get(key)
        if bind is not None and bind.literal_execute:
            continue  # rendered inline, not sent as a parameter
        if bind is not None and bind.expanding:
            count += len(value or ())
        else:
            count += 1
    if count > MAX_PARAMETERS:
        return (f"{count} parameters: SQL Server takes at most 2,100 per statement; chunk the list or use "
                "literal_execute=True for integer ids")
    return None


def install_statement_guard(engine) -> None:
    """Fail any statement the app runs on this engine that SQL Server would refuse."""
    from sqlalchemy import event

    dialect = mssql_dialect()

    @event.listens_for(engine, "before_execute")
    def _guard(_conn, clauseelement, multiparams, params, _execution_options):
        first = multiparams[0] if multiparams else params
        if isinstance(first, (list, tuple)):
            first = first[0] if first else None
        problem = statement_problem(clauseelement, first if isinstance(first, dict) else None, dialect)
        if problem:
            raise AssertionError(f"SQL Server would refuse this statement ({problem}):\n{clauseelement}")
