"""One bulk job, several real `db_worker` processes on PostgreSQL: its chunks are tasks any
worker claims (SKIP LOCKED), each written and counted once; two workers end with the same rows
as one; a worker killed mid-job leaves its chunk to the other, nothing counted twice."""

import os
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django_tasks_db.models import DBTaskResult

from apijobs.models import ApiJob, ApiJobChunk
from apijobs.recovery import requeue_stale_api_jobs
from tests.apijobs.test_worker import (
    JOB_TASKS,
    ROOT,
    vocabulary,  # noqa: F401  (autouse: an earlier flush empties it)
    worker_command,
    worker_env,
)
from workorders.models import JobPlanning, WorkOrder

RECORDS = int(os.environ.get("MANY_WORKERS_RECORDS", "3000"))
CHUNK = 50

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True, available_apps=list(django_settings.INSTALLED_APPS)),
]


@pytest.fixture
def records(record, technician):
    """Flat records, Suggested to the technician two hours apart: each gets its planning."""

    def build(prefix: str) -> list[dict]:
        return [
            record(
                reference_back_office=f"{prefix}-{i:05}",
                name=f"Work {i}",
                job_status_code="Suggested",
                suggested_user_code=technician.code,
                suggested_date_start=f"2027-{1 + i // 600:02}-{1 + i // 24 % 25:02}"
                f"T{i % 24:02}:00:00+00:00",
                estimated_time=60,
            )
            for i in range(RECORDS)
        ]

    return build


def start_workers(n: int) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            worker_command(),
            cwd=ROOT,
            env=worker_env(chunk_size=CHUNK),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(n)
    ]


def stop(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        worker.kill()
        worker.wait(timeout=30)


def wait_until_ended(pk, workers, seconds: float = 300, every=None) -> ApiJob:
    deadline = time.monotonic() + seconds
    while True:
        job = ApiJob.objects.get(pk=pk)
        if job.status in ("completed", "failed"):
            return job
        assert time.monotonic() < deadline, f"not ended: {job.processed_records} processed"
        assert any(w.poll() is None for w in workers), "every worker exited"
        if every is not None:
            every()
        time.sleep(0.1)


def stored(prefix: str) -> tuple[dict, list]:
    """The work orders and plannings of the prefix, without what differs between runs (ids,
    numbers, times of writing)."""
    rows = {
        wo["reference_back_office"]: wo
        for wo in WorkOrder.objects.filter(reference_back_office__startswith=prefix).values(
            "reference_back_office",
            "name",
            "project_id",
            "company_id",
            "sales_organization_id",
            "job_type_id",
            "job_status_id",
            "suggested_user_id",
            "suggested_date_start",
            "estimated_time",
        )
    }
    plannings = sorted(
        JobPlanning.objects.filter(work_order__reference_back_office__startswith=prefix)
        .values_list(
            "work_order__reference_back_office",
            "user_id",
            "date_start",
            "date_end",
            "made_by_rule",
            "warning_codes",
        )
        .order_by()
    )
    return rows, plannings


def post(api, records) -> ApiJob:
    response = api.post("/api/v1/workorders/bulk", records, format="json")
    assert response.status_code == 202, response.content
    return ApiJob.objects.get(pk=response.json()["id"])


def assert_exact(job: ApiJob, prefix: str) -> None:
    assert job.status == "completed", job.message
    assert (job.total_records, job.processed_records) == (RECORDS, RECORDS)
    assert (job.effected_records, job.error_records) == (RECORDS, 0), job.message
    assert not ApiJobChunk.objects.filter(api_job=job, done=False).exists()
    work_orders = WorkOrder.objects.filter(reference_back_office__startswith=prefix)
    assert work_orders.count() == RECORDS  # every record written once
    numbers = list(work_orders.values_list("id2", flat=True))
    assert len(set(numbers)) == RECORDS
    rule = JobPlanning.objects.filter(
        made_by_rule=True, work_order__reference_back_office__startswith=prefix
    )
    assert rule.count() == RECORDS


def test_two_workers_share_one_job_and_store_what_one_worker_stores(
    api, records, settings, planner
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BULK_CHUNK_SIZE = CHUNK
    payload = records("MANY")

    job = post(api, payload)
    workers = start_workers(1)
    try:
        one = wait_until_ended(job.pk, workers)
    finally:
        stop(workers)
    assert_exact(one, "MANY")
    by_one_worker = stored("MANY")
    JobPlanning.objects.filter(work_order__reference_back_office__startswith="MANY").delete()
    WorkOrder.objects.filter(reference_back_office__startswith="MANY").delete()
    DBTaskResult.objects.all().delete()

    job = post(api, payload)
    workers = start_workers(2)
    try:
        two = wait_until_ended(job.pk, workers)
    finally:
        stop(workers)
    assert_exact(two, "MANY")
    assert stored("MANY") == by_one_worker
    results = JOB_TASKS.filter(status="SUCCESSFUL")
    assert results.count() == RECORDS // CHUNK  # one task per chunk, each run once
    workers_used = {w for ids in results.values_list("worker_ids", flat=True) for w in ids}
    assert len(workers_used) == 2, "both workers claimed chunks"


def test_a_worker_killed_mid_job_leaves_its_chunk_to_the_other(api, records, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BULK_CHUNK_SIZE = CHUNK
    job = post(api, records("KILL2"))
    victim, survivor = workers = start_workers(2)
    try:
        deadline = time.monotonic() + 180
        while ApiJob.objects.get(pk=job.pk).processed_records < RECORDS // 4:
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)  # mid-chunk, most likely
        victim.wait(timeout=30)
        # What `requeue_stale_jobs --every` does beside the workers, with a short threshold:
        # once the survivor has run out of chunks, the dead worker's is queued again.
        done = wait_until_ended(
            job.pk,
            [survivor],
            every=lambda: requeue_stale_api_jobs(older_than=timedelta(seconds=2)),
        )
    finally:
        stop(workers)
    assert_exact(done, "KILL2")
    assert survivor.returncode is not None
    dead = JOB_TASKS.filter(status="FAILED")
    assert dead.count() <= 1
    if dead.exists():  # killed inside a chunk: that chunk was rolled back and taken over
        assert "WorkerStopped" in dead.get().exception_class_path
        assert "resumed once" in done.message
