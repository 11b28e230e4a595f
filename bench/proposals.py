"""Proposals for one work order at a planner's scale: 50 technicians with the skill, 5,000
plannings over 4 weeks (Europe/Brussels) at sites around Gent, 200 absences and a holiday; the
work order asks for 30 minutes over 2 of those weeks. On PostgreSQL and on SQLite, each in a
database of its own, the figures beside a baseline measured in the same run:

    proposals(...)                          goal <= 150 ms (issue 18)
    availability(...) of the same technicians over the same 2 weeks (what it builds on)
    GET /api/v1/workorders/{id}/proposals   in-process, through DRF

    .venv/bin/python bench/proposals.py                 # both databases, one after the other
    .venv/bin/python bench/proposals.py --database sqlite --runs 50
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
import warnings
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DATABASE = "jobsite_bench_proposals"
SQLITE_FILE = Path("/tmp") / f"{DATABASE}.sqlite3"
TECHNICIANS, WEEKS, PLANNINGS, ABSENCES = 50, 4, 5_000, 200
ZONE = ZoneInfo("Europe/Brussels")
FIRST_DAY = datetime(2031, 3, 3).date()  # a Monday; summer time starts on Sunday 30 March
# Five appointments a working day (local time), inside the default week's hours: gaps of 30 and
# 60 minutes between some of them, which travel from the visit before may eat.
SLOTS = [("08:00", 60), ("09:30", 90), ("12:30", 60), ("14:00", 90), ("15:45", 60)]
GENT = (51.05, 3.72)
GOAL_MS = 150


def setup(database: str) -> None:
    """Django set up on the bench's own database, migrated."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_settings"
    os.environ["PYTHONPATH"] = str(ROOT)
    if database == "postgres":
        from bench._common import prepare_database

        prepare_database(database=DATABASE, size=0)  # sets Django up; no demo work orders
        return
    os.environ["DATABASE_URL"] = f"sqlite:///{SQLITE_FILE}"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=os.environ, check=True
    )
    import django

    django.setup()


def local(day, hhmm: str) -> datetime:
    return datetime.combine(day, clock.fromisoformat(hhmm), tzinfo=ZONE)


def working_days() -> list:
    days = [FIRST_DAY + timedelta(days=n) for n in range(7 * WEEKS)]
    return [d for d in days if d.isoweekday() <= 5]


def near_gent(rng, km: float) -> dict:
    """A point up to `km` from Gent (roughly: a degree of latitude is 111 km)."""
    return {
        "latitude": round(GENT[0] + rng.uniform(-km, km) / 111.2, 6),
        "longitude": round(GENT[1] + rng.uniform(-km, km) / 70.0, 6),
    }


