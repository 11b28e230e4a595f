import json

import pytest
from django.db import OperationalError
from rest_framework.exceptions import ParseError, ValidationError

from jobsite.api.exceptions import exception_handler
from jobsite.api.parsers import _find_nul

pytestmark = pytest.mark.django_db


def test_body_over_the_limit_is_413_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = api.post(
        "/api/v1/auth/logout", data=json.dumps({"x": "y" * 500}), content_type="application/json"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert response["X-Tx-ID"]


def test_nul_characters_are_found_with_their_path():
    assert _find_nul({"a": [{"b": "ok"}, {"c": "x\x00y"}]}) == "a[1].c"
    assert _find_nul({"a": "fine", "b": [1, 2.0, None, True]}) is None


def test_nul_in_json_is_a_400_naming_the_field(client, db):
    from jobsite.api.parsers import JSONParser

    body = json.dumps({"username": "a\x00b", "password": "x"}).encode()
    import io

    with pytest.raises(ParseError) as err:
        JSONParser().parse(io.BytesIO(body))
    assert "username" in str(err.value.detail)
    response = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"username": ["NUL characters are not allowed."]}


def test_malformed_json_is_400(client, db):
    response = client.post("/api/v1/auth/login", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_database_down_is_503_json(api, monkeypatch):
    from jobsite.api import views

    def broken(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "revoke_api_token", broken)
    response = api.post("/api/v1/auth/logout")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"


def test_nul_in_a_project_body_names_the_field(api, company):
    url = "/api/v1/projects/00000000-0000-0000-0000-000000000001"
    response = api.put(url, {"name": "a\x00b", "company_id": str(company.pk)}, format="json")
    assert response.status_code == 400
    assert response.json() == {"name": ["NUL characters are not allowed."]}
    response = api.put(url, {"name": "B", "company": {"code": "a\x00b"}}, format="json")
    assert response.json() == {"company.code": ["NUL characters are not allowed."]}


def test_a_validation_error_without_a_field_is_the_body_as_a_whole():
    response = exception_handler(ValidationError("Not like this."), {})
    assert response.status_code == 400
    assert response.data == {"non_field_errors": ["Not like this."]}


@pytest.mark.parametrize(
    "url", ["/api/v1/workorders/bulk", "/api/v1/projects", "/api/v1/auth/login"]
)
def test_a_body_that_cannot_be_read_says_detail(api, url):
    response = api.post(url, b'[{"name": ', content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
