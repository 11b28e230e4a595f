"""GET /api/v1/api-jobs/{id} (seed 003), the list, the errors, and the generic machinery."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from apijobs import chunks, services
from apijobs.models import ApiJob, ApiJobError
from apijobs.services import FAILED, UNCHANGED, UPDATED, RecordOutcome

pytestmark = pytest.mark.django_db

SEED_FIELDS = [
    "id",
    "type",
    "company_id",
    "start_time",
    "end_time",
    "status",
    "message",
    "total_records",
    "effected_records",
    "created_at",
    "updated_at",
]


@pytest.fixture
def job(planner):
    return services.create_api_job(
        type="workorder_bulk_upsert",
        by=planner,
        payload=[{"name": "a"}, {"name": "b"}, {"name": "c"}],
        total_records=3,
        options={"record_label": "Work order ID"},
    )


def test_seed_003_shape(api, job, sales_org):
    ApiJob.objects.filter(pk=job.pk).update(
        start_time=datetime(2024, 2, 21, 10, 21, 31, 123456, tzinfo=UTC),
        end_time=datetime(2024, 2, 21, 10, 21, 35, tzinfo=UTC),
        created_at=datetime(2024, 2, 21, 10, 21, 31, tzinfo=UTC),
        updated_at=datetime(2024, 2, 21, 10, 21, 35, 5, tzinfo=UTC),
        status="completed",
    )
    body = api.get(f"/api/v1/api-jobs/{job.pk}").json()
    assert list(body) == SEED_FIELDS
    assert body["id"] == str(job.pk)
    assert body["company_id"] == str(sales_org.pk)
    assert body["start_time"] == "2024-02-21 10:21:31"
    assert body["end_time"] == "2024-02-21 10:21:35"
    assert body["created_at"] == "2024-02-21T10:21:31.000000Z"
    assert body["updated_at"] == "2024-02-21T10:21:35.000005Z"
    assert (body["total_records"], body["effected_records"]) == (3, 0)


def test_pending_job_has_null_times(api, job):
    body = api.get(f"/api/v1/api-jobs/{job.pk}/").json()
    assert body["status"] == "pending"
    assert body["start_time"] is None and body["end_time"] is None
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", body["created_at"])


def test_unknown_other_tenant_and_garbage_are_404(api, other_api, admin_api, job):
    assert api.get(f"/api/v1/api-jobs/{uuid.uuid4()}").status_code == 404
    assert api.get("/api/v1/api-jobs/not-a-uuid").status_code == 404
    assert other_api.get(f"/api/v1/api-jobs/{job.pk}").status_code == 404
    assert other_api.get(f"/api/v1/api-jobs/{job.pk}/errors").status_code == 404
    assert admin_api.get(f"/api/v1/api-jobs/{job.pk}").status_code == 200


def test_list_is_filtered_paginated_and_tenant_bound(api, other_api, job, planner):
    services.create_api_job(type="workorder_import", by=planner)
    page = api.get("/api/v1/api-jobs").json()
    assert page["count"] == 2
    assert list(page["results"][0]) == SEED_FIELDS
    assert api.get("/api/v1/api-jobs?type=workorder_import").json()["count"] == 1
    assert api.get("/api/v1/api-jobs?status=completed").json()["count"] == 0
    assert api.get("/api/v1/api-jobs?status=pending&page_size=1").json()["count"] == 2
    assert other_api.get("/api/v1/api-jobs").json()["count"] == 0


def test_run_counts_keeps_errors_and_writes_the_message(job):
    def handler(records, offset):
        outcomes = []
        for i, rec in enumerate(records):
            index = offset + i
            if rec["name"] == "b":
                outcomes.append(
                    RecordOutcome(index, FAILED, {"name": "Bad.", "due_date": "Worse."}, "R-B")
                )
            else:
                outcomes.append(RecordOutcome(index, UPDATED if index == 0 else UNCHANGED))
        return outcomes

    done = services.run_records(api_job_id=job.pk, handler=handler, chunk_size=2)
    assert done.status == "completed"
    assert (done.processed_records, done.effected_records, done.error_records) == (3, 1, 1)
    assert done.start_time is not None and done.end_time >= done.start_time
    assert done.message == (
        "---------------------------\nWork order ID: R-B failed with the following errors:"
        "\n\nname: Bad.\ndue_date: Worse.\n---------------------------"
    )
    assert ApiJobError.objects.filter(api_job=job, index=1).count() == 2
    # An ended job is not run again.
    assert services.run_records(api_job_id=job.pk, handler=handler) is None


def test_an_unexpected_exception_fails_the_job_never_stuck(job):
    calls = []

    def handler(records, offset):
        calls.append(offset)
        if offset > 0:
            raise RuntimeError("disk on fire")
        return [RecordOutcome(offset + i, UPDATED) for i in range(len(records))]

    done = services.run_records(api_job_id=job.pk, handler=handler, chunk_size=2)
    assert done.status == "failed"
    assert done.end_time is not None
    assert "record 3" in done.message and "RuntimeError: disk on fire" in done.message
    # The first chunk committed with its counts; the failed one left nothing.
    assert (done.processed_records, done.effected_records) == (2, 2)


def test_a_processing_job_resumes_where_it_stopped(job):
    ApiJob.objects.filter(pk=job.pk).update(status="processing", processed_records=2)
    seen = []

    def handler(records, offset):
        seen.append((offset, [r["name"] for r in records]))
        return [RecordOutcome(offset + i, UPDATED) for i in range(len(records))]

    done = services.run_records(api_job_id=job.pk, handler=handler, chunk_size=2)
    assert seen == [(2, ["c"])]
    assert (done.status, done.processed_records) == ("completed", 3)


def test_message_is_capped_and_points_at_the_errors(job):
    def handler(records, offset):
        return [RecordOutcome(offset + i, FAILED, {"name": "Bad."}) for i in range(len(records))]

    done = services.run_records(api_job_id=job.pk, handler=handler)
    assert done.message.count("failed with the following errors") == 3
    job.refresh_from_db()
    short = services.format_error_message(api_job=job, limit=1)
    assert short.count("failed with") == 1
    assert short.endswith(f"… and 2 more failed records: see /api/v1/api-jobs/{job.pk}/errors")
    assert "Work order ID: #1 failed" in short


def test_each_chunk_refreshes_the_heartbeat_and_the_last_one_finishes(job):
    """Chunks start side by side (pending -> processing once), each committed chunk
    moves `updated_at` (apijobs.recovery's heartbeat) and adds to the counts it reads back."""
    numbers = chunks.create_chunks(api_job=job, records=job.payload, chunk_size=1)
    seen = []

    def handler(records, offset):
        return chunks.ChunkResult(processed=len(records), effected=len(records))

    for number in numbers:
        long_ago = datetime(2024, 1, 1, tzinfo=UTC)
        ApiJob.objects.filter(pk=job.pk).update(updated_at=long_ago)
        done = chunks.run_chunk(api_job_id=job.pk, number=number, handler=handler)
        stored = ApiJob.objects.get(pk=job.pk)
        assert stored.updated_at > long_ago + timedelta(days=1)
        seen.append((stored.status, stored.processed_records))
    assert seen == [("processing", 1), ("processing", 2), ("completed", 3)]
    assert done.status == "completed" and done.effected_records == 3
    assert done.start_time is not None
    # A chunk run again once written does nothing.
    assert chunks.run_chunk(api_job_id=job.pk, number=0, handler=handler) is None
