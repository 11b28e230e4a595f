import uuid

import pytest

from apijobs.models import ApiJob
from workorders.bulk import BULK_TYPE


@pytest.fixture
def record(project, job_type, statuses, technician):
    """A flat seed-004 work order for the planner's project (codes and references)."""

    def build(**over):
        body = {
            "reference_back_office": f"ERP-{uuid.uuid4().hex[:8]}",
            "name": "Yearly maintenance",
            "project_reference_back_office": project.reference_back_office,
            "job_type_code": job_type.code,
            "job_status_code": "ToBePlanned",
            "estimated_time": 90,
        }
        body.update(over)
        return body

    return build


@pytest.fixture
def post_bulk(api, django_capture_on_commit_callbacks):
    """POST /workorders/bulk and run the queued task (ImmediateBackend) as a commit would."""

    def post(records, client=None):
        with django_capture_on_commit_callbacks(execute=True):
            return (client or api).post("/api/v1/workorders/bulk", records, format="json")

    return post


@pytest.fixture
def processing_bulk_job(planner, record):
    """A bulk job left processing with `done` of its `total` records committed, as a worker that
    stopped leaves it."""

    def build(*, total: int, done: int, **fields) -> ApiJob:
        return ApiJob.objects.create(
            type=BULK_TYPE,
            requested_by=planner,
            status="processing",
            total_records=total,
            processed_records=done,
            effected_records=done,
            payload=[record() for _ in range(total)],
            **fields,
        )

    return build
