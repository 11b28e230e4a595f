"""Where a work order fits in a technician's time: the first free stretch of working time,
after a given moment, long enough for it — never over a planning, an absence, a holiday or
non-working time. "Suggest a technician… one after another" places each work order so."""

from datetime import datetime, timedelta

from jobsite.calendars import Interval
from jobsite.models import User
from workorders.scheduling.availability import availability

# How far ahead a free stretch is looked for before giving up.
HORIZON = timedelta(days=62)


class FreeTime:
    """One technician's free working time from `after` on (`availability`'s), read once,
    consumed as work orders are placed in it."""

    def __init__(self, *, technician: User, after: datetime, horizon: timedelta = HORIZON):
        (found,) = availability(technicians=[technician], start=after, end=after + horizon)
        self.free = list(found.free)

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
