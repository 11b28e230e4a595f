"""Recovery of API jobs whose worker died, and the one way a job's task is queued.

A job's task is named by its dotted path (tasks import the services that do the work, so the
services name them rather than import them)."""

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.tasks import TaskResultStatus, task_backends
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from apijobs.chunks import is_chunked, undone_chunks
from apijobs.models import ApiJob, ApiJobChunk, ApiJobStatus
from apijobs.services import fail_api_job, finish_api_job, jobs

logger = logging.getLogger(__name__)


class WorkerStopped(Exception):
    """Recorded on the task result of a worker that died while running an API job."""


class DatabaseLost(Exception):
    """Recorded on the task result of a run that lost its database connection."""


# Job type -> the dotted path of the task that runs it. A registered type resumes after its
# last committed chunk when re-queued; the app owning the type registers it (AppConfig.ready).
_RESUMABLE_TASKS: dict[str, str] = {}
# Job type -> the task that runs one chunk of a chunked job (apijobs.chunks), if it has one.
_CHUNK_TASKS: dict[str, str] = {}


def register_resumable(*, job_type: str, task: str, chunk_task: str | None = None) -> None:
    _RESUMABLE_TASKS[job_type] = task
    if chunk_task is not None:
        _CHUNK_TASKS[job_type] = chunk_task


def enqueue_on_commit(*, task: str, api_job: ApiJob) -> None:
    """Queue `task` (a dotted path) for the job once the job's row is committed: a worker
    picking the task up before the commit would not find the job."""
    runner = import_string(task)
    transaction.on_commit(lambda: runner.enqueue(str(api_job.pk)))


def enqueue_chunks_on_commit(*, task: str, api_job: ApiJob, numbers: list[int]) -> None:
    """Queue `task` once per chunk number of the job once the job is committed: any worker
    claims any of them."""
    runner = import_string(task)
    pk = str(api_job.pk)

    def enqueue():
        for number in numbers:
            runner.enqueue(pk, number)

    transaction.on_commit(enqueue)


@dataclass
class StaleJob:
    api_job_id: object
    action: str  # "requeued" | "failed"
    message: str


def requeue_stale_api_jobs(*, older_than: timedelta | None = None) -> list[StaleJob]:
    """Find the API jobs whose worker died and queue them again, or fail them.

    Stale: processing with no chunk committed (the heartbeat, `updated_at`) for `older_than`
    (default settings.API_JOB_STALE_SECONDS); or, with the database task backend, pending that
    long with no task queued to run it (lost between the request's commit and the enqueue). A
    job of a resumable type is queued again and goes on after its last committed chunk, at most
    settings.API_JOB_MAX_RESUMES times; after that, or for a type that cannot resume (imports),
    it is failed with a message saying where it stopped. The dead worker's task result, which
    the task backend would show running forever, is marked failed.

    Safe to run while workers run: a job whose chunk is being written holds its row lock and is
    skipped, and a run taken for dead by mistake stops at its next chunk (see `run_records`)."""
    if older_than is None:
        older_than = timedelta(seconds=settings.API_JOB_STALE_SECONDS)
    before = timezone.now() - older_than
    task_results = _task_results()
    done = []
    candidates = list(
        jobs()
        .filter(status__in=[ApiJobStatus.PROCESSING, ApiJobStatus.PENDING], updated_at__lte=before)
        .values_list("pk", flat=True)
    )
    for pk in candidates:
        with transaction.atomic():
            locked = jobs().filter(pk=pk, updated_at__lte=before)
            if connection.features.has_select_for_update_skip_locked:
                locked = locked.select_for_update(skip_locked=True)
            job = locked.first()
            if job is None or job.status not in (ApiJobStatus.PROCESSING, ApiJobStatus.PENDING):
                continue  # being written by a live worker, or ended meanwhile
            results = (
                None
                if task_results is None
                else task_results.filter(args_kwargs__args__0=str(job.pk))
            )
            if _CHUNK_TASKS.get(job.type) and is_chunked(api_job_id=job.pk):
                stale = _requeue_chunks(job, results)
                if stale is not None:
                    done.append(stale)
                continue
            queued = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
            if job.status == ApiJobStatus.PENDING and (
                results is None or results.filter(status__in=queued).exists()
            ):
                continue  # queued behind others (or not knowable without the database backend)
            if results is not None:
                for result in results.filter(status=TaskResultStatus.RUNNING):
                    result.set_failed(
                        WorkerStopped(
                            f"The worker ({', '.join(result.worker_ids) or '?'}) stopped while "
                            f"running API job {job.pk}; no heartbeat since {job.updated_at}."
                        )
                    )
            done.append(_requeue_or_fail(job))
    return done


