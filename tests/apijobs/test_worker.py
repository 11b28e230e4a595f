"""A bulk job through the database task backend and a real `db_worker` process."""

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from apijobs.models import ApiJob
from apijobs.recovery import requeue_stale_api_jobs
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling import pending_checks

# The jobs' tasks: a set-based write's commit also queues the planning check it left
# (workorders.tasks.settle_planning_checks), which these counts leave out.
JOB_TASKS = DBTaskResult.objects.exclude(task_path=pending_checks.TASK)

ROOT = Path(__file__).resolve().parents[2]
# Every test here is transactional (the autouse fixture asks for transactional_db; tasks queue
# on commit) and restores the serialized database: a plain flush would re-create content types
# behind the back of a later serialized_rollback test (tests/jobs, on PostgreSQL).
COMMITTED = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def vocabulary(transactional_db):
    """Statuses, the default job type and priorities, as the data migration installs them: an
    earlier transactional test's flush may have emptied them."""
    from django.apps import apps

    import_module("jobs.migrations.0003_vocabulary").install(apps, None)


def database_url(*, port: int | None = None) -> str:
    """The test database's URL; with `port`, through 127.0.0.1:port (a proxy in front of it)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = "127.0.0.1" if port else db.get("HOST") or "127.0.0.1"
    port = port or db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


def worker_command(*extra: str) -> list[str]:
    return [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
        *extra,
    ]


def worker_env(*, chunk_size: int) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "BULK_CHUNK_SIZE": str(chunk_size),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run_worker_batch(*, chunk_size: int) -> None:
    """A worker that runs every queued task, then exits."""
    done = subprocess.run(
        worker_command("--batch"),
        cwd=ROOT,
        env=worker_env(chunk_size=chunk_size),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_bulk_job_runs_in_a_real_db_worker(api, record, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BULK_CHUNK_SIZE = 2
    records = [record(), record(name=""), record(), record(), record()]
    response = api.post("/api/v1/workorders/bulk", records, format="json")
    assert response.status_code == 202
    job = ApiJob.objects.get(pk=response.json()["id"])
    assert job.status == "pending"  # queued, not run in-process

    run_worker_batch(chunk_size=2)
    job.refresh_from_db()
    assert (job.status, job.total_records, job.processed_records) == ("completed", 5, 5)
    assert (job.effected_records, job.error_records) == (4, 1)
    assert "name: This field is required." in job.message
    assert WorkOrder.objects.count() == 4
    body = api.get(f"/api/v1/api-jobs/{job.pk}").json()
    assert body["end_time"] is not None and body["status"] == "completed"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_killed_mid_job_leaves_whole_chunks_and_the_job_resumes(
    api, record, settings, technician
):
    """SIGKILL in the middle of a bulk job: what is stored is exactly the committed chunks
    (never half of one) and the job says processing with that progress. Re-queued, a new worker
    goes on after the last committed chunk: every record once, counts exact."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    chunk, total = 10, 1200
    settings.BULK_CHUNK_SIZE = chunk
    refs = [f"KILL-{i:04}" for i in range(total)]
    # An hour apart: all at one time, each planning would overlap every earlier one, and the
    # test would time the warnings of 1,200 mutual overlaps instead of the worker.
    monday = datetime(2026, 3, 2, 8, tzinfo=UTC)
    records = [
        record(
            reference_back_office=ref,
            job_status_code="Suggested",
            suggested_user_code=technician.code,
            suggested_date_start=(monday + timedelta(hours=i)).isoformat(),
        )
        for i, ref in enumerate(refs)
    ]
    response = api.post("/api/v1/workorders/bulk", records, format="json")
    assert response.status_code == 202
    job = ApiJob.objects.get(pk=response.json()["id"])

    worker = subprocess.Popen(
        worker_command(),
        cwd=ROOT,
        env=worker_env(chunk_size=chunk),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while ApiJob.objects.filter(pk=job.pk, processed_records__gte=3 * chunk).count() == 0:
            assert time.monotonic() < deadline, "the worker committed no chunk"
            assert worker.poll() is None, "the worker exited"
            time.sleep(0.01)
        os.kill(worker.pid, signal.SIGKILL)  # mid-chunk, most likely: no clean-up runs
    finally:
        worker.kill()
        worker.wait(timeout=30)

    job.refresh_from_db()
    done = job.processed_records
    assert job.status == "processing"
    assert 0 < done < total, "killed mid-job"
    assert done % chunk == 0, "progress moves by whole chunks"
    stored = set(
        WorkOrder.objects.filter(reference_back_office__startswith="KILL-").values_list(
            "reference_back_office", flat=True
        )
    )
    assert stored == set(refs[:done]), "exactly the committed chunks are stored"
    assert (job.effected_records, job.error_records) == (done, 0)
    assert JobPlanning.objects.filter(made_by_rule=True).count() == done
    # One task per chunk: the written ones succeeded, the rest wait; the killed one shows
    # running forever (the task backend never learns its worker died).
    # One task per chunk: the written ones succeeded, the rest wait. Killed in a chunk (rolled
    # back), its task shows running forever (the task backend never learns its worker died);
    # killed between two tasks, or between a chunk's commit and its result's, nothing is lost.
    chunks = JOB_TASKS.filter(task_path="workorders.tasks.process_workorder_bulk_chunk")
    running = list(chunks.filter(status="RUNNING"))
    assert len(running) <= 1
    lost_chunk = bool(running) and running[0].args_kwargs["args"][1] >= done // chunk
    succeeded = chunks.filter(status="SUCCESSFUL").count()
    assert succeeded == done // chunk - (bool(running) and not lost_chunk)
    waiting = chunks.filter(status="READY").count()
    assert waiting == total // chunk - succeeded - len(running)

    # Recovery: the heartbeat is old (threshold 0: no worker runs now): the chunk the dead
    # worker held is queued again, its task result failed.
    stale = requeue_stale_api_jobs(older_than=timedelta(0))
    if not lost_chunk:
        assert stale == []  # every chunk left is queued: nothing to take over
    else:
        (dead,) = running
        assert [(s.api_job_id, s.action) for s in stale] == [(job.pk, "requeued")]
        dead.refresh_from_db()
        assert dead.status == "FAILED" and "WorkerStopped" in dead.exception_class_path
        assert JOB_TASKS.filter(status="READY").count() == waiting + 1
    assert requeue_stale_api_jobs(older_than=timedelta(minutes=5)) == []  # heartbeat renewed

    run_worker_batch(chunk_size=chunk)

    job.refresh_from_db()
    assert job.status == "completed", job.message
    assert (job.processed_records, job.effected_records, job.error_records) == (total, total, 0)
    if lost_chunk:
        assert "resumed once" in job.message
        assert job.options["resumes"] == 1
    assert WorkOrder.objects.filter(reference_back_office__startswith="KILL-").count() == total
    assert JobPlanning.objects.filter(made_by_rule=True).count() == total
    assert JOB_TASKS.filter(status="SUCCESSFUL").count() == succeeded + waiting + (lost_chunk)


@COMMITTED
def test_a_job_given_up_after_too_many_resumes_fails_with_where_it_stopped(
    processing_bulk_job, settings
):
    settings.API_JOB_MAX_RESUMES = 2
    job = processing_bulk_job(total=50, done=20, options={"resumes": 2})
    (stale,) = requeue_stale_api_jobs(older_than=timedelta(0))
    assert stale.action == "failed"
    job.refresh_from_db()
    assert job.status == "failed" and job.end_time is not None
    assert job.message.startswith("The worker stopped during processing 3 times")
    assert "at record 21 of 50" in job.message
    assert job.processed_records == 20


@COMMITTED
def test_a_stale_import_is_failed_not_resumed(settings):
    job = ApiJob.objects.create(
        type="workorder_import", status="processing", total_records=0, processed_records=1000
    )
    (stale,) = requeue_stale_api_jobs(older_than=timedelta(0))
    assert stale.action == "failed"
    job.refresh_from_db()
    assert job.status == "failed"
    assert "after 1000 records; this kind of job does not resume" in job.message


@COMMITTED
def test_live_jobs_are_left_alone():
    ApiJob.objects.create(type="workorder_bulk_upsert", status="processing", total_records=5)
    assert requeue_stale_api_jobs() == []  # its heartbeat is fresh


@COMMITTED
def test_requeue_stale_jobs_command(planner, record, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    lost = ApiJob.objects.create(
        type="workorder_bulk_upsert",
        requested_by=planner,
        total_records=1,
        payload=[record()],
    )
    queued = ApiJob.objects.create(type="workorder_bulk_upsert", total_records=1, payload=[{}])
    from workorders.tasks import process_workorder_bulk

    process_workorder_bulk.enqueue(str(queued.pk))
    out = StringIO()
    call_command("requeue_stale_jobs", "--older-than", "0", stdout=out)
    # The pending job whose task was lost is queued; the one queued behind others is left.
    assert out.getvalue().splitlines() == [
        f"{lost.pk}: requeued: its task was lost before it started; queued",
        "1 stale API job(s).",
    ]
    (task,) = JOB_TASKS.filter(args_kwargs__args__0=str(lost.pk))
    assert task.status == "READY"
    lost.refresh_from_db()
    assert lost.status == "pending" and "resumes" not in lost.options


@COMMITTED
@pytest.mark.parametrize("elsewhere", [{"processed_records": 2}, {"status": "failed"}])
def test_a_run_taken_for_dead_stops_at_its_next_chunk(planner, record, monkeypatch, elsewhere):
    """It started (processing, 0 done); meanwhile another run committed a chunk, or the job was
    given up: this run writes nothing and leaves the job as the other left it."""
    from apijobs import services as api_jobs
    from workorders.bulk import run_bulk_upsert

    job = ApiJob.objects.create(
        type="workorder_bulk_upsert",
        requested_by=planner,
        status="processing",
        total_records=4,
        payload=[record() for _ in range(4)],
    )
    started = api_jobs.start_api_job(api_job_id=job.pk)
    ApiJob.objects.filter(pk=job.pk).update(**elsewhere)
    monkeypatch.setattr(api_jobs, "start_api_job", lambda api_job_id: started)

    assert run_bulk_upsert(api_job_id=job.pk) is None
    assert WorkOrder.objects.count() == 0
    job.refresh_from_db()
    assert (job.processed_records, job.effected_records) == (
        elsewhere.get("processed_records", 0),
        0,
    )
    assert job.status == elsewhere.get("status", "processing")
