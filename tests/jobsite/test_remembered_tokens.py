"""A process remembers a token it found active for API_TOKEN_CACHE_SECONDS: one statement less
per request, at the price of a bounded delay for a revocation made by another process."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from jobsite import selectors
from jobsite.models import ApiToken

pytestmark = pytest.mark.django_db

ME = "/api/v1/workorders"


def token_reads(api) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(ME).status_code == 200
    return sum('"jobsite_apitoken"' in query["sql"] for query in captured.captured_queries)


def test_a_token_is_read_once_then_remembered(api, settings):
    settings.API_TOKEN_CACHE_SECONDS = 5
    assert token_reads(api) == 1
    assert token_reads(api) == 0


def test_a_logout_is_obeyed_at_once(client, api, settings):
    settings.API_TOKEN_CACHE_SECONDS = 5
    assert token_reads(api) == 1
    header = f"Bearer {api.raw_token}"
    assert client.post("/api/v1/auth/logout", HTTP_AUTHORIZATION=header).status_code == 204
    assert client.get(ME, HTTP_AUTHORIZATION=header).status_code == 401


def test_a_revocation_elsewhere_is_obeyed_once_the_memory_runs_out(api, settings, monkeypatch):
    settings.API_TOKEN_CACHE_SECONDS = 5
    assert token_reads(api) == 1
    # Another process revokes it: this one still trusts it, for at most 5 seconds.
    ApiToken.objects.update(revoked_at=timezone.now())
    assert api.get(ME).status_code == 200
    later = selectors.time.monotonic() + 5.1
    monkeypatch.setattr(selectors.time, "monotonic", lambda: later)
    assert api.get(ME).status_code == 401


def test_an_expired_token_is_not_trusted_from_memory(api, settings, monkeypatch):
    settings.API_TOKEN_CACHE_SECONDS = 5
    assert token_reads(api) == 1
    token = ApiToken.objects.get()
    moment = token.expires_at
    monkeypatch.setattr(selectors.timezone, "now", lambda: moment)
    assert api.get(ME).status_code == 401


def test_no_memory_when_switched_off(api, settings):
    settings.API_TOKEN_CACHE_SECONDS = 0
    assert token_reads(api) == 1
    ApiToken.objects.update(revoked_at=timezone.now())
    assert api.get(ME).status_code == 401
