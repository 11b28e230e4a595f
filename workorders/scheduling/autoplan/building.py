"""An auto-plan instance read from the database: the technicians of a sales organization with
their bases and skills; the free stretches of their working days in the range (working hours
from jobsite.calendars, holidays out; absences and the plannings already there cut them, a
planning's site being where a stretch ends and the next begins); the work orders with their
site, estimated time, window (earliest date and due date within the range), skill and priority.
A fixed number of queries whatever the size."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from jobs.models import JobPriority, LifeCycleState
from jobsite.calendars import calendars
from jobsite.models import Absence, SalesOrganization, User
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling.autoplan.instance import Instance, Shift, Technician, Visit, day_shifts
from workorders.scheduling.geo import (
    TECHNICIAN_POINT_FIELDS,
    technician_point,
    work_order_point,
    work_order_point_columns,
)

NO_ESTIMATE = "No estimated time."
NOT_PLANNABLE = "Not plannable: its work has started, ended or was cancelled."
ALREADY_PLANNED = "Already planned."
WINDOW_MISSES = "Its window (earliest date to due date) does not meet the range."


@dataclass
class Built:
    instance: Instance
    start: datetime  # the range actually planned (not before now)
    end: datetime


def minute(moment: datetime, origin: datetime) -> int:
    return int((moment - origin).total_seconds() // 60)


def minute_up(moment: datetime, origin: datetime) -> int:
    """The end of busy time, rounded up to the minute (a busy second is a busy minute)."""
    return -int(-(moment - origin).total_seconds() // 60)


def build(
    *,
    sales_organization: SalesOrganization,
    start: datetime,
    end: datetime,
    work_orders: list,
    technicians: list[User],
    now: datetime | None = None,
) -> Built:
    """`work_orders`: ids; `technicians`: users (with `sales_organization` loaded or not)."""
    now = now or timezone.now()
    # Nothing is planned in the past: the range starts at the next whole minute at the earliest.
    start = max(start, (now + timedelta(minutes=1)).replace(second=0, microsecond=0))
    origin = start.astimezone(UTC).replace(second=0, microsecond=0)
    people = [
        Technician(t.pk, t.code or t.username, technician_point(row))
        for t, row in zip(technicians, _technician_rows(technicians), strict=True)
    ]
    index = {t.pk: n for n, t in enumerate(technicians)}
    skills = defaultdict(set)
    for user_id, skill_id in User.skills.through.objects.filter(
        user_id__in=list(index)
    ).values_list("user_id", "skill_id"):
        skills[skill_id].add(index[user_id])
    stops, busy = _busy(index=index, start=start, end=end, origin=origin)
    shifts = _shifts(
        technicians=technicians, start=start, end=end, origin=origin, busy=busy, index=index
    )
    visits, excluded = _visits(
        ids=work_orders, start=start, end=end, origin=origin, skills=skills, everyone=index
    )
    instance = Instance(
        origin=origin,
        technicians=people,
        shifts=shifts,
        visits=visits,
        speed_kmh=settings.SCHEDULING_AVERAGE_SPEED_KMH,
        stops=stops,
        excluded=excluded,
    )
    return Built(instance, start, end)


def _technician_rows(technicians: list[User]) -> list[dict]:
    rows = {
        row["pk"]: row
        for row in User.objects.filter(pk__in=[t.pk for t in technicians]).values(
            "pk", *TECHNICIAN_POINT_FIELDS
        )
    }
    return [rows.get(t.pk, {}) for t in technicians]


def _busy(*, index: dict, start: datetime, end: datetime, origin: datetime):
    """(stops, {technician index: [(start, end, stop)]}): absences (no place: the base) and the
    plannings already there (their site a stop)."""
    busy = defaultdict(list)
    for user_id, a, b in Absence.objects.filter(
        technician__in=list(index), start__lt=end, end__gt=start
    ).values_list("technician_id", "start", "end"):
        busy[index[user_id]].append((minute(a, origin), minute_up(b, origin), None))
    stops = []
    plannings = JobPlanning.objects.filter(
        user__in=list(index), date_start__lt=end, date_end__gt=start
    ).values(
        "user_id",
        "date_start",
        "date_end",
        *(f"work_order__{column}" for column in work_order_point_columns()),
    )
    for row in plannings:
        site = work_order_point({k.removeprefix("work_order__"): v for k, v in row.items()})
        stops.append(site)
        busy[index[row["user_id"]]].append(
            (
                minute(row["date_start"], origin),
                minute_up(row["date_end"], origin),
                len(stops) - 1,
            )
        )
    return stops, busy


def _shifts(*, technicians, start, end, origin, busy, index) -> list[Shift]:
    by_technician = calendars(technicians, start=start, end=end)
    shifts = []
    for t in technicians:
        calendar = by_technician[t.pk]
        first_day = start.astimezone(calendar.zone).date()
        by_day = defaultdict(list)
        for interval in calendar.working(start, end):
            day = (interval.start.astimezone(calendar.zone).date() - first_day).days
            by_day[day].append((minute(interval.start, origin), minute(interval.end, origin)))
        for day, working in sorted(by_day.items()):
            shifts += day_shifts(
                technician=index[t.pk],
                day=day,
                working=working,
                busy=busy[index[t.pk]],
            )
    return shifts


def _visits(*, ids, start, end, origin, skills, everyone) -> tuple[list[Visit], dict]:
    ranks = _priority_ranks()
    rows = (
        WorkOrder.objects.filter(pk__in=list(ids))
        .order_by("id2")
        .values(
            "pk",
            "id2",
            "estimated_time",
            "earliest_date_plannable",
            "due_date",
            "skill_id",
            "job_priority__sequence",
            "job_status__life_cycle_state",
            *work_order_point_columns(),
        )
    )
    planned = set(
        JobPlanning.objects.filter(work_order__in=list(ids)).values_list("work_order_id", flat=True)
    )
    visits, excluded = [], {}
    for row in rows:
        earliest = max(start, row["earliest_date_plannable"] or start)
        latest = min(end, row["due_date"] or end)
        skill = row["skill_id"]
        visit = Visit(
            key=row["pk"],
            label=f"#{row['id2']}",
            point=work_order_point(row),
            duration=row["estimated_time"] or 0,
            earliest=minute_up(earliest, origin),
            latest=minute(latest, origin),
            technicians=frozenset(skills[skill] if skill else everyone.values()),
            rank=ranks.get(row["job_priority__sequence"], 0),
        )
        n = len(visits)
        visits.append(visit)
        if not row["estimated_time"]:
            excluded[n] = NO_ESTIMATE
        elif row["job_status__life_cycle_state"] != LifeCycleState.PENDING:
            excluded[n] = NOT_PLANNABLE
        elif row["pk"] in planned:
            excluded[n] = ALREADY_PLANNED
        elif latest - earliest < timedelta(minutes=visit.duration):
            excluded[n] = WINDOW_MISSES
    return visits, excluded


def _priority_ranks() -> dict:
    """Each priority sequence's rank, 0 the least urgent (no priority ranks lowest too)."""
    sequences = sorted(set(JobPriority.objects.values_list("sequence", flat=True)))
    return {sequence: n for n, sequence in enumerate(sequences)}
