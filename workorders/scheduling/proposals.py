"""Proposals for one work order (DESIGN "Scheduling"; after Dynamics 365's schedule assistant):
which technician could do it when, best first.

A proposal never breaks the planning check. The candidates are the active technicians of the
work order's sales organization with its skill; their free time (`availability`: working hours
less holidays, absences and plannings) is searched inside the work order's window (earliest
date to due date, never before now); a start leaves room for travel from the appointment before
it that day, and its end for travel to the one after, at SCHEDULING_AVERAGE_SPEED_KMH; and the
best few are then run through the check itself (`findings_for`), any it flags being dropped, so
what is proposed is what the check passes rather than what this module believes.

Score: 100 less points (SCHEDULING_PROPOSAL_WEIGHTS) per km of detour (great-circle: from the
previous appointment that day, else the base, to the site and on to the next, else the base),
per day after the first moment searched, and per hour already planned for the technician that
day. A distance that is unknown (no coordinates) counts nothing and says so."""

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from heapq import heappush, heappushpop
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import FloatField
from django.db.models.functions import Cast
from django.utils import timezone

from jobs.models import LifeCycleState
from jobsite import calendar_selectors
from jobsite.calendars import zone_of
from jobsite.errors import ServiceError
from jobsite.models import User
from workorders.models import JobPlanning, WorkOrder
from workorders.plannings import planning_end
from workorders.scheduling import geo
from workorders.scheduling.availability import MAX_RANGE, availability, check_range
from workorders.scheduling.checks import Appointment, findings_for
from workorders.selectors import visible_work_orders

DEFAULT_LIMIT, MAX_LIMIT = 5, 50
# Without a `to` or a due date, two weeks are searched.
DEFAULT_RANGE = timedelta(days=14)
# Starts fall on a five-minute mark: a planner reads 10:15, not 10:13:27.
STEP = timedelta(minutes=5)
# Work under way, done or cancelled gets no new appointment (suggest_technician refuses it).
CLOSED_STATES = {
    LifeCycleState.IN_PROGRESS,
    LifeCycleState.COMPLETED,
    LifeCycleState.CANCELLED,
}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Proposal:
    technician: User
    start: datetime
    end: datetime
    travel_km: float | None  # from the previous appointment that day, else the base
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Proposals:
    start: datetime  # the range searched
    end: datetime
    proposals: list[Proposal]
    unplannable: list[str]  # why there is none, when there is none
    checked: int = 0  # candidates run through the planning check
    refused: int = 0  # of those, flagged by it (each one a bug in the search above)


@dataclass(frozen=True, slots=True)
class _Visit:
    start: datetime
    end: datetime
    point: geo.Point | None
    number: int


@dataclass(frozen=True, slots=True)
class _Fit:
    """A candidate before it is worded: reasons are written only for those proposed."""

    technician: User
    start: datetime
    end: datetime
    score: float
    free: tuple  # the free window it was found in
    before: _Visit | None
    base: geo.Point | None
    km_in: float | None
    pushed: bool  # by the travel from `before`
    booked_hours: float


def work_order_for_proposals(*, user: User, pk) -> WorkOrder | None:
    """The work order `user` sees, with what proposals read of it, or None."""
    return (
        visible_work_orders(user=user)
        .filter(pk=pk)
        .select_related("skill", "job_status", "sales_organization")
        .first()
    )


