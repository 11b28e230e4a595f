"""Failed logins limited per account and per client address; every API request counted per
token, with X-RateLimit headers on every API answer. The clock is stopped in the middle of a
window and moved by hand: no test waits one out."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from jobsite import ratelimit
from jobsite.models import RateCount
from jobsite.services import issue_api_token
from tests.factories import make_job

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/api/v1/auth/login"
START = 1_800_000_000  # a window's start for every period up to a day
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


class Clock:
    def __init__(self):
        self.moment = START + 30.0

    def advance(self, seconds):
        self.moment += seconds


@pytest.fixture
def clock(monkeypatch):
    stopped = Clock()
    monkeypatch.setattr(ratelimit, "now", lambda: stopped.moment)
    return stopped


def login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, format="json", **extra)


# --- failed logins ------------------------------------------------------------------------------


def test_correct_logins_pass_while_another_account_is_refused(clock, planner, other_planner):
    client = APIClient()
    mine, theirs = [], []
    for _ in range(12):
        theirs.append(login(client, "other", "wrong").status_code)
        mine.append(login(client, "planner", "pw-planner-1").status_code)
    assert mine == [200] * 12
    assert theirs == [401] * 10 + [429] * 2


def test_eleven_wrong_passwords_lock_that_account_only(clock, planner, other_planner):
    client = APIClient()
    codes = [login(client, "planner", "wrong").status_code for _ in range(10)]
    assert codes == [401] * 10
    refused = login(client, "planner", "wrong")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "this account" in refused.json()["detail"]
    # Locked means untried: the right password gets no further until the window ends.
    assert login(client, "PLANNER", "pw-planner-1").status_code == 429
    assert login(client, "other", "pw-other-1").status_code == 200
    clock.advance(30)
    assert login(client, "planner", "pw-planner-1").status_code == 200


def test_an_address_out_of_failures_refuses_only_accounts_new_to_it(
    clock, settings, planner, other_planner
):
    settings.LOGIN_ADDRESS_LIMIT = "3/min"
    client = APIClient()
    assert login(client, "planner", "pw-planner-1").status_code == 200
    assert [login(client, name, "wrong").status_code for name in ("a", "b", "c")] == [401] * 3
    refused = login(client, "other", "pw-other-1")
    assert refused.status_code == 429
    assert "this address" in refused.json()["detail"]
    assert login(client, "planner", "pw-planner-1").status_code == 200
    elsewhere = login(client, "other", "pw-other-1", REMOTE_ADDR="10.0.0.2")
    assert elsewhere.status_code == 200


@pytest.mark.parametrize(
    ("proxies", "codes"),
    [(0, [401, 401, 429]), (1, [401, 401, 401])],
    ids=["a forged X-Forwarded-For picks no address", "behind a proxy it names the client"],
)
def test_the_client_address_is_read_as_num_proxies_says(clock, settings, proxies, codes):
    settings.LOGIN_ADDRESS_LIMIT = "2/min"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    client = APIClient()
    sent = [
        login(client, f"user{n}", "wrong", HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").status_code
        for n in range(3)
    ]
    assert sent == codes


# --- the API rate limit -------------------------------------------------------------------------


def test_every_api_answer_carries_the_rate_headers(clock, api, planner):
    answers = {
        "list": api.get("/api/v1/workorders"),
        "unknown id": api.get("/api/v1/workorders/00000000-0000-0000-0000-000000000000"),
        "bad body": api.put(
            "/api/v1/projects/00000000-0000-0000-0000-000000000001", {"name": 5}, format="json"
        ),
        "unknown path": api.get("/api/v1/nothing-here"),
        "bad token": APIClient(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/workorders"),
        "no token": APIClient().get("/api/v1/workorders"),
        "login": login(APIClient(), "planner", "wrong"),
        "schema": APIClient().get("/api/schema/"),
    }
    for name, response in answers.items():
        assert all(header in response for header in RATE_HEADERS), (name, response.status_code)
        assert response["X-RateLimit-Limit"] == "6000", name
        assert response["X-RateLimit-Reset"] == str(START + 60), name
    remaining = [int(answers[n]["X-RateLimit-Remaining"]) for n in ("list", "unknown id")]
    assert remaining == [5999, 5998]


def test_over_the_limit_is_429_with_retry_after_and_other_tokens_go_on(
    clock, settings, api, other_api, planner
):
    settings.API_RATE_LIMIT = "3/min"
    codes = [api.get("/api/v1/workorders").status_code for _ in range(3)]
    assert codes == [200] * 3
    refused = api.get("/api/v1/workorders")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert refused["X-RateLimit-Remaining"] == "0"
    assert refused["X-RateLimit-Reset"] == str(START + 60)
    assert "detail" in refused.json()
    assert other_api.get("/api/v1/workorders").status_code == 200
    second = APIClient(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(user=planner)[0]}")
    assert second.get("/api/v1/workorders").status_code == 200
    clock.advance(30)
    assert api.get("/api/v1/workorders").status_code == 200


def test_the_life_cycle_family_answers_429_in_its_envelope(clock, settings, planner, company):
    settings.API_RATE_LIMIT = "1/min"
    job = make_job(status_code="ToBePlanned", by=planner, client=company)
    raw, _ = issue_api_token(user=planner)
    body = {"token": raw, "job_identifier": {"number": job.number}}
    client = APIClient()
    url = "/api/v1/jobs/all_scopes/start_progress"
    assert client.post(url, body, format="json").status_code == 200
    refused = client.post(url, body, format="json")
    assert refused.status_code == 429
    assert refused.json()["status"]["code"] == "THROTTLED"
    assert refused.json()["data"] is None
    assert refused["Retry-After"] == "30"


def test_counts_are_shared_through_the_database_cache(clock, settings, api):
    database_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}
    # One override for both: the `settings` fixture's own would restore, after the test, the
    # settings as they were inside this block (the database cache leaking into later tests).
    caches = {"default": {**database_cache, "LOCATION": "test_cache"}}
    with override_settings(CACHES=caches, API_RATE_LIMIT="2/min"):
        call_command("createcachetable", verbosity=0)
        codes = [api.get("/api/v1/job-statuses").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_a_cache_out_of_reach_limits_nothing(clock, settings, api, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit.cache, "incr", unreachable)
    settings.API_RATE_LIMIT = "1/min"
    answers = [api.get("/api/v1/job-statuses") for _ in range(3)]
    assert [a.status_code for a in answers] == [200] * 3
    assert "X-RateLimit-Limit" not in answers[0]


def test_a_mistyped_rate_is_reported_by_check(settings):
    settings.API_RATE_LIMIT = "lots"
    errors = ratelimit.check_rates()
    assert [e.id for e in errors] == ["jobsite.E001"]
    assert "API_RATE_LIMIT" in errors[0].msg


def test_migrate_makes_the_cache_table(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "CACHE_URL")}
    env.update({"DEBUG": "true", "DATABASE_URL": f"sqlite:///{database}"})
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert "jobsite_cache" in tables


def test_with_the_database_cache_a_hit_is_one_statement_and_ended_windows_go(clock, db):
    database_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}
    with override_settings(CACHES={"default": {**database_cache, "LOCATION": "test_cache"}}):
        assert ratelimit.hit("api", "erp", "3/min").used == 1
        with CaptureQueriesContext(connection) as queries:
            second = ratelimit.hit("api", "erp", "3/min")
        assert second.used == 2 and second.remaining == 1
        # Inside the test's transaction the count also takes a savepoint; alone, one statement.
        counted = [q for q in queries if "SAVEPOINT" not in q["sql"].upper()]
        assert len(counted) == 1, counted
        assert ratelimit.peek("api", "erp", "3/min").used == 2
        clock.advance(61)
        assert ratelimit.hit("api", "erp", "3/min").used == 1  # a new window
        assert RateCount.objects.count() == 1  # the ended one went


def _upserts(queries):
    return [q for q in queries if q["sql"].startswith(f"INSERT INTO {ratelimit.TABLE}")]


def test_a_process_sends_a_high_limits_hits_in_bunches(clock, db):
    database_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}
    with override_settings(CACHES={"default": {**database_cache, "LOCATION": "test_cache"}}):
        with CaptureQueriesContext(connection) as queries:
            windows = [ratelimit.hit("api", "erp", "100000/min") for _ in range(26)]
        # The first hit is sent (this process learns the shared count), the next 24 are kept,
        # the 26th sends the 25 kept.
        assert len(_upserts(queries)) == 2
        assert [w.used for w in windows] == list(range(1, 27))
        assert ratelimit.peek("api", "erp", "100000/min").used == 26
        # Another process's hits show at this one's next send.
        RateCount.objects.update(hits=1000)
        windows = [ratelimit.hit("api", "erp", "100000/min") for _ in range(25)]
        assert windows[-2].used == 26 + 24 and windows[-1].used == 1025


def test_near_the_limit_every_hit_is_sent(clock, db):
    database_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}
    with override_settings(CACHES={"default": {**database_cache, "LOCATION": "test_cache"}}):
        assert ratelimit.hit("api", "erp", "3000/min").used == 1
        RateCount.objects.update(hits=2990)  # other processes used most of the window
        with CaptureQueriesContext(connection) as queries:
            windows = [ratelimit.hit("api", "erp", "3000/min") for _ in range(12)]
        # Its own bunch of 3 sent, it learns of the others' hits; then, 6 or fewer from the
        # limit, it sends each hit, and the 3,001st is refused.
        assert [w.used for w in windows] == [2, 3, *range(2993, 3003)]
        assert len(_upserts(queries)) == 10
        assert [w.over for w in windows] == [False] * 10 + [True] * 2


def test_a_low_limit_is_counted_hit_by_hit(clock, db):
    database_cache = {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}
    with override_settings(CACHES={"default": {**database_cache, "LOCATION": "test_cache"}}):
        with CaptureQueriesContext(connection) as queries:
            for _ in range(5):
                ratelimit.hit("api", "erp", "1999/min")
        assert len(_upserts(queries)) == 5
