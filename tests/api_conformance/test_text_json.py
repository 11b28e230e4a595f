"""Every seed endpoint (000-004) reads `application/json` and `text/json` bodies, whatever their
charset parameter, and answers `text/json` when `Accept` asks for it, else `application/json`."""

import json
import uuid

import pytest

from apijobs import services as api_job_services
from tests.factories import make_job, seed_000_sample, work_order_url

pytestmark = pytest.mark.django_db

FULFILLMENT = "/api/v1/Fulfillment/Job"
START = "/api/v1/jobs/all_scopes/start_progress"
COMPLETE = "/api/v1/jobs/all_scopes/complete"


def send(api, method, url, body=None, *, content_type="text/json", accept="text/json"):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    if body is None:
        return getattr(api, method)(url, **headers)
    data = body if isinstance(body, bytes) else json.dumps(body)
    return getattr(api, method)(url, data=data, content_type=content_type, **headers)


def answered_as(response, media_type: str):
    assert response["Content-Type"].split(";")[0].strip() == media_type, response.content
    return json.loads(response.content)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/json",
        "text/json; charset=utf-8",
        "TEXT/JSON; Charset=UTF-8",
        "application/json",
        "application/json; charset=utf-8",
        "text/json; charset=no-such-charset",
    ],
)
def test_seed_000_reads_either_media_type_with_any_charset(api, seed_directory, content_type):
    response = send(api, "put", FULFILLMENT, seed_000_sample(), content_type=content_type)
    assert response.status_code == 200, response.content
    assert answered_as(response, "text/json")["notes"] == "sample string 9"


def test_a_utf16_text_json_body_is_read_by_its_charset(api, seed_directory):
    body = json.dumps({**seed_000_sample(), "notes": "Zürich ✓"}).encode("utf-16")
    response = send(api, "put", FULFILLMENT, body, content_type="text/json; charset=utf-16")
    assert response.status_code == 200, response.content
    assert answered_as(response, "text/json")["notes"] == "Zürich ✓"
    assert response["Content-Type"] == "text/json; charset=utf-8"


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/json", "text/json"),
        ("text/json; charset=utf-8", "text/json"),
        ("text/json, text/html;q=0.9, */*;q=0.8", "text/json"),
        ("application/json", "application/json"),
        # Both equally acceptable: the server's first choice.
        ("text/json, application/json", "application/json"),
        ("*/*", "application/json"),
        (None, "application/json"),
    ],
)
def test_the_answer_follows_accept(api, seed_directory, accept, media_type):
    response = send(api, "put", FULFILLMENT, seed_000_sample(), accept=accept)
    assert response.status_code == 200, response.content
    assert answered_as(response, media_type)["jobTypeId"] == "Unknown"


def test_bad_input_in_text_json_is_a_400_naming_the_field(api, seed_directory):
    body = {**seed_000_sample(), "percentComplete": 101}
    response = send(api, "put", FULFILLMENT, body)
    assert response.status_code == 400
    assert "percentComplete" in answered_as(response, "text/json")
    response = send(api, "put", FULFILLMENT, b'{"notes": "a\\u0000b"}')
    assert response.status_code == 400
    assert "notes" in answered_as(response, "text/json")  # a NUL names its field
    response = send(api, "put", FULFILLMENT, b"{not json")
    assert response.status_code == 400
    assert answered_as(response, "text/json")["detail"]


def test_an_unsupported_media_type_is_still_refused(api, seed_directory):
    response = send(api, "put", FULFILLMENT, seed_000_sample(), content_type="text/xml")
    assert response.status_code == 415
    response = send(api, "put", FULFILLMENT, seed_000_sample(), accept="application/xml")
    assert response.status_code == 406


def test_seed_004_work_order_put(api, seed):
    pk = str(uuid.uuid4())
    response = send(api, "put", work_order_url(pk), seed(id=pk))
    assert response.status_code == 201, response.content
    assert answered_as(response, "text/json")["id"] == pk
    response = send(api, "put", work_order_url(pk), {**seed(id=pk), "name": ""})
    assert response.status_code == 400
    assert "name" in answered_as(response, "text/json")
    response = send(api, "get", work_order_url(pk))
    assert answered_as(response, "text/json")["id"] == pk


def test_seed_002_and_001_start_and_complete(api, company, planner):
    job = make_job(client=company, by=planner)
    body = {"job_identifier": {"number": job.number}, "token": api.raw_token}
    response = send(api, "post", START, body, content_type="text/json; charset=utf-8")
    assert response.status_code == 200, response.content
    assert answered_as(response, "text/json")["data"]["life_cycle_state"] == "IN PROGRESS"
    response = send(api, "post", COMPLETE, {"job_identifier": {"id": str(job.pk)}})
    assert response.status_code == 200, response.content
    assert answered_as(response, "text/json")["data"]["life_cycle_state"] == "COMPLETED"
    response = send(api, "post", COMPLETE, {"job_identifier": {}})
    assert response.status_code == 400
    assert answered_as(response, "text/json")["status"]["code"] == "VALIDATION_ERROR"


def test_seed_003_api_job(api, planner):
    job = api_job_services.create_api_job(
        type="workorder_bulk_upsert", by=planner, payload=[{}], total_records=1
    )
    url = f"/api/v1/api-jobs/{job.pk}"
    response = api.get(url, HTTP_ACCEPT="text/json", CONTENT_TYPE="text/json")
    assert response.status_code == 200, response.content
    assert answered_as(response, "text/json")["id"] == str(job.pk)
    response = api.get(f"/api/v1/api-jobs/{uuid.uuid4()}", HTTP_ACCEPT="text/json")
    assert response.status_code == 404
    assert answered_as(response, "text/json")["detail"]
