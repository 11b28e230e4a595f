"""A bulk job split into chunks, each run as its own background task by whichever worker claims
it (django-tasks-db claims tasks with SKIP LOCKED on PostgreSQL): one job, many workers.

A chunk is one transaction that locks its row, checks it is not `done`, writes its records
through the job type's handler, keeps their errors, adds its counts to the job and sets `done`:
a chunk is written and counted once, however many runs of it are queued (a worker taken for
dead, a task handed back twice); a second run waits for the first's lock, then finds it done.
The run whose chunk brings `processed_records` to `total_records` finishes the job (the message
from every chunk's errors); `apijobs.recovery` finishes a job whose finisher died after its
commit, and queues again the chunks of a dead worker."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import orjson
from django.db import connection

from apijobs.models import ApiJob, ApiJobChunk, ApiJobStatus
from apijobs.services import (
    RecordOutcome,
    fail_on_error,
    finish_api_job,
    record_summary,
    start_chunk_of_job,
    write_retried,
)

# Rows of chunks written per INSERT when a job is accepted (each holds its records).
_CREATE_BATCH = 20


@dataclass
class ChunkResult:
    """What a chunk's handler did: records read, records written, and the failed ones."""

    processed: int
    effected: int
    failed: list[RecordOutcome] = field(default_factory=list)


# handler(records, offset) writes one chunk; offset is the position of records[0] in the request.
ChunkHandler = Callable[[Sequence[dict], int], ChunkResult]


def create_chunks(*, api_job: ApiJob, records: Sequence[dict], chunk_size: int) -> list[int]:
    """Store a job's records as chunks of `chunk_size`; their numbers."""
    chunks = [
        ApiJobChunk(
            api_job=api_job,
            number=number,
            first=first,
            size=len(records[first : first + chunk_size]),
            records=list(records[first : first + chunk_size]),
        )
        for number, first in enumerate(range(0, len(records), chunk_size))
    ]
    ApiJobChunk.objects.bulk_create(chunks, batch_size=_CREATE_BATCH)
    return [chunk.number for chunk in chunks]


def undone_chunks(*, api_job_id) -> list[int]:
    return list(
        ApiJobChunk.objects.filter(api_job_id=api_job_id, done=False)
        .order_by("number")
        .values_list("number", flat=True)
    )


def is_chunked(*, api_job_id) -> bool:
    return ApiJobChunk.objects.filter(api_job_id=api_job_id).exists()


class _Written(Exception):
    """The chunk was written by another run, or the job ended: nothing to do."""


def run_chunk(*, api_job_id, number: int, handler: ChunkHandler) -> ApiJob | None:
    """Write chunk `number` of the job (once), then finish the job if it was the last one.

    A deadlock or serialization failure reruns the chunk (bounded); a lost database connection
    goes up (the worker hands the task back, see `requeue_lost_task`); any other exception
    fails the job with a message saying where, and the other chunks then stop."""
    job = start_chunk_of_job(api_job_id=api_job_id)
    if job is None:
        return None
    try:
        finished = write_retried(
            lambda: _write_chunk(job, number, handler), api_job_id=job.pk, where=f"chunk {number}"
        )
    except _Written:
        return None
    except Exception as exc:
        return fail_on_error(
            api_job_id=api_job_id,
            exc=exc,
            where=f"chunk {number + 1}",
            done="Other chunks' records were processed (processed_records counts them)",
        )
    if finished:
        return finish_api_job(api_job=job)
    return job


def _write_chunk(job: ApiJob, number: int, handler: ChunkHandler) -> bool:
    """Whether the job is done with this chunk."""
    # The chunk's row is locked (not the job's: chunks of one job run side by side); the job's
    # status comes with it, so a job that failed meanwhile (another chunk's error, given up)
    # stops this one before it writes.
    chunk = (
        ApiJobChunk.objects.select_for_update(of=("self",))
        .filter(api_job_id=job.pk, number=number)
        .values_list("pk", "first", "done", "api_job__status")
        .first()
    )
    if chunk is None or chunk[2] or chunk[3] != ApiJobStatus.PROCESSING:
        raise _Written
    pk, first, _, _ = chunk
    result = handler(_chunk_records(pk), first)
    ApiJobChunk.objects.filter(pk=pk).update(done=True)
    # Last: the job's row stays locked by this update only until the commit. It also refreshes
    # `updated_at`, the heartbeat apijobs.recovery reads: every committed chunk is one.
    processed, total = record_summary(
        api_job=job, processed=result.processed, effected=result.effected, failed=result.failed
    )
    return processed >= total


def _chunk_records(pk) -> list[dict]:
    """A chunk's records, parsed once (orjson) from the stored text."""
    table = ApiJobChunk._meta.db_table
    cast = "::text" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT records{cast} FROM {table} WHERE id = %s", [pk])
        (text,) = cursor.fetchone()
    return orjson.loads(text) if text is not None else []