def search_range(
    *, work_order: WorkOrder, start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """[from, to) as asked, defaults filled: from now or the earliest date, to the due date or
    two weeks on (at most MAX_RANGE). A range given is checked as availability checks it."""
    if start is None:
        start = max(now, work_order.earliest_date_plannable or now)
    if end is None:
        due = work_order.due_date
        end = due if due is not None and due > start else start + DEFAULT_RANGE
        end = min(end, start + MAX_RANGE)
    check_range(start=start, end=end)
    return start, end


def proposals(
    *,
    user: User,
    work_order: WorkOrder,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> Proposals:
    """Up to `limit` proposals for `work_order` in [start, end), best first; none, with the
    reasons, when nothing fits. ServiceError names `from`, `to` or `limit` when one is bad."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ServiceError(f"Give 1 to {MAX_LIMIT}.", field="limit")
    now = now or timezone.now()
    start, end = search_range(work_order=work_order, start=start, end=end, now=now)
    zone = zone_of(work_order.sales_organization)
    first, last = _window(work_order=work_order, start=start, end=end, now=now)
    closed = work_order.job_status.life_cycle_state in CLOSED_STATES
    if closed or first >= last:
        reason = (
            f"#{work_order.id2} is {work_order.job_status.name}: only work that has not "
            "started can be planned."
            if closed
            else _empty_window(work_order=work_order, start=start, end=end, now=now, zone=zone)
        )
        return Proposals(start, end, [], [reason])
    technicians = _technicians(user=user, work_order=work_order)
    if not technicians:
        return Proposals(start, end, [], [_nobody(work_order)])
    ends = planning_end(date_start=first, estimated_time=work_order.estimated_time)
    minutes = round((ends - first) / timedelta(minutes=1))
    site = _site(work_order)
    # The whole local days the window meets: the visit before its first free window that
    # day, and the one after its last, are where the technician comes from and goes to.
    # A Suggested work order's own planning moves where it is proposed: its time is free.
    moving = _rule_planning(work_order)
    visits = _visits(
        technicians=technicians,
        start=_midnight(first, zone),
        end=_midnight(last, zone, 1),
        leaving=moving,
    )
    search = _Search(
        work_order=work_order, minutes=minutes, site=site, zone=zone, first=first, visits=visits
    )
    booked = {
        user_id: [(v.start, v.end) for v in found if v.start < last and v.end > first]
        for user_id, found in visits.items()
    }
    free = {
        found.technician: [(i.start, i.end) for i in found.free]
        for found in availability(technicians=technicians, start=first, end=last, booked=booked)
    }
    chosen, checked, refused = _checked(
        work_order=work_order,
        candidates=search.best(free, enough=limit),
        limit=limit,
        moving=moving,
    )
    if refused and len(chosen) < limit:  # never seen: then every day is tried, and checked
        chosen, checked, refused = _checked(
            work_order=work_order,
            candidates=search.best(free, enough=None),
            limit=limit,
            moving=moving,
        )
    unplannable = []
    if not chosen:
        unplannable.append(
            _no_free_window(work_order=work_order, minutes=minutes, first=first, last=last)
        )
        if refused:
            unplannable.append(f"The planning check refused {refused} free window(s).")
        if site is None:
            unplannable.append(NO_COORDINATES)
    return Proposals(
        start, end, [search.proposal(c) for c in chosen], unplannable, checked, refused
    )


NO_COORDINATES = "The site has no coordinates: distance is unknown and ignored."


def _window(*, work_order, start, end, now) -> tuple[datetime, datetime]:
    """Where a proposal may lie: the range, from now on (a proposal never starts in the past),
    from the earliest date to the due date."""
    first = _on_step(max(start, now + timedelta(seconds=1)))
    if work_order.earliest_date_plannable:
        first = max(first, _on_step(work_order.earliest_date_plannable))
    last = min(end, work_order.due_date) if work_order.due_date else end
    return first, last


def _midnight(moment: datetime, zone: ZoneInfo, days: int = 0) -> datetime:
    """The start of `moment`'s local day (`days` later), in UTC."""
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _on_step(moment: datetime) -> datetime:
    """`moment`, or the next five-minute mark after it."""
    steps = -(-(moment - _EPOCH) // STEP)
    return _EPOCH + steps * STEP


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%a %d %b %Y %H:%M}"


def _empty_window(*, work_order, start, end, now, zone) -> str:
    due, earliest = work_order.due_date, work_order.earliest_date_plannable
    if due is not None and due <= now:
        return f"The due date {_when(due, zone)} has passed."
    if due is not None and earliest is not None and due <= earliest:
        return f"The due date {_when(due, zone)} is before the earliest date."
    if due is not None and due <= start:
        return f"The due date {_when(due, zone)} is before the range."
    if earliest is not None and earliest >= end:
        return f"The earliest date {_when(earliest, zone)} is after the range."
    return "The range is over."


def _technicians(*, user, work_order) -> list[User]:
    """Who the planning check lets do it: active technicians of its organization, with its
    skill (technician_problem and missing_skill, as a query)."""
    found = calendar_selectors.technicians(user=user).filter(
        sales_organization_id=work_order.sales_organization_id
    )
    if work_order.skill_id:
        found = found.filter(skills=work_order.skill_id)
    return list(
        found.select_related("sales_organization", "base_address").order_by("code", "username")
    )


def _nobody(work_order) -> str:
    organization = work_order.sales_organization.code
    if work_order.skill_id:
        return f"No active technician of {organization} has the skill {work_order.skill.name}."
    return f"{organization} has no active technician."


def _no_free_window(*, work_order, minutes, first, last) -> str:
    zone = zone_of(work_order.sales_organization)
    if work_order.due_date and last == work_order.due_date:
        return f"No free window of {minutes} min before the due date {_when(last, zone)}."
    return f"No free window of {minutes} min from {_when(first, zone)} to {_when(last, zone)}."


def _site(work_order) -> geo.Point | None:
    row = WorkOrder.objects.filter(pk=work_order.pk).values(*geo.work_order_point_columns())
    return geo.work_order_point(row.first() or {})


def _rule_planning(work_order):
    """The pk of the planning the Suggested rule made for the work order, if any."""
    if not work_order.suggested_user_id:  # the rule plans only with a suggested technician
        return None
    rule = JobPlanning.objects.filter(work_order=work_order, made_by_rule=True)
    return rule.values_list("pk", flat=True).first()


def _visits(*, technicians, start, end, leaving=None) -> dict:
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
        found[user_id].append(_Visit(a, b, _first_point(coordinates), number))
    return found


def _first_point(coordinates: list) -> geo.Point | None:
    """geo.work_order_point over the columns as read (pairs in WORK_ORDER_POINT_FIELDS' order),
    without a dict per row."""
    for n in range(0, len(coordinates), 2):
        if coordinates[n] is not None and coordinates[n + 1] is not None:
            return geo.Point(coordinates[n], coordinates[n + 1])
    return None


@dataclass(frozen=True, slots=True)
class _Plan:
    """A technician's appointments around the range, found by start and by end."""

    visits: list
    starts: list
    by_end: list
    ends: list
    base: geo.Point | None
    booked: dict  # local day: time planned


class _Search:
    """The best start in each free window of a technician, one candidate per day."""

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

    def best(self, free: dict, *, enough: int | None) -> list[_Fit]:
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

    def _plan(self, technician: User) -> "_Plan":
        visits = self.visits.get(technician.pk, [])
        by_end = sorted(visits, key=lambda v: v.end)
        base = None
        if technician.base_address is not None:
            base = geo.point(technician.base_address.latitude, technician.base_address.longitude)
        booked = defaultdict(timedelta)
        for v in visits:
            booked[self._day(v.start)] += v.end - v.start
        return _Plan(
            visits, [v.start for v in visits], by_end, [v.end for v in by_end], base, booked
        )

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def _travel(self, km: float | None) -> timedelta:
        if km is None or not self.speed:
            return timedelta()
        return timedelta(hours=km / self.speed)

    def _fit(self, technician, plan, day, a, b, hours) -> _Fit | None:
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
        start = _on_step(start)
        end = start + self.duration
        latest = b - self._travel(km_out) if after is not None else b
        if end > latest:
            return None
        detour = _detour(km_in, km_out, geo.distance_km(origin, destination))
        days = (start - self.first) / timedelta(days=1)
        score = 100 - self.per_km * (detour or 0) - self.per_day * days - self.per_hour * hours
        return _Fit(technician, start, end, score, (a, b), before, base, km_in, pushed, hours)

    def proposal(self, fit: _Fit) -> Proposal:
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


def _detour(km_in, km_out, km_direct) -> float | None:
    """The km the visit adds to the day: in and out, less the way it replaces. A leg that is
    unknown counts nothing."""
    if km_in is not None and km_out is not None and km_direct is not None:
        return max(0.0, km_in + km_out - km_direct)
    known = [km for km in (km_in, km_out) if km is not None]
    return sum(known) if known else None


def _checked(*, work_order, candidates, limit, moving=None) -> tuple[list[_Fit], int, int]:
    """The first `limit` candidates the planning check passes with no finding at all. Candidates
    lie in disjoint free windows of their technician, so checking them together (the check takes
    them as about to be written) finds no overlap between them. `moving`: the work order's rule
    planning, checked where each candidate would put it (as the Suggested rule would move it)."""
    chosen, checked, refused, queue = [], 0, 0, list(candidates)
    while queue and len(chosen) < limit:
        batch, queue = queue[: limit - len(chosen)], queue[limit - len(chosen) :]
        findings = findings_for(
            [
                Appointment(
                    user_id=p.technician.pk,
                    work_order=work_order,
                    date_start=p.start,
                    date_end=p.end,
                    pk=moving,
                    moving=moving is not None,
                )
                for p in batch
            ]
        )
        checked += len(batch)
        for proposal, found in zip(batch, findings, strict=True):
            if found:
                refused += 1
            else:
                chosen.append(proposal)
    return chosen, checked, refused
