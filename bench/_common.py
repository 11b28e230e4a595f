"""What the benches that serve the app with gunicorn on PostgreSQL share: their own database filled
with demo data, the server started and stopped, a planner's token and work order bodies, and
percentiles."""

import contextlib
import http.client
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def bench_env(database: str) -> dict:
    """The environment of the bench's server and commands: production-like settings (DEBUG off,
    a secret key, bench/api_settings.py) on the bench's own PostgreSQL database."""
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://root@127.0.0.1:5432/{database}",
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "PYTHONPATH": str(ROOT),
    }


def prepare_database(*, database: str, size: int) -> dict:
    """Create and migrate `database`, fill it to `size` work orders (the first time), set Django
    up in this process on it and return the environment for the server."""
    env = bench_env(database)
    os.environ.update(env)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    _create_database(database)
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    import django

    django.setup()
    _fill(size, env, database)
    return env


def _create_database(name: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://root@127.0.0.1:5432/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _fill(size: int, env: dict, database: str) -> None:
    from workorders.models import WorkOrder

    have = WorkOrder.objects.count()
    if have < size:
        print(f"loading {size - have} work orders (once) ...", flush=True)
        subprocess.run(
            [
                PYTHON,
                "manage.py",
                "load_demo_data",
                "--work-orders",
                str(size - have),
                "--projects",
                str(max(200, size // 50)),
                "--companies",
                str(max(50, size // 500)),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "root", "-d", database, "-qc", "VACUUM ANALYZE"],
        check=True,
    )


@contextlib.contextmanager
def gunicorn(*, port: int, workers: int, env: dict, worker_process: bool = False):
    """gunicorn serving jobsite.wsgi on 127.0.0.1:port (sync workers), and with worker_process a
    `db_worker` beside it, as in production; both stopped on the way out."""
    processes = [
        subprocess.Popen(
            [
                str(Path(PYTHON).with_name("gunicorn")),
                "jobsite.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
    ]
    if worker_process:
        processes.append(
            subprocess.Popen(
                [PYTHON, "manage.py", "db_worker", "--interval", "0.5", "-v0"], cwd=ROOT, env=env
            )
        )
    try:
        wait_for(port)
        yield processes[0]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)


def wait_for(port: int, path: str = "/api/schema/") -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def planner_token(username: str = "planner") -> tuple[str, object]:
    """A fresh API token of the demo planner (BE01), and the user."""
    from jobsite.models import User
    from jobsite.services import issue_api_token

    planner = User.objects.get(username=username)
    raw, _ = issue_api_token(user=planner)
    return raw, planner


def work_order_bodies(*, user, count: int, **filters) -> list[dict]:
    """`count` random work orders the user sees, in the seed-004 shape (the API's output is a
    valid input: system fields are ignored); mobile installations left out."""
    from workorders import seed004_rows, selectors

    ids = list(
        selectors.visible_work_orders(user=user)
        .filter(project__is_mobile_installation=False, **filters)
        .order_by("?")
        .values_list("pk", flat=True)[:count]
    )
    return seed004_rows.work_order_rows(ids=ids)


def percentile(ordered: list[float], q: float) -> float:
    """The q-th percentile (0..100) of already sorted samples, nearest rank."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))]
