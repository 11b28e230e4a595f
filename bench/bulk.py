"""Bulk benchmark: the same flat records through the file import (the baseline) and through a
bulk job run by 1, then 2 real `db_worker` processes, in one run; with each worker's peak RSS
and, on PostgreSQL, the CPU seconds of the database backends serving the workers beside the
workers' own (on a 2-core machine their sum over the wall time is the ceiling).

    DATABASE_URL=postgres://root@127.0.0.1:5432/jobsite_bulk_bench .venv/bin/python bench/bulk.py
    DATABASE_URL=sqlite:////tmp/jobsite-bulk-bench.sqlite3 .venv/bin/python bench/bulk.py \\
        --records 20000 --workers 1

Goals: PostgreSQL, 100,000 records: 1 worker >= 0.8x the import's rows/s; 2 workers >= 1.4x 1
worker; peak RSS per worker < 500 MB. SQLite: 1 worker >= 0.8x its import. Use a database of
your own: the bench empties its work orders."""

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault(
    "DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/jobsite-bulk-bench.sqlite3"
)
# Sets up Django as the import bench does; its world, rows and helpers are this bench's too.
import_bench = importlib.import_module("bench.import")

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from apijobs.models import ApiJob  # noqa: E402
from workorders.bulk import accept_bulk_upsert  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def analyze() -> None:
    """Fresh statistics, and the emptied rows' space reclaimed, as autovacuum keeps them on a
    live database (the world was just made and the work orders emptied): the same start for
    the import and each bulk run — autovacuum cleaning 100,000 deleted work orders in the middle
    of one run (and not of another) made their times differ by a third."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def own_backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def backend_pids(worker_pids: set[int]) -> set[int]:
    """PostgreSQL backends serving the workers (their client is a worker's connection)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, client_port FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        rows = cursor.fetchall()
    ours = set()
    for pid, port in rows:
        if port is None:
            continue
        owner = _owner_of_port(port)
        if owner in worker_pids:
            ours.add(pid)
    return ours


def _owner_of_port(port: int) -> int | None:
    """The local process holding the TCP connection from `port` (via /proc/net/tcp inodes)."""
    hex_port = f"{port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[1].endswith(f":{hex_port}"):
            inode = parts[9]
            break
    if inode is None:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return int(proc.name)
        except OSError:
            continue
    return None


def records_of(rows: list[dict], omit_empty: bool) -> list[dict]:
    """The file's rows as JSON records: an empty cell is null (or, `omit_empty`, left out)."""
    if omit_empty:
        return [{k: v for k, v in r.items() if v not in ("", None)} for r in rows]
    return [{k: (None if v == "" else v) for k, v in r.items()} for r in rows]


def run_bulk(records: list[dict], planner, workers: int, set_based: bool = True) -> dict:
    """Start the workers and let them boot (they run before requests come), then accept the
    job and time it from the acceptance to its end; CPU counted from then on."""
    env = {**os.environ, "DB_POOL_MIN": "1", "DB_POOL_MAX": "1"}
    env["BULK_SET_BASED"] = "true" if set_based else "false"
    command = [
        sys.executable,
        "manage.py",
        "db_worker",
        "--no-reload",
        "--no-startup-delay",
        "--interval",
        "0.1",
    ]
    processes = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for _ in range(workers)
    ]
    pids = {p.pid for p in processes}
    backends: dict[int, float] = {}
    rss: dict[int, float] = {}
    states: dict[str, int] = {}
    try:
        _wait_until_idle(pids)
        if connection.vendor == "postgresql":
            backends = {pid: cpu_seconds(pid) for pid in backend_pids(pids)}
        worker_before = {pid: cpu_seconds(pid) for pid in pids}
        started = time.perf_counter()
        job = accept_bulk_upsert(records=records, by=planner)
        accepted = time.perf_counter() - started
        while True:
            status = ApiJob.objects.filter(pk=job.pk).values_list("status", flat=True).get()
            if connection.vendor == "postgresql":
                for pid in backend_pids(pids) - backends.keys():
                    backends[pid] = cpu_seconds(pid)  # a connection opened meanwhile
                for state in backend_states(list(backends)):
                    states[state] = states.get(state, 0) + 1
            for p in processes:
                rss[p.pid] = peak_rss_mb(p.pid)
            if status in ("completed", "failed"):
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started - accepted
        worker_cpu = sum(cpu_seconds(pid) - before for pid, before in worker_before.items())
        db_cpu = sum(cpu_seconds(pid) - before for pid, before in backends.items())
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
    job.refresh_from_db()
    return {
        "job": job,
        "accepted": accepted,
        "elapsed": elapsed,
        "rate": len(records) / elapsed,
        "worker_cpu": worker_cpu,
        "db_cpu": db_cpu,
        "rss": max(rss.values()),
        "states": states,
    }


