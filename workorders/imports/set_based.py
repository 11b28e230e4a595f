"""The set-based work order import, at database speed, on PostgreSQL and on SQLite.

1. `staging`: each row is validated by the API's own `clean_work_order_fields`; good rows are
   loaded into a temporary table.
2. `resolve`: references are resolved with joins, as `ReferenceResolver` resolves them.
3. `checks`: the checks of `services.upsert_work_orders` run as set queries.
4. `write`: one INSERT … ON CONFLICT writes the rows, then the Suggested rule runs in SQL.

Everything runs in one transaction: a failure leaves nothing half-written."""

import logging
from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.utils import timezone

from apijobs import services as api_jobs
from apijobs.models import ApiJob
from jobsite.models import User
from jobsite.tenancy import visible_sales_organization_ids
from workorders.imports import dry_run as dry_runs
from workorders.imports.checks import check_rules
from workorders.imports.progress import Progress
from workorders.imports.readers import ImportFile, Row
from workorders.imports.resolve import resolve_rows
from workorders.imports.sql_dialect import for_connection
from workorders.imports.staging import (
    STAGED,
    TEMPORARY_TABLES,
    ColumnPlan,
    RowFailures,
    stage_rows,
)
from workorders.imports.unknown_references import ReferenceValues
from workorders.imports.write import write_rows
from workorders.reference_kinds import WORK_ORDER_GROUPS

logger = logging.getLogger(__name__)

EMBEDDED_KEYS = {g.embedded_key for g in WORK_ORDER_GROUPS if g.embedded_key}


def supports(columns: Sequence[str]) -> bool:
    """Flat seed-004 columns only: embedded objects (JSON) go through the batched path."""
    return not (set(columns) & EMBEDDED_KEYS)


def run(*, api_job: ApiJob, file: ImportFile, by: User, dry_run: bool, progress) -> ApiJob:
    job = api_jobs.start_api_job(api_job_id=api_job.pk)
    if job is None:
        return api_job
    try:
        with transaction.atomic():
            total, effected, created, failures = _import_rows(file=file, by=by, progress=progress)
            if dry_run:
                transaction.set_rollback(True)
            else:
                _record(job, total, effected, failures)
        if dry_run:
            with transaction.atomic():
                # Counted apart (would create, would update), never as effected.
                _record(job, total, 0, failures)
                dry_runs.count_would_be(api_job=job, created=created, updated=effected - created)
    except Exception as exc:
        logger.exception("set-based import %s failed", job.pk)
        api_jobs.fail_api_job(
            api_job_id=job.pk,
            reason=f"The import stopped on an unexpected error ({type(exc).__name__}: {exc}); "
            "nothing was written.",
        )
        return api_jobs.jobs().get(pk=job.pk)
    return api_jobs.finish_api_job(api_job=job)


def _record(job: ApiJob, total: int, effected: int, failures: RowFailures) -> None:
    api_jobs.record_summary(
        api_job=job, processed=total, effected=effected, failed=failures.outcomes()
    )
    ApiJob.objects.filter(pk=job.pk).update(total_records=total)


def _import_rows(
    *, file: ImportFile, by: User, progress: Progress
) -> tuple[int, int, int, RowFailures]:
    return write_rows_set_based(
        columns=file.columns, rows=file.rows, by=by, progress=progress, explain_references=True
    )


def upsert_records(
    *, columns: Sequence[str], records: Sequence[dict], by: User
) -> tuple[int, int, RowFailures]:
    """The same write for records already in memory that carry only `columns` and no embedded
    object (the bulk endpoint's flat records): (read, written, failures by position). Call it
    inside a transaction."""
    rows = (Row(line=None, record=record) for record in records)
    total, effected, _created, failures = write_rows_set_based(
        columns=columns, rows=rows, by=by, progress=Progress(len(records))
    )
    return total, effected, failures


def write_rows_set_based(
    *,
    columns: Sequence[str],
    rows: Iterable[Row],
    by: User,
    progress: Progress,
    explain_references: bool = False,
) -> tuple[int, int, int, RowFailures]:
    """(rows read, rows written, of which created, the failures). `explain_references`: a row
    refused for its fields is told its unknown references too (a file import, as its preview
    does; the bulk endpoint answers as the API's per-record write does)."""
    plan = ColumnPlan(columns)
    references = ReferenceValues("workorders", columns if explain_references else ())
    dialect = for_connection(visible_sales_organization_ids(user=by))
    params = {"empty": ""}
    failures = RowFailures(dialect)
    now = timezone.now()
    with connection.cursor() as cursor:
        dialect.drop_temporary(cursor, TEMPORARY_TABLES)
        dialect.prepare(cursor)
        try:
            total = stage_rows(cursor, dialect, plan, rows, failures, progress, references)
            effected = created = 0
            if failures.staged:
                dialect.analyze(cursor, STAGED)
                resolve_rows(cursor, dialect, plan, params, failures)
                check_rules(cursor, dialect, plan, failures)
                created = dry_runs.count_new_rows(cursor)
                effected = write_rows(cursor, dialect, plan, now)
            dialect.drop_temporary(cursor, TEMPORARY_TABLES)
        finally:
            dialect.finish(cursor)
    # Rows refused for their fields are told their unknown references too, as the preview tells
    # them; looked up after the write, so that a parent the file creates is known.
    for ord_, errors in references.problems(user=by).items():
        failures.add(ord_=ord_, line=None, record_id="", errors=errors)
    return total, effected, created, failures
