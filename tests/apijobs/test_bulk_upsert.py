"""POST /api/v1/workorders/bulk: envelope checks at once, records in the background."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apijobs.models import ApiJob, ApiJobError
from workorders import bulk
from workorders.models import JobPlanning, PendingPlanningCheck, WorkOrder
from workorders.scheduling import pending_checks

pytestmark = pytest.mark.django_db


def test_three_records_one_bad_then_again(api, post_bulk, record):
    records = [record(), record(name="x" * 300), record()]
    response = post_bulk(records)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response["Location"] == f"/api/v1/api-jobs/{job_id}"
    assert response.json()["status"] == "pending"

    job = api.get(f"/api/v1/api-jobs/{job_id}").json()
    assert job["status"] == "completed"
    assert (job["total_records"], job["effected_records"]) == (3, 2)
    bad_ref = records[1]["reference_back_office"]
    assert job["message"].startswith(
        f"---------------------------\nWork order ID: {bad_ref} failed with the following "
        "errors:\n\nname: At most 255 characters"
    )
    assert job["message"].endswith("\n---------------------------")
    assert WorkOrder.objects.count() == 2
    errors = api.get(f"/api/v1/api-jobs/{job_id}/errors").json()["results"]
    assert errors == [
        {
            "index": 1,
            "line": None,
            "record_id": bad_ref,
            "field": "name",
            "message": "At most 255 characters (got 300).",
        }
    ]

    again = post_bulk(records).json()
    job = api.get(f"/api/v1/api-jobs/{again['id']}").json()
    assert (job["status"], job["total_records"], job["effected_records"]) == ("completed", 3, 0)


def test_updates_by_reference_and_the_suggested_rule_holds(
    api, post_bulk, record, technician, statuses
):
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    rec = record(
        job_status_code="Suggested",
        suggested_user_code=technician.code,
        suggested_date_start=start.isoformat(),
    )
    post_bulk([rec])
    wo = WorkOrder.objects.get(reference_back_office=rec["reference_back_office"])
    plannings = JobPlanning.objects.filter(work_order=wo, made_by_rule=True, user=technician)
    assert plannings.count() == 1
    post_bulk([{**rec, "job_status_code": "Canceled"}])
    assert not JobPlanning.objects.filter(work_order=wo).exists()
    wo.refresh_from_db()
    assert wo.job_status.code == "Canceled"


def test_failed_record_named_by_position_when_it_has_no_identifier(api, post_bulk, record):
    bad = record(job_status_code="Nope")
    del bad["reference_back_office"]
    job_id = post_bulk([record(), bad]).json()["id"]
    job = api.get(f"/api/v1/api-jobs/{job_id}").json()
    assert (
        "Work order ID: #2 failed with the following errors:\n\njob_status_code: "
        in (job["message"])
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x"}, "non_field_errors"),
        ([], "non_field_errors"),
        ([{"name": "ok"}, "text"], "[1]"),
        ([{"name": "ok"}, {"name": "a\x00b"}], "[1].name"),
    ],
)
def test_envelope_is_checked_at_once(api, body, field):
    response = api.post("/api/v1/workorders/bulk", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ApiJob.objects.exists()


def test_too_many_records_and_too_large(api, settings, record):
    settings.BULK_MAX_RECORDS = 2
    response = api.post("/api/v1/workorders/bulk", [record()] * 3, format="json")
    assert response.status_code == 400
    assert "2" in response.json()["non_field_errors"][0]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post("/api/v1/workorders/bulk", [record()], format="json")
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_not_json_is_400(api):
    response = api.post("/api/v1/workorders/bulk", "{nope", content_type="application/json")
    assert response.status_code == 400


def test_needs_authentication(client):
    response = client.post("/api/v1/workorders/bulk", [], content_type="application/json")
    assert response.status_code in (401, 403)


def test_records_of_another_tenant_fail_and_are_not_written(
    other_api, post_bulk, record, other_planner
):
    job_id = post_bulk([record()], client=other_api).json()["id"]
    job = ApiJob.objects.get(pk=job_id)
    assert (job.status, job.effected_records, job.error_records) == ("completed", 0, 1)
    fields = set(ApiJobError.objects.filter(api_job=job).values_list("field", flat=True))
    assert "project_reference_back_office" in fields
    assert not WorkOrder.objects.exists()


def test_a_work_order_named_twice_is_refused_up_front(api, record):
    """Chunks run side by side on several workers: no order between two records of one work
    order would hold, so such a request is refused, naming the keys and positions."""
    same_id = "465cd9f6-60fc-4b63-8386-9fd2780ae406"
    body = [
        record(reference_back_office="R-1"),
        record(id=same_id),
        record(reference_back_office=" R-1 "),
        record(id=same_id.upper()),
        record(),
    ]
    response = api.post("/api/v1/workorders/bulk", body, format="json")
    assert response.status_code == 400
    (message,) = response.json()["non_field_errors"]
    assert "2 work order(s) named more than once" in message
    assert "reference_back_office 'R-1' at records 0, 2" in message
    assert f"id '{same_id}' at records 1, 3" in message
    assert not ApiJob.objects.exists()


def test_a_whole_job_run_reads_its_requester_once(planner, record, settings, monkeypatch):
    """run_bulk_upsert (a job's remaining chunks in one worker) reads the requester and builds
    the chunk handler once, not once a chunk."""
    settings.BULK_CHUNK_SIZE = 1
    # Accepted outside a commit: no chunk task runs; this run writes all three chunks.
    job = bulk.accept_bulk_upsert(records=[record() for _ in range(3)], by=planner)
    reads = []
    requester = bulk._requester
    monkeypatch.setattr(bulk, "_requester", lambda pk: reads.append(pk) or requester(pk))
    done = bulk.run_bulk_upsert(api_job_id=job.pk)
    assert reads == [job.pk]
    assert (done.status, done.processed_records, done.effected_records) == ("completed", 3, 3)


def test_a_chunked_job_queues_one_settle_of_its_plannings_checks_after_its_last_chunk(
    post_bulk, record, technician, settings, monkeypatch
):
    """Each chunk notes where its plannings went; none queues the check between chunks (it
    would take the database from the chunks still running); the job's end queues one."""
    settings.BULK_CHUNK_SIZE = 2
    queued = []
    monkeypatch.setattr(
        pending_checks, "queue_settle", lambda: queued.append(PendingPlanningCheck.objects.count())
    )
    start = (timezone.now() + timedelta(days=2)).replace(microsecond=0)
    records = [
        record(
            job_status_code="Suggested",
            suggested_user_code=technician.code,
            suggested_date_start=(start + timedelta(hours=n)).isoformat(),
        )
        for n in range(5)
    ]
    assert post_bulk(records).status_code == 202
    assert queued == [5]  # once, when the three chunks' five places were all noted
    assert pending_checks.settle() > 0  # 90 minutes an hour apart: overlaps
    assert not PendingPlanningCheck.objects.exists()
