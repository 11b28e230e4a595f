"""Bulk upsert of work orders: the envelope checks of a request, its chunks, and the chunk
handler the API job machinery runs (`apijobs.chunks`: each chunk its own task, claimed by any
worker).

A chunk's flat records (references by id or code, no embedded object) go through the
set-based engine of the file import (`imports.set_based.upsert_records`: staged, resolved by
joins, checked and written in SQL, the Suggested rule and the planning check after it); records
with an embedded object go through `services.upsert_work_orders`, record by record, in the same
transaction. Both apply the same validation, resolution and rules, and report the same errors.
New work orders are numbered in request order within each group of records carrying the same
keys (a request whose records all carry the same keys: in request order).

A request naming one work order twice (the same `id`, or the same `reference_back_office`) is
refused up front: its chunks run side by side on several workers, so no order between them
would hold."""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.db import transaction

from apijobs import chunks as api_job_chunks
from apijobs import services as api_jobs
from apijobs.models import ApiJob, ApiJobStatus
from apijobs.recovery import enqueue_chunks_on_commit
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.text import NUL_MESSAGE, find_unstorable
from workorders import services
from workorders.imports import set_based
from workorders.imports.readers import WORK_ORDER_COLUMNS
from workorders.imports.sql_dialect import database_supported
from workorders.records import record_name
from workorders.reference_kinds import WORK_ORDER_GROUPS
from workorders.scheduling import pending_checks

BULK_TYPE = "workorder_bulk_upsert"
BULK_TASK = "workorders.tasks.process_workorder_bulk"
BULK_CHUNK_TASK = "workorders.tasks.process_workorder_bulk_chunk"
RECORD_LABEL = "Work order ID"
# Repeated keys named in the refusal, at most.
REPEATS_NAMED = 10

_EMBEDDED_KEYS = frozenset(g.embedded_key for g in WORK_ORDER_GROUPS if g.embedded_key)
_ID_KEYS = tuple(g.id_key for g in WORK_ORDER_GROUPS if g.id_key)
_CODE_KEYS = tuple(g.code_key for g in WORK_ORDER_GROUPS if g.code_key)
_FLAT_COLUMNS = frozenset(WORK_ORDER_COLUMNS)


def check_envelope(records, *, by: User | None = None) -> None:
    """What is checked at once, before anything is stored: a non-empty array of objects, no
    longer than BULK_MAX_RECORDS, naming each work order once."""
    if not isinstance(records, list):
        raise ServiceError("The body must be a JSON array of work orders.", code="not_a_list")
    if not records:
        raise ServiceError("The array is empty: send at least one work order.", code="empty")
    if len(records) > settings.BULK_MAX_RECORDS:
        raise ServiceError(
            f"{len(records)} records is more than the {settings.BULK_MAX_RECORDS} "
            "one request may carry; split it.",
            code="too_many",
        )
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ServiceError(
                f"Record {index} is a {type(record).__name__}, not an object (a work order).",
                field=f"[{index}]",
                code="not_an_object",
            )
    # The payload is stored as is: no NUL (PostgreSQL cannot store one), no lone surrogate.
    found = find_unstorable(records)
    if found is not None:
        where, problem = found
        code = "nul_character" if problem == NUL_MESSAGE else "invalid_text"
        raise ServiceError(problem, field=where, code=code)
    check_repeated_keys(records, by=by)


def check_repeated_keys(records: Sequence[dict], *, by: User | None = None) -> None:
    """The same `id` or the same `reference_back_office` on two records is a 400 naming them
    (with the positions, from 0): send one record per work order, the state it should end in.

    A reference is unique per sales organization: for a caller who writes into one, the same
    reference twice is the same work order. A superuser's records may span organizations (the
    project decides which): theirs repeat when they also name the same project, or none."""
    spans_organizations = by is None or by.is_superuser or by.sales_organization_id is None
    seen: dict[tuple, list[int]] = defaultdict(list)
    for index, record in enumerate(records):
        for key, value in _keys(record):
            if key == "reference_back_office" and spans_organizations:
                value = (value, _named_project(record))
            seen[(key, value)].append(index)
    repeated = [(key, value, where) for (key, value), where in seen.items() if len(where) > 1]
    if not repeated:
        return
    named = []
    for key, value, where in repeated[:REPEATS_NAMED]:
        shown = value[0] if isinstance(value, tuple) else value
        more_positions = " …" if len(where) > 5 else ""
        named.append(f"{key} {shown!r} at records {', '.join(map(str, where[:5]))}{more_positions}")
    named = "; ".join(named)
    more = len(repeated) - REPEATS_NAMED
    raise ServiceError(
        f"{len(repeated)} work order(s) named more than once in one request: {named}"
        + (f" (and {more} more)" if more > 0 else "")
        + ". Send each work order once, in the state it should end in.",
        code="repeated_keys",
    )


def _named_project(record: dict) -> str:
    for key in ("project_id", "project_reference_back_office"):
        value = record.get(key)
        if isinstance(value, str) and value.strip():
            return f"{key}={value.strip()}"
    return ""


def _keys(record: dict):
    value = record.get("id")
    if isinstance(value, str) and value:
        try:
            yield "id", str(uuid.UUID(value))
        except ValueError:
            yield "id", value
    value = record.get("reference_back_office")
    if isinstance(value, str) and value.strip():
        yield "reference_back_office", value.strip()


