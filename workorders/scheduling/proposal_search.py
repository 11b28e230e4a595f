"""The search behind the proposals (workorders/scheduling/proposals.py): each technician's
appointments with where they are, and the best start in their free windows, leaving room for
travel from the visit before and to the one after that day, scored with
SCHEDULING_PROPOSAL_WEIGHTS."""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from heapq import heappush, heappushpop

from django.conf import settings
from django.db.models import FloatField
from django.db.models.functions import Cast

from jobsite.models import User
from workorders.models import JobPlanning
from workorders.scheduling import geo

# Starts fall on a five-minute mark: a planner reads 10:15, not 10:13:27.
STEP = timedelta(minutes=5)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Proposal:
    technician: User
    start: datetime
    end: datetime
    travel_km: float | None  # from the previous appointment that day, else the base
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Visit:
    start: datetime
    end: datetime
    point: geo.Point | None
    number: int


@dataclass(frozen=True, slots=True)
class Fit:
    """A candidate before it is worded: reasons are written only for those proposed."""

    technician: User
    start: datetime
    end: datetime
    score: float
    free: tuple  # the free window it was found in
    before: Visit | None
    base: geo.Point | None
    km_in: float | None
    pushed: bool  # by the travel from `before`
    booked_hours: float


def on_step(moment: datetime) -> datetime:
    """`moment`, or the next five-minute mark after it."""
    steps = -(-(moment - _EPOCH) // STEP)
    return _EPOCH + steps * STEP


def read_visits(*, technicians, start, end, leaving=None) -> dict:
    """Each technician's appointments meeting [start, end), by start, with where they are.
    Coordinates come as floats: a Decimal apiece costs more than the rest of the row."""
    names = geo.work_order_point_columns()
    floats = {
        f"point_{n}": Cast(f"work_order__{column}", FloatField()) for n, column in enumerate(names)
    }
    rows = JobPlanning.objects.filter(
        user__in=[t.pk for t in technicians], date_start__lt=end, date_end__gt=start
    )
    if leaving is not None:
        rows = rows.exclude(pk=leaving)
    rows = (
        rows.annotate(**floats)
        .order_by("user_id", "date_start")
        .values_list("user_id", "date_start", "date_end", "work_order__id2", *floats)
    )
    found = defaultdict(list)
    for user_id, a, b, number, *coordinates in rows:
        found[user_id].append(Visit(a, b, first_point(coordinates), number))
    return found


def first_point(coordinates: list) -> geo.Point | None:
    """geo.work_order_point over the columns as read (pairs in WORK_ORDER_POINT_FIELDS' order),
    without a dict per row."""
    for n in range(0, len(coordinates), 2):
        if coordinates[n] is not None and coordinates[n + 1] is not None:
            return geo.Point(coordinates[n], coordinates[n + 1])
    return None


@dataclass(frozen=True, slots=True)
class Plan:
    """A technician's appointments around the range, found by start and by end."""

    visits: list
    starts: list
    by_end: list
    ends: list
    base: geo.Point | None
    booked: dict  # local day: time planned


class Search:
    """The best start in each free window of the technicians, the best of each day kept."""

    def __init__(self, *, work_order, minutes, site, zone, first, visits):
        self.work_order = work_order
        self.duration = timedelta(minutes=minutes)
        self.site = site
        self.zone = zone
        self.first = first
        self.visits = visits
        weights = settings.SCHEDULING_PROPOSAL_WEIGHTS
        self.per_km = weights["travel_km"]
        self.per_day = weights["days"]
        self.per_hour = weights["booked_hours"]
        self.speed = settings.SCHEDULING_AVERAGE_SPEED_KMH
        skill = work_order.skill
        self.skill_reason = f"has skill {skill.name}" if skill else "no skill needed"

    def best(self, free: dict, *, enough: int | None) -> list[Fit]:
        """The best fit of each technician's day, best first. With `enough`, days are tried
        from the highest score they could reach (no detour) down, and the search stops once
        `enough` fits beat what any day left could reach: the answer is the same, the
        arithmetic done for far fewer windows."""
        days = []
        for technician, spans in free.items():
            plan = self._plan(technician)
            by_day = defaultdict(list)
            for a, b in spans:
                if b - a >= self.duration:  # most gaps between appointments: nothing fits
                    by_day[self._day(a)].append((a, b))
            for day, windows in by_day.items():
                hours = plan.booked[day] / timedelta(hours=1)
                waited = (max(windows[0][0], self.first) - self.first) / timedelta(days=1)
                reach = 100 - self.per_day * waited - self.per_hour * hours
                days.append((reach, technician, plan, day, windows, hours))
        days.sort(key=lambda d: -d[0])
        if min(self.per_km, self.per_day, self.per_hour) < 0:
            enough = None  # a negative weight breaks the bound: try every day
        found, kept = [], []  # kept: a min-heap of the best `enough` scores so far
        for reach, technician, plan, day, windows, hours in days:
            if enough and len(kept) >= enough and reach < kept[0]:
                break
            fits = [
                fit
                for a, b in windows
                if (fit := self._fit(technician, plan, day, a, b, hours)) is not None
            ]
            if fits:
                fit = max(fits, key=lambda f: f.score)  # on a tie, the earliest
                found.append(fit)
                if enough:
                    (heappush if len(kept) < enough else heappushpop)(kept, fit.score)
        found.sort(key=lambda f: (-f.score, f.start, f.technician.code, f.technician.username))
        return found

    def _plan(self, technician: User) -> "Plan":
        visits = self.visits.get(technician.pk, [])
        by_end = sorted(visits, key=lambda v: v.end)
        base = None
        if technician.base_address is not None:
            base = geo.point(technician.base_address.latitude, technician.base_address.longitude)
        booked = defaultdict(timedelta)
        for v in visits:
            booked[self._day(v.start)] += v.end - v.start
        return Plan(
            visits, [v.start for v in visits], by_end, [v.end for v in by_end], base, booked
        )

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _travel(self, km: float | None) -> timedelta:
        if km is None or not self.speed:
            return timedelta()
        return timedelta(hours=km / self.speed)

    def _fit(self, technician, plan, day, a, b, hours) -> Fit | None:
        """The first start in free window [a, b) that leaves room for travel from the visit
        before it that day (else from the base) and to the one after (else to the base)."""
        n = bisect_right(plan.ends, a)
        before = plan.by_end[n - 1] if n else None
        n = bisect_left(plan.starts, a)
        after = plan.visits[n] if n < len(plan.visits) else None
        before = before if before and self._day(before.end) == day else None
        after = after if after and self._day(after.start) == day else None
        base = plan.base
        origin = before.point if before else base
        destination = after.point if after else base
        km_in = geo.distance_km(origin, self.site)
        km_out = geo.distance_km(self.site, destination)
        start = a
        pushed = before is not None and before.end + self._travel(km_in) > a
        if pushed:  # room to get here from the appointment before
            start = before.end + self._travel(km_in)
        start = on_step(start)
        end = start + self.duration
        latest = b - self._travel(km_out) if after is not None else b
        if end > latest:
            return None
        added = detour(km_in, km_out, geo.distance_km(origin, destination))
        days = (start - self.first) / timedelta(days=1)
        score = 100 - self.per_km * (added or 0) - self.per_day * days - self.per_hour * hours
        return Fit(technician, start, end, score, (a, b), before, base, km_in, pushed, hours)

    def proposal(self, fit: Fit) -> Proposal:
        """A candidate with its reasons, as proposed."""
        a, b = fit.free
        reasons = [
            self.skill_reason,
            f"free {a.astimezone(self.zone):%H:%M}–{b.astimezone(self.zone):%H:%M}",
            self._distance_reason(fit.km_in, fit.before, fit.base),
        ]
        if fit.pushed:
            gap = round((fit.start - fit.before.end) / timedelta(minutes=1))
            reasons.append(f"starts {gap} min after #{fit.before.number}, for the travel")
        hours = fit.booked_hours
        reasons.append(
            f"{hours:.1f} h already planned that day" if hours else "nothing else planned that day"
        )
        if self.work_order.due_date:
            left = (self.work_order.due_date - fit.end) // timedelta(days=1)
            reasons.append(
                f"{left} day(s) before the due date" if left else "on the day of the due date"
            )
        return Proposal(
            technician=fit.technician,
            start=fit.start,
            end=fit.end,
            travel_km=None if fit.km_in is None else round(fit.km_in, 1),
            score=round(fit.score, 1),
            reasons=tuple(reasons),
        )

    def _distance_reason(self, km, before, base) -> str:
        if self.site is None:
            return "distance unknown (the site has no coordinates)"
        if before is not None:
            if km is None:
                return f"distance unknown (#{before.number} has no coordinates)"
            return f"{km:.0f} km from the previous visit (#{before.number})"
        if base is None:
            return "distance unknown (no base address)"
        return f"{km:.0f} km from the base"


def detour(km_in, km_out, km_direct) -> float | None:
    """The km the visit adds to the day: in and out, less the way it replaces. A leg that is
    unknown counts nothing."""
    if km_in is not None and km_out is not None and km_direct is not None:
        return max(0.0, km_in + km_out - km_direct)
    known = [km for km in (km_in, km_out) if km is not None]
    return sum(known) if known else None
