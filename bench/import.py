"""Import and bulk benchmark: rows/s of `import_workorders` against a raw COPY (the floor) and a
per-row ORM save (the naive baseline), measured in one run; then 100,000 records posted to the
bulk endpoint, with the worker's peak memory.

    DATABASE_URL=postgres://root@127.0.0.1:5432/jobsite_h6_bench .venv/bin/python bench/import.py
    .venv/bin/python bench/import.py --rows 20000 --bulk-records 10000     # quick, SQLite file

Goals: PostgreSQL import >= 0.7x the raw COPY and >= 10x the per-row save; SQLite >= 20,000
rows/s; bulk worker peak RSS < 500 MB. Use a database of your own: the bench empties its work
orders."""

import argparse
import csv
import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_DB = f"sqlite:///{tempfile.gettempdir()}/jobsite-bench-import.sqlite3"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-" + "k" * 50)
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from jobs.models import JobStatus, JobType  # noqa: E402
from jobsite.models import Company, SalesOrganization, Skill, User  # noqa: E402
from jobsite.services import issue_api_token  # noqa: E402
from workorders.models import JobPlanning, Project, WorkOrder  # noqa: E402

INTERVAL = ["--interval", "0.2"]
COLUMNS = [
    "reference_back_office",
    "name",
    "description",
    "project_reference_back_office",
    "job_type_code",
    "job_status_code",
    "suggested_user_code",
    "suggested_date_start",
    "estimated_time",
    "due_date",
    "skill_code",
    "customer_reference",
]


def setup_world(projects: int = 2000, technicians: int = 50):
    org, _ = SalesOrganization.objects.get_or_create(code="BENCH", defaults={"name": "Bench"})
    if Project.objects.filter(sales_organization=org).count() < projects:
        companies = [
            Company.objects.get_or_create(
                code=f"BC{i:03}", sales_organization=org, defaults={"name": f"Bench {i}"}
            )[0]
            for i in range(20)
        ]
        for i in range(projects):
            Project.objects.get_or_create(
                reference_back_office=f"BP-{i:05}",
                defaults={
                    "name": f"Installation {i}",
                    "company": companies[i % 20],
                    "sales_organization": org,
                },
            )
        for i in range(technicians):
            User.objects.get_or_create(
                username=f"bench-tech-{i}",
                defaults={"code": f"BT{i:03}", "sales_organization": org, "is_technician": True},
            )
        for code in ("ELEC", "GAS", "HVAC"):
            Skill.objects.get_or_create(code=code, sales_organization=org, defaults={"name": code})
    planner, _ = User.objects.get_or_create(
        username="bench-planner", defaults={"sales_organization": org, "is_staff": True}
    )
    return org, planner


def make_rows(n: int, prefix: str, seed: int = 6) -> list[dict]:
    rng = random.Random(seed)
    base = datetime(2031, 1, 1, 8, 0, tzinfo=UTC)
    rows = []
    for i in range(n):
        status = rng.choices(["ToBePlanned", "Suggested", "Activated"], [6, 2, 2])[0]
        start = base + timedelta(days=rng.randrange(300), hours=rng.randrange(8))
        suggested = status == "Suggested"
        rows.append(
            {
                "reference_back_office": f"{prefix}-{i:07}",
                "name": f"Maintenance visit {i}",
                "description": "Yearly check of the installation, replace filters.",
                "project_reference_back_office": f"BP-{rng.randrange(2000):05}",
                "job_type_code": "Unknown",
                "job_status_code": status,
                "suggested_user_code": f"BT{rng.randrange(50):03}" if suggested else "",
                "suggested_date_start": start.isoformat() if suggested else "",
                "estimated_time": str(rng.choice([30, 60, 90, 120])),
                "due_date": (start + timedelta(days=30)).isoformat(),
                "skill_code": rng.choice(["ELEC", "GAS", "HVAC", ""]),
                "customer_reference": f"PO-{rng.randrange(10**6):06}",
            }
        )
    return rows


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def empty_work_orders(org) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE workorders_jobplanning, workorders_workorder")
        else:
            JobPlanning.objects.all().delete()
            WorkOrder.objects.all().delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE workorders_workorder")