def accept_bulk_upsert(*, records: list, by: User, partial: bool = False) -> ApiJob:
    """Store the request as a pending API job in chunks; one task per chunk is queued once
    the job is committed."""
    check_envelope(records, by=by)
    with transaction.atomic():
        job = api_jobs.create_api_job(
            type=BULK_TYPE,
            by=by,
            total_records=len(records),
            options={"record_label": RECORD_LABEL, "partial": partial},
        )
        numbers = api_job_chunks.create_chunks(
            api_job=job, records=records, chunk_size=settings.BULK_CHUNK_SIZE
        )
        enqueue_chunks_on_commit(task=BULK_CHUNK_TASK, api_job=job, numbers=numbers)
    return job


def is_flat(record: dict, *, partial: bool) -> bool:
    """May the record go through the set-based engine: no embedded object, references given
    as strings and ids as canonical uuids (anything else gets the record path's own error,
    worded from what was sent), and (PATCH-like `partial` jobs) a name, so that a new work
    order's missing name is not a question."""
    if not _EMBEDDED_KEYS.isdisjoint(record):
        return False
    if partial and "name" not in record:
        return False
    for key in _CODE_KEYS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return False
    for key in _ID_KEYS:
        value = record.get(key)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            return False
        try:
            # Written canonically: an error message quotes it as the record path does.
            if str(uuid.UUID(value)) != value:
                return False
        except ValueError:
            return False
    return True


def write_chunk(
    records: Sequence[dict],
    offset: int,
    *,
    by: User,
    partial: bool = False,
    set_based_path: bool | None = None,
) -> api_job_chunks.ChunkResult:
    """Write one chunk (inside its transaction), its records grouped by the path they take:
    flat records carrying the same keys set-based in one statement set (an ERP's records
    usually all carry the same keys: one group), the others record by record; each group in
    request order, the groups in the order of their first record. `set_based_path`: False
    sends every record by the record path (None: set-based where the database and the
    BULK_SET_BASED setting allow)."""
    if set_based_path is None:
        set_based_path = settings.BULK_SET_BASED and database_supported()
    groups: dict[frozenset | None, list[int]] = {}
    for position, record in enumerate(records):
        route = None
        if set_based_path and is_flat(record, partial=partial):
            route = _FLAT_COLUMNS.intersection(record)
        groups.setdefault(route, []).append(position)
    runs = list(groups.items())
    effected, failed = 0, []
    for columns, positions in runs:
        written, outcomes = (
            _one_by_one(records, positions, by=by, partial=partial)
            if columns is None
            else _set_based(records, positions, columns=columns, by=by)
        )
        effected += written
        for outcome in outcomes:
            position = positions[outcome.index]
            outcome.index = offset + position
            outcome.line = None
            outcome.record_id = record_name(records[position], offset + position)
            failed.append(outcome)
    failed.sort(key=lambda o: o.index)
    return api_job_chunks.ChunkResult(processed=len(records), effected=effected, failed=failed)


def _one_by_one(records, positions, *, by, partial) -> tuple[int, list]:
    outcomes = upsert_chunk([records[p] for p in positions], 0, by=by, partial=partial)
    return api_jobs.split_outcomes(outcomes)


def _set_based(records, positions, *, columns, by) -> tuple[int, list]:
    _, effected, failures = set_based.upsert_records(
        columns=sorted(columns), records=[records[p] for p in positions], by=by
    )
    return effected, failures.outcomes()


def upsert_chunk(
    records: Sequence[dict], offset: int, *, by: User, partial: bool = False
) -> list[api_jobs.RecordOutcome]:
    """The record path: `services.upsert_work_orders`, each record's outcome."""
    results = services.upsert_work_orders(records=records, by=by, partial=partial)
    return [
        api_jobs.RecordOutcome(
            index=offset + result.index,
            outcome=result.outcome,
            errors=result.errors,
            record_id=record_name(records[result.index], offset + result.index),
        )
        for result in results
    ]


def _requester(api_job_id) -> tuple[ApiJob | None, User | None]:
    job = api_jobs.jobs().select_related("requested_by").filter(pk=api_job_id).first()
    if job is not None and job.requested_by is None:
        api_jobs.fail_api_job(
            api_job_id=job.pk, reason="The user who sent the request no longer exists."
        )
        return job, None
    return job, job.requested_by if job else None


def _chunk_handler(job: ApiJob, by: User):
    """What writes a chunk of this job: per job, built once per task run."""
    return partial(write_chunk, by=by, partial=job.options.get("partial", False))


def run_bulk_chunk(*, api_job_id, number: int) -> ApiJob | None:
    """The task of one chunk (any worker runs any chunk)."""
    job, by = _requester(api_job_id)
    if by is None:
        return None
    with pending_checks.settle_queued_by_caller():
        job = api_job_chunks.run_chunk(
            api_job_id=job.pk, number=number, handler=_chunk_handler(job, by)
        )
    if job is not None and job.status != ApiJobStatus.PROCESSING:  # the job's last chunk
        pending_checks.queue_settle()
    return job


def run_bulk_upsert(*, api_job_id) -> ApiJob | None:
    """The task of a whole job: every chunk left, in order, in this worker (a job stored
    without chunks, from before they existed: its payload, chunk after chunk). The requester
    is read, and the handler built, once for all the chunks."""
    job, by = _requester(api_job_id)
    if by is None:
        return api_jobs.jobs().filter(pk=api_job_id).first()
    if api_job_chunks.is_chunked(api_job_id=job.pk):
        handler = _chunk_handler(job, by)
        with pending_checks.settle_queued_by_caller():
            for number in api_job_chunks.undone_chunks(api_job_id=job.pk):
                api_job_chunks.run_chunk(api_job_id=job.pk, number=number, handler=handler)
        pending_checks.queue_settle()
        return api_jobs.jobs().get(pk=job.pk)
    handler = partial(upsert_chunk, by=by, partial=job.options.get("partial", False))
    return api_jobs.run_records(api_job_id=job.pk, handler=handler)
