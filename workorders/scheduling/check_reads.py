"""What the planning check (checks.py) reads, in two queries however many appointments it
checks: its technicians (name, organization, zone), and one UNION of the plannings around the
appointments, the technicians' absences, their organizations' holidays and which of the work
orders' skills they have. (Their calendars' working hours are the third, jobsite.calendars.)
Both are compiled once per shape (jobsite.compiled_queries): building and compiling the UNION
was most of a check's time."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.db import connection
from django.db.models import CharField, DateTimeField, F, IntegerField, Q, Value
from django.db.models.functions import Cast, Concat

from jobsite.calendars import holiday_dates, holidays_on
from jobsite.compiled_queries import CompiledQuery, in_field_order
from jobsite.models import Absence, Holiday, SalesOrganization, User
from workorders.models import JobPlanning


def touching(windows: Iterable[tuple], *, margin: timedelta = timedelta()) -> Q:
    """A condition on plannings: those of each window's technician overlapping it (edges
    included), `margin` wider on each side."""
    return _during(
        (user_id, low - margin, high + margin) for user_id, low, high in stretches(windows)
    )


def _during(spans: Iterable[tuple]) -> Q:
    """A condition on plannings: those of each (technician, low, high) overlapping [low, high]
    (edges included)."""
    condition = Q(pk__in=[])
    for user_id, low, high in spans:
        condition |= Q(user_id=user_id, date_start__lte=high, date_end__gte=low)
    return condition


def stretches(windows: Iterable[tuple]) -> list[tuple]:
    """(technician, start, end) covering the windows: a technician's windows less than a day
    apart make one stretch, and past MAX_STRETCHES a technician's are one, so a query on them
    stays short."""
    by_user: dict = defaultdict(list)
    for user_id, start, end in windows:
        if user_id is not None and start is not None and end is not None:
            by_user[user_id].append((start, end))
    found = []
    for user_id, spans in by_user.items():
        spans.sort()
        merged = [list(spans[0])]
        for start, end in spans[1:]:
            if start - merged[-1][1] <= STRETCH_GAP:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        found.append((user_id, merged))
    if sum(len(m) for _, m in found) > MAX_STRETCHES:
        found = [(u, [[m[0][0], max(e for _, e in m)]]) for u, m in found]
    return [(user_id, low, high) for user_id, merged in found for low, high in merged]


STRETCH_GAP = timedelta(days=1)
MAX_STRETCHES = 200


class Booked(NamedTuple):
    """A stored planning as the overlap check reads it (tuples, not model instances nor frozen
    dataclasses: an import reads thousands)."""

    pk: object
    user_id: object
    date_start: datetime
    date_end: datetime
    number: int  # the work order's id2, for messages


def _column(value):
    return F(value) if isinstance(value, str) else value


def _as_busy(queryset, *, user, start, end, number, kind, pk="id"):
    """Rows of (id, user, start, end, number, kind): every column an annotation in one order,
    so that plannings, absences, holidays and skills line up in a UNION."""
    return (
        queryset.order_by()  # a UNION takes no model's default ordering
        .annotate(
            busy_pk=_column(pk),
            busy_user=_column(user),
            busy_start=_column(start),
            busy_end=_column(end),
            busy_number=number,
            busy_kind=kind,
        )
        .values_list("busy_pk", "busy_user", "busy_start", "busy_end", "busy_number", "busy_kind")
    )


@dataclass(frozen=True)
class Away:
    pk: object
    user_id: object
    date_start: datetime
    date_end: datetime
    kind: str


# busy_number of a holiday's and a skill's row in the UNION (absences carry none, plannings
# their id2).
HOLIDAY_ROW = -1
SKILL_ROW = -2
NO_TIME = Value(None, output_field=DateTimeField())


def _busy(*, users, lows, highs, technicians, low, high, organizations, first, last, skills):
    """What a check reads of its technicians' time, in one UNION of (pk, user, start, end,
    number, kind) rows: the plannings overlapping each stretch (users[n], lows[n], highs[n]),
    the technicians' absences over [low, high), their organizations' holidays from `first` to
    `last` and which of `skills` they have."""
    parts = []
    if users:
        plannings = JobPlanning.objects.filter(_during(zip(users, lows, highs, strict=True)))
        parts.append(
            _as_busy(
                plannings,
                user="user_id",
                start="date_start",
                end="date_end",
                number=F("work_order__id2"),
                kind=Value("", output_field=CharField()),
            )
        )
    parts.append(
        _as_busy(
            Absence.objects.filter(technician__in=technicians, start__lt=high, end__gt=low),
            user="technician_id",
            start="start",
            end="end",
            number=Value(None, output_field=IntegerField()),
            kind=F("kind"),
        )
    )
    # A holiday's date rides in its text column ("2030-01-08|New Year"): a date is no
    # timestamp to either database's UNION.
    parts.append(
        _as_busy(
            holidays_on(organizations, first=first, last=last),
            user="sales_organization_id",
            start=NO_TIME,
            end=NO_TIME,
            number=Value(HOLIDAY_ROW, output_field=IntegerField()),
            kind=Concat(Cast("date", CharField()), Value("|"), "name", output_field=CharField()),
        )
    )
    if skills:
        parts.append(
            _as_busy(
                User.skills.through.objects.filter(user_id__in=technicians, skill_id__in=skills),
                pk="skill_id",
                user="user_id",
                start=NO_TIME,
                end=NO_TIME,
                number=Value(SKILL_ROW, output_field=IntegerField()),
                kind=Value("skill", output_field=CharField()),
            )
        )
    # A UNION orders by its first model's default (date_start, no column here) unless told.
    return parts[0].union(*parts[1:], all=True).order_by("busy_start")


# Built and compiled once per shape (compiled_queries): that was most of a check's time.
BUSY = CompiledQuery(
    _busy,
    users=JobPlanning._meta.get_field("user"),
    lows=JobPlanning._meta.get_field("date_end"),
    highs=JobPlanning._meta.get_field("date_start"),
    technicians=Absence._meta.get_field("technician"),
    low=Absence._meta.get_field("end"),
    high=Absence._meta.get_field("start"),
    organizations=Holiday._meta.get_field("sales_organization"),
    first=Holiday._meta.get_field("date"),
    last=Holiday._meta.get_field("date"),
    skills=User.skills.through._meta.get_field("skill"),
)


@dataclass
class Around:
    """What a check read of its technicians' time: the plannings around the appointments
    (None when not read), absences and skills by technician, holidays (organization, date,
    name)."""

    booked: list[Booked] | None
    absences: dict
    skills: dict
    holidays: list[tuple]


def read_around(appointments, *, user_ids, organization_ids, skill_ids, plannings) -> Around:
    """One query: the technicians' absences, holidays and skills over the appointments' span,
    and (`plannings`) their stored plannings that could overlap one of them."""
    low = min(a.date_start for a in appointments)
    high = max(a.date_end for a in appointments)
    spans = (
        stretches((a.user_id, a.date_start, a.date_end) for a in appointments) if plannings else []
    )
    first, last = holiday_dates(start=low, end=high)
    rows = BUSY.rows(
        users=[user_id for user_id, _, _ in spans],
        lows=[start for _, start, _ in spans],
        highs=[end for _, _, end in spans],
        technicians=list(user_ids),
        low=low,
        high=high,
        organizations=list(organization_ids),
        first=first,
        last=last,
        skills=list(skill_ids),
    )
    around = Around([] if plannings else None, defaultdict(list), defaultdict(set), [])
    for pk, user_id, start, end, number, kind in rows:
        if not kind:
            around.booked.append(Booked(pk, user_id, start, end, number))
        elif number == HOLIDAY_ROW:
            day, _, name = kind.partition("|")
            around.holidays.append((user_id, date.fromisoformat(day[:10]), name))
        elif number == SKILL_ROW:
            around.skills[user_id].add(pk)
        else:
            around.absences[user_id].append(Away(pk, user_id, start, end, kind))
    return around


# What a check reads of a technician: their name (str(user)) and organization, with its zone;
# in the model's order, as `from_db` takes them.
TECHNICIAN_COLUMNS = in_field_order(
    User, {"id", "username", "first_name", "last_name", "sales_organization_id"}
)


def _technicians_query(*, ids):
    return (
        User.objects.filter(pk__in=ids)
        .order_by()
        .values_list(*TECHNICIAN_COLUMNS, "sales_organization__time_zone")
    )


TECHNICIANS = CompiledQuery(_technicians_query, ids=User._meta.pk)


def technicians(user_ids) -> dict:
    """The technicians by id with their organizations, as `.select_related(...).only(...)` of
    those columns and the zone gives them (a query compiled once, not the ORM's each time)."""
    found = {}
    for *columns, time_zone in TECHNICIANS.rows(ids=list(user_ids)):
        user = User.from_db(connection.alias, TECHNICIAN_COLUMNS, columns)
        if user.sales_organization_id is not None:
            user.sales_organization = SalesOrganization.from_db(
                connection.alias, ("id", "time_zone"), (user.sales_organization_id, time_zone)
            )
        else:  # known to have none: calendars() reads no organization for it
            user.sales_organization = None
        found[user.pk] = user
    return found
