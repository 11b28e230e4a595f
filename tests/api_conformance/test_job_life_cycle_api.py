"""POST /api/v1/jobs/all_scopes/start_progress (seed 002) and .../complete (seed 001)."""

import pytest
from rest_framework.test import APIClient

from jobs.models import JobDetail, JobStatus, JobType
from tests.factories import make_job

pytestmark = pytest.mark.django_db

START = "/api/v1/jobs/all_scopes/start_progress"
COMPLETE = "/api/v1/jobs/all_scopes/complete"
DATA_KEYS = {
    "id",
    "number",
    "description",
    "life_cycle_state",
    "rating_state",
    "expiration_date",
    "scheduled_date",
    "assigned_to",
    "type",
    "status",
    "log_information",
}


@pytest.fixture
def job(company, technician, planner):
    return make_job(client=company, assigned_to=technician, by=planner)


def post(api, url, body, **headers):
    return api.post(url, body, format="json", **headers)


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == {"code": "OK", "message": "", "description": ""}
    return body["data"]


def refused(response, status_code: int, code: str) -> str:
    assert response.status_code == status_code, response.content
    body = response.json()
    assert set(body) == {"status", "data"} and body["data"] is None
    assert body["status"]["code"] == code
    return body["status"]["message"]


def test_start_progress_then_complete(api, job, planner, technician):
    data = ok(post(api, START, {"job_identifier": {"number": job.number}}, HTTP_X_TX_ID="tx-s"))
    assert set(data) == DATA_KEYS
    assert data["id"] == str(job.pk) and data["number"] == job.number
    assert data["life_cycle_state"] == "IN PROGRESS"
    assert data["status"]["code"] == "InProgress" and data["type"]["code"] == "Unknown"
    assert data["assigned_to"]["user"]["username"] == technician.username
    log = data["log_information"]
    assert set(log) == {"created_date", "created_by_user", "updated_date", "updated_by_user"}
    assert log["updated_by_user"]["username"] == planner.username

    data = ok(post(api, COMPLETE + "/", {"job_identifier": {"id": str(job.pk)}}))
    assert data["life_cycle_state"] == "COMPLETED"
    job.refresh_from_db()
    assert job.job_status.code == "Completed"
    assert job.performed_by == planner and job.performed_on is not None
    assert job.start_date is not None and job.end_date is not None
    traces = JobDetail.objects.filter(job=job, object_name__startswith="jobs/all_scopes/")
    assert [(t.object_name, t.object_id) for t in traces] == [
        ("jobs/all_scopes/start_progress", job.pk),
        ("jobs/all_scopes/complete", job.pk),
    ]
    assert traces[0].tx_id == "tx-s"


def test_start_twice_is_refused_naming_the_state(api, job):
    ok(post(api, START, {"job_identifier": {"number": job.number}}))
    message = refused(
        post(api, START, {"job_identifier": {"number": job.number}}), 400, "INVALID_STATE"
    )
    assert message.startswith("life_cycle_state:") and "IN PROGRESS" in message


def test_complete_a_pending_job_is_refused(api, job):
    message = refused(
        post(api, COMPLETE, {"job_identifier": {"number": job.number}}), 400, "INVALID_STATE"
    )
    assert "PENDING" in message
    job.refresh_from_db()
    assert job.job_status.code == "ToBePlanned"


@pytest.mark.parametrize("status_code", ["Completed", "Canceled", "Draft"])
def test_start_from_any_other_state_is_refused(api, company, status_code):
    job = make_job(client=company, status_code=status_code)
    message = refused(
        post(api, START, {"job_identifier": {"id": str(job.pk)}}), 400, "INVALID_STATE"
    )
    assert JobStatus.objects.get(code=status_code).life_cycle_state.replace("_", " ") in message


def test_fields_set_limits_the_data(api, job):
    data = ok(
        post(api, START, {"job_identifier": {"number": job.number}, "fields_set": "id,number"})
    )
    assert data == {"id": str(job.pk), "number": job.number}


def test_unknown_field_in_fields_set_is_400(api, job):
    body = {"job_identifier": {"number": job.number}, "fields_set": "id,colour"}
    message = refused(post(api, START, body), 400, "VALIDATION_ERROR")
    assert message.startswith("fields_set:") and "colour" in message
    job.refresh_from_db()
    assert job.job_status.code == "ToBePlanned", "nothing moves on bad input"


@pytest.mark.parametrize(
    "identifier",
    [{}, {"id": "1", "number": "J-000001"}, {"number": ""}, "J-000001", None],
)
def test_job_identifier_needs_exactly_one_of_id_or_number(api, job, identifier):
    message = refused(post(api, START, {"job_identifier": identifier}), 400, "VALIDATION_ERROR")
    assert message.startswith("job_identifier")


def test_job_identifier_is_mandatory(api, job):
    assert refused(post(api, START, {}), 400, "VALIDATION_ERROR").startswith("job_identifier")


def test_job_by_its_uuid_identifier(api, job):
    data = ok(post(api, START, {"job_identifier": {"id": str(job.job_identifier)}}))
    assert data["number"] == job.number


def test_unknown_job_is_404(api, job):
    message = refused(
        post(api, START, {"job_identifier": {"number": "J-999999"}}), 404, "NOT_FOUND"
    )
    assert message.startswith("job_identifier.number")
    refused(post(api, START, {"job_identifier": {"id": "abc"}}), 400, "VALIDATION_ERROR")


def test_another_tenants_job_is_404(other_api, job):
    refused(post(other_api, START, {"job_identifier": {"number": job.number}}), 404, "NOT_FOUND")


