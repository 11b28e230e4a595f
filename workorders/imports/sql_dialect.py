"""What PostgreSQL and SQLite spell differently in the set-based import's SQL.

The SQL is written once; a dialect holds the few pieces the two databases spell differently
(casts, uuid values, array membership, temporary tables, `IS DISTINCT FROM`, RETURNING into a
table, interval arithmetic), the one-line ones as templates side by side. SQLite needs 3.35
(RETURNING; UPSERT, UPDATE … FROM, FILTER and window functions come earlier)."""

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC
from uuid import UUID

from django.db import connection

SQLITE_NEEDED = (3, 35, 0)
SQLITE_CACHE_KIB = -65536  # negative: KiB, i.e. 64 MB of page cache while importing


def database_supported() -> bool:
    if connection.vendor == "postgresql":
        return True
    return connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= SQLITE_NEEDED


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _hex(value):
    return value.hex


def _sqlite_datetime(value):
    # As connection.ops.adapt_datetimefield_value writes it: naive UTC, `str()` of it.
    text = value.isoformat(" ")  # what str() gives, at half the cost
    if text.endswith("+00:00"):  # parse_datetime gives UTC: the common case, cheaply
        return text[:-6]
    return str(value.astimezone(UTC).replace(tzinfo=None))


class PostgreSQLDialect:
    """PostgreSQL's spelling; `SQLiteDialect` overrides what SQLite spells differently."""

    on_commit_drop = "ON COMMIT DROP"
    uuid_type = "uuid"
    new_uuid = "gen_random_uuid()"
    cast_sql = "({expr})::{sql_type}"
    uuid_sql = "'{hex}'::uuid"
    only_one_sql = "(array_agg({expr}) FILTER (WHERE {condition}))[1]"
    distinct_sql = "{a} IS DISTINCT FROM {b}"
    plus_minutes_sql = "{start} + make_interval(mins => {minutes})"
    # Staged values the database driver cannot take as they are, by kind ("uuid", "datetime").
    stage_adapters: dict[str, Callable] = {}

    def __init__(self, visible=None):
        self.visible = visible  # the caller's sales organizations, None: all

    def cast(self, expr: str, sql_type: str) -> str:
        return self.cast_sql.format(expr=expr, sql_type=sql_type)

    def uuid(self, value) -> str:
        """A constant uuid (a trusted value) as SQL; parsed, so only hex digits reach the SQL."""
        return self.uuid_sql.format(hex=UUID(str(value)).hex)

    def only_one(self, expr: str, condition: str = "TRUE") -> str:
        """The value of `expr` in the one row of the group meeting `condition`."""
        return self.only_one_sql.format(expr=expr, condition=condition)

    def distinct(self, a: str, b: str) -> str:
        return self.distinct_sql.format(a=a, b=b)

    def probe(self, table: str, alias: str, condition: str) -> str:
        """LEFT JOIN the one row of `table` (as `alias`) that `condition` names by a unique
        key. On PostgreSQL a LATERAL subquery (its LIMIT keeps it from being flattened into a
        plain join), so the row is looked up by its index for each incoming row: as a join,
        PostgreSQL hashed the whole work order table for every batch (90,000 rows read at a
        bulk job's tenth chunk to find none, a million in production)."""
        one = f"SELECT * FROM {table} {alias} WHERE {condition} LIMIT 1"
        return f"LEFT JOIN LATERAL ({one}) {alias} ON TRUE"

    def plus_minutes(self, start: str, minutes: str) -> str:
        return self.plus_minutes_sql.format(start=start, minutes=minutes)

    def drop_temporary(self, cursor, tables: Sequence[str]) -> None:
        # ON COMMIT DROP cleans up after a commit; inside a caller's transaction, this does.
        cursor.execute(
            f"DROP TABLE IF EXISTS {', '.join(tables)}; "
            "RESET work_mem; RESET default_statistics_target; RESET jit"
        )

    def prepare(self, cursor) -> None:
        # Whole-batch joins: hash joins in memory. The planner picks them itself once the
        # staging tables are analyzed; forbidding nested loops made a 1,000-row file hash-scan
        # every stored work order (3 s at 200,000 rows, 0.4 s with index lookups).
        # ANALYZE of the staging tables is for row counts and join sides: a small sample will do.
        # No JIT: each statement runs once, and compiling it took as long as running it (33 of
        # the 62 ms of a bulk chunk's checks).
        cursor.execute(
            "SET LOCAL work_mem = '64MB'; SET LOCAL default_statistics_target = 10; "
            "SET LOCAL jit = off"
        )

    def analyze(self, cursor, table: str) -> None:
        cursor.execute(f"ANALYZE {table}")

    def finish(self, cursor) -> None:
        pass

    def stage(self, cursor, table: str, columns: list[str], rows) -> None:
        """Write `rows` (an iterable of value lists, read as it goes) into `table`."""
        names = ", ".join(quote(c) for c in columns)
        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def delete_ords(self, cursor, table: str, ords: list[int]) -> None:
        cursor.execute(f"DELETE FROM {table} WHERE ord = ANY(%s)", [ords])

    def insert_returning_into(
        self, cursor, table: str, columns: list[tuple[str, str]], sql: str, params: dict
    ) -> None:
        """Run `sql` (an INSERT … RETURNING `columns`, as (name, type)) and keep the rows it
        returns in a new temporary `table`."""
        cursor.execute(
            f"CREATE TEMPORARY TABLE {table} ON COMMIT DROP AS "
            f"WITH written AS ({sql}) SELECT * FROM written",
            params,
        )


