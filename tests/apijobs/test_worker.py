"""A bulk job through the database task backend and a real `db_worker` process."""

import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import pytest
from django.db import connection

from apijobs.models import ApiJob
from workorders.models import WorkOrder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def vocabulary(transactional_db):
    """Statuses, the default job type and priorities, as the data migration installs them: an
    earlier transactional test's flush may have emptied them."""
    from django.apps import apps

    import_module("jobs.migrations.0003_vocabulary").install(apps, None)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{host}:{port}/{db['NAME']}"


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

    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "true",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "BULK_CHUNK_SIZE": "2",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--batch",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    job.refresh_from_db()
    assert (job.status, job.total_records, job.processed_records) == ("completed", 5, 5)
    assert (job.effected_records, job.error_records) == (4, 1)
    assert "name: This field is required." in job.message
    assert WorkOrder.objects.count() == 4
    body = api.get(f"/api/v1/api-jobs/{job.pk}").json()
    assert body["end_time"] is not None and body["status"] == "completed"
