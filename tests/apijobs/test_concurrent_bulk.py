"""Bulk jobs over the same work orders at the same time, on PostgreSQL: no duplicate row, each
work order ends with one job's values in full (never a mix), every job completes with counts
that add up. Deadlocks between their chunks are rolled back and run again, not failures."""

import random
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError, connection

from apijobs import services as api_jobs
from apijobs.models import ApiJob
from workorders.bulk import BULK_TYPE, RECORD_LABEL, run_bulk_upsert
from workorders.models import JobPlanning, WorkOrder
from workorders.services import upsert_work_orders

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _job(*, records, by) -> ApiJob:
    return api_jobs.create_api_job(
        type=BULK_TYPE,
        by=by,
        payload=records,
        total_records=len(records),
        options={"record_label": RECORD_LABEL, "partial": False},
    )


def _run_at_once(job_ids) -> list[str]:
    barrier = threading.Barrier(len(job_ids))
    crashes = []

    def run(pk):
        try:
            barrier.wait()
            run_bulk_upsert(api_job_id=pk)
        except Exception as exc:
            crashes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(pk,)) for pk in job_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return crashes


def test_overlapping_bulk_jobs_write_each_work_order_whole_once(
    record, planner, technician, technician2, settings
):
    settings.BULK_CHUNK_SIZE = 7
    stored = [f"OLD-{i:03}" for i in range(40)]
    new = [f"NEW-{i:03}" for i in range(20)]  # every job creates them: one does, the rest update
    upsert_work_orders(records=[record(reference_back_office=ref) for ref in stored], by=planner)

    def values(label, n, user):
        return {
            "name": f"job {label}",
            "description": f"written by job {label}",
            "estimated_time": 30 * n,
            "job_status_code": "Suggested",
            "suggested_user_code": user.code,
            "suggested_date_start": (START + timedelta(days=n)).isoformat(),
        }

    jobs = {
        "A": values("A", 1, technician),
        "B": values("B", 2, technician2),
        "C": values("C", 3, technician),
    }
    orders = {
        "A": stored + new,
        "B": list(reversed(stored + new)),
        "C": random.Random(8).sample(stored + new, len(stored + new)),
    }
    job_ids = [
        _job(
            records=[record(reference_back_office=ref, **jobs[k]) for ref in orders[k]], by=planner
        ).pk
        for k in jobs
    ]

    assert _run_at_once(job_ids) == []

    for job in ApiJob.objects.filter(pk__in=job_ids):
        assert job.status == "completed", job.message
        assert (job.processed_records, job.error_records) == (60, 0), job.message
        assert job.effected_records == 60  # each job's values differ from the others'
    refs = stored + new
    rows = list(
        WorkOrder.objects.filter(reference_back_office__in=refs).select_related("suggested_user")
    )
    assert sorted(wo.reference_back_office for wo in rows) == sorted(refs), "one row each"
    by_label = {
        (v["name"], v["description"], v["estimated_time"], v["suggested_user_code"]): v
        for v in jobs.values()
    }
    plannings = {p.work_order_id: p for p in JobPlanning.objects.filter(made_by_rule=True)}
    assert len(plannings) == len(refs) == JobPlanning.objects.count()
    for wo in rows:
        key = (wo.name, wo.description, wo.estimated_time, wo.suggested_user.code)
        assert key in by_label, f"{wo.reference_back_office} mixes jobs: {key}"
        expected_start = datetime.fromisoformat(by_label[key]["suggested_date_start"])
        assert wo.suggested_date_start == expected_start, wo.reference_back_office
        planning = plannings[wo.pk]
        assert (planning.user_id, planning.date_start) == (wo.suggested_user_id, expected_start)
        assert planning.date_end == expected_start + timedelta(minutes=wo.estimated_time)


def test_a_deadlocked_chunk_is_run_again(record, planner, settings, monkeypatch):
    """The database rolled the chunk back: it runs again, and is counted once."""
    import psycopg

    from workorders import bulk

    settings.BULK_CHUNK_SIZE = 2
    monkeypatch.setattr(api_jobs, "RETRY_PAUSE_SECONDS", (0, 0))
    real = bulk.upsert_chunk
    calls = []

    def deadlocking(records, offset, **kwargs):
        calls.append(offset)
        if calls.count(offset) == 1 and offset == 2:
            real(records, offset, **kwargs)  # written, then rolled back
            raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected()
        return real(records, offset, **kwargs)

    monkeypatch.setattr(bulk, "upsert_chunk", deadlocking)
    job = _job(records=[record() for _ in range(5)], by=planner)
    run_bulk_upsert(api_job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "completed", job.message
    assert (job.processed_records, job.effected_records, job.error_records) == (5, 5, 0)
    assert calls == [0, 2, 2, 4]
    assert WorkOrder.objects.count() == 5


def test_a_chunk_deadlocking_every_time_fails_the_job(record, planner, settings, monkeypatch):
    import psycopg

    from workorders import bulk

    settings.BULK_CHUNK_SIZE = 2
    monkeypatch.setattr(api_jobs, "RETRY_PAUSE_SECONDS", (0, 0))

    def deadlocking(records, offset, **kwargs):
        raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected()

    monkeypatch.setattr(bulk, "upsert_chunk", deadlocking)
    job = _job(records=[record() for _ in range(3)], by=planner)
    run_bulk_upsert(api_job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message.startswith("The job stopped at record 1 on an unexpected error")
    assert "deadlock detected" in job.message