class SQLiteDialect(PostgreSQLDialect):
    on_commit_drop = ""
    uuid_type = "char(32)"  # as Django stores a UUIDField: 32 hex digits
    # A random (version 4) uuid as 32 hex digits.
    new_uuid = (
        "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) "
        "|| substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) "
        "|| hex(randomblob(6)))"
    )
    cast_sql = "{expr}"
    uuid_sql = "'{hex}'"
    only_one_sql = "max({expr}) FILTER (WHERE {condition})"
    distinct_sql = "{a} IS NOT {b}"
    # Stored as Django writes it ('YYYY-MM-DD HH:MM:SS[.ffffff]', UTC): datetime() drops the
    # fraction, whole minutes do not change it.
    plus_minutes_sql = (
        "(datetime({start}, '+' || ({minutes}) || ' minutes') || substr({start}, 20))"
    )
    stage_adapters = {"uuid": _hex, "datetime": _sqlite_datetime}

    def drop_temporary(self, cursor, tables: Sequence[str]) -> None:
        for table in tables:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{table}")

    def probe(self, table: str, alias: str, condition: str) -> str:
        # SQLite joins row by row through the index already.
        return f"LEFT JOIN {table} {alias} ON {condition}"

    def prepare(self, cursor) -> None:
        # The work order table's many indexes and the staging tables outgrow the default page
        # cache (2 MB): pages would spill to disk in the middle of the transaction.
        cursor.execute("PRAGMA main.cache_size")
        self.cache_size = cursor.fetchone()[0]
        for schema in ("main", "temp"):
            cursor.execute(f"PRAGMA {schema}.cache_size = {SQLITE_CACHE_KIB}")

    def finish(self, cursor) -> None:
        for schema in ("main", "temp"):
            cursor.execute(f"PRAGMA {schema}.cache_size = {self.cache_size}")

    def analyze(self, cursor, table: str) -> None:
        pass

    def stage(self, cursor, table: str, columns: list[str], rows) -> None:
        names = ", ".join(quote(c) for c in columns)
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", rows
        )

    def delete_ords(self, cursor, table: str, ords: list[int]) -> None:
        cursor.executemany(f"DELETE FROM {table} WHERE ord = %s", [(o,) for o in ords])

    def insert_returning_into(
        self, cursor, table: str, columns: list[tuple[str, str]], sql: str, params: dict
    ) -> None:
        # No data-modifying WITH in SQLite: the RETURNING rows come back and go in again.
        cursor.execute(sql, params)
        written = cursor.fetchall()
        cursor.execute(
            f"CREATE TEMP TABLE {table} ({', '.join(f'{name} {type_}' for name, type_ in columns)})"
        )
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} VALUES ({placeholders})", written)


def for_connection(visible=None) -> PostgreSQLDialect:
    """The dialect of the default database, for a caller who sees `visible` (None: all)."""
    return SQLiteDialect(visible) if connection.vendor == "sqlite" else PostgreSQLDialect(visible)
