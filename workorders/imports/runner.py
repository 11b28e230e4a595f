"""Running an import as an API job: checking who may import what, choosing the path (the
set-based one of `set_based` for the CSV/XLSX columns it knows, else the batched one through
`upsert_work_orders` and the project resolver), starting it as a background task, and reporting
its errors."""

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from apijobs import services as api_jobs
from apijobs.models import ApiJob, ApiJobStatus
from apijobs.recovery import enqueue_on_commit
from jobsite.models import SalesOrganization, User
from workorders import services
from workorders.imports import dry_run as dry_runs
from workorders.imports import set_based
from workorders.imports.progress import Progress
from workorders.imports.readers import (
    ImportFile,
    ImportFileError,
    Row,
    open_import_file,
    unknown_columns,
)
from workorders.imports.sql_dialect import database_supported
from workorders.imports.unknown_references import ReferenceValues
from workorders.records import record_name
from workorders.reference_kinds import KINDS as REFERENCE_KINDS
from workorders.reference_kinds import UnresolvedReference
from workorders.references import ReferenceResolver

API_JOB_TYPES = {"workorders": "workorder_import", "projects": "project_import"}
BATCH_SIZE = 1000


def operator(*, sales_organization: SalesOrganization | None) -> User:
    """Who a command-line import runs as when no --user is given: the operator, who may write
    into the given sales organization (or every one). Never saved."""
    return User(
        username="manage.py",
        sales_organization=sales_organization,
        is_superuser=sales_organization is None,
    )


def create_import_job(
    *,
    path,
    kind: str,
    by: User | None,
    sales_organization: SalesOrganization | None,
    dry_run: bool,
    method: str = "auto",
) -> ApiJob:
    if kind not in API_JOB_TYPES:
        raise ImportFileError(
            f"Unknown import kind {kind!r}; use one of {', '.join(API_JOB_TYPES)}."
        )
    job = api_jobs.create_api_job(
        type=API_JOB_TYPES[kind],
        by=by if by is not None and not by._state.adding else None,
        sales_organization=sales_organization,
        source_name=Path(path).name,
        options={
            "record_label": "Work order ID" if kind == "workorders" else "Project ID",
            "path": str(path),
            "kind": kind,
            "dry_run": dry_run,
            "method": method,
        },
    )
    if dry_run:
        dry_runs.label_pending(job)
    return job


def run_import(
    *,
    path,
    kind: str = "workorders",
    by: User | None = None,
    sales_organization: SalesOrganization | None = None,
    dry_run: bool = False,
    method: str = "auto",
    progress_stream=None,
    api_job: ApiJob | None = None,
) -> ApiJob:
    """Import a file now and return its ApiJob. `method`: "auto" (set-based for the CSV/XLSX
    columns it knows, else batched), "batched" or "set" (PostgreSQL, SQLite >= 3.35).
    Raises ImportFileError (before writing anything) when the file cannot be imported."""
    file = open_import_file(path, kind=kind)
    if by is None:
        by = operator(sales_organization=sales_organization)
    elif (
        sales_organization is not None
        and not by.is_superuser
        and by.sales_organization_id != sales_organization.pk
    ):
        raise ImportFileError("You may only import into your own sales organization.")
    if sales_organization is not None and by.is_superuser:
        # An operator choosing a sales organization imports as a member of it.
        by = operator(sales_organization=sales_organization)
    if api_job is None:
        api_job = create_import_job(
            path=path,
            kind=kind,
            by=by,
            sales_organization=sales_organization,
            dry_run=dry_run,
            method=method,
        )
    ignored = unknown_columns(columns=file.columns, kind=kind)
    if ignored:
        api_job.options = {**api_job.options, "ignored_columns": ignored}
        api_job.save(update_fields=["options"])
    progress = Progress(file.estimated_rows, stream=progress_stream)
    try:
        if kind == "projects":
            write = partial(upsert_projects, by=by)
            _run_batched(
                api_job, file, progress, handler=_handler(write, kind, file, by, dry_run, api_job)
            )
        elif _use_set_based(method, file):
            set_based.run(api_job=api_job, file=file, by=by, dry_run=dry_run, progress=progress)
        else:
            write = partial(_upsert_work_orders, by=by)
            _run_batched(
                api_job, file, progress, handler=_handler(write, kind, file, by, dry_run, api_job)
            )
    finally:
        progress.close()
    if dry_run:
        dry_runs.label_message(api_job)
    api_jobs.refresh(api_job)
    return api_job


