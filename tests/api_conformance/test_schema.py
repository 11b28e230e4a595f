"""/api/schema/ is valid OpenAPI 3 and describes the seed-004 bodies, not generic objects."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(capsys):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_schema_describes_work_order_bodies(client):
    schema = yaml.safe_load(client.get("/api/schema/").content)
    paths = schema["paths"]
    for path in (
        "/api/v1/workorders/",
        "/api/v1/workorders/{id}/",
        "/api/v1/projects/",
        "/api/v1/projects/{id}/",
        "/api/v1/plannings/",
        "/api/v1/plannings/{id}/",
    ):
        assert path in paths
    put = paths["/api/v1/workorders/{id}/"]["put"]
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    props = body["properties"]
    assert props["name"]["maxLength"] == 255
    assert props["reference_back_office"]["maxLength"] == 50
    assert "$ref" in str(props["project"]) and "project_reference_back_office" in props
    out = put["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    output = schema["components"]["schemas"][out.rsplit("/", 1)[1]]["properties"]
    assert {"job_status_code", "company_code", "modified_dateutc", "id2"} <= set(output)
    filters = {p["name"] for p in paths["/api/v1/workorders/"]["get"]["parameters"]}
    assert {"job_status_code", "due_date_from", "modified_since", "search", "page"} <= filters


def test_docs_page_is_served(client):
    assert client.get("/api/docs/").status_code == 200
