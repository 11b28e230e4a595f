"""The auto-plan's problem with no database in it: technicians, the free stretches of their
working days (shifts), the visits to plan, and the travel between every two places, in whole
minutes from an origin.

Nodes: visit i is node i; technician t's base is node len(visits) + t; then the places where
stretches begin or end (the sites of plannings already there). A place with no coordinates is
0 km from everywhere: its distance is unknown, so it is ignored (as the proposals ignore it)."""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import pairwise

from workorders.scheduling.geo import Point, distance_km

# A free stretch shorter than this holds no visit worth a trip.
MIN_SHIFT_MINUTES = 15


@dataclass(frozen=True)
class Technician:
    key: object
    label: str
    point: Point | None


@dataclass(frozen=True)
class Shift:
    """A stretch of one technician's working day with nothing booked in it (a vehicle of the
    solver): it leaves `first` at `start` and is back at `last` by `end` (None: the technician's
    base; else a place of Instance.stops, the site of the planning before or after it).
    `lunch`: the gaps of the working hours inside it, shared by every technician working then:
    no visit overlaps them, but a technician may drive during them."""

    technician: int
    day: int  # days from the origin
    start: int
    end: int
    lunch: tuple[tuple[int, int], ...] = ()
    first: int | None = None
    last: int | None = None

    @property
    def free_minutes(self) -> int:
        return self.end - self.start - sum(b - a for a, b in self.lunch)


@dataclass(frozen=True)
class Visit:
    key: object
    label: str
    point: Point | None
    duration: int
    earliest: int  # earliest start
    latest: int  # latest end
    technicians: frozenset  # indexes of the technicians who may do it (skill, organization)
    rank: int = 0  # priority: higher is more urgent, dropped last


@dataclass
class Instance:
    origin: datetime  # minute 0 (UTC)
    technicians: list[Technician]
    shifts: list[Shift]
    visits: list[Visit]
    speed_kmh: float
    stops: list[Point | None] = field(default_factory=list)
    # Unplanned before any planner runs, with the reason: {visit index: reason}.
    excluded: dict[int, str] = field(default_factory=dict)
    km: list[list[float]] = field(init=False, repr=False)
    minutes: list[list[int]] = field(init=False, repr=False)
    candidates: list[list[int]] = field(init=False, repr=False)

    def __post_init__(self):
        self.shifts = shared_lunches(self.shifts)
        self.km = travel_km(self.points())
        self.minutes = [[travel_minutes(d, self.speed_kmh) for d in row] for row in self.km]
        # A stretch too short to drive from where it begins to where it ends holds nothing
        # (and would make the solver's model infeasible).
        self.shifts = [
            s
            for s in self.shifts
            if self.minutes[self.start_node(s)][self.end_node(s)] <= s.end - s.start
        ]
        self.candidates = [self._shifts_for(v) for v in self.visits]

    def points(self) -> list[Point | None]:
        return [v.point for v in self.visits] + [t.point for t in self.technicians] + self.stops

    def start_node(self, shift: Shift) -> int:
        return self._node(shift, shift.first)

    def end_node(self, shift: Shift) -> int:
        return self._node(shift, shift.last)

    def _node(self, shift: Shift, stop: int | None) -> int:
        if stop is None:
            return len(self.visits) + shift.technician
        return len(self.visits) + len(self.technicians) + stop

    def moment(self, minute: int) -> datetime:
        return self.origin + timedelta(minutes=minute)

    def _shifts_for(self, visit: Visit) -> list[int]:
        """The shifts that may take a visit: a technician allowed to do it, a stretch that
        meets its window and is long enough for it."""
        return [
            n
            for n, s in enumerate(self.shifts)
            if s.technician in visit.technicians
            and s.start < visit.latest
            and s.end > visit.earliest
            and min(s.end, visit.latest) - max(s.start, visit.earliest) >= visit.duration
        ]


def day_shifts(
    *,
    technician: int,
    day: int,
    working: Iterable[tuple[int, int]],
    busy: Iterable[tuple[int, int, int | None]] = (),
) -> list[Shift]:
    """The free stretches of one working day: the working intervals, their gaps as lunch, cut
    where the technician is busy ((start, end, place): an absence, a planning already there,
    the place being an index of Instance.stops or None for the base). A stretch does not begin
    or end inside a gap."""
    working = sorted(working)
    if not working:
        return []
    gaps = [(a[1], b[0]) for a, b in pairwise(working) if b[0] > a[1]]
    first_minute, last_minute = working[0][0], working[-1][1]
    pieces, cursor, since = [], first_minute, None
    for a, b, place in sorted(busy, key=lambda x: (x[0], x[1])):
        if b <= cursor or a >= last_minute:
            if a >= last_minute:
                break
            continue
        if a > cursor:
            pieces.append((cursor, a, since, place))
        cursor, since = max(cursor, b), place
    if cursor < last_minute:
        pieces.append((cursor, last_minute, since, None))
    shifts = []
    for start, end, first, last in pieces:
        for a, b in gaps:  # not from inside a gap: from its end; not into one: to its start
            if a <= start < b:
                start = b
            if a < end <= b:
                end = a
        # Before the first and after the last working interval is no working time either.
        if end - start < MIN_SHIFT_MINUTES:
            continue
        lunch = tuple((a, b) for a, b in gaps if start < a and b < end)
        shifts.append(Shift(technician, day, start, end, lunch, first, last))
    return shifts


def shared_lunches(shifts: list[Shift]) -> list[Shift]:
    """The solver forbids a lunch break to the visits of a day whoever does them, so a lunch
    gap must be shared by every shift of the day that spans it; a shift with a gap of its own
    is split there into two stretches, back at and from the base."""
    by_day: dict[int, list[Shift]] = {}
    for s in shifts:
        by_day.setdefault(s.day, []).append(s)
    out = []
    for s in shifts:
        own = [
            g
            for g in s.lunch
            if any(o.start <= g[0] and g[1] <= o.end and g not in o.lunch for o in by_day[s.day])
        ]
        if not own:
            out.append(s)
            continue
        pieces, cursor, first = [], s.start, s.first
        for a, b in own:
            pieces.append((cursor, a, first, None))
            cursor, first = b, None
        pieces.append((cursor, s.end, first, s.last))
        for start, end, first, last in pieces:
            if end - start >= MIN_SHIFT_MINUTES:
                lunch = tuple(g for g in s.lunch if start < g[0] and g[1] < end)
                out.append(replace(s, start=start, end=end, lunch=lunch, first=first, last=last))
    return out


def day_lunches(shifts: list[Shift]) -> dict[int, set[tuple[int, int]]]:
    """The shared lunch breaks of each day."""
    found: dict[int, set] = {}
    for s in shifts:
        found.setdefault(s.day, set()).update(s.lunch)
    return found


def travel_km(points: list[Point | None]) -> list[list[float]]:
    """The symmetric matrix of great-circle distances (each pair computed once)."""
    size = len(points)
    km = [[0.0] * size for _ in range(size)]
    for i in range(size):
        a = points[i]
        if a is None:
            continue
        row = km[i]
        for j in range(i + 1, size):
            d = distance_km(a, points[j])
            if d:
                row[j] = km[j][i] = d
    return km


def travel_minutes(km: float, speed_kmh: float) -> int:
    return math.ceil(km * 60 / speed_kmh) if km else 0
