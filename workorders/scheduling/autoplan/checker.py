"""An independent re-check of a plan's hard constraints: it reads the plan as (visit,
technician, start) and the instance's raw facts, computes the travel again from the points,
and shares no code with the planners (a planner's bug cannot hide in both).

Hard constraints: a visit planned once; by a technician allowed to do it; within its window;
inside one of the technician's free stretches and off its lunch break; not overlapping another
visit of the technician; with time enough between two stops (the stretch's start and end places
included) to drive from one to the other."""

import math
from collections import defaultdict
from collections.abc import Iterable

from workorders.scheduling.autoplan.instance import Instance
from workorders.scheduling.geo import distance_km


def violations(instance: Instance, placements: Iterable[tuple[int, int, int]]) -> list[str]:
    """Each broken constraint of (visit, technician, start) placements, in words."""
    found, seen = [], set()
    by_shift: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for v, technician, start in placements:
        visit = instance.visits[v]
        end = start + visit.duration
        name = visit.label
        if v in seen:
            found.append(f"{name} is planned twice.")
        seen.add(v)
        if technician not in visit.technicians:
            found.append(f"{name}: technician {technician} may not do it (skill).")
        if start < visit.earliest or end > visit.latest:
            found.append(f"{name}: {start}–{end} is outside its window.")
        shift = next(
            (
                n
                for n, s in enumerate(instance.shifts)
                if s.technician == technician and s.start <= start and end <= s.end
            ),
            None,
        )
        if shift is None:
            found.append(f"{name}: {start}–{end} is outside the technician's working days.")
            continue
        if any(a < end and b > start for a, b in instance.shifts[shift].lunch):
            found.append(f"{name}: {start}–{end} overlaps a lunch break.")
        by_shift[shift].append((start, end, v))
    for number, stops in by_shift.items():
        shift = instance.shifts[number]
        stops.sort()
        points = [_place(instance, shift, shift.first)]
        points += [instance.visits[v].point for _, _, v in stops]
        points.append(_place(instance, shift, shift.last))
        times = [(shift.start, shift.start)] + [(s, e) for s, e, _ in stops]
        times.append((shift.end, shift.end))
        for k in range(len(times) - 1):
            leave, arrive = times[k][1], times[k + 1][0]
            if arrive < leave:
                found.append(f"Overlap on shift {number} at minute {arrive}.")
                continue
            need = _minutes(distance_km(points[k], points[k + 1]), instance.speed_kmh)
            if arrive - leave < need:
                found.append(
                    f"Shift {number}: {need} min of travel do not fit in {leave}–{arrive}."
                )
    return found


def _minutes(km: float | None, speed_kmh: float) -> int:
    return math.ceil(km * 60 / speed_kmh) if km else 0


def _place(instance: Instance, shift, stop):
    if stop is None:
        return instance.technicians[shift.technician].point
    return instance.stops[stop]