def _use_set_based(method: str, file: ImportFile) -> bool:
    if method == "batched":
        return False
    usable = (
        database_supported()
        and file.format != "json"  # a JSON record may leave out any field: one at a time
        and set_based.supports(file.columns)
    )
    if method == "set" and not usable:
        raise ImportFileError(
            "The set-based import needs PostgreSQL or SQLite >= 3.35 and a CSV or XLSX file "
            "(flat seed-004 columns)."
        )
    return usable


def _chunks(file: ImportFile, progress: Progress) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in file.rows:
        chunk.append(row)
        if len(chunk) == BATCH_SIZE:
            yield chunk
            progress.advance(len(chunk))
            chunk = []
    if chunk:
        yield chunk
        progress.advance(len(chunk))


def _run_batched(api_job: ApiJob, file: ImportFile, progress: Progress, *, handler) -> None:
    ApiJob.objects.filter(pk=api_job.pk).update(total_records=file.estimated_rows)
    api_jobs.run_records(api_job_id=api_job.pk, handler=handler, records=_chunks(file, progress))
    # The estimate counted lines; the true total is what was read.
    job = api_jobs.jobs().get(pk=api_job.pk)
    ApiJob.objects.filter(pk=api_job.pk).update(total_records=job.processed_records)


def _outcomes(rows: Sequence[Row], offset: int, results) -> list[api_jobs.RecordOutcome]:
    return [
        api_jobs.RecordOutcome(
            index=offset + r.index,
            outcome=r.outcome,
            errors=r.errors,
            record_id=record_name(rows[r.index].record),
            line=rows[r.index].line,
        )
        for r in results
    ]


def _handler(
    write: Callable, kind: str, file: ImportFile, by: User, dry_run: bool, api_job: ApiJob
):
    """A chunk's write, rolled back in a dry run; a row refused is told its unknown
    references too, as the preview tells them."""

    def handler(rows: Sequence[Row], offset: int):
        with transaction.atomic():
            results = write([row.record for row in rows])
            # After the write: a parent the chunk creates is known.
            _explain_references(results, rows, kind=kind, columns=file.columns, by=by)
            if dry_run:
                transaction.set_rollback(True)
        outcomes = _outcomes(rows, offset, results)
        if dry_run:
            # Counted apart (would create, would update), never as effected.
            outcomes = dry_runs.as_would_be(outcomes)
            dry_runs.count_outcomes(api_job=api_job, outcomes=outcomes)
        return outcomes

    return handler


def _explain_references(results, rows: Sequence[Row], *, kind: str, columns, by: User) -> None:
    """Add to each refused row's errors the references it names that name nothing (a row
    refused for a bad date would otherwise hide its unknown project until the next upload)."""
    refused = {r.index: r for r in results if r.errors}
    if not refused:
        return
    references = ReferenceValues(kind, columns)
    for index in refused:
        references.add(index, rows[index].record)
    for index, errors in references.problems(user=by).items():
        for name, message in errors.items():
            refused[index].errors.setdefault(name, message)


def _upsert_work_orders(records, *, by):
    return services.upsert_work_orders(records=records, by=by)


@dataclass
class ProjectResult:
    index: int
    outcome: str
    errors: dict


