"""The demo's calendars: each organization's time zone and default week, one part-timer, a few
absences in the coming weeks, public holidays of this year and the next; and where a demo
appointment fits in them, so the demo plans as a planning office would."""

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from jobsite import calendar_selectors, calendar_services
from jobsite.calendars import DEFAULT_WEEKLY, calendars, zone_of
from jobsite.models import Absence, AbsenceKind, SalesOrganization, User

DEMO_TIME_ZONE = "Europe/Brussels"
# Monday, Tuesday and Thursday, the usual hours.
PART_TIME = [item for item in DEFAULT_WEEKLY if item["weekday"] in (1, 2, 4)]
# (organization index, technician index, days from this week's Monday, days, kind, note)
ABSENCES = [
    (0, 2, 9, 3, AbsenceKind.TIME_OFF, "Family visit"),
    (0, 3, 15, 1, AbsenceKind.TRAINING, "Heat pump certification"),
    (1, 0, 8, 2, AbsenceKind.SICK, "Flu"),
    (1, 4, 21, 5, AbsenceKind.TIME_OFF, "Holiday"),
]


def _local_monday(zone) -> date:
    today = timezone.now().astimezone(zone).date()
    return today - timedelta(days=today.weekday())


def _midnight(day: date, zone) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def load_demo_calendars(
    *, orgs: list[SalesOrganization], technicians: dict[object, list[User]]
) -> None:
    for org in orgs:
        calendar_services.save_working_hours(sales_organization=org, weekly=DEFAULT_WEEKLY)
        year = calendar_selectors.this_year(sales_organization=org)
        for each in (year, year + 1):
            calendar_services.load_holidays(sales_organization=org, year=each)
    calendar_services.save_working_hours(technician=technicians[orgs[0].pk][1], weekly=PART_TIME)
    for org_index, tech_index, offset, days, kind, note in ABSENCES:
        org = orgs[org_index]
        technician = technicians[org.pk][tech_index]
        zone = zone_of(org)
        first = _local_monday(zone) + timedelta(days=offset)
        start, end = _midnight(first, zone), _midnight(first + timedelta(days=days), zone)
        if Absence.objects.filter(technician=technician, start=start).exists():
            continue  # loaded before
        calendar_services.save_absence(
            absence=Absence(),
            values={
                "technician": technician,
                "start": start,
                "end": end,
                "kind": kind,
                "note": note,
            },
        )


def _minutes(clock: time) -> int:
    return clock.hour * 60 + clock.minute


class DemoAgenda:
    """Demo appointments laid end to end in each technician's working hours, from the first
    interval of the day: none on a day off, a holiday or during an absence."""

    def __init__(self, *, technicians: list[User], first_day: int, last_day: int):
        now = timezone.now()
        self.calendars = calendars(
            technicians,
            start=now + timedelta(days=first_day - 8),
            end=now + timedelta(days=last_day + 8),
        )
        self.absences: dict = {}
        for absence in Absence.objects.filter(technician__in=technicians):
            self.absences.setdefault(absence.technician_id, []).append(absence)
        self.cursor: dict = {}
        self.mondays: dict = {}

    def place(self, technician: User, day: int, minutes: int) -> datetime | None:
        """The start (UTC) of `minutes` on the technician's `day` (days from this week's local
        Monday), after what is placed there already; None when it does not fit."""
        calendar = self.calendars[technician.pk]
        if calendar.zone not in self.mondays:
            self.mondays[calendar.zone] = _local_monday(calendar.zone)
        local_day = self.mondays[calendar.zone] + timedelta(days=day)
        cursor = self.cursor.get((technician.pk, local_day), 0)
        for begin, end in calendar.day_intervals(local_day):
            at = max(_minutes(begin), cursor)
            if at + minutes > _minutes(end):
                continue
            clock = time(at // 60, at % 60)
            start = datetime.combine(local_day, clock, tzinfo=calendar.zone).astimezone(UTC)
            stop = start + timedelta(minutes=minutes)
            if any(a.start < stop and a.end > start for a in self.absences.get(technician.pk, [])):
                return None
            self.cursor[technician.pk, local_day] = at + minutes
            return start
        return None