def table_rows(rows: list[dict]) -> list[list]:
    """The rows as the work order table stores them (references resolved up front)."""
    projects = dict(Project.objects.values_list("reference_back_office", "id"))
    companies = dict(Project.objects.values_list("id", "company_id"))
    orgs = dict(Project.objects.values_list("id", "sales_organization_id"))
    job_type = JobType.objects.get(code="Unknown").pk
    statuses = {s.code: s.pk for s in JobStatus.objects.all()}
    users = dict(User.objects.exclude(code="").values_list("code", "id"))
    skills = dict(Skill.objects.filter(sales_organization__code="BENCH").values_list("code", "id"))
    now = datetime.now(UTC)
    fields = [f for f in WorkOrder._meta.concrete_fields]
    out = []
    import uuid

    for i, r in enumerate(rows):
        project = projects[r["project_reference_back_office"]]
        values = {
            "id": uuid.uuid4(),
            "id2": 10**9 + i,
            "project_id": project,
            "company_id": companies[project],
            "sales_organization_id": orgs[project],
            "job_type_id": job_type,
            "job_status_id": statuses[r["job_status_code"]],
            "reference_back_office": r["reference_back_office"],
            "name": r["name"],
            "description": r["description"],
            "estimated_time": int(r["estimated_time"]),
            "due_date": r["due_date"],
            "suggested_user_id": users.get(r["suggested_user_code"]),
            "suggested_date_start": r["suggested_date_start"] or None,
            "skill_id": skills.get(r["skill_code"]),
            "customer_reference": r["customer_reference"],
            "date_create": now,
            "date_update": now,
            "modified_dateutc": now,
        }
        out.append(
            [values.get(f.attname, None if f.null else (f.get_default() or "")) for f in fields]
        )
    return out


