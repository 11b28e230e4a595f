"""Technicians' calendars: the working hours a technician has (their own pattern, else their
organization's), checked when written, and turned into UTC intervals for any stretch of days,
holidays taken out. Times in a pattern are local to the organization's time zone, so 08:00
stays 08:00 across daylight-saving changes."""

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet

from jobsite.compiled_queries import CompiledQuery
from jobsite.errors import ServiceError
from jobsite.models import Holiday, SalesOrganization, User, WorkingHours

WEEKDAYS = range(1, 8)  # Monday = 1 … Sunday = 7, as ISO 8601 numbers them
# Python also reads "8:00:30+01:00", "T0800" and "20261224": stored values are spelled one way.
_CLOCK = re.compile(r"\d{2}:\d{2}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")

# Used where an organization has no pattern of its own yet: Monday to Friday, with a lunch break.
DEFAULT_WEEKLY = [
    {"weekday": day, "start": start, "end": end}
    for day in range(1, 6)
    for start, end in (("08:00", "12:00"), ("12:30", "17:00"))
]


@dataclass(frozen=True)
class Interval:
    start: datetime
    end: datetime


def _time(value, field: str) -> time:
    if not isinstance(value, str):
        raise ServiceError("Give a time as HH:MM.", field=field)
    try:
        if not _CLOCK.fullmatch(value):
            raise ValueError(value)
        return time.fromisoformat(value)
    except ValueError:
        raise ServiceError(f"{value!r} is not a time (HH:MM).", field=field) from None


def _intervals(raw, field: str, names: list[str] | None = None) -> list[tuple[time, time]]:
    """One day's intervals, checked: each ends after it starts, none overlaps another. `names`
    are the fields the items were given as (by default `field[n]`)."""
    if not isinstance(raw, list):
        raise ServiceError("Give a list of intervals.", field=field)
    found = []
    for n, item in enumerate(raw):
        where = names[n] if names else f"{field}[{n}]"
        if not isinstance(item, dict):
            raise ServiceError("Give {start, end}.", field=where)
        start = _time(item.get("start"), f"{where}.start")
        end = _time(item.get("end"), f"{where}.end")
        if end <= start:
            raise ServiceError("The end must be after the start.", field=f"{where}.end")
        found.append((start, end, where))
    found.sort()
    for (_, end, _), (start, _, where) in pairwise(found):
        if start < end:
            raise ServiceError("Overlaps another interval of the same day.", field=where)
    return [(start, end) for start, end, _ in found]


def clean_weekly(raw, field: str = "weekly") -> list[dict]:
    """A weekly pattern as stored: [{"weekday", "start", "end"}], sorted, checked."""
    if not isinstance(raw, list):
        raise ServiceError("Give a list of {weekday, start, end}.", field=field)
    by_day: dict[int, list] = {day: [] for day in WEEKDAYS}
    names: dict[int, list] = {day: [] for day in WEEKDAYS}
    for n, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ServiceError("Give {weekday, start, end}.", field=f"{field}[{n}]")
        weekday = item.get("weekday")
        if type(weekday) is not int or weekday not in WEEKDAYS:
            message = "weekday is 1 (Monday) to 7 (Sunday)."
            raise ServiceError(message, field=f"{field}[{n}].weekday")
        by_day[weekday].append(item)
        names[weekday].append(f"{field}[{n}]")
    cleaned = []
    for day, items in by_day.items():
        for start, end in _intervals(items, field, names[day]):
            cleaned.append({"weekday": day, "start": f"{start:%H:%M}", "end": f"{end:%H:%M}"})
    return cleaned


def clean_exceptions(raw, field: str = "exceptions") -> list[dict]:
    """Dates that differ from the pattern: [{"date", "intervals": [...]}], an empty list of
    intervals being a day off."""
    if not isinstance(raw, list):
        raise ServiceError("Give a list of {date, intervals}.", field=field)
    cleaned, seen = [], set()
    for n, item in enumerate(raw):
        where = f"{field}[{n}]"
        if not isinstance(item, dict):
            raise ServiceError("Give {date, intervals}.", field=where)
        value = item.get("date")
        try:
            if not (isinstance(value, str) and _DAY.fullmatch(value)):
                raise ValueError(value)
            day = date.fromisoformat(value)
        except ValueError:
            raise ServiceError("Give the date as YYYY-MM-DD.", field=f"{where}.date") from None
        if day in seen:
            raise ServiceError("This date is given twice.", field=f"{where}.date")
        seen.add(day)
        intervals = _intervals(item.get("intervals", []), f"{where}.intervals")
        cleaned.append(
            {
                "date": day.isoformat(),
                "intervals": [{"start": f"{s:%H:%M}", "end": f"{e:%H:%M}"} for s, e in intervals],
            }
        )
    return sorted(cleaned, key=lambda e: e["date"])