def build_world():
    """The organization, its technicians, their month and the work order to place (once: a
    second run reuses them)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from jobs.models import JobStatus, JobType
    from jobsite import calendar_services
    from jobsite.calendars import DEFAULT_WEEKLY
    from jobsite.models import Absence, Address, Company, Holiday, SalesOrganization, Skill, User
    from jobsite.numbers import next_numbers
    from workorders.models import JobPlanning, Project, WorkOrder

    org, _ = SalesOrganization.objects.get_or_create(
        code="PROP", defaults={"name": "Proposals bench", "time_zone": ZONE.key}
    )
    subject = WorkOrder.objects.filter(sales_organization=org, name="To place").first()
    technicians = User.objects.filter(sales_organization=org, is_technician=True)
    if (
        subject is not None
        and technicians.count() == TECHNICIANS
        and JobPlanning.objects.filter(user__in=technicians).count() == PLANNINGS
    ):
        return org, subject
    print("building 50 technicians, 5,000 plannings, 200 absences (once) ...", flush=True)
    rng = random.Random(18)
    with transaction.atomic():
        JobPlanning.objects.filter(work_order__sales_organization=org).delete()
        WorkOrder.objects.filter(sales_organization=org).delete()
        Absence.objects.filter(technician__sales_organization=org).delete()
        skill, _ = Skill.objects.get_or_create(
            code="ELEC", sales_organization=org, defaults={"name": "Electrical"}
        )
        made = []
        for i in range(TECHNICIANS):
            base = Address.objects.create(city="Base", sales_organization=org, **near_gent(rng, 30))
            tech, _ = User.objects.update_or_create(
                username=f"prop-tech-{i:02}",
                defaults={
                    "code": f"PT{i:02}",
                    "sales_organization": org,
                    "is_technician": True,
                    "base_address": base,
                },
            )
            tech.skills.add(skill)
            made.append(tech)
        calendar_services.save_working_hours(sales_organization=org, weekly=DEFAULT_WEEKLY)
        for tech in made[::10]:  # a few part-timers: Monday to Thursday
            week = [d for d in DEFAULT_WEEKLY if d["weekday"] <= 4]
            calendar_services.save_working_hours(technician=tech, weekly=week)
        Holiday.objects.get_or_create(
            sales_organization=org, date=FIRST_DAY + timedelta(days=17), defaults={"name": "Bench"}
        )
        company, _ = Company.objects.get_or_create(
            code="PROP", sales_organization=org, defaults={"name": "Bench customer"}
        )
        project, _ = Project.objects.get_or_create(
            reference_back_office="PROP-P",
            sales_organization=org,
            defaults={"name": "Bench installation", "company": company},
        )
        numbers = iter(next_numbers(name=WorkOrder.number_sequence, count=PLANNINGS + 1))
        now = timezone.now()
        alike = {"project": project, "company": company, "sales_organization": org}
        alike |= {"job_type": JobType.objects.get(code="Unknown", sales_organization=None)}
        alike |= {"skill": skill, "date_create": now, "date_update": now, "modified_dateutc": now}
        activated = JobStatus.objects.get(code="Activated")
        slots = [(t, d, s) for t in made for d in working_days() for s in SLOTS]
        work_orders, plannings = [], []
        for tech, day, (start, minutes) in slots[:PLANNINGS]:
            site = near_gent(rng, 30)
            wo = WorkOrder(
                id2=next(numbers),
                name="Yearly check",
                estimated_time=minutes,
                job_status=activated,
                db_address_latitude=site["latitude"],
                db_address_longitude=site["longitude"],
                **alike,
            )
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
        site = near_gent(rng, 10)
        subject = WorkOrder(
            id2=next(numbers),
            name="To place",
            estimated_time=30,
            job_status=JobStatus.objects.get(code="ToBePlanned"),
            earliest_date_plannable=local(FIRST_DAY + timedelta(days=7), "00:00"),
            due_date=local(FIRST_DAY + timedelta(days=21), "00:00"),
            db_address_latitude=site["latitude"],
            db_address_longitude=site["longitude"],
            **alike,
        )
        WorkOrder.objects.bulk_create([*work_orders, subject], batch_size=1000)
        JobPlanning.objects.bulk_create(plannings, batch_size=1000)
        absences = []
        for n in range(ABSENCES):
            tech = made[n % TECHNICIANS]
            day = rng.choice(working_days())
            start, end = rng.choice([("08:00", "12:00"), ("12:30", "17:00"), ("08:00", "17:00")])
            absences.append(Absence(technician=tech, start=local(day, start), end=local(day, end)))
        Absence.objects.bulk_create(absences)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return org, subject


def timed(calls: dict, runs: int) -> dict:
    """Milliseconds of each run of each call, sorted: wall clock, and this process's CPU time
    (the machine is shared: CPU time is what the call itself costs here, less the waiting for
    a core; on PostgreSQL the server's share is not in it). The calls take turns, so that each
    sees the same load."""
    for call in calls.values():
        for _ in range(3):
            call()
    wall = {name: [] for name in calls}
    cpu = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            call()
            wall[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - started_cpu) * 1000)
    return {name: (sorted(wall[name]), sorted(cpu[name])) for name in calls}


def line(label: str, samples: tuple) -> str:
    wall, cpu = samples
    return (
        f"{label}: median {statistics.median(wall):7.2f} ms (min {wall[0]:.2f}, max "
        f"{wall[-1]:.2f}); CPU here median {statistics.median(cpu):.2f} ms"
    )


def bench(database: str, runs: int) -> None:
    setup(database)
    warnings.filterwarnings("ignore", "No directory at")  # no collectstatic in-process
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from jobsite.models import User
    from workorders.scheduling.availability import availability
    from workorders.scheduling.proposals import proposals

    org, subject = build_world()
    planner, _ = User.objects.get_or_create(
        username="prop-planner", defaults={"sales_organization": org, "is_staff": True}
    )
    subject.refresh_from_db()
    subject = (
        type(subject)
        .objects.select_related("skill", "job_status", "sales_organization")
        .get(pk=subject.pk)
    )
    technicians = User.objects.filter(sales_organization=org, is_technician=True)

    def propose():
        return proposals(user=planner, work_order=subject)

    found = propose()
    start, end = found.start, found.end

    def baseline():  # a fresh queryset each time: the technicians are read every time
        return availability(
            technicians=technicians.filter(skills=subject.skill_id), start=start, end=end
        )

    client = APIClient(SERVER_NAME="127.0.0.1")
    client.force_authenticate(planner)

    def over_api():
        response = client.get(f"/api/v1/workorders/{subject.pk}/proposals")
        assert response.status_code == 200, response.content[:300]

    with CaptureQueriesContext(connection) as captured:
        propose()
    queries = len(captured)
    found_ms = timed({"propose": propose, "baseline": baseline, "api": over_api}, runs)
    propose_ms, base_ms, api_ms = found_ms["propose"], found_ms["baseline"], found_ms["api"]
    median = statistics.median(propose_ms[0])
    if found.proposals:
        best = found.proposals[0]
        outcome = (
            f"{len(found.proposals)} proposals, {found.checked} checked, {found.refused} "
            f"refused; best {best.technician.code} at {best.start.astimezone(ZONE):%a %d %b %H:%M}"
        )
    else:
        outcome = f"no proposal: {found.unplannable}"
    print(f"work order #{subject.id2}: 30 min, {start:%Y-%m-%d} to {end:%Y-%m-%d}; {outcome}")
    print(f"    {line('proposals()', propose_ms)}, {queries} queries")
    print(f"    {line('baseline availability()', base_ms)}")
    print(f"    {line('GET /api/v1/workorders/{id}/proposals', api_ms)}")
    print(f"    ratio {median / statistics.median(base_ms[0]):.1f}x the availability it builds on")
    print(f"    goal <= {GOAL_MS} ms: {'met' if median <= GOAL_MS else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["postgres", "sqlite", "both"], default="both")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    if args.database != "both":
        bench(args.database, args.runs)
        return
    for database in ("postgres", "sqlite"):  # Django is set up once per process
        subprocess.run(
            [sys.executable, __file__, "--database", database, "--runs", str(args.runs)],
            check=True,
        )


if __name__ == "__main__":
    main()
