"""File imports of work orders and projects (CSV, JSON, XLSX with the seed-004 field names).

Bad rows are reported with their line and field and skipped; good rows land; each import is an
ApiJob with its counts and per-row errors. Work orders go through `upsert_work_orders` in
batches, or (CSV and XLSX files, on PostgreSQL and SQLite) through the set-based path (rows
staged in a temporary table, references resolved by joins, one INSERT … ON CONFLICT) which
validates with the same `clean_work_order_fields` and applies the same Suggested rule.

- `readers`: opening a file, its columns and rows.
- `progress`: the command line's progress bar.
- `runner`: running an import as an API job, in the background or now; the batched path.
- `set_based`: the set-based path, in the order it runs: `staging`, `resolve`, `checks`,
  `write`, over the spellings of `sql_dialect`.

The callers (the commands, the admin upload, the board, the task) import from here."""

from workorders.imports.readers import (
    WORK_ORDER_COLUMNS,
    ImportFile,
    ImportFileError,
    open_import_file,
    unknown_columns,
)
from workorders.imports.runner import (
    create_import_job,
    print_errors,
    run_import,
    run_started_import,
    start_import,
    upsert_projects,
)
from workorders.imports.write import sync_suggested_plannings_sql
from workorders.records import WORK_ORDER_SYSTEM_FIELDS

__all__ = [
    "WORK_ORDER_COLUMNS",
    "WORK_ORDER_SYSTEM_FIELDS",
    "ImportFile",
    "ImportFileError",
    "create_import_job",
    "open_import_file",
    "print_errors",
    "run_import",
    "run_started_import",
    "start_import",
    "sync_suggested_plannings_sql",
    "unknown_columns",
    "upsert_projects",
]
