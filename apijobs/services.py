"""The generic machinery of API jobs: accept a bulk request, run its records in chunks (each chunk
one transaction), count what was effected, keep the per-record errors and write the message.

Nothing here knows what a record is: the caller passes a `handler` that writes one chunk and says,
record by record, what happened. Bulk work orders, imports and future bulk types reuse it."""

import json
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from apijobs.models import ApiJob, ApiJobError, ApiJobStatus
from jobsite.database import is_connection_lost
from jobsite.models import SalesOrganization, User
from jobsite.tenancy import organization_for_new_record

logger = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED, FAILED = "created", "updated", "unchanged", "failed"
EFFECTED = {CREATED, UPDATED}
SEPARATOR = "---------------------------"
# The message is for people; past this many failed records it points at the structured errors.
MESSAGE_MAX_RECORDS = 200
DEFAULT_CHUNK_SIZE = 500
# A chunk that hits a deadlock or a serialization failure (writers of other jobs on the same
# rows) was rolled back whole: it is run again, at most this many times in all (three jobs
# over the same work orders at once met up to five deadlocks in a row on one chunk).
CHUNK_ATTEMPTS = 10
# Seconds between two attempts of a chunk the database rolled back (times the attempt number).
RETRY_PAUSE_SECONDS = (0.05, 0.4)
# SQLSTATE of deadlock_detected and serialization_failure.
_TRANSIENT = {"40P01", "40001"}


@dataclass
class RecordOutcome:
    """What happened to one record. `index` is its position in the whole request (0-based),
    `line` its line in an imported file; `record_id` is how the message names it."""

    index: int
    outcome: str
    errors: dict[str, str] = field(default_factory=dict)
    record_id: str = ""
    line: int | None = None


# handler(records, offset) writes one chunk; offset is the index of records[0] in the request.
ChunkHandler = Callable[[Sequence[dict], int], Sequence[RecordOutcome]]


def jobs():
    """API jobs without their payload: a 100,000-record body is read only to process it."""
    return ApiJob.objects.defer("payload")


def refresh(api_job: ApiJob) -> None:
    api_job.refresh_from_db(
        fields=[f.attname for f in ApiJob._meta.concrete_fields if f.name != "payload"]
    )


class ApiJobFailed(Exception):
    """Raised inside a run to stop it with a message meant for the caller."""


class _Superseded(Exception):
    """The job's next chunk is not the one this run was about to write, or the job ended: another
    run of the same job (re-queued while this one was taken for dead) went on, or it was given
    up. This run stops, writing nothing."""


def create_api_job(
    *,
    type: str,
    by: User | None,
    sales_organization: SalesOrganization | None = None,
    payload: list | None = None,
    total_records: int = 0,
    source_name: str = "",
    options: dict | None = None,
) -> ApiJob:
    return ApiJob.objects.create(
        type=type,
        requested_by=by,
        sales_organization_id=organization_for_new_record(
            by=by, context=sales_organization.pk if sales_organization else None
        ),
        payload=payload,
        total_records=total_records,
        source_name=source_name,
        options=options or {},
    )


def start_api_job(*, api_job_id) -> ApiJob | None:
    """pending -> processing. A job already processing is resumed (its worker died: every chunk
    committed its counts with its writes, so `processed_records` says where to go on). A job
    that ended, or is unknown, is not run again: None."""
    with transaction.atomic():
        job = jobs().select_for_update().filter(pk=api_job_id).first()
        if job is None or job.status in (ApiJobStatus.COMPLETED, ApiJobStatus.FAILED):
            return None
        if job.status == ApiJobStatus.PENDING:
            job.status = ApiJobStatus.PROCESSING
            job.start_time = timezone.now()
            job.save(update_fields=["status", "start_time", "updated_at"])
        else:
            job.save(update_fields=["updated_at"])  # the heartbeat: a live worker has it
    return job


def start_chunk_of_job(*, api_job_id) -> ApiJob | None:
    """`start_api_job` for one chunk of a chunked job: pending -> processing by the first chunk
    to start, without a lock, since chunks of one job start side by side on several workers (a
    lock here would queue every chunk's start behind the commit of the chunk before). No
    heartbeat either: every committed chunk is one (`record_summary`). None when the job ended
    or is unknown."""
    now = timezone.now()
    ApiJob.objects.filter(pk=api_job_id, status=ApiJobStatus.PENDING).update(
        status=ApiJobStatus.PROCESSING, start_time=now, updated_at=now
    )
    job = jobs().filter(pk=api_job_id).first()
    if job is None or job.status != ApiJobStatus.PROCESSING:
        return None
    return job


def split_outcomes(outcomes: Sequence[RecordOutcome]) -> tuple[int, list[RecordOutcome]]:
    """A chunk's records effected (created or updated), and the failed ones."""
    effected = sum(1 for o in outcomes if o.outcome in EFFECTED)
    return effected, [o for o in outcomes if o.outcome == FAILED]


