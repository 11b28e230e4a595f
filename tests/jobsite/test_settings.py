"""Settings come from the environment; production refuses the development key and passes
`check --deploy`."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_python(code, **env):
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT")
    }
    full_env.update({"DJANGO_SETTINGS_MODULE": "jobsite.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=full_env, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python("import django; django.setup()", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_has_a_default_key():
    result = run_python(
        "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)",
        DEBUG="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


def test_database_url_and_hosts_come_from_the_environment(tmp_path):
    db = tmp_path / "x.sqlite3"
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['NAME'], d['OPTIONS']['transaction_mode'], "
        "s.ALLOWED_HOSTS)"
    )
    result = run_python(
        code, DEBUG="true", DATABASE_URL=f"sqlite:///{db}", ALLOWED_HOSTS="a.example,b.example"
    )
    assert result.returncode == 0, result.stderr
    assert str(db) in result.stdout
    assert "IMMEDIATE" in result.stdout
    assert "['a.example', 'b.example']" in result.stdout


def test_check_deploy_is_clean_in_production(tmp_path):
    env = {
        "DEBUG": "false",
        "SECRET_KEY": "k" + "9Xq#2m!Lp0zR7vT&wY4s" * 3,
        "ALLOWED_HOSTS": "jobsite.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
    }
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "SECRET_KEY", "SECURE_SSL_REDIRECT")
    }
    full_env.update({"DJANGO_SETTINGS_MODULE": "jobsite.settings", **env})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_sends_security_headers(tmp_path):
    code = (
        "import django; django.setup(); from django.test import Client; "
        "r = Client().get('/api/schema/', secure=True, HTTP_HOST='jobsite.example'); "
        "print(r.status_code); "
        "[print(h, '=', r.headers.get(h)) for h in ('Strict-Transport-Security', "
        "'X-Content-Type-Options', 'Referrer-Policy', 'X-Frame-Options', 'X-Tx-ID')]; "
        "r = Client().get('/api/schema/', HTTP_HOST='jobsite.example'); "
        "print('plain http', r.status_code, r.headers.get('Location'))"
    )
    result = run_python(
        code,
        DEBUG="false",
        SECRET_KEY="k" + "9Xq#2m!Lp0zR7vT&wY4s" * 3,
        ALLOWED_HOSTS="jobsite.example",
        DATABASE_URL=f"sqlite:///{tmp_path / 'headers.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "max-age=31536000; includeSubDomains; preload" in out
    assert "X-Content-Type-Options = nosniff" in out
    assert "Referrer-Policy = same-origin" in out
    assert "X-Frame-Options = DENY" in out
    assert "plain http 301 https://jobsite.example/api/schema/" in out


def test_postgresql_connections_come_from_a_bounded_pool():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "d = s.DATABASES['default']; print(d['OPTIONS'].get('pool'), d['CONN_MAX_AGE'])"
    )
    url = "postgres://root@127.0.0.1:5432/jobsite"
    default = run_python(code, DEBUG="true", DATABASE_URL=url)
    assert default.returncode == 0, default.stderr
    assert (
        default.stdout.strip()
        == "{'min_size': 1, 'max_size': 10, 'timeout': 10.0, 'reconnect_timeout': 10} 0"
    )
    sized = run_python(
        code, DEBUG="true", DATABASE_URL=url, DB_POOL_MIN="2", DB_POOL_MAX="4", DB_POOL_TIMEOUT="3"
    )
    assert (
        sized.stdout.strip()
        == "{'min_size': 2, 'max_size': 4, 'timeout': 3.0, 'reconnect_timeout': 10} 0"
    )
    # Behind an external pooler: no pool, persistent connections as before.
    off = run_python(code, DEBUG="true", DATABASE_URL=url, DB_POOL_MAX="0")
    assert off.stdout.strip() == "None 60"
    wrong = run_python(code, DEBUG="true", DATABASE_URL=url, DB_POOL_MIN="5", DB_POOL_MAX="4")
    assert wrong.returncode != 0
    assert "DB_POOL_MIN must be 0 to DB_POOL_MAX" in wrong.stderr