def zone_of(sales_organization: SalesOrganization | None) -> ZoneInfo:
    """The zone its planners plan in; without an organization, the TIME_ZONE setting's."""
    return ZoneInfo(sales_organization.time_zone if sales_organization else settings.TIME_ZONE)


class Pattern(NamedTuple):
    """A stored pattern as a calendar reads it (WorkingHours' own columns)."""

    weekly: list
    exceptions: list


def pattern_in_force(
    *, own: WorkingHours | Pattern | None, default: WorkingHours | Pattern | None
) -> tuple[list[dict], list[dict], bool]:
    """(weekly, exceptions, inherited) that apply to a technician: their own pattern, else their
    organization's, else DEFAULT_WEEKLY."""
    if own is not None:
        return own.weekly, own.exceptions, False
    if default is not None:
        return default.weekly, default.exceptions, True
    return DEFAULT_WEEKLY, [], True


def _parsed(intervals: Iterable[dict]) -> list[tuple[time, time]]:
    return [(time.fromisoformat(i["start"]), time.fromisoformat(i["end"])) for i in intervals]


@dataclass
class Calendar:
    """One technician's working time: a pattern in local time, its exceptions, the holidays."""

    zone: ZoneInfo
    weekly: dict[int, list[tuple[time, time]]]
    exceptions: dict[date, list[tuple[time, time]]]
    holidays: dict[date, str]
    inherited: bool
    _utc_days: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    def day_intervals(self, day: date) -> list[tuple[time, time]]:
        if day in self.holidays:
            return []
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.isoweekday(), [])

    def working(self, start: datetime, end: datetime) -> list[Interval]:
        """The working intervals between `start` and `end` (aware datetimes), in UTC, clipped."""
        intervals = []
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        day = first
        while day <= last:
            for a, b in self._day_in_utc(day):
                a, b = max(a, start), min(b, end)
                if a < b:
                    intervals.append(Interval(a, b))
            day += timedelta(days=1)
        return intervals

    def _day_in_utc(self, day: date) -> list[tuple[datetime, datetime]]:
        """A day's working intervals in UTC, once per day (a check of thousands of plannings
        asks for the same days over and over)."""
        found = self._utc_days.get(day)
        if found is None:
            # Local wall-clock times, made aware in the zone: DST-correct on both sides.
            found = self._utc_days[day] = [
                (
                    datetime.combine(day, begin, tzinfo=self.zone).astimezone(UTC),
                    datetime.combine(day, finish, tzinfo=self.zone).astimezone(UTC),
                )
                for begin, finish in self.day_intervals(day)
            ]
        return found

    def stretches(self, days: Iterable[date]) -> list[tuple[datetime, datetime]]:
        """The working time of these local days, in UTC, intervals that touch joined into one.
        Given the days from the one before `s`'s to `e`'s, [s, e) is covered (`covers`)
        exactly when s == e or one stretch holds it: what the SQL form of the check reads."""
        found: list[list[datetime]] = []
        for day in sorted(set(days)):
            for a, b in sorted(self._day_in_utc(day)):
                if found and a <= found[-1][1]:
                    found[-1][1] = max(found[-1][1], b)
                else:
                    found.append([a, b])
        return [(a, b) for a, b in found]

    def covers(self, start: datetime, end: datetime) -> bool:
        """Does working time cover the whole of [start, end)?"""
        # Most appointments sit inside one working interval of their day: found without
        # building the clipped intervals (a check of thousands asks this of each).
        for a, b in self._day_in_utc(start.astimezone(self.zone).date()):
            if a <= start and end <= b:
                return True
        cursor = start
        for interval in self.working(start, end):
            if interval.start > cursor:
                return False
            cursor = max(cursor, interval.end)
        return cursor >= end

    def holiday_on(self, start: datetime, end: datetime) -> str | None:
        if not self.holidays:
            return None
        day = start.astimezone(self.zone).date()
        # Most appointments start and end on one local day: that day alone is asked about.
        if start < end and end.astimezone(self.zone).date() == day:
            return self.holidays.get(day)
        while datetime.combine(day, time.min, tzinfo=self.zone) < end:
            if day in self.holidays:
                return self.holidays[day]
            day += timedelta(days=1)
        return None


