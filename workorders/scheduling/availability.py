"""Technicians' free time (DESIGN "Scheduling"; after the Search Resource Availability API of
Dynamics 365's scheduling): working hours, holidays out (jobsite.calendars), minus absences and
plannings, for any number of technicians in a fixed number of queries.

A technician's `available_minutes` is the working time they are there for (an absence takes
its time out of it, as a holiday does), `booked_minutes` the part of it plannings fill, and the
free intervals the rest, so that booked + free = available. Planned time outside working hours
or during an absence books nothing: there was no time to book there (the planning check warns
about such plannings)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import QuerySet

from jobsite import calendar_selectors
from jobsite.calendars import Interval, calendars
from jobsite.errors import ServiceError
from jobsite.models import Absence, Skill, User
from jobsite.tenancy import restrict_to_tenant
from workorders.models import JobPlanning

# A month of every technician of an organization is what a planner asks for; past it the
# answer grows without helping anyone plan.
MAX_RANGE = timedelta(days=31)
# Calendars read a local day either side of the range: the edges of Python's dates are off limits.
EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=3)
LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=3)


@dataclass(frozen=True)
class Availability:
    technician: User
    free: list[Interval]
    booked_minutes: int
    available_minutes: int


def check_range(*, start: datetime, end: datetime) -> None:
    """The range a search may cover, named as the API names it (`from`, `to`)."""
    if start < EARLIEST:
        raise ServiceError("Out of the range of dates.", field="from")
    if end > LATEST:
        raise ServiceError("Out of the range of dates.", field="to")
    if end <= start:
        raise ServiceError("Must be after from.", field="to")
    if end - start > MAX_RANGE:
        raise ServiceError(f"At most {MAX_RANGE.days} days after from.", field="to")


def technician(*, user: User, pk) -> User | None:
    """One technician `user` sees, or None."""
    return calendar_selectors.technicians(user=user).filter(pk=pk).first()


def technicians_matching(
    *, user: User, skill_code: str = "", skill_id=None, sales_organization_id=None
) -> QuerySet[User]:
    """The technicians `user` sees, narrowed by skill and organization. A skill or organization
    the user does not see is refused by the parameter's name, as an unknown one is."""
    found = calendar_selectors.technicians(user=user)
    if sales_organization_id is not None:
        organizations = calendar_selectors.sales_organizations(user=user)
        if not organizations.filter(pk=sales_organization_id).exists():
            raise ServiceError("No such sales organization.", field="sales_organization_id")
        found = found.filter(sales_organization_id=sales_organization_id)
    skills = restrict_to_tenant(Skill.objects.all(), user=user)
    if skill_id is not None:
        if not skills.filter(pk=skill_id).exists():
            raise ServiceError("No such skill.", field="skill_id")
        found = found.filter(skills=skill_id)
    if skill_code:
        if not skills.by_code(skill_code).exists():
            raise ServiceError(f"No skill with code {skill_code}.", field="skill_code")
        # A superuser's code may name a skill in several organizations: once per technician.
        found = found.filter(skills__in=skills.by_code(skill_code)).distinct()
    return found.order_by("code", "username")


def availability(
    *, technicians: Iterable[User], start: datetime, end: datetime, booked: dict | None = None
) -> list[Availability]:
    """Each technician's free time in [start, end), in their order. Five queries whatever their
    number (with `technicians` a queryset, six): organizations, working hours, holidays,
    absences, plannings. `booked`: {technician id: [(start, end)]}, every planning of theirs
    meeting the range, when the caller has read them already (proposals do): no fifth query."""
    technicians = list(technicians)
    ids = [t.pk for t in technicians]
    by_technician = calendars(technicians, start=start, end=end)
    # Spans as (start, end) tuples until the answer: a dataclass apiece costs more than the
    # arithmetic on them.
    away = defaultdict(list)
    for user_id, a, b in Absence.objects.filter(
        technician__in=ids, start__lt=end, end__gt=start
    ).values_list("technician_id", "start", "end"):
        away[user_id].append((a, b))
    if booked is None:
        booked = defaultdict(list)
        # One window for every technician: a plain range, not check_reads.touching's condition per
        # technician (building and planning 50 ORed conditions cost more than reading the rows).
        for user_id, a, b in JobPlanning.objects.filter(
            user__in=ids, date_start__lt=end, date_end__gt=start
        ).values_list("user_id", "date_start", "date_end"):
            booked[user_id].append((a, b))
    found = []
    for t in technicians:
        working = [(i.start, i.end) for i in by_technician[t.pk].working(start, end)]
        present = minus(merged(working), away[t.pk])
        free = minus(present, booked.get(t.pk, ()))
        available, unbooked = minutes(present), minutes(free)
        found.append(
            Availability(t, [Interval(a, b) for a, b in free], available - unbooked, available)
        )
    return found


Span = tuple[datetime, datetime]


def merged(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with those that overlap or touch joined."""
    joined: list[Span] = []
    for a, b in sorted(spans):
        if joined and a <= joined[-1][1]:
            if b > joined[-1][1]:
                joined[-1] = (joined[-1][0], b)
        else:
            joined.append((a, b))
    return joined


def minus(spans: list[Span], cuts: Iterable[Span]) -> list[Span]:
    """What of `spans` (sorted, apart) no cut covers. One pass over both: each cut is passed
    once however many spans it reaches over."""
    cuts = merged(cuts)
    left, first = [], 0
    for a, b in spans:
        while first < len(cuts) and cuts[first][1] <= a:
            first += 1
        cursor, n = a, first
        while n < len(cuts) and cuts[n][0] < b:
            if cuts[n][0] > cursor:
                left.append((cursor, cuts[n][0]))
            cursor = max(cursor, cuts[n][1])
            n += 1
        if cursor < b:
            left.append((cursor, b))
    return left


def minutes(spans: Iterable[Span]) -> int:
    return int(sum((b - a for a, b in spans), timedelta()).total_seconds() // 60)