def backend_states(pids: list[int]) -> list[str]:
    """What each backend serving a worker does now: running, waiting for a lock, idle…"""
    if not pids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT CASE WHEN a.wait_event_type = 'Lock' THEN 'waiting for a lock on ' || "
            "coalesce((SELECT coalesce(l.relation::regclass::text, l.locktype) FROM pg_locks l "
            "WHERE l.pid = a.pid AND NOT l.granted LIMIT 1), '?') "
            "WHEN a.state = 'active' THEN 'running' ELSE coalesce(a.state, '?') END "
            "FROM pg_stat_activity a WHERE a.pid = ANY(%s)",
            [pids],
        )
        return [state for (state,) in cursor.fetchall()]


def _wait_until_idle(pids: set[int]) -> None:
    """Until the workers have booted: their CPU time stops growing (polling costs little)."""
    last = -1.0
    for _ in range(300):
        time.sleep(1)
        now = sum(cpu_seconds(pid) for pid in pids)
        if now - last < 0.05:
            return
        last = now


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--chunk-size", type=int, default=None, help="BULK_CHUNK_SIZE")
    parser.add_argument(
        "--record-path",
        action="store_true",
        help="also run 1 worker with BULK_SET_BASED=false (every record through the upsert, "
        "as before the set-based path)",
    )
    parser.add_argument(
        "--omit-empty", action="store_true", help="leave empty fields out instead of null"
    )
    args = parser.parse_args()
    if args.chunk_size:
        settings.BULK_CHUNK_SIZE = args.chunk_size
        os.environ["BULK_CHUNK_SIZE"] = str(args.chunk_size)
    settings.BULK_MAX_RECORDS = max(settings.BULK_MAX_RECORDS, args.records)

    call_command("migrate", verbosity=0)
    org, planner = import_bench.setup_world()
    analyze()
    vendor = connection.vendor
    print(
        f"database: {vendor} ({connection.settings_dict['NAME']}), {args.records:,} records, "
        f"chunks of {settings.BULK_CHUNK_SIZE}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} (shared machine)"
    )
    rows = import_bench.make_rows(args.records, "K", seed=7)
    workdir = Path(tempfile.mkdtemp(prefix="jobsite-bulk-bench-"))
    path = workdir / "workorders.csv"
    import_bench.write_csv(path, rows)

    import_bench.empty_work_orders(org)
    analyze()
    backend = own_backend_pid()
    db_before = cpu_seconds(backend) if backend else 0.0
    elapsed, summary, cpu = import_bench.run_import(path, "--sales-organization", "BENCH")
    db_cpu = cpu_seconds(backend) - db_before if backend else 0.0
    imported = args.records / elapsed
    imported_per_cpu = args.records / (cpu + db_cpu)
    print(f"import_workorders (baseline): {imported:8,.0f} rows/s ({elapsed:.1f} s) {summary}")
    print(
        f"    CPU: {cpu:.1f} s in the process, {db_cpu:.1f} s in its database backend: "
        f"{imported_per_cpu:,.0f} rows per CPU second"
    )

    records = records_of(rows, args.omit_empty)
    results = {}
    runs = [(workers, True) for workers in args.workers]
    if args.record_path:
        runs.append((1, False))
    for workers, set_based in runs:
        import_bench.empty_work_orders(org)
        DBTaskResult.objects.all().delete()
        analyze()
        r = run_bulk(records, planner, workers, set_based)
        if set_based:
            results[workers] = r
        job = r["job"]
        path = "" if set_based else " record by record (BULK_SET_BASED=false)"
        line = (
            f"bulk{path}, {workers} worker(s): {r['rate']:8,.0f} records/s ({r['elapsed']:.1f} s "
            f"after the request was accepted in {r['accepted']:.1f} s) {job.status}, "
            f"total {job.total_records:,}, "
            f"effected {job.effected_records:,}, errors {job.error_records:,}; "
            f"peak RSS per worker {r['rss']:,.0f} MB"
        )
        print(line)
        if vendor == "postgresql":
            busy = r["worker_cpu"] + r["db_cpu"]
            print(
                f"    CPU: workers {r['worker_cpu']:.1f} s, their database backends "
                f"{r['db_cpu']:.1f} s (database share {r['db_cpu'] / max(busy, 1e-9):.0%}); "
                f"{busy / r['elapsed']:.2f} of {os.cpu_count()} cores busy with the job"
            )
            seen = sum(r["states"].values()) or 1
            print(
                "    backends sampled: "
                + ", ".join(f"{k} {v / seen:.0%}" for k, v in sorted(r["states"].items()))
            )
        else:
            print(f"    CPU: worker {r['worker_cpu']:.1f} s (SQLite runs inside it)")
        per_cpu = len(records) / (r["worker_cpu"] + r["db_cpu"])
        print(
            f"    ratio to the import: {r['rate'] / imported:.2f} (goal >= 0.8 for 1 worker); "
            f"per CPU second: {per_cpu:,.0f} records, {per_cpu / imported_per_cpu:.2f} of the "
            "import's"
        )
    if 1 in results and 2 in results:
        print(f"2 workers / 1 worker: {results[2]['rate'] / results[1]['rate']:.2f} (goal >= 1.4)")


if __name__ == "__main__":
    main()
