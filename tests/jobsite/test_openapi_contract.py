"""The OpenAPI document says what every operation can answer, by what the operation is
(jobsite/api/schema.py), and the server refuses query values it cannot read instead of
ignoring them. schemathesis (tests/reliability/test_schemathesis.py) holds the two together."""

import pytest
from django.test import Client

ERRORS_EVERYWHERE = {"429", "503"}


@pytest.fixture(scope="module")
def document(django_db_blocker):
    with django_db_blocker.unblock():
        return Client().get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _operations(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            yield path, method.upper(), operation


def test_every_operation_documents_the_errors_its_kind_can_answer(document):
    for path, method, operation in _operations(document):
        codes = set(operation["responses"])
        where = f"{method} {path}"
        assert codes >= ERRORS_EVERYWHERE, where
        if "requestBody" in operation:
            assert {"400", "413", "415"} <= codes, where
            assert set(operation["requestBody"]["content"]) == {"application/json", "text/json"}
        if operation.get("security") and {} not in operation["security"]:
            assert "401" in codes, where
        if "{" in path:
            assert "404" in codes, where
        if method != "GET":
            assert "409" in codes, where
        for code, response in operation["responses"].items():
            headers = response["headers"]
            assert {"X-Tx-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining"} <= set(headers)
            assert ("Retry-After" in headers) == (code in ("429", "503")), (where, code)
            if code >= "400":
                assert response["content"], (where, code)


def test_each_family_documents_its_error_shape(document):
    work_order = document["paths"]["/api/v1/workorders/{id}/"]["put"]["responses"]
    assert work_order["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/FieldErrors"
    }
    assert work_order["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    start = document["paths"]["/api/v1/jobs/all_scopes/start_progress/"]["post"]["responses"]
    envelope = {"$ref": "#/components/schemas/EnvelopeError"}
    for code in ("400", "401", "404", "429"):
        assert start[code]["content"]["application/json"]["schema"] == envelope, code
    # Answered by a middleware, before the view's own handler: either shape.
    assert envelope in start["413"]["content"]["application/json"]["schema"]["anyOf"]
    login = document["paths"]["/api/v1/auth/login/"]["post"]["responses"]
    assert {"401", "429"} <= set(login)


def test_api_job_times_errors_and_links(document):
    job = document["components"]["schemas"]["ApiJob"]["properties"]
    assert job["start_time"]["pattern"] == r"^\d{4}\-\d{2}\-\d{2}\ \d{2}:\d{2}:\d{2}$"
    assert "format" not in job["start_time"]
    errors = document["paths"]["/api/v1/api-jobs/{id}/errors/"]["get"]["responses"]["200"]
    assert errors["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedApiJobErrorList"
    }
    created = document["paths"]["/api/v1/companies/"]["post"]["responses"]["201"]["links"]
    assert created["v1_companies_retrieve"]["parameters"] == {"id": "$response.body#/id"}
    bulk = document["paths"]["/api/v1/workorders/bulk/"]["post"]["responses"]["202"]["links"]
    assert set(bulk) == {"v1_api_jobs_retrieve", "v1_api_jobs_errors_list"}


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/job-priorities/?is_global=yes", 400, "is_global"),
        ("/api/v1/fulfillment-jobs/?client_id2=1.5", 400, "client_id2"),
        ("/api/v1/workorders/?page_size=-5", 400, "page_size"),
        ("/api/v1/skills/?page_size=abc", 400, "page_size"),
        ("/api/v1/workorders/?page=", 404, "detail"),
        ("/api/v1/projects/?count=AAA", 400, "count"),
        ("/api/v1/api-jobs/?status=", 200, None),
        ("/api/v1/job-priorities/?is_global=true", 200, None),
        ("/api/v1/nothing/here", 404, "detail"),
        ("/api/v1/workorders/not.an.id/", 404, "detail"),
    ],
)
def test_query_values_are_read_or_refused_never_ignored(api, url, status, field):
    response = api.get(url)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    if field:
        assert field in response.json()


def test_bulk_partial_must_be_a_boolean(api):
    response = api.post("/api/v1/workorders/bulk/?partial=4481", [{"name": "x"}], format="json")
    assert response.status_code == 400
    assert "partial" in response.json()
