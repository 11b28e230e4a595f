"""Where a work order fits in a technician's time: the first free stretch of working time,
after a given moment, long enough for it — never over a planning, an absence, a holiday or
non-working time. "Suggest a technician… one after another" places each work order so."""

from datetime import datetime, timedelta

from jobsite.calendars import Interval, calendars
from jobsite.models import Absence, User
from workorders.models import JobPlanning
from workorders.scheduling.availability import minus

# How far ahead a free stretch is looked for before giving up.
HORIZON = timedelta(days=62)


class FreeTime:
    """One technician's free working time from `after` on, read once, consumed as work orders
    are placed in it."""

    def __init__(self, *, technician: User, after: datetime, horizon: timedelta = HORIZON):
        end = after + horizon
        calendar = calendars([technician], start=after, end=end)[technician.pk]
        busy = list(
            JobPlanning.objects.filter(
                user=technician, date_start__lt=end, date_end__gt=after
            ).values_list("date_start", "date_end")
        )
        busy += list(
            Absence.objects.filter(technician=technician, start__lt=end, end__gt=after).values_list(
                "start", "end"
            )
        )
        working = [(i.start, i.end) for i in calendar.working(after, end)]
        self.free = [Interval(a, b) for a, b in minus(working, busy)]

    def take(self, minutes: int) -> datetime | None:
        """The start of the first free stretch of `minutes`, now taken; None when none fits."""
        needed = timedelta(minutes=minutes)
        for n, interval in enumerate(self.free):
            if interval.end - interval.start >= needed:
                start = interval.start
                rest = Interval(start + needed, interval.end)
                self.free[n : n + 1] = [rest] if rest.start < rest.end else []
                return start
        return None
