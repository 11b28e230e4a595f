"""The planning board at an office's scale, on PostgreSQL, in a database of its own: 50
technicians over one week with 2,500 plannings and 1,000 work orders waiting (an organization
of their own, Europe/Brussels), beside the demo's organizations loaded to 1,000,000 work orders
for the unplanned pane's search. Server time of in-process requests (Django's test client: the
middleware, the view, the queries and the template), median of the runs, and their queries:

(a) the board's page, a week of the 50 technicians (goal <= 200 ms, <= 10 queries);
(b) the unplanned pane's first page for that organization (the page fetches it beside);
(c) a move's round trip: the planning check, the write, the two rows redrawn (goal <= 100 ms);
(d) the unplanned pane's search over the 1,000,000 work orders, as the demo planner: a word,
    a city, a number, and a word found nowhere (goal <= 100 ms).

    .venv/bin/python bench/board.py            # --runs 30; --size 1000000 (the demo's size)
"""

import argparse
import random
import statistics
import sys
import time
import warnings
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import prepare_database

warnings.filterwarnings("ignore", "No directory at")  # no collectstatic for in-process pages
DATABASE = "jobsite_bench_board"
parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--runs", type=int, default=30)
parser.add_argument("--size", type=int, default=1_000_000, help="demo work orders (once)")
ARGS = parser.parse_args()
prepare_database(database=DATABASE, size=ARGS.size)

from django.contrib.auth.models import Permission  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from jobs.models import JobStatus, JobType  # noqa: E402
from jobsite import calendar_services  # noqa: E402
from jobsite.calendars import DEFAULT_WEEKLY  # noqa: E402
from jobsite.models import Company, SalesOrganization, Skill, User  # noqa: E402
from jobsite.numbers import next_numbers  # noqa: E402
from workorders.models import JobPlanning, Project, WorkOrder  # noqa: E402
from workorders.scheduling.warnings import refresh_warnings, windows_of  # noqa: E402

TECHNICIANS, PLANNINGS, UNPLANNED = 50, 2_500, 1_000
ZONE = ZoneInfo("Europe/Brussels")
MONDAY = datetime(2031, 3, 3).date()
BOARD = "/admin/workorders/workorder/board/"
GOAL_PAGE_MS, GOAL_PAGE_QUERIES, GOAL_MOVE_MS, GOAL_SEARCH_MS = 200, 10, 100, 100
CITIES = ["Gent", "Brugge", "Leuven", "Mechelen", "Aalst", "Kortrijk", "Hasselt", "Namur"]


def local(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=ZONE)


def build_world():
    """The office, once: a second run reuses it."""
    org, _ = SalesOrganization.objects.get_or_create(
        code="BOARD", defaults={"name": "Board bench", "time_zone": ZONE.key}
    )
    technicians = list(User.objects.filter(sales_organization=org, is_technician=True))
    if (
        len(technicians) == TECHNICIANS
        and JobPlanning.objects.filter(user__in=technicians).count() == PLANNINGS
    ):
        return org
    print("building 50 technicians, 2,500 plannings, 1,000 waiting (once) ...", flush=True)
    with transaction.atomic():
        JobPlanning.objects.filter(work_order__sales_organization=org).delete()
        WorkOrder.objects.filter(sales_organization=org).delete()
        skill, _ = Skill.objects.get_or_create(
            code="ELEC", sales_organization=org, defaults={"name": "Electrical"}
        )
        for i in range(TECHNICIANS):
            tech, _ = User.objects.get_or_create(
                username=f"board-tech-{i:02}",
                defaults={
                    "first_name": f"Tech {i:02}",
                    "sales_organization": org,
                    "is_technician": True,
                },
            )
            tech.skills.add(skill)
            technicians.append(tech)
        technicians = technicians[:TECHNICIANS]
        calendar_services.save_working_hours(sales_organization=org, weekly=DEFAULT_WEEKLY)
        company, _ = Company.objects.get_or_create(
            code="BOARD", sales_organization=org, defaults={"name": "Bench customer"}
        )
        project, _ = Project.objects.get_or_create(
            reference_back_office="BOARD-P",
            sales_organization=org,
            defaults={"name": "Bench installation", "company": company},
        )
        numbers = iter(next_numbers(name=WorkOrder.number_sequence, count=PLANNINGS + UNPLANNED))
        job_type = JobType.objects.get(code="Unknown", sales_organization=None)
        activated = JobStatus.objects.get(code="Activated")
        waiting = JobStatus.objects.get(code="ToBePlanned")
        now = timezone.now()
        alike = {"project": project, "company": company, "sales_organization": org}
        alike |= {"job_type": job_type, "date_create": now, "date_update": now}
        alike |= {"modified_dateutc": now, "skill": skill}
        work_orders, plannings = [], []
        # Ten 45-minute appointments a working day from 08:00, for each technician.
        for n, tech in enumerate(technicians):
            for d in range(5):
                for s in range(10):
                    begin = local(MONDAY + timedelta(days=d), 8) + timedelta(minutes=45 * s)
                    wo = WorkOrder(
                        id2=next(numbers),
                        name=f"Yearly check {n}-{d}-{s}",
                        db_address_city=CITIES[(n + s) % 8],
                        estimated_time=45,
                        job_status=activated,
                        **alike,
                    )
                    work_orders.append(wo)
                    plannings.append(
                        JobPlanning(
                            work_order=wo,
                            user=tech,
                            date_start=begin,
                            date_end=begin + timedelta(minutes=45),
                        )
                    )
        rng = random.Random(3)
        for i in range(UNPLANNED):
            work_orders.append(
                WorkOrder(
                    id2=next(numbers),
                    name=f"Waiting job {i}",
                    db_address_city=CITIES[i % 8],
                    estimated_time=rng.choice([30, 60, 90]),
                    job_status=waiting,
                    due_date=local(MONDAY + timedelta(days=rng.randrange(30)), 17),
                    **alike,
                )
            )
        WorkOrder.objects.bulk_create(work_orders, batch_size=1000)
        JobPlanning.objects.bulk_create(plannings, batch_size=1000)
        refresh_warnings(windows=windows_of(plannings))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return org


