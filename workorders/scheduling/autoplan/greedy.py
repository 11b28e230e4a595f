"""Two greedy planners: the baselines the solver is measured against (bench/autoplan.py) and,
the better one, its starting point.

- simple: earliest due date first, each visit appended to the day of the nearest skilled
  technician (by base) that has room at its end;
- best insertion: the same order, each visit inserted where it adds the least travel, in any
  day and position where it fits."""

from collections.abc import Sequence
from dataclasses import dataclass

from workorders.scheduling.autoplan.instance import Instance
from workorders.scheduling.autoplan.timing import earliest_start, schedule


@dataclass
class Routes:
    """A plan as the planners make it: for each shift, its visits in order."""

    by_shift: list[list[int]]

    @classmethod
    def empty(cls, instance: Instance) -> "Routes":
        return cls([[] for _ in instance.shifts])

    def planned(self) -> set[int]:
        return {v for route in self.by_shift for v in route}


def order(instance: Instance) -> list[int]:
    """Earliest due first; at equal due dates the more urgent, then the longer first."""
    visits = instance.visits
    return sorted(
        (n for n in range(len(visits)) if n not in instance.excluded),
        key=lambda n: (visits[n].latest, -visits[n].rank, -visits[n].duration, n),
    )


def simple_greedy(instance: Instance) -> Routes:
    routes = Routes.empty(instance)
    # Where each shift's route ends so far: (ready minute, node).
    ends = [(s.start, instance.start_node(s)) for s in instance.shifts]
    km, minutes = instance.km, instance.minutes
    for v in order(instance):
        visit = instance.visits[v]
        choices = sorted(
            instance.candidates[v],
            key=lambda n: (km[len(instance.visits) + instance.shifts[n].technician][v], n),
        )
        for n in choices:
            shift = instance.shifts[n]
            ready, at = ends[n]
            t = earliest_start(
                ready=ready,
                travel=minutes[at][v],
                duration=visit.duration,
                lunch=shift.lunch,
                not_before=visit.earliest,
            )
            if t + visit.duration > min(visit.latest, shift.end):
                continue
            if t + visit.duration + minutes[v][instance.end_node(shift)] > shift.end:
                continue
            routes.by_shift[n].append(v)
            ends[n] = (t + visit.duration, v)
            break
    return routes


def best_insertion(instance: Instance) -> Routes:
    routes = Routes.empty(instance)
    km = instance.km
    for v in order(instance):
        options = []
        for n in instance.candidates[v]:
            shift = instance.shifts[n]
            stops = [instance.start_node(shift), *routes.by_shift[n], instance.end_node(shift)]
            for p in range(len(stops) - 1):
                a, b = stops[p], stops[p + 1]
                options.append((km[a][v] + km[v][b] - km[a][b], n, p))
        options.sort()
        for _, n, p in options:
            route = routes.by_shift[n]
            trial = [*route[:p], v, *route[p:]]
            if schedule(instance, instance.shifts[n], trial) is not None:
                routes.by_shift[n] = trial
                break
    return routes


def starts_of(instance: Instance, routes: Routes) -> list[Sequence[int] | None]:
    return [schedule(instance, instance.shifts[n], r) for n, r in enumerate(routes.by_shift)]
