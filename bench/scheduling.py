"""Scheduling at a planner's scale: 50 technicians over 4 weeks with 5,000 plannings and 200
absences (Europe/Brussels, summer time starting in the fourth week), on PostgreSQL, in a
database of its own. Figures beside a plain query measured in the same run:

(a) checking one planning, `workorders.scheduling.checks.findings_for([Appointment(...)])`:
    median ms and queries (goal <= 5 ms and <= 3 queries), beside one plain query reading the
    technician's plannings around it;
(b) availability of the 50 technicians over 2 weeks (goal <= 100 ms), beside one plain query
    reading those plannings; and the same through GET /api/v1/availability, in-process.

    .venv/bin/python bench/scheduling.py            # make bench-scheduling; --runs 200
"""

import argparse
import random
import re
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

warnings.filterwarnings("ignore", "No directory at")  # no collectstatic for an in-process API call
DATABASE = "jobsite_bench_scheduling"
prepare_database(database=DATABASE, size=0)  # sets Django up on it; no demo work orders

from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from jobs.models import JobStatus, JobType  # noqa: E402
from jobsite import calendar_services  # noqa: E402
from jobsite.calendars import DEFAULT_WEEKLY  # noqa: E402
from jobsite.models import Absence, Company, Holiday, SalesOrganization, Skill, User  # noqa: E402
from jobsite.numbers import next_numbers  # noqa: E402
from workorders.models import JobPlanning, Project, WorkOrder  # noqa: E402
from workorders.scheduling.availability import availability  # noqa: E402
from workorders.scheduling.checks import Appointment, findings_for  # noqa: E402

TECHNICIANS, WEEKS, PLANNINGS, ABSENCES = 50, 4, 5_000, 200
ZONE = ZoneInfo("Europe/Brussels")
FIRST_DAY = datetime(2031, 3, 3).date()  # a Monday; summer time starts on Sunday 30 March
# Five appointments a working day (local time), inside the default week's hours.
SLOTS = [("08:00", 60), ("09:30", 90), ("12:30", 60), ("14:00", 90), ("15:45", 60)]
GOAL_CHECK_MS, GOAL_CHECK_QUERIES, GOAL_AVAILABILITY_MS = 5, 3, 100


def local(day, hhmm: str) -> datetime:
    return datetime.combine(day, clock.fromisoformat(hhmm), tzinfo=ZONE)


def working_days() -> list:
    days = [FIRST_DAY + timedelta(days=n) for n in range(7 * WEEKS)]
    return [d for d in days if d.isoweekday() <= 5]


def build_world():
    """The organization, its technicians and their month (once: a second run reuses it)."""
    org, _ = SalesOrganization.objects.get_or_create(
        code="SCHED", defaults={"name": "Scheduling bench", "time_zone": ZONE.key}
    )
    technicians = list(User.objects.filter(sales_organization=org, is_technician=True))
    if (
        len(technicians) == TECHNICIANS
        and JobPlanning.objects.filter(user__in=technicians).count() == PLANNINGS
        and Absence.objects.filter(technician__in=technicians).count() == ABSENCES
    ):
        return org
    print("building 50 technicians, 5,000 plannings, 200 absences (once) ...", flush=True)
    rng = random.Random(13)
    with transaction.atomic():
        JobPlanning.objects.filter(work_order__sales_organization=org).delete()
        WorkOrder.objects.filter(sales_organization=org).delete()
        Absence.objects.filter(technician__sales_organization=org).delete()
        skill, _ = Skill.objects.get_or_create(
            code="ELEC", sales_organization=org, defaults={"name": "Electrical"}
        )
        technicians = []
        for i in range(TECHNICIANS):
            tech, _ = User.objects.get_or_create(
                username=f"sched-tech-{i:02}",
                defaults={"code": f"ST{i:02}", "sales_organization": org, "is_technician": True},
            )
            tech.skills.add(skill)
            technicians.append(tech)
        calendar_services.save_working_hours(sales_organization=org, weekly=DEFAULT_WEEKLY)
        for tech in technicians[::10]:  # a few part-timers: Monday to Thursday
            week = [d for d in DEFAULT_WEEKLY if d["weekday"] <= 4]
            calendar_services.save_working_hours(technician=tech, weekly=week)
        Holiday.objects.get_or_create(
            sales_organization=org, date=FIRST_DAY + timedelta(days=17), defaults={"name": "Bench"}
        )
        company, _ = Company.objects.get_or_create(
            code="SCHED", sales_organization=org, defaults={"name": "Bench customer"}
        )
        project, _ = Project.objects.get_or_create(
            reference_back_office="SCHED-P",
            sales_organization=org,
            defaults={"name": "Bench installation", "company": company},
        )
        slots = [(t, d, s) for t in technicians for d in working_days() for s in SLOTS]
        numbers = iter(next_numbers(name=WorkOrder.number_sequence, count=PLANNINGS))
        job_type = JobType.objects.get(code="Unknown", sales_organization=None)
        activated = JobStatus.objects.get(code="Activated")
        now = timezone.now()
        alike = {"project": project, "company": company, "sales_organization": org}
        alike |= {"job_type": job_type, "job_status": activated, "skill": skill}
        alike |= {"date_create": now, "date_update": now, "modified_dateutc": now}
        work_orders, plannings = [], []
        for tech, day, (start, minutes) in slots[:PLANNINGS]:
            wo = WorkOrder(id2=next(numbers), name="Yearly check", estimated_time=minutes, **alike)
            begin = local(day, start)
            work_orders.append(wo)
            plannings.append(
                JobPlanning(
                    work_order=wo,
                    user=tech,
                    date_start=begin,
                    date_end=begin + timedelta(minutes=minutes),
                )
            )
        WorkOrder.objects.bulk_create(work_orders, batch_size=1000)
        JobPlanning.objects.bulk_create(plannings, batch_size=1000)
        absences = []
        for n in range(ABSENCES):
            tech = technicians[n % TECHNICIANS]
            day = rng.choice(working_days())
            start, end = rng.choice([("08:00", "12:00"), ("12:30", "17:00"), ("08:00", "17:00")])
            absences.append(Absence(technician=tech, start=local(day, start), end=local(day, end)))
        Absence.objects.bulk_create(absences)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return org


def timed(call, runs: int) -> list[float]:
    """Milliseconds of each run, after a few warm-up calls."""
    for _ in range(min(5, runs)):
        call()
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        found.append((time.perf_counter() - started) * 1000)
    return sorted(found)


TABLE = re.compile(r'(?:FROM|UPDATE) "(\w+)"')
FIRST_WORD = re.compile(r"(\w+)")


def queries(call) -> list[str]:
    """The queries `call` makes, each named by the table it reads first (or its verb)."""
    with CaptureQueriesContext(connection) as captured:
        call()
    return [(TABLE.search(q["sql"]) or FIRST_WORD.match(q["sql"]))[1] for q in captured]


def listed(names: list[str]) -> str:
    return f"{len(names)} queries ({', '.join(names)})"


def line(label: str, samples: list[float]) -> str:
    median = statistics.median(samples)
    return f"{label}: median {median:7.2f} ms (min {samples[0]:.2f}, max {samples[-1]:.2f})"


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"


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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="(b) takes a fifth of these")
    args = parser.parse_args()
    org = build_world()
    print(
        f"database: {connection.vendor} ({connection.settings_dict['NAME']}); "
        f"{TECHNICIANS} technicians, {WEEKS} weeks, {PLANNINGS:,} plannings, {ABSENCES} absences"
    )
    bench_check(org, args.runs)
    bench_availability(org, max(10, args.runs // 5))


if __name__ == "__main__":
    main()
