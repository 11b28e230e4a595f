"""PostgreSQL going away under a running server: 503 with a JSON body (never a 500), and
recovery when it returns. The outage is a cut TCP proxy, so the real server keeps running."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from .tcp_proxy import CuttableProxy, _free_port

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.postgres,
    # Naming every app keeps the flush after this test from re-creating content types behind
    # the back of a later test that restores a serialized database (serialized_rollback).
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


def _post_login(port):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/login",
        data=json.dumps({"username": "planner", "password": "pw-planner-1"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_outage_is_503_json_then_recovers(planner):
    params = connection.settings_dict
    proxy = CuttableProxy(params["HOST"] or "127.0.0.1", int(params["PORT"] or 5432))
    proxy.start()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "jobsite.test_settings",
        "DATABASE_URL": f"postgres://{params['USER']}@127.0.0.1:{proxy.port}/{params['NAME']}",
        "DB_POOL_TIMEOUT": "3",  # a request waits this long for the database, then 503
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "jobsite.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, body = _post_login(port)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert status == 200, body
        proxy.cut()
        status, body = _post_login(port)
        assert status == 503
        assert body["code"] == "unavailable"
        proxy.start()
        deadline = time.monotonic() + 20
        while (status := _post_login(port)[0]) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert status == 200, "the server recovers when the database returns"
    finally:
        server.terminate()
        server.wait(timeout=10)
        proxy.cut()
