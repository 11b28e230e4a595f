import json

import pytest
from django.core.cache import cache
from django.db import OperationalError
from django.test import override_settings
from rest_framework.exceptions import ParseError

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
    assert "username" in response.json()["detail"]


def test_malformed_json_is_400(client, db):
    response = client.post("/api/v1/auth/login", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_login_is_throttled(client, planner):
    cache.clear()
    rates = {"DEFAULT_THROTTLE_RATES": {"login": "3/min"}}
    from django.conf import settings as django_settings

    with override_settings(REST_FRAMEWORK={**django_settings.REST_FRAMEWORK, **rates}):
        from rest_framework.settings import api_settings
        from rest_framework.throttling import ScopedRateThrottle

        api_settings.reload()
        ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        try:
            codes = [
                client.post(
                    "/api/v1/auth/login",
                    {"username": "planner", "password": "wrong"},
                    content_type="application/json",
                ).status_code
                for _ in range(5)
            ]
        finally:
            api_settings.reload()
            ScopedRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
            cache.clear()
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]


def test_database_down_is_503_json(api, monkeypatch):
    from jobsite.api import views

    def broken(**kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(views, "revoke_api_token", broken)
    response = api.post("/api/v1/auth/logout")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
