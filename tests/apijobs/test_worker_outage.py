"""A real `db_worker` whose PostgreSQL goes away in the middle of a bulk job (a TCP proxy between
them is cut, then restored): the worker outlives the outage, hands the job back once the
database answers, and the job completes with every record written and counted once.

The worker then loses the database once more while idle, between two fetches, and runs the
next job when it is back. The suite's run is short (OUTAGE_RECORDS=3000, OUTAGE_SECONDS=5);
the issue's run is

    OUTAGE_SECONDS=20 OUTAGE_RECORDS=20000 .venv/bin/python -m pytest -q -s \\
        tests/apijobs/test_worker_outage.py                     # with DATABASE_URL on PostgreSQL
"""

import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from apijobs.models import ApiJob
from tests.apijobs.test_worker import (
    JOB_TASKS,
    database_url,
    vocabulary,  # noqa: F401  (autouse: an earlier flush empties it)
    worker_command,
    worker_env,
)
from tests.reliability.tcp_proxy import CuttableProxy
from workorders.models import WorkOrder

ROOT = Path(__file__).resolve().parents[2]
RECORDS = int(os.environ.get("OUTAGE_RECORDS", "3000"))
# Longer than recording the task's failure tries (3 × DB_POOL_TIMEOUT), so the worker's own
# reconnect loop is what carries it through.
OUTAGE_SECONDS = float(os.environ.get("OUTAGE_SECONDS", "5"))
CHUNK = 100


def _job(pk) -> tuple:
    return ApiJob.objects.filter(pk=pk).values_list("status", "processed_records").get()


def _wait_until_ended(pk, worker, log, seconds: float) -> None:
    """Until the job has ended and the worker has recorded the end of every task: the last
    chunk ends the job a moment before its task is marked successful, and a cut in that moment
    would leave the task running for ever (not what this test is about)."""
    deadline = time.monotonic() + seconds
    while (
        _job(pk)[0] not in ("completed", "failed")
        or JOB_TASKS.filter(status__in=("READY", "RUNNING")).exists()
    ):
        live = list(
            JOB_TASKS.filter(status__in=("READY", "RUNNING")).values_list(
                "status", "args_kwargs", "worker_ids"
            )
        )
        assert time.monotonic() < deadline, (
            f"the job did not end ({_job(pk)}; live tasks {live}):\n" + log.read_text()
        )
        assert worker.poll() is None, "the worker exited:\n" + log.read_text()
        time.sleep(0.05)


@pytest.mark.postgres
@pytest.mark.worker
# Naming every app keeps the flush after this test from re-creating content types behind the
# back of a later test that restores a serialized database (serialized_rollback); restoring one
# here would clash with the content types an earlier transactional test's flush re-created.
@pytest.mark.django_db(transaction=True, available_apps=list(django_settings.INSTALLED_APPS))
def test_worker_outlives_a_database_outage_and_the_job_completes(api, record, settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BULK_CHUNK_SIZE = CHUNK
    refs = [f"OUT-{i:05}" for i in range(RECORDS)]
    response = api.post(
        "/api/v1/workorders/bulk",
        [record(reference_back_office=ref) for ref in refs],
        format="json",
    )
    assert response.status_code == 202
    pk = response.json()["id"]

    db = connection.settings_dict
    proxy = CuttableProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.start()
    env = {
        **worker_env(chunk_size=CHUNK),
        "DATABASE_URL": database_url(port=proxy.port),
        # As `make run` starts it: one pooled connection, a short wait for it.
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "1",
        "DB_POOL_TIMEOUT": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            worker_command(), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    began = time.monotonic()
    try:
        deadline = time.monotonic() + 120
        while _job(pk)[1] < max(3 * CHUNK, RECORDS // 3):
            assert time.monotonic() < deadline, "the worker committed no chunk"
            assert worker.poll() is None, log.read_text()
            time.sleep(0.01)
        proxy.cut()
        cut_at = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        status, done = _job(pk)
        assert worker.poll() is None, "the worker exited in the outage:\n" + log.read_text()
        assert status == "processing" and done < RECORDS, "cut in the middle of the job"
        proxy.start()
        _wait_until_ended(pk, worker, log, 120 + 2 * OUTAGE_SECONDS)
        finished_at = time.monotonic()

        proxy.cut()  # idle: the next fetch of a task fails
        time.sleep(2)
        assert worker.poll() is None, "the worker exited while idle:\n" + log.read_text()
        proxy.start()
        response = api.post("/api/v1/workorders/bulk", [record()], format="json")
        assert response.status_code == 202
        _wait_until_ended(response.json()["id"], worker, log, 60)
        assert _job(response.json()["id"])[0] == "completed"
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        proxy.cut()

    job = ApiJob.objects.get(pk=pk)
    assert job.status == "completed", job.message
    assert (job.processed_records, job.effected_records, job.error_records) == (RECORDS, RECORDS, 0)
    stored = WorkOrder.objects.filter(reference_back_office__startswith="OUT-")
    assert stored.count() == RECORDS
    assert set(stored.values_list("reference_back_office", flat=True)) == set(refs)
    # One task per chunk. The cut hits a chunk's task (its chunk rolled back, the task handed
    # back and run again: "resumed once") or the worker between two tasks (nothing lost).
    lost = JOB_TASKS.filter(status="FAILED")
    assert lost.count() <= 1
    resumed = lost.exists()
    if resumed:
        assert "DatabaseLost" in lost.get().exception_class_path
        assert job.options["resumes"] == 1 and "resumed once" in job.message
    else:
        assert "resumes" not in job.options
    chunks = -(-RECORDS // CHUNK)
    assert JOB_TASKS.filter(status="SUCCESSFUL").count() == chunks + 1
    assert log.read_text().count("Database unavailable") >= 2, log.read_text()
    print(
        f"\n{RECORDS} records, cut at record {done + 1} for {OUTAGE_SECONDS:g} s: completed "
        f"{finished_at - cut_at:.1f} s after the cut ({finished_at - began:.1f} s in all), "
        f"{job.processed_records} processed, {job.effected_records} effected, "
        f"{'resumed once' if resumed else 'cut between two chunks'}"
    )