def floor_copy(rows: list[dict], *, foreign_keys: bool) -> float:
    """(b) The same rows written raw into a copy of the table (its columns, constraints and
    indexes; with `foreign_keys`, also its foreign keys, deferred as Django makes them, so the
    copy costs what the table costs): COPY on PostgreSQL, one executemany INSERT on SQLite
    (without `foreign_keys` only the unique indexes; with it, every index of the table)."""
    data = table_rows(rows)
    columns = [f.column for f in WorkOrder._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        if connection.vendor == "postgresql":
            cursor.execute("CREATE TABLE bench_copy (LIKE workorders_workorder INCLUDING ALL)")
            if foreign_keys:
                cursor.execute(
                    "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'workorders_workorder'::regclass AND contype = 'f'"
                )
                for (definition,) in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE bench_copy ADD {definition}")
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for row in data:
                writer.writerow(["\\N" if v is None else v for v in row])
            payload = buffer.getvalue().encode()
            del buffer
            sql = f"COPY bench_copy ({', '.join(columns)}) FROM STDIN (FORMAT csv, NULL '\\N')"
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as c, c.cursor.copy(sql) as copy:
                for begin in range(0, len(payload), 1 << 20):
                    copy.write(payload[begin : begin + (1 << 20)])
            elapsed = time.perf_counter() - started
        else:
            if foreign_keys:  # the table's own DDL: every index, deferred foreign keys
                cursor.execute(
                    "SELECT type, sql FROM sqlite_master "
                    "WHERE tbl_name = 'workorders_workorder' AND sql IS NOT NULL ORDER BY type DESC"
                )
                for kind, ddl in cursor.fetchall():
                    if kind == "table":
                        ddl = ddl.replace('"workorders_workorder"', "bench_copy", 1)
                        ddl = ddl.replace("IF NOT EXISTS ", "")
                    else:
                        ddl = re.sub(
                            r'INDEX "(\w+)" ON "workorders_workorder"',
                            r'INDEX "bench_\1" ON bench_copy',
                            ddl,
                        )
                    cursor.execute(ddl)
            else:
                cursor.execute(
                    "CREATE TABLE bench_copy AS SELECT * FROM workorders_workorder WHERE 0"
                )
                for name, indexed in (
                    ("id", "id"),
                    ("id2", "id2"),
                    ("reference", "reference_back_office, sales_organization_id"),
                ):
                    cursor.execute(
                        f"CREATE UNIQUE INDEX bench_copy_{name} ON bench_copy ({indexed})"
                    )
            # uuids as Django stores them on SQLite (32 hex digits)
            data = [[v.hex if hasattr(v, "hex") else v for v in row] for row in data]
            started = time.perf_counter()
            with transaction.atomic(), connection.cursor() as c:
                c.executemany(
                    f"INSERT INTO bench_copy ({', '.join(columns)}) "
                    f"VALUES ({', '.join(['%s'] * len(columns))})",
                    data,
                )
            elapsed = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return len(rows) / elapsed


def naive_per_row(rows: list[dict]) -> float:
    """(c) What a hand-written importer does: look each reference up, then save() each row."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    for r in rows:
        project = Project.objects.get(reference_back_office=r["project_reference_back_office"])
        wo = WorkOrder(
            reference_back_office=r["reference_back_office"],
            name=r["name"],
            description=r["description"],
            project=project,
            company_id=project.company_id,
            sales_organization_id=project.sales_organization_id,
            job_type=JobType.objects.get(code__iexact=r["job_type_code"]),
            job_status=JobStatus.objects.get(code__iexact=r["job_status_code"]),
            suggested_user=User.objects.filter(code__iexact=r["suggested_user_code"]).first()
            if r["suggested_user_code"]
            else None,
            suggested_date_start=r["suggested_date_start"] or None,
            estimated_time=int(r["estimated_time"]),
            due_date=r["due_date"],
            skill=Skill.objects.filter(code__iexact=r["skill_code"]).first()
            if r["skill_code"]
            else None,
            customer_reference=r["customer_reference"],
            date_create=now,
            date_update=now,
            modified_dateutc=now,
        )
        wo.save()
    return len(rows) / (time.perf_counter() - started)


def run_import(path: Path, *extra) -> tuple[float, str, float]:
    """Wall seconds, the command's summary, and this process's CPU seconds (on SQLite all the
    work is in this process: a figure the other jobs on a shared machine disturb less)."""
    out = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    call_command("import_workorders", str(path), "--no-progress", *extra, stdout=out)
    return time.perf_counter() - started, out.getvalue().strip(), time.process_time() - cpu


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_bulk(records: int, port: int, planner) -> None:
    """100,000 records posted to the bulk endpoint of a real server, run by a real worker."""
    rows = make_rows(records, "K", seed=7)
    body = json.dumps(
        [{k: v for k, v in r.items() if v not in ("", None)} for r in rows],
        separators=(",", ":"),
    ).encode()
    raw, _ = issue_api_token(user=planner)
    env = {**os.environ, "DEBUG": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    python = sys.executable
    server = subprocess.Popen(
        [
            str(Path(python).with_name("gunicorn")),
            "jobsite.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    worker = subprocess.Popen(
        [python, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", *INTERVAL],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/api-jobs", timeout=2)
            except urllib.error.HTTPError:
                break  # 401: it is up
            except OSError:
                time.sleep(0.2)
        headers = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json"}
        started = time.perf_counter()
        request = urllib.request.Request(f"{base}/workorders/bulk", body, headers, method="POST")
        with urllib.request.urlopen(request, timeout=600) as response:
            accepted = time.perf_counter() - started
            job = json.loads(response.read())
            assert response.status == 202, response.status
        job_url = f"{base}/api-jobs/{job['id']}"
        while job["status"] in ("pending", "processing"):
            time.sleep(0.5)
            with urllib.request.urlopen(urllib.request.Request(job_url, headers=headers)) as r:
                job = json.loads(r.read())
        elapsed = time.perf_counter() - started
        rss = peak_rss_mb(worker.pid)
    finally:
        for process in (server, worker):
            process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    print(
        f"\nbulk: {records:,} records, {len(body) / 1e6:.1f} MB body, accepted in {accepted:.1f} s"
    )
    print(
        f"  job {job['status']}: total {job['total_records']:,}, "
        f"effected {job['effected_records']:,}, {elapsed:.1f} s end to end"
    )
    print(f"  {records / elapsed:,.0f} records/s; worker peak RSS {rss:,.0f} MB (goal < 500 MB)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=200_000, help="rows in the import file")
    parser.add_argument("--sample", type=int, default=2_000, help="rows for the per-row save")
    parser.add_argument("--bulk-records", type=int, default=100_000)
    parser.add_argument("--skip-bulk", action="store_true")
    parser.add_argument("--port", type=int, default=8161)
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    org, planner = setup_world()
    vendor = connection.vendor
    print(f"database: {vendor} ({connection.settings_dict['NAME']}), {args.rows:,} rows")
    rows = make_rows(args.rows, "B")
    workdir = Path(tempfile.mkdtemp(prefix="jobsite-bench-"))
    path = workdir / "workorders.csv"
    write_csv(path, rows)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB)")

    empty_work_orders(org)
    floors = {"no foreign keys": floor_copy(rows, foreign_keys=False)}
    if vendor == "postgresql":
        floors["with its foreign keys"] = floor_copy(rows, foreign_keys=True)
    else:
        floors["with all its indexes and foreign keys"] = floor_copy(rows, foreign_keys=True)
    empty_work_orders(org)
    naive = naive_per_row(make_rows(args.sample, "S", seed=8))
    empty_work_orders(org)
    elapsed, summary, cpu = run_import(path, "--sales-organization", "BENCH")
    imported = args.rows / elapsed
    again, summary_again, cpu_again = run_import(path, "--sales-organization", "BENCH")
    # What an office does every day: a small file (half changes, half new) into a large table.
    small = [dict(row, name=row["name"] + " (changed)") for row in rows[:500]]
    small += make_rows(500, "D", seed=9)
    small_path = workdir / "daily.csv"
    write_csv(small_path, small)
    daily, summary_daily, _ = run_import(small_path, "--sales-organization", "BENCH")
    how = "raw COPY" if vendor == "postgresql" else "raw executemany INSERT"
    print(f"(a) import_workorders:   {imported:10,.0f} rows/s ({elapsed:.1f} s) {summary}")
    print(
        f"    same file again:     {args.rows / again:10,.0f} rows/s ({again:.1f} s) "
        f"{summary_again}"
    )
    print(
        f"    {len(small):,} rows into the {args.rows:,}-row table: {daily:.2f} s "
        f"({len(small) / daily:,.0f} rows/s) {summary_daily}"
    )
    if vendor == "sqlite":
        print(
            f"    per CPU second of this process: {args.rows / cpu:,.0f} rows/s new, "
            f"{args.rows / cpu_again:,.0f} rows/s again ({cpu:.1f} s, {cpu_again:.1f} s CPU)"
        )
    for label, floor in floors.items():
        print(f"(b) {how} into a copy of the table, {label}: {floor:,.0f} rows/s")
    print(f"(c) per-row ORM save ({args.sample:,} rows): {naive:,.0f} rows/s")
    for label, floor in floors.items():
        print(f"ratio (a)/(b) {label}: {imported / floor:.2f} (goal >= 0.7 on PostgreSQL)")
    print(f"ratio (a)/(c): {imported / naive:.1f} (goal >= 10)")
    if vendor == "sqlite":
        print(f"SQLite goal >= 20,000 rows/s: {'met' if imported >= 20_000 else 'NOT met'}")
    if not args.skip_bulk:
        empty_work_orders(org)
        bench_bulk(args.bulk_records, args.port, planner)


if __name__ == "__main__":
    main()
