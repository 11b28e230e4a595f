"""The set-based import's temporary tables, the columns a file fills, and loading its rows.

Each row is validated in Python by `clean_work_order_fields` (the API's own function, through
`work_order_fields_cleaner` for the file's columns); good rows are COPYed (PostgreSQL) or
inserted with one executemany (SQLite) into the temporary table STAGED. A row that fails
later leaves RESOLVED, the table the final write reads, and is reported with its line."""

from collections.abc import Iterable, Sequence

from django.db import connection

from apijobs import services as api_jobs
from workorders.imports.progress import Progress
from workorders.imports.readers import Row
from workorders.imports.sql_dialect import PostgreSQLDialect, quote
from workorders.imports.unknown_references import ReferenceValues
from workorders.models import WorkOrder
from workorders.records import (
    WORK_ORDER_SCALARS,
    clean_uuid,
    record_name,
    work_order_fields_cleaner,
)
from workorders.reference_kinds import WORK_ORDER_GROUPS

WORK_ORDER = WorkOrder._meta
PROGRESS_STEP = 5000  # rows read between two progress updates

# The temporary tables, in the order the import fills them.
STAGED = "import_staged"  # the file's valid rows, as read
MATCHED = "import_matched"  # + the stored work order each row names, and its project
RESOLVED = "import_resolved"  # + every other reference; what is left of it is written
WRITTEN = "import_written"  # the work orders inserted or changed


def codes_table(field: str) -> str:
    """The table resolving the codes a file gives for the group `field` (once per code)."""
    return f"import_codes_{field}"


TEMPORARY_TABLES = [
    STAGED,
    MATCHED,
    RESOLVED,
    WRITTEN,
    *(codes_table(g.field) for g in WORK_ORDER_GROUPS),
]


class ColumnPlan:
    """Which columns a file carries, and the SQL pieces that follow from it.

    A group (a reference such as the project) is staged as given_<field>_id and
    given_<field>_key (its code or reference), resolved into resolved_<field>, with
    problem_<field> saying why it did not resolve."""

    def __init__(self, columns: Sequence[str]):
        present = set(columns)
        self.has_id = "id" in present
        self.has_id2 = "id2" in present
        self.scalars = [
            (name, spec) for name, spec in WORK_ORDER_SCALARS.items() if name in present
        ]
        self.groups = [g for g in WORK_ORDER_GROUPS if set(g.input_keys) & present]
        self.group_columns = {
            g.field: (
                g.id_key if g.id_key in present else None,
                g.code_key if g.code_key in present else None,
            )
            for g in self.groups
        }
        self.scalar_fields = [spec.field for _, spec in self.scalars]
        self.group_keys = [self.group_columns[g.field] for g in self.groups]
        # clean_work_order_fields(record, partial=False, creating=False) for this file's rows
        self.clean = work_order_fields_cleaner(columns, partial=False, creating=False)
        self.has_ref = "reference_back_office" in self.scalar_fields
        # Rows without a required reference (bulk records may leave one out): they update only.
        self.lacks_required_group = any(
            g.required and g.field not in self.group_columns for g in WORK_ORDER_GROUPS
        )

    def staged_columns(self, dialect: PostgreSQLDialect) -> list[tuple[str, str, str | None]]:
        """(name, SQL type, kind of value) of each column of STAGED, in the order of
        `stage_row`'s values; the kind ("uuid", "datetime") picks the dialect's adapter."""
        columns = [
            ("line", "integer", None),
            ("ord", "integer", None),
            ("id", dialect.uuid_type, "uuid"),
            ("id2", "bigint", None),
        ]
        for name in self.scalar_fields:
            field = WORK_ORDER.get_field(name)
            kind = "datetime" if field.get_internal_type() == "DateTimeField" else None
            columns.append((field.column, field.db_type(connection), kind))
        for group in self.groups:
            columns.append((f"given_{group.field}_id", dialect.uuid_type, "uuid"))
            columns.append((f"given_{group.field}_key", "text", None))
        return columns

    def stage_ddl(self, dialect: PostgreSQLDialect) -> str:
        columns = ", ".join(
            f"{quote(name)} {sql_type}" for name, sql_type, _ in self.staged_columns(dialect)
        )
        return f"CREATE TEMPORARY TABLE {STAGED} ({columns}) {dialect.on_commit_drop}"

    def stage_adapters(self, dialect: PostgreSQLDialect) -> list[tuple[int, object]]:
        """(position, function) for the staged values the database driver cannot take as
        they are (SQLite: uuids as 32 hex digits, datetimes as Django writes them)."""
        return [
            (position, dialect.stage_adapters[kind])
            for position, (_, _, kind) in enumerate(self.staged_columns(dialect))
            if kind in dialect.stage_adapters
        ]

    def value_after_import(self, field: str, new_row_default: str = "NULL") -> str:
        """SQL: the value a column will have, the file's when it carries it, else the stored
        one; in a query over RESOLVED `incoming` LEFT JOIN the work orders as `existing`."""
        column = WORK_ORDER.get_field(field).column
        if field in self.scalar_fields:
            return f"incoming.{quote(column)}"
        if field.removesuffix("_id") in self.group_columns:
            return f"incoming.resolved_{field.removesuffix('_id')}"
        return (
            f"CASE WHEN incoming.existing_id IS NULL THEN {new_row_default} "
            f"ELSE existing.{quote(column)} END"
        )