def timed(call, runs: int) -> list[float]:
    for _ in range(min(3, runs)):
        call()
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return sorted(found)


def counted(call) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def line(label: str, samples: list[float], queries: int, goal_ms: int | None = None) -> str:
    median = statistics.median(samples)
    text = (
        f"    {label}: median {median:7.1f} ms (min {samples[0]:.1f}, max {samples[-1]:.1f}), "
        f"{queries} queries"
    )
    if goal_ms is not None:
        text += f"; goal <= {goal_ms} ms: {'met' if median <= goal_ms else 'NOT met'}"
    return text


def planner_of(org, username: str) -> Client:
    planner, _ = User.objects.get_or_create(
        username=username, defaults={"sales_organization": org, "is_staff": True}
    )
    planner.user_permissions.set(Permission.objects.filter(content_type__app_label="workorders"))
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(planner)
    return client


def ok(response, *codes):
    assert response.status_code in (codes or (200,)), response.content[:300]
    return response


def main():
    org = build_world()
    runs = ARGS.runs
    client = planner_of(org, "board-planner")
    print(
        f"database: {connection.vendor} ({connection.settings_dict['NAME']}), "
        f"{WorkOrder.objects.count():,} work orders; the office: {TECHNICIANS} technicians, "
        f"{PLANNINGS:,} plannings in the week of {MONDAY}, {UNPLANNED:,} waiting; {runs} runs"
    )

    def page():
        return ok(client.get(BOARD, {"date": MONDAY.isoformat()}))

    rows = page().content.decode().count('class="bd-block ')
    ids = list(User.objects.filter(sales_organization=org).values_list("pk", flat=True))
    week = (local(MONDAY, 0), local(MONDAY + timedelta(days=7), 0))

    def plain():  # the machine's pace: one query reading the week's plannings, 4 columns
        return list(
            JobPlanning.objects.filter(
                user__in=ids, date_start__lt=week[1], date_end__gt=week[0]
            ).values_list("pk", "user_id", "date_start", "date_end")
        )

    print(f"(a) the board's page, week view: {rows:,} blocks drawn")
    print(line("GET board/", timed(page, runs), counted(page), GOAL_PAGE_MS))
    print(line("beside it, a plain query of the week's plannings", timed(plain, runs), 1))

    def pane():
        return ok(client.get(BOARD + "unplanned/", {"filters": "1"}))

    print("(b) the unplanned pane's first page (with its filters)")
    print(line("GET board/unplanned/", timed(pane, runs), counted(pane), GOAL_PAGE_MS))

    # (c) one planning back and forth between two technicians and hours (plan anyway: the
    # office's days are full, so every move is warned about and written all the same).
    technicians = list(User.objects.filter(sales_organization=org, is_technician=True)[:2])
    planning = JobPlanning.objects.filter(user=technicians[0]).order_by("date_start").first()
    places = iter(
        [
            (technicians[1], f"{MONDAY + timedelta(days=1)}T13:15"),
            (technicians[0], f"{MONDAY}T08:00"),
        ]
        * (runs + 10)
    )

    def move():
        technician, start = next(places)
        return ok(
            client.post(
                BOARD + "move/",
                {
                    "planning": planning.pk,
                    "technician": technician.pk,
                    "start": start,
                    "plan_anyway": "1",
                    "view": "week",
                    "date": MONDAY.isoformat(),
                    "hour_from": "7",
                    "hour_to": "19",
                },
                HTTP_ACCEPT="application/json",
            )
        )

    print("(c) a move's round trip: check, write, the two rows redrawn")
    print(line("POST board/move/", timed(move, runs), counted(move), GOAL_MOVE_MS))

    # (d) the demo planner's pane over the big data set.
    demo = SalesOrganization.objects.filter(code="BE01").first()
    if demo is None:
        print("(d) skipped: no demo data (run with --size 1000000)")
        return
    demo_client = planner_of(demo, "board-demo-planner")
    waiting = (
        WorkOrder.objects.filter(sales_organization=demo, job_status__number__in=(0, 1, 2))
        .order_by("-id2")
        .values_list("id2", flat=True)
        .first()
    )
    print(
        f"(d) the pane's search as BE01's planner, "
        f"{WorkOrder.objects.filter(sales_organization=demo).count():,} work orders"
    )
    for label, params in (
        ("first page, no search", {}),
        ("a word: boiler", {"q": "boiler"}),
        ("a city: Leuven", {"q": "Leuven"}),
        (f"a number: {waiting}", {"q": str(waiting)}),
        ("found nowhere: zzqx", {"q": "zzqx"}),
        ("sorted by priority", {"sort": "priority"}),
    ):

        def search(params=params):
            return ok(demo_client.get(BOARD + "unplanned/", params))

        found = search().content.decode().count('class="bd-card"')
        print(
            line(f"{label} ({found} cards)", timed(search, runs), counted(search), GOAL_SEARCH_MS)
        )


if __name__ == "__main__":
    main()
