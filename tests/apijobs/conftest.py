import uuid

import pytest


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
