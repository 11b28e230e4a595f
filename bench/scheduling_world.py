"""The scheduling bench's world and helpers (Django is set up by bench/scheduling.py first):
a sales organization with 50 technicians over 4 weeks, 5,000 plannings and 200 absences
(Europe/Brussels, summer time starting in the fourth week), built once per database; its
plannings' warnings computed by the planning check."""

import random
import re
import statistics
import time
from datetime import datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from jobs.models import JobStatus, JobType
from jobsite import calendar_services
from jobsite.calendars import DEFAULT_WEEKLY
from jobsite.models import Absence, Company, Holiday, SalesOrganization, Skill, User
from jobsite.numbers import next_numbers
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.scheduling.warnings import refresh_warnings

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


def warn_world(org) -> int:
    """The world's plannings' warnings as the planning check says (built without it; an
    earlier run may have left them stale): how many changed."""
    start = local(FIRST_DAY, "00:00") - timedelta(days=7)
    end = start + timedelta(weeks=WEEKS + 2)
    technicians = User.objects.filter(sales_organization=org, is_technician=True)
    return refresh_warnings(
        windows=[(pk, start, end) for pk in technicians.values_list("pk", flat=True)]
    )


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
    """The queries `call` makes, each named by the table it reads first (or its verb). Counted
    as they run: a request through the test client resets Django's own query log."""
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        call()
    return [(TABLE.search(sql) or FIRST_WORD.match(sql))[1] for sql in sent]


def listed(names: list[str]) -> str:
    return f"{len(names)} queries ({', '.join(names)})"


def line(label: str, samples: list[float]) -> str:
    median = statistics.median(samples)
    return f"{label}: median {median:7.2f} ms (min {samples[0]:.2f}, max {samples[-1]:.2f})"


def met(ok: bool) -> str:
    return "met" if ok else "NOT met"