def record_outcomes(*, api_job: ApiJob, outcomes: Sequence[RecordOutcome]) -> None:
    """Count a chunk and keep its errors; call it inside the chunk's transaction so the counts
    never disagree with what was written."""
    effected, failed = split_outcomes(outcomes)
    record_summary(api_job=api_job, processed=len(outcomes), effected=effected, failed=failed)


def record_summary(
    *, api_job: ApiJob, processed: int, effected: int, failed: Sequence[RecordOutcome]
) -> tuple[int, int]:
    """Add counts and the failed records' errors to a job (for callers that write set-based and
    know only the totals of what succeeded); the job's processed and total records after it.
    It refreshes `updated_at` too: the heartbeat apijobs.recovery reads, one a chunk."""
    ApiJobError.objects.bulk_create(
        [
            ApiJobError(
                api_job=api_job,
                index=o.index,
                line=o.line,
                record_id=(o.record_id or "")[:100],
                field=name[:255],
                message=message,
            )
            for o in failed
            for name, message in (o.errors or {"": "failed"}).items()
        ],
        batch_size=1000,
    )
    # One statement that adds and reads back (UPDATE … RETURNING: PostgreSQL, and SQLite from
    # 3.35, older than the oldest SQLite Django supports), not an update and a second read.
    table = ApiJob._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET processed_records = processed_records + %s, "
            "effected_records = effected_records + %s, error_records = error_records + %s, "
            "updated_at = %s WHERE id = %s RETURNING processed_records, total_records",
            [
                processed,
                effected,
                len(failed),
                _db_value("updated_at", timezone.now()),
                _db_value("id", api_job.pk),
            ],
        )
        processed_records, total_records = cursor.fetchone()
    return processed_records, total_records


def _db_value(name: str, value):
    return ApiJob._meta.get_field(name).get_db_prep_value(value, connection)


def finish_api_job(
    *, api_job: ApiJob, status: str = ApiJobStatus.COMPLETED, note: str = ""
) -> ApiJob:
    """Ends a job: the end time, and the message written from the stored errors (plus `note`,
    and how often it was resumed after its worker stopped)."""
    refresh(api_job)
    message = format_error_message(api_job=api_job)
    resumes = api_job.options.get("resumes", 0)
    if resumes and status == ApiJobStatus.COMPLETED:
        times = "once" if resumes == 1 else f"{resumes} times"
        resumed = (
            f"The worker stopped during processing; the job was resumed {times} after its "
            "last committed chunk (nothing was written twice)."
        )
        note = f"{note}\n{resumed}" if note else resumed
    if note:
        message = f"{note}\n{message}" if message else note
    now = timezone.now()
    api_job.status = status
    api_job.end_time = now
    api_job.message = message
    api_job.save(update_fields=["status", "end_time", "message", "updated_at"])
    return api_job


def fail_api_job(*, api_job_id, reason: str) -> None:
    """failed, with the reason first in the message; what earlier chunks committed stays."""
    job = jobs().filter(pk=api_job_id).first()
    if job is not None:
        finish_api_job(api_job=job, status=ApiJobStatus.FAILED, note=reason)


def format_error_message(*, api_job: ApiJob, limit: int = MESSAGE_MAX_RECORDS) -> str:
    """The seed-003 style: one block per failed record, `<field>: <message>` per line."""
    label = api_job.options.get("record_label", "Record ID")
    blocks: dict[tuple, list[str]] = {}
    names: dict[tuple, str] = {}
    for error in api_job.errors.order_by("index", "line", "id").iterator():
        key = (error.index, error.line)
        if key not in blocks:
            if len(blocks) == limit:
                break
            blocks[key] = []
            name = error.record_id or (f"#{error.index + 1}" if error.index is not None else "")
            if error.line is not None:
                name = f"{name} (line {error.line})" if name else f"line {error.line}"
            names[key] = name
        blocks[key].append(f"{error.field}: {error.message}" if error.field else error.message)
    if not blocks:
        return ""
    text = "".join(
        f"{SEPARATOR}\n{label}: {names[key]} failed with the following errors:\n\n"
        + "\n".join(lines)
        + f"\n{SEPARATOR}"
        for key, lines in blocks.items()
    )
    more = api_job.error_records - len(blocks)
    if more > 0:
        text += f"\n… and {more} more failed records: see /api/v1/api-jobs/{api_job.pk}/errors"
    return text