def stage_row(plan: ColumnPlan, line: int, ord_: int, record: dict) -> tuple[list | None, dict]:
    """Validate one row (the API's scalar validation), and the values to COPY."""
    cleaned, errors = plan.clean(record)
    get = cleaned.get
    row = [line, ord_, get("id"), get("id2"), *[get(field) for field in plan.scalar_fields]]
    for id_key, code_key in plan.group_keys:
        raw_id = record.get(id_key) if id_key else None
        id_ = None
        if raw_id is not None and raw_id != "":
            try:
                id_ = clean_uuid(raw_id)
            except ValueError as exc:
                errors.setdefault(id_key, str(exc))
        raw_key = record.get(code_key) if code_key else None
        row.append(id_)
        row.append(raw_key or None)
    return (None if errors else row), errors


class RowFailures:
    """The rows that failed, each with every error found; a staged row that fails leaves
    RESOLVED, so nothing later reads it."""

    def __init__(self, dialect: PostgreSQLDialect):
        self.dialect = dialect
        self.by_ord: dict[int, api_jobs.RecordOutcome] = {}
        self.staged: dict[int, tuple[int, str]] = {}  # ord -> (line, record name)

    def add(self, *, ord_: int, line: int, record_id: str, errors: dict) -> None:
        outcome = self.by_ord.get(ord_)
        if outcome is None:
            self.by_ord[ord_] = api_jobs.RecordOutcome(
                index=ord_,
                outcome=api_jobs.FAILED,
                errors=dict(errors),
                record_id=record_id,
                line=line,
            )
        else:
            for k, v in errors.items():
                outcome.errors.setdefault(k, v)

    def fail_staged(self, cursor, rows: Sequence[tuple[int, dict]]) -> None:
        """`rows`: (ord, errors) of staged rows."""
        if not rows:
            return
        for ord_, errors in rows:
            line, name = self.staged[ord_]
            self.add(ord_=ord_, line=line, record_id=name, errors=errors)
        self.dialect.delete_ords(cursor, RESOLVED, [o for o, _ in rows])

    def outcomes(self) -> list[api_jobs.RecordOutcome]:
        return sorted(self.by_ord.values(), key=lambda o: o.index)


def stage_rows(
    cursor,
    dialect: PostgreSQLDialect,
    plan: ColumnPlan,
    rows: Iterable[Row],
    failures: RowFailures,
    progress: Progress,
    references: ReferenceValues,
) -> int:
    """Validate every row and load the valid ones into STAGED; returns how many were read.
    The references of a row failing here are kept in `references` (by its ord), to be looked
    up apart: the joins that resolve the others never see it."""
    adapters = plan.stage_adapters(dialect)
    read = 0

    def valid_rows():
        nonlocal read
        for ord_, row in enumerate(rows):
            read += 1
            values, errors = stage_row(plan, row.line, ord_, row.record)
            if errors:
                failures.add(
                    ord_=ord_, line=row.line, record_id=record_name(row.record), errors=errors
                )
                references.add(ord_, row.record)
            else:
                for i, adapt in adapters:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                failures.staged[ord_] = (row.line, record_name(row.record))
                yield values
            if read % PROGRESS_STEP == 0:
                progress.advance(PROGRESS_STEP)

    cursor.execute(plan.stage_ddl(dialect))
    columns = [name for name, _, _ in plan.staged_columns(dialect)]
    dialect.stage(cursor, STAGED, columns, valid_rows())
    progress.advance(read % PROGRESS_STEP)
    return read
