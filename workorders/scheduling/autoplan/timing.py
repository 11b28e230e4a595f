"""When a technician can start a visit, the rule every planner here plans by (and the OR-Tools
model follows): a visit starts once the technician is free and has driven there, not before its
earliest start, and overlaps no lunch break (a technician may drive during one)."""

from collections.abc import Sequence

from workorders.scheduling.autoplan.instance import Instance, Shift


def earliest_start(
    *, ready: int, travel: int, duration: int, lunch: Sequence[tuple[int, int]], not_before: int
) -> int:
    start = max(ready + travel, not_before)
    for a, b in lunch:  # sorted: moving past one can only meet a later one
        if a < start + duration and b > start:
            start = b
    return start


def schedule(instance: Instance, shift: Shift, route: Sequence[int]) -> list[int] | None:
    """The start of each visit of `route` (visit indexes in order) on `shift`, each as early as
    it can be; None when the route does not fit (a window missed, or not at the stretch's end
    place by its end)."""
    minutes = instance.minutes
    ready, at, starts = shift.start, instance.start_node(shift), []
    for v in route:
        visit = instance.visits[v]
        t = earliest_start(
            ready=ready,
            travel=minutes[at][v],
            duration=visit.duration,
            lunch=shift.lunch,
            not_before=visit.earliest,
        )
        if t + visit.duration > min(visit.latest, shift.end):
            return None
        starts.append(t)
        ready, at = t + visit.duration, v
    return starts if ready + minutes[at][instance.end_node(shift)] <= shift.end else None


def route_km(instance: Instance, shift: Shift, route: Sequence[int]) -> float:
    """The km of a route, from its start place and back to its end place; an empty one drives
    nothing (the technician stays where they are)."""
    if not route:
        return 0.0
    km = instance.km
    total, at = 0.0, instance.start_node(shift)
    for v in route:
        total += km[at][v]
        at = v
    return total + km[at][instance.end_node(shift)]