def iter_payload(*, api_job: ApiJob, start: int = 0, chunk_size: int) -> Iterator[list[dict]]:
    """The stored payload in chunks from record `start` on. On PostgreSQL the array is streamed
    from a server-side cursor, so a worker never holds 100,000 records at once."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT e.value::text FROM apijobs_apijob j, "
            "jsonb_array_elements(j.payload) WITH ORDINALITY AS e(value, n) "
            "WHERE j.id = %s AND e.n > %s ORDER BY e.n"
        )
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, [api_job.pk, start])
            while rows := cursor.fetchmany(chunk_size):
                yield [json.loads(value) for (value,) in rows]
        return
    records = ApiJob.objects.filter(pk=api_job.pk).values_list("payload", flat=True).first() or []
    for begin in range(start, len(records), chunk_size):
        yield records[begin : begin + chunk_size]


def run_records(
    *,
    api_job_id,
    handler: ChunkHandler,
    records: Iterable[Sequence[dict]] | None = None,
    chunk_size: int | None = None,
) -> ApiJob | None:
    """Run a job's records (its stored payload unless `records` gives the chunks) through
    `handler`, one transaction per chunk, then complete it. An unexpected exception fails the
    job with a clear message: it never stays 'processing' (unless its worker dies, see
    `requeue_stale_api_jobs`, or the database connection is lost: the exception goes up and
    the job is resumed once the database is back, see `requeue_lost_task`).

    A job already processing (its worker died, it was re-queued) goes on after its last
    committed chunk. Each chunk first locks the job's row and checks that it is the next one:
    should two runs of one job overlap, the second to reach a chunk stops, so no chunk is
    written or counted twice. A deadlock or serialization failure reruns the chunk (bounded)."""
    job = start_api_job(api_job_id=api_job_id)
    if job is None:
        return None
    chunk_size = chunk_size or getattr(settings, "BULK_CHUNK_SIZE", DEFAULT_CHUNK_SIZE)
    offset = job.processed_records
    try:
        chunks = (
            records
            if records is not None
            else iter_payload(api_job=job, start=offset, chunk_size=chunk_size)
        )
        for chunk in chunks:
            _run_chunk(api_job=job, chunk=chunk, offset=offset, handler=handler)
            offset += len(chunk)
    except _Superseded:
        logger.warning("API job %s: another run went on at record %s; stopping", job.pk, offset)
        return None
    except Exception as exc:
        return fail_on_error(
            api_job_id=api_job_id,
            exc=exc,
            where=f"record {offset + 1}",
            done="Records before it were processed",
        )
    return finish_api_job(api_job=job)


def fail_on_error(*, api_job_id, exc: Exception, where: str, done: str) -> ApiJob:
    """How a run of a job ends on an error its chunk did not handle: a lost database connection
    goes up (the chunk was rolled back; the job stays processing with its committed progress
    and resumes once the database is back: the worker hands it back, see
    apijobs.recovery.requeue_lost_task); a refusal fails the job with its reason; anything
    else fails it saying where, and what was done before."""
    if is_connection_lost(exc):
        logger.warning("API job %s: database connection lost at %s", api_job_id, where)
        raise exc
    if isinstance(exc, ApiJobFailed):
        reason = str(exc)
    else:
        logger.error("API job %s failed at %s", api_job_id, where, exc_info=exc)
        reason = (
            f"The job stopped at {where} on an unexpected error ({type(exc).__name__}: {exc}). "
            f"{done}; that chunk was rolled back."
        )
    fail_api_job(api_job_id=api_job_id, reason=reason)
    return jobs().get(pk=api_job_id)


def _run_chunk(*, api_job: ApiJob, chunk: Sequence[dict], offset: int, handler) -> None:
    def write():
        stored = (
            ApiJob.objects.select_for_update()
            .filter(pk=api_job.pk)
            .values_list("processed_records", "status")
            .first()
        )
        if stored != (offset, ApiJobStatus.PROCESSING):
            raise _Superseded
        outcomes = handler(chunk, offset)
        record_outcomes(api_job=api_job, outcomes=outcomes)

    write_retried(write, api_job_id=api_job.pk, where=f"chunk at record {offset + 1}")


def write_retried(write, *, api_job_id, where: str):
    """`write()` in a transaction; run again (at most CHUNK_ATTEMPTS times in all, apart) when
    the database rolled it back on a deadlock or a serialization failure. Any other error goes
    up. Both the job runner and the chunk runner (apijobs.chunks) write their chunks so."""
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return write()
        except OperationalError as exc:
            if attempt == CHUNK_ATTEMPTS or not is_transient(exc):
                raise
            logger.warning(
                "API job %s: %s rolled back (%s); attempt %s of %s",
                api_job_id,
                where,
                exc,
                attempt + 1,
                CHUNK_ATTEMPTS,
            )
            pause_before_attempt(attempt)
    return None


def pause_before_attempt(attempt: int) -> None:
    # Apart, at random: two jobs that deadlocked must not meet again at once.
    time.sleep(random.uniform(*RETRY_PAUSE_SECONDS) * attempt)


def is_transient(exc: BaseException | None) -> bool:
    """A deadlock or a serialization failure: the database rolled the transaction back and
    running it again is safe."""
    while exc is not None:
        if (getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None)) in _TRANSIENT:
            return True
        exc = exc.__cause__
    return False


# -- Jobs whose worker died --------------------------------------------------------------------
