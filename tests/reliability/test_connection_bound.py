"""A burst of concurrent requests against the served app on PostgreSQL: its processes hold no
more database connections than their pools allow, and every request is answered.

Each set-up is served as the README documents it, every process naming itself to PostgreSQL
(PGAPPNAME), while a sampler reads pg_stat_activity for the test database:

- `make run`: runserver (a thread per request) + `db_worker` + `requeue_stale_jobs --every`,
  bound DB_POOL_MAX + 1 + 1;
- production: gunicorn --workers 2 + `db_worker`, bound 2 × DB_POOL_MAX + 1.

Before the pool, runserver held a persistent connection per request thread: as many as requests
came in at once. Bigger bursts: BURST_REQUESTS=3000 BURST_CLIENTS=100 .venv/bin/python -m
pytest -q -s tests/reliability/test_connection_bound.py (with DATABASE_URL)."""

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from jobsite.services import issue_api_token
from tests.apijobs.test_worker import database_url

from .tcp_proxy import _free_port

ROOT = Path(__file__).resolve().parents[2]
REQUESTS = int(os.environ.get("BURST_REQUESTS", "300"))
CLIENTS = int(os.environ.get("BURST_CLIENTS", "50"))
POOL_MAX = 4  # per web process: well under the clients, so requests queue for connections
APP = "jobsite-burst"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.worker,
    # Naming every app keeps the flush after this test from re-creating content types behind
    # the back of a later test that restores a serialized database (serialized_rollback).
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]

MANAGE = [sys.executable, "manage.py"]
RUNSERVER = [*MANAGE, "runserver", "--noreload", "127.0.0.1:{port}"]
GUNICORN = [sys.executable, "-m", "gunicorn", "jobsite.wsgi", "--bind", "127.0.0.1:{port}"]
WORKER = [*MANAGE, "db_worker", "--no-reload", "--interval", "0.1"]
REQUEUE = [*MANAGE, "requeue_stale_jobs", "--every", "1", "-v0"]
# Per set-up: (kind, processes of that kind, their pool's max_size, command).
SETUPS = {
    "make-run": [
        ("web", 1, POOL_MAX, RUNSERVER),
        ("worker", 1, 1, WORKER),
        ("requeue", 1, 1, REQUEUE),
    ],
    "gunicorn": [("web", 2, POOL_MAX, [*GUNICORN, "--workers", "2"]), ("worker", 1, 1, WORKER)],
}


class _Sampler(threading.Thread):
    """Counts the set-up's connections to the test database, per process kind, until stopped;
    from the maintenance database, so it holds no session on the test database itself."""

    def __init__(self, database: str):
        super().__init__(daemon=True)
        self.database, self.stop, self.peak, self.peak_by_kind = database, False, 0, {}
        db = connection.settings_dict
        self.conninfo = {
            "host": db["HOST"] or "127.0.0.1",
            "port": db["PORT"] or 5432,
            "user": db["USER"],
            "password": db["PASSWORD"] or None,
            "dbname": "postgres",
            "autocommit": True,
        }

    def run(self):
        with psycopg.connect(**self.conninfo) as conn:
            while not self.stop:
                rows = conn.execute(
                    "SELECT application_name, count(*) FROM pg_stat_activity "
                    "WHERE datname = %s AND application_name LIKE %s GROUP BY 1",
                    [self.database, f"{APP}-%"],
                ).fetchall()
                counts = {name.removeprefix(f"{APP}-"): n for name, n in rows}
                self.peak = max(self.peak, sum(counts.values()))
                for kind, n in counts.items():
                    self.peak_by_kind[kind] = max(self.peak_by_kind.get(kind, 0), n)
                time.sleep(0.01)


def _get(port: int, token: str) -> int | str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/workorders?page_size=5",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            json.loads(response.read())
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        return type(error).__name__


@pytest.mark.parametrize("setup", list(SETUPS))
def test_a_burst_stays_within_the_configured_connections(setup, planner):
    kinds = SETUPS[setup]
    bound = sum(count * pool_max for _, count, pool_max, _ in kinds)
    token, _ = issue_api_token(user=planner)
    port = _free_port()
    base_env = {**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true"}
    base_env.pop("DJANGO_SETTINGS_MODULE", None)  # the real settings: the database task backend
    processes = []
    sampler = _Sampler(connection.settings_dict["NAME"])
    try:
        for kind, _, pool_max, command in kinds:
            env = {
                **base_env,
                "DB_POOL_MIN": "1",
                "DB_POOL_MAX": str(pool_max),
                "PGAPPNAME": f"{APP}-{kind}",
            }
            processes.append(
                subprocess.Popen(
                    [part.format(port=port) for part in command],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 30
        while _get(port, token) != 200:
            assert time.monotonic() < deadline, "the server did not start"
            assert all(p.poll() is None for p in processes), "a process exited"
            time.sleep(0.2)
        sampler.start()
        began = time.monotonic()
        with ThreadPoolExecutor(CLIENTS) as clients:
            answers = list(clients.map(lambda _: _get(port, token), range(REQUESTS)))
        seconds = time.monotonic() - began
        time.sleep(0.1)
        assert all(p.poll() is None for p in processes), "a process exited"
    finally:
        sampler.stop = True
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        if sampler.is_alive():
            sampler.join(timeout=10)

    errors = [answer for answer in answers if answer != 200]
    print(
        f"\n{setup}: {REQUESTS} requests from {CLIENTS} clients in {seconds:.1f} s, "
        f"{len(errors)} errors; peak {sampler.peak} connections "
        f"({', '.join(f'{k} {n}' for k, n in sorted(sampler.peak_by_kind.items()))}), "
        f"bound {bound}"
    )
    assert errors == []
    assert 0 < sampler.peak <= bound
    for kind, count, pool_max, _ in kinds:
        assert sampler.peak_by_kind.get(kind, 0) <= count * pool_max, kind
