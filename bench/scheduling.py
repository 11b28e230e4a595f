"""Scheduling at a planner's scale: 50 technicians over 4 weeks with 5,000 plannings and 200
absences (Europe/Brussels, summer time starting in the fourth week), on PostgreSQL (default) or
SQLite, in a database of its own. Each figure beside a baseline measured in the same run:

(a) checking one planning, `workorders.scheduling.checks.findings_for([Appointment(...)])`:
    median ms and queries (goal <= 5 ms and <= 3 queries), beside one plain query reading the
    technician's plannings around it;
(b) availability of the 50 technicians over 2 weeks (goal <= 100 ms), beside one plain query
    reading those plannings; and the same through GET /api/v1/availability, in-process;
(c) the board's week page (1,250 plannings), server time and queries, beside the same page
    with the warnings not read (goal: no slower than it);
(d) a 10,000-row import with the Suggested rule, beside the same import with the warnings
    refresh switched off (the import as it was before the check): goal >= 0.9x its speed.

    .venv/bin/python bench/scheduling.py                    # PostgreSQL; --runs 200
    .venv/bin/python bench/scheduling.py --database sqlite  # make bench-scheduling runs both
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import warnings
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import prepare_database

warnings.filterwarnings("ignore", "No directory at")  # no collectstatic for in-process pages
# BENCH_NAME (e.g. a helper's name) gives a run a database of its own beside the others'.
SUFFIX = f"_{os.environ['BENCH_NAME']}" if os.environ.get("BENCH_NAME") else ""
DATABASE = f"jobsite_bench_sched{SUFFIX}"
SQLITE_FILE = Path(tempfile.gettempdir()) / f"jobsite-bench-sched{SUFFIX}.sqlite3"

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--runs", type=int, default=200, help="(b) takes a fifth of these")
parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
parser.add_argument("--only", default="abcd", help="the sections to run, e.g. cd")
parser.add_argument("--import-repeats", type=int, default=3)
ARGS = parser.parse_args()
if ARGS.database == "postgresql":
    prepare_database(database=DATABASE, size=0)  # sets Django up on it; no demo work orders
else:
    os.environ.update(
        DATABASE_URL=f"sqlite:///{SQLITE_FILE}",
        DJANGO_SETTINGS_MODULE="bench.api_settings",
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.scheduling_pages import bench_board, bench_import  # noqa: E402
from bench.scheduling_world import (  # noqa: E402
    ABSENCES,
    FIRST_DAY,
    GOAL_AVAILABILITY_MS,
    GOAL_CHECK_MS,
    GOAL_CHECK_QUERIES,
    PLANNINGS,
    TECHNICIANS,
    WEEKS,
    build_world,
    line,
    listed,
    local,
    met,
    queries,
    timed,
    warn_world,
    working_days,
)
from jobsite.models import User  # noqa: E402
from workorders.models import JobPlanning, WorkOrder  # noqa: E402
from workorders.scheduling.availability import availability  # noqa: E402
from workorders.scheduling.checks import Appointment, findings_for  # noqa: E402


def bench_check(org, runs: int) -> None:
    rng = random.Random(5)
    technicians = list(User.objects.filter(sales_organization=org, is_technician=True))
    work_orders = list(WorkOrder.objects.filter(sales_organization=org)[:runs])
    cases = []
    for n in range(runs):
        begin = local(rng.choice(working_days()), rng.choice(["10:00", "13:00", "16:00"]))
        cases.append(
            Appointment(
                user_id=rng.choice(technicians).pk,
                work_order=work_orders[n % len(work_orders)],
                date_start=begin,
                date_end=begin + timedelta(minutes=60),
            )
        )
    order = iter(range(10**9))

    def check():
        findings_for([cases[next(order) % runs]])

    def plain():
        a = cases[next(order) % runs]
        list(
            JobPlanning.objects.filter(
                user_id=a.user_id, date_start__lt=a.date_end, date_end__gt=a.date_start
            ).values_list("pk", "date_start", "date_end")
        )

    check_ms, plain_ms = timed(check, runs), timed(plain, runs)
    count = queries(check)
    median = statistics.median(check_ms)
    print(f"(a) check one planning ({runs} runs, findings_for([Appointment(...)]))")
    print(f"    {line('findings_for', check_ms)}, {listed(count)}")
    print(f"    {line('plain query of its plannings', plain_ms)}, 1 query")
    print(f"    ratio {median / statistics.median(plain_ms):.1f}x the plain query")
    print(
        f"    goal <= {GOAL_CHECK_MS} ms: {met(median <= GOAL_CHECK_MS)}; "
        f"goal <= {GOAL_CHECK_QUERIES} queries: {met(len(count) <= GOAL_CHECK_QUERIES)}"
    )


def bench_availability(org, runs: int) -> None:
    start = local(FIRST_DAY + timedelta(days=7), "00:00")
    end = local(FIRST_DAY + timedelta(days=21), "00:00")
    technicians = User.objects.filter(sales_organization=org, is_technician=True)
    ids = list(technicians.values_list("pk", flat=True))

    def search():  # a fresh queryset each time: the technicians are read every time
        return availability(technicians=technicians.all(), start=start, end=end)

    def plain():
        return list(
            JobPlanning.objects.filter(
                user_id__in=ids, date_start__lt=end, date_end__gt=start
            ).values_list("user_id", "date_start", "date_end")
        )

    planner, _ = User.objects.get_or_create(
        username="sched-planner", defaults={"sales_organization": org, "is_staff": True}
    )
    client = APIClient(SERVER_NAME="127.0.0.1")
    client.force_authenticate(planner)
    params = {"from": start.isoformat(), "to": end.isoformat()}

    def over_api():
        response = client.get("/api/v1/availability", params)
        assert response.status_code == 200, response.content[:300]

    found = search()
    free = sum(len(f.free) for f in found)
    booked = sum(f.booked_minutes for f in found)
    search_ms, plain_ms, api_ms = timed(search, runs), timed(plain, runs), timed(over_api, runs)
    median = statistics.median(search_ms)
    print(
        f"(b) availability of {len(found)} technicians over 2 weeks ({runs} runs): "
        f"{len(plain())} plannings read, {free} free intervals, {booked:,} minutes booked"
    )
    print(f"    {line('availability()', search_ms)}, {listed(queries(search))}")
    print(f"    {line('plain query of those plannings', plain_ms)}, 1 query")
    print(f"    {line('GET /api/v1/availability', api_ms)}, {listed(queries(over_api))}")
    print(f"    ratio {median / statistics.median(plain_ms):.1f}x the plain query")
    print(f"    goal <= {GOAL_AVAILABILITY_MS} ms: {met(median <= GOAL_AVAILABILITY_MS)}")


def main():
    org = build_world()
    changed = warn_world(org)
    print(
        f"database: {connection.vendor} ({connection.settings_dict['NAME']}); "
        f"{TECHNICIANS} technicians, {WEEKS} weeks, {PLANNINGS:,} plannings, {ABSENCES} absences"
        f" ({changed} plannings' warnings brought up to date first); a shared machine: noisy"
    )
    if "a" in ARGS.only:
        bench_check(org, ARGS.runs)
    if "b" in ARGS.only:
        bench_availability(org, max(10, ARGS.runs // 5))
    if "c" in ARGS.only:
        bench_board(org, max(10, ARGS.runs // 20))
    if "d" in ARGS.only:
        bench_import(org, ARGS.import_repeats)


if __name__ == "__main__":
    main()