def holiday_dates(*, start: datetime, end: datetime) -> tuple[date, date]:
    """The first and last dates a holiday of [start, end) may have: local dates reach a day
    either side of UTC's."""
    margin = timedelta(days=1)
    return (start - margin).date(), (end + margin).date()


def holidays_on(organization_ids: Iterable, *, first: date, last: date) -> QuerySet[Holiday]:
    return Holiday.objects.filter(
        sales_organization__in=list(organization_ids), date__gte=first, date__lte=last
    )


def holidays_between(
    organization_ids: Iterable, *, start: datetime, end: datetime
) -> QuerySet[Holiday]:
    """The organizations' holidays whose local date may fall in [start, end)."""
    first, last = holiday_dates(start=start, end=end)
    return holidays_on(organization_ids, first=first, last=last)


def _patterns(*, technicians: list, organizations: list) -> QuerySet:
    """The technicians' own patterns and their organizations' defaults, as (technician id,
    organization id, weekly, exceptions)."""
    return WorkingHours.objects.filter(
        Q(technician__in=technicians)
        | Q(technician__isnull=True, sales_organization__in=organizations)
    ).values_list("technician_id", "sales_organization_id", "weekly", "exceptions")


# Read for every check and board page: compiled once (compiled_queries).
PATTERNS = CompiledQuery(
    _patterns,
    technicians=WorkingHours._meta.get_field("technician"),
    organizations=WorkingHours._meta.get_field("sales_organization"),
)


def calendars(
    technicians: Iterable[User],
    *,
    start: datetime,
    end: datetime,
    holidays: Iterable[tuple] | None = None,
) -> dict[object, Calendar]:
    """Each technician's calendar for [start, end), in two queries: the working hours of the
    technicians and of their organizations, and the organizations' holidays in the range (and
    one for the organizations, unless the technicians were read with theirs). `holidays`:
    (organization id, date, name) of `holidays_between`, when the caller read them already."""
    technicians = list(technicians)
    org_ids = {t.sales_organization_id for t in technicians if t.sales_organization_id}
    loaded = [t for t in technicians if "sales_organization" in t._state.fields_cache]
    if len(loaded) == len(technicians):
        organizations = {t.sales_organization_id: t.sales_organization for t in loaded}
    else:
        organizations = SalesOrganization.objects.in_bulk(org_ids)
    own, defaults = {}, {}
    for technician_id, organization_id, weekly, exceptions in PATTERNS.rows(
        technicians=[t.pk for t in technicians], organizations=list(org_ids)
    ):
        if technician_id:
            own[technician_id] = Pattern(weekly, exceptions)
        else:
            defaults[organization_id] = Pattern(weekly, exceptions)
    if holidays is None:
        holidays = holidays_between(org_ids, start=start, end=end).values_list(
            "sales_organization_id", "date", "name"
        )
    by_organization: dict = {}
    for organization_id, day, name in holidays:
        by_organization.setdefault(organization_id, {})[day] = name
    found = {}
    # Technicians following their organization's pattern share its calendar: its days in UTC
    # are worked out once for all of them (a check of an import asked the same days of 45
    # technicians, one by one).
    inheriting: dict = {}
    for technician in technicians:
        org_id = technician.sales_organization_id
        mine = own.get(technician.pk)
        if mine is None and org_id in inheriting:
            found[technician.pk] = inheriting[org_id]
            continue
        weekly, exceptions, inherited = pattern_in_force(own=mine, default=defaults.get(org_id))
        by_day: dict[int, list] = {}
        for item in weekly:
            by_day.setdefault(item["weekday"], []).append(item)
        found[technician.pk] = Calendar(
            zone=zone_of(organizations.get(org_id)),
            weekly={day: _parsed(items) for day, items in by_day.items()},
            exceptions={date.fromisoformat(e["date"]): _parsed(e["intervals"]) for e in exceptions},
            holidays=by_organization.get(org_id, {}),
            inherited=inherited,
        )
        if mine is None:
            inheriting[org_id] = found[technician.pk]
    return found