def requeue_lost_task(*, task_result_id) -> StaleJob | None:
    """The API job of a task whose run lost the database connection, queued again (or failed)
    as a stale job would be, but at once: its worker calls this once the database answers
    again, knowing that it runs the task no more, so there is no heartbeat to wait for.

    Only a resumable job's task is handed back; nothing is queued when the job ended, when the
    chunk was written, or when another of its tasks is queued or running
    (`requeue_stale_api_jobs` got there first). Either way a result still shown running is
    ended: successful when its work was committed (only recording that was lost), else failed."""
    result = DBTaskResult.objects.filter(pk=task_result_id).first()
    if result is None:
        return None
    tasks = {*_RESUMABLE_TASKS.values(), *_CHUNK_TASKS.values()}
    if result.task_path not in tasks:
        # An import reads its file from the top: `requeue_stale_api_jobs` fails its job, in time.
        _end_lost(result, committed=False)
        return None
    api_job_id, *chunk = result.args_kwargs["args"]
    with transaction.atomic():
        job = jobs().select_for_update().filter(pk=api_job_id).first()
        if job is None or job.status not in (ApiJobStatus.PROCESSING, ApiJobStatus.PENDING):
            _end_lost(result, committed=True)
            return None
        if chunk and chunk[0] not in undone_chunks(api_job_id=job.pk):
            _end_lost(result, committed=True)  # that chunk's commit went through
            return None
        live = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
        others = DBTaskResult.objects.filter(
            backend_name=result.backend_name, args_kwargs__args__0=str(job.pk), status__in=live
        ).exclude(pk=result.pk)
        if chunk:
            others = others.filter(args_kwargs__args__1=chunk[0])
        _end_lost(result, committed=False)
        if others.exists():
            return None
        return _requeue_or_fail(job, chunks=chunk or None)


def lost_tasks(*, worker_id: str) -> list:
    """The task results a worker claimed last and that still show running: after an outage a
    worker (which runs one task at a time and is running none) knows them lost, including one
    whose claim committed while the answer to it did not reach the worker."""
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    # In Python: SQLite has no JSON containment lookup, and the running results are few.
    return [pk for pk, ids in running.values_list("pk", "worker_ids") if ids[-1:] == [worker_id]]


def _end_lost(result: DBTaskResult, *, committed: bool) -> None:
    if result.status != TaskResultStatus.RUNNING:
        return
    if committed:
        result.set_successful(None)
        return
    args = result.args_kwargs["args"]
    result.set_failed(
        DatabaseLost(
            f"The run of API job {args[0] if args else '?'} lost its database connection; "
            "the job was queued again from its last committed chunk, unless it ended."
        )
    )