def test_token_in_the_body(job, api):
    anonymous = APIClient()
    body = {"token": api.raw_token, "job_identifier": {"number": job.number}}
    assert ok(post(anonymous, START, body))["life_cycle_state"] == "IN PROGRESS"


def test_token_in_the_header(job, api):
    assert ok(post(api, START, {"job_identifier": {"number": job.number}}))


def test_missing_or_bad_token_is_401(job):
    anonymous = APIClient()
    response = post(anonymous, START, {"job_identifier": {"number": job.number}})
    refused(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = {"token": "not-a-token", "job_identifier": {"number": job.number}}
    refused(post(anonymous, COMPLETE, body), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("how", ["code", "name", "id", "number"])
def test_status_identifier_by_id_code_or_name(api, job, how):
    on_site = JobStatus.objects.create(
        code="OnSite", name="On site", number=10, life_cycle_state="IN_PROGRESS"
    )
    value = {"code": "onsite", "name": "On site", "id": str(on_site.pk), "number": "10"}[how]
    key = "id" if how == "number" else how
    body = {"job_identifier": {"number": job.number}, "status_identifier": {key: value}}
    assert ok(post(api, START, body))["status"]["code"] == "OnSite"


def test_status_identifier_must_fit_the_move(api, job):
    body = {"job_identifier": {"number": job.number}, "status_identifier": {"code": "Completed"}}
    message = refused(post(api, START, body), 400, "VALIDATION_ERROR")
    assert message.startswith("status_identifier")
    body["status_identifier"] = {"code": "Nope"}
    assert refused(post(api, START, body), 400, "VALIDATION_ERROR").startswith(
        "status_identifier.code"
    )
    body["status_identifier"] = {"code": "InProgress", "name": "In progress"}
    assert refused(post(api, START, body), 400, "VALIDATION_ERROR").startswith("status_identifier")


def test_type_without_default_start_status_needs_a_status_identifier(api, company, sales_org):
    bare = JobType.objects.create(code="Bare", name="Bare", sales_organization=sales_org)
    job = make_job(client=company, job_type=bare)
    message = refused(
        post(api, START, {"job_identifier": {"number": job.number}}), 400, "VALIDATION_ERROR"
    )
    assert message.startswith("status_identifier")
    body = {"job_identifier": {"number": job.number}, "status_identifier": {"code": "InProgress"}}
    assert ok(post(api, START, body))["life_cycle_state"] == "IN PROGRESS"


@pytest.mark.parametrize("how", ["username", "code", "id", "id2"])
def test_complete_performed_by_and_dates(api, job, technician, how):
    ok(post(api, START, {"job_identifier": {"number": job.number}}))
    value = {
        "username": "TECH1",
        "code": "t01",
        "id": str(technician.pk),
        "id2": str(technician.id2),
    }[how]
    body = {
        "job_identifier": {"number": job.number},
        "performed_by_user_identifier": {"id" if how == "id2" else how: value},
        "performed_on": "2025-08-14T01:25:46.9871243+00:00",
        "scheduled_date": "2025-09-01",
    }
    data = ok(post(api, COMPLETE, body))
    assert data["scheduled_date"] == "2025-09-01T00:00:00.0000000+00:00"
    job.refresh_from_db()
    assert job.performed_by == technician
    assert job.performed_on.isoformat() == "2025-08-14T01:25:46.987124+00:00"


def test_complete_unknown_performer_is_400_and_nothing_moves(api, job, other_planner):
    ok(post(api, START, {"job_identifier": {"number": job.number}}))
    for identifier in ({"username": "ghost"}, {"username": other_planner.username}):
        body = {
            "job_identifier": {"number": job.number},
            "performed_by_user_identifier": identifier,
        }
        message = refused(post(api, COMPLETE, body), 400, "VALIDATION_ERROR")
        assert message.startswith("performed_by_user_identifier.username")
    job.refresh_from_db()
    assert job.job_status.code == "InProgress"


def test_bad_date_names_the_field(api, job):
    body = {"job_identifier": {"number": job.number}, "performed_on": "yesterday"}
    assert refused(post(api, COMPLETE, body), 400, "VALIDATION_ERROR").startswith("performed_on")


def test_get_is_405_in_the_envelope(api):
    refused(api.get(START), 405, "METHOD_NOT_ALLOWED")


def test_the_schema_documents_real_bodies(client, db):
    schema = client.get("/api/schema/?format=json").json()
    paths, components = schema["paths"], schema["components"]["schemas"]

    def body(path, method):
        operation = paths[path][method]
        request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        response = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        return components[request.rsplit("/", 1)[1]], components[response.rsplit("/", 1)[1]]

    request, response = body("/api/v1/Fulfillment/Job/", "put")
    assert {"jobTypeId", "jobIdentifier", "jobDetails"} <= set(request["properties"])
    assert {"modifiedDateTime", "executionTime", "txID"} <= set(response["properties"])
    for path in ("start_progress", "complete"):
        request, response = body(f"/api/v1/jobs/all_scopes/{path}/", "post")
        assert {"token", "job_identifier", "status_identifier", "fields_set"} <= set(
            request["properties"]
        )
        assert set(response["properties"]) == {"status", "data"}
    assert set(components["LifeCycleJob"]["properties"]) == DATA_KEYS
    for resource in (
        "fulfillment-jobs",
        "job-types",
        "job-statuses",
        "job-priorities",
        "companies",
        "contacts",
        "skills",
        "users",
    ):
        assert f"/api/v1/{resource}/" in paths and f"/api/v1/{resource}/{{id}}/" in paths