def upsert_projects(records: Sequence[dict], *, by: User) -> list[ProjectResult]:
    """Projects by id, else reference back office, through the same resolver that upserts a
    project embedded in a work order (codes of company, status, equipment resolved there). Each
    record succeeds or fails alone."""
    kind = REFERENCE_KINDS["project"]
    booleans = [name for name, spec in kind.scalars.items() if spec.kind == "bool"]
    # An empty cell of a yes/no column says nothing (a CSV cannot write null).
    records = [{k: v for k, v in r.items() if not (k in booleans and v is None)} for r in records]
    resolver = ReferenceResolver(records=list(records), by=by, root_kind="project")
    if by._state.adding:
        # The command-line operator is no stored user: nobody to name as updated_by_user.
        # (Flat rows create nothing else that would need `by`.)
        resolver.by = None
    started = timezone.now()
    results = []
    for index, record in enumerate(records):
        resolver.created = []
        try:
            with transaction.atomic():
                project = resolver.upsert(
                    kind=kind, data=record, path="", context_org=by.sales_organization_id, own=True
                )
        except UnresolvedReference as exc:
            resolver.forget(resolver.created)
            errors = {k.lstrip("."): v for k, v in exc.errors.items()}
            results.append(ProjectResult(index, api_jobs.FAILED, errors))
            continue
        if any(obj is project for _, obj in resolver.created):
            outcome = api_jobs.CREATED
        elif project.modified_dateutc and project.modified_dateutc >= started:
            outcome = api_jobs.UPDATED
        else:
            outcome = api_jobs.UNCHANGED
        results.append(ProjectResult(index, outcome, {}))
    return results


def start_import(
    *,
    path,
    kind: str = "workorders",
    by: User,
    sales_organization: SalesOrganization | None = None,
    dry_run: bool = False,
) -> ApiJob:
    """Start the same import as the command, as a background task (the admin upload calls this).
    The file must stay at `path` until the job ends; it is checked now, so a bad file is an
    ImportFileError here rather than a failed job later."""
    open_import_file(path, kind=kind)
    with transaction.atomic():
        job = create_import_job(
            path=os.fspath(path),
            kind=kind,
            by=by,
            sales_organization=sales_organization,
            dry_run=dry_run,
        )
        enqueue_on_commit(task="workorders.tasks.run_import_task", api_job=job)
    return job


def run_started_import(*, api_job_id) -> ApiJob | None:
    """The task's body: run the import an ApiJob describes; a file error fails the job."""
    job = (
        api_jobs.jobs()
        .select_related("requested_by", "sales_organization")
        .filter(pk=api_job_id)
        .first()
    )
    if job is None or job.status != ApiJobStatus.PENDING:
        return job
    options = job.options
    try:
        return run_import(
            path=options["path"],
            kind=options.get("kind", "workorders"),
            by=job.requested_by,
            sales_organization=job.sales_organization,
            dry_run=options.get("dry_run", False),
            method=options.get("method", "auto"),
            api_job=job,
        )
    except ImportFileError as exc:
        api_jobs.fail_api_job(api_job_id=job.pk, reason=str(exc))
    except Exception as exc:  # never leave the job pending/processing
        api_jobs.fail_api_job(
            api_job_id=job.pk, reason=f"The import stopped: {type(exc).__name__}: {exc}"
        )
    return api_jobs.jobs().get(pk=job.pk)


def print_errors(api_job: ApiJob, *, stream=sys.stderr, limit: int = 50) -> None:
    label = "record" if api_job.source_name.lower().endswith(".json") else "line"
    shown = 0
    for error in api_job.errors.order_by("line", "index", "id")[:limit]:
        where = f"{label} {error.line}" if error.line is not None else f"#{error.index}"
        field = f"{error.field}: " if error.field else ""
        stream.write(f"{where}: {field}{error.message}\n")
        shown += 1
    if api_job.error_records > shown:
        stream.write(f"… see the API job {api_job.pk} for every error.\n")