def _requeue_chunks(job: ApiJob, results) -> StaleJob | None:
    """A chunked job without a heartbeat: finished if every chunk was written (its finisher
    died after its commit); else its chunks that no queued task will run and no live worker
    is writing (PostgreSQL: the chunk's row is not locked) are queued again, and the tasks
    its dead workers were running are marked failed. None: every chunk left is queued (behind
    other work) or being written, nothing is dead."""
    undone = undone_chunks(api_job_id=job.pk)
    if not undone:
        if job.status == ApiJobStatus.PENDING:
            return None
        finish_api_job(api_job=job)
        return StaleJob(job.pk, "completed", "every chunk was written; completed")
    if connection.features.has_select_for_update_skip_locked:
        # A chunk being written holds its row's lock until its commit: a live worker has it.
        free = set(
            ApiJobChunk.objects.select_for_update(skip_locked=True)
            .filter(api_job_id=job.pk, done=False)
            .values_list("number", flat=True)
        )
        undone = [number for number in undone if number in free]
    queued = set()
    if results is not None:
        for args in results.filter(status=TaskResultStatus.READY).values_list(
            "args_kwargs__args", flat=True
        ):
            queued.add(args[1] if len(args) > 1 else None)
    if None in queued:
        return None  # the job's own task is queued: it runs every chunk left
    missing = [number for number in undone if number not in queued]
    if not missing:
        return None
    if results is not None:
        for result in results.filter(status=TaskResultStatus.RUNNING):
            args = result.args_kwargs["args"]
            if len(args) > 1 and args[1] not in missing:
                continue  # its chunk is being written: that worker lives
            result.set_failed(
                WorkerStopped(
                    f"The worker ({', '.join(result.worker_ids) or '?'}) stopped while "
                    f"running API job {job.pk}; no heartbeat since {job.updated_at}."
                )
            )
    return _requeue_or_fail(job, chunks=missing)


def _requeue_or_fail(job: ApiJob, chunks: list[int] | None = None) -> StaleJob:
    """Queue the job's task again (or, for a chunked job, the tasks of `chunks`), or fail the
    job when it cannot resume or was resumed too often."""
    task = _RESUMABLE_TASKS.get(job.type)
    if chunks is not None:
        task = _CHUNK_TASKS.get(job.type)
    resumes = job.options.get("resumes", 0)
    if chunks is not None:
        where = f"with {job.processed_records} of {job.total_records} records processed"
    elif job.total_records:
        where = f"at record {job.processed_records + 1} of {job.total_records}"
    else:
        where = f"after {job.processed_records} records"
    enqueue = (
        partial(enqueue_on_commit, task=task, api_job=job)
        if chunks is None
        else partial(enqueue_chunks_on_commit, task=task, api_job=job, numbers=chunks)
    )
    if job.status == ApiJobStatus.PENDING:
        if task is not None:
            job.save(update_fields=["updated_at"])
            enqueue()
            logger.warning("API job %s: its task was lost before it started; queued", job.pk)
            return StaleJob(job.pk, "requeued", "its task was lost before it started; queued")
        reason = "The job's task was lost before it started; nothing was written. Send it again."
    elif task is None:
        reason = (
            f"The worker stopped during processing, {where}; this kind of job does not resume. "
            "Records before it were processed (processed_records counts them); send it "
            "again: records already stored are found and updated, not duplicated."
        )
    elif resumes >= settings.API_JOB_MAX_RESUMES:
        reason = (
            f"The worker stopped during processing {resumes + 1} times; the job was given up "
            f"{where}. Records before it were processed (processed_records counts them); "
            "send the rest again."
        )
    else:
        job.options = {**job.options, "resumes": resumes + 1}
        job.save(update_fields=["options", "updated_at"])
        enqueue()
        logger.warning("API job %s: worker gone %s; queued again", job.pk, where)
        return StaleJob(job.pk, "requeued", f"queued again, resumes {where}")
    logger.warning("API job %s failed: %s", job.pk, reason)
    fail_api_job(api_job_id=job.pk, reason=reason)
    return StaleJob(job.pk, "failed", reason)


def _task_results():
    """The database task backend's results, when it is the backend in use (else None: there is
    no telling which jobs are queued)."""
    backend = task_backends["default"]
    if not isinstance(backend, DatabaseBackend):
        return None
    return DBTaskResult.objects.filter(backend_name=backend.alias)
