"""The OR-Tools routing model: each shift (a technician's working day) is a vehicle starting and
ending at the technician's base, each visit a node with its duration, its window and the shifts
allowed to take it; a visit may be dropped at a penalty that grows with its priority. Breaks
are fixed-time break intervals of the vehicle.

What a feasibility run on 2 cores showed (issue 18, PERFORMANCE.md) and this model follows:
the travel matrices are registered with `RegisterTransitMatrix` (no Python callback in the
search); the allowed vehicles restrict `VehicleVar` (SetAllowedVehiclesForIndex raised
TypeError in 9.15); the search starts from the best-insertion greedy's routes and improves them
with guided local search until the time limit; without a warm start (or when OR-Tools refuses
it) the first solution is local cheapest insertion (path cheapest arc found nothing)."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from workorders.scheduling.autoplan.greedy import Routes, best_insertion
from workorders.scheduling.autoplan.instance import Instance, day_lunches

# A dropped visit costs more than any travel it could save (metres): plan as many as possible,
# the most urgent first, then travel as little as possible.
DROP_PENALTY_M = 10_000_000
# Added per priority rank: an urgent visit is worth dropping several normal ones.
RANK_PENALTY_M = 5_000_000
MIN_SEARCH_SECONDS = 1.0
# Closing the model and reading the warm start, not counted by OR-Tools' own time limit.
CLOSING_SECONDS = 0.5


@dataclass
class Outcome:
    routes: Routes
    warm_started: bool
    solutions: int
    status: str


# on_progress(solutions found, seconds since the search began, planned visits, km)
Progress = Callable[[int, float, int, float], None]


def solve(
    instance: Instance,
    *,
    time_limit: float,
    warm_start: Routes | None = None,
    on_progress: Progress | None = None,
    progress_every: float = 1.0,
    configure: Callable | None = None,
) -> Outcome:
    """Routes improved from `warm_start` (by default the best-insertion greedy's) within
    `time_limit` seconds of wall time from the call: the greedy start and the model's building
    come out of it, the search has the rest (at least a second)."""
    called = time.monotonic()
    if warm_start is None:
        warm_start = best_insertion(instance)
    shifts = instance.shifts
    if not shifts or not instance.visits:
        return Outcome(warm_start, False, 0, "nothing to plan")
    places = len(instance.km)
    manager = pywrapcp.RoutingIndexManager(
        places,
        len(shifts),
        [instance.start_node(s) for s in shifts],
        [instance.end_node(s) for s in shifts],
    )
    routing = pywrapcp.RoutingModel(manager)
    metres = [[int(d * 1000) for d in row] for row in instance.km]
    cost = routing.RegisterTransitMatrix(metres)
    routing.SetArcCostEvaluatorOfAllVehicles(cost)
    durations = [v.duration for v in instance.visits]
    durations += [0] * (places - len(durations))
    travel_and_visit = [[durations[i] + m for m in row] for i, row in enumerate(instance.minutes)]
    horizon = max(s.end for s in shifts) + 1
    routing.AddDimension(
        routing.RegisterTransitMatrix(travel_and_visit), horizon, horizon, False, "Time"
    )
    clock = routing.GetDimensionOrDie("Time")
    lunches = day_lunches(shifts)
    for number, shift in enumerate(shifts):
        clock.CumulVar(routing.Start(number)).SetRange(shift.start, shift.end)
        clock.CumulVar(routing.End(number)).SetRange(shift.start, shift.end)
    for v, visit in enumerate(instance.visits):
        index = manager.NodeToIndex(v)
        allowed = [] if v in instance.excluded else instance.candidates[v]
        routing.VehicleVar(index).SetValues([-1, *allowed])
        latest_start = visit.latest - visit.duration
        if latest_start >= visit.earliest:
            cumul = clock.CumulVar(index)
            cumul.SetRange(max(0, visit.earliest), min(horizon, latest_start))
            # No visit starts where it would overlap the shared lunch break of a day.
            for day in {instance.shifts[c].day for c in allowed}:
                for a, b in lunches.get(day, ()):
                    low, high = a - visit.duration + 1, b - 1
                    if low <= high and high >= cumul.Min() and low <= cumul.Max():
                        cumul.RemoveInterval(low, high)
        routing.AddDisjunction([index], DROP_PENALTY_M + RANK_PENALTY_M * visit.rank)

    # A base or a site that begins or ends no vehicle's stretch is a place, not a visit.
    depots = {instance.start_node(s) for s in shifts} | {instance.end_node(s) for s in shifts}
    for node in range(len(instance.visits), places):
        if node not in depots:
            index = manager.NodeToIndex(node)
            routing.AddDisjunction([index], 0)
            routing.ActiveVar(index).SetValue(0)

    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    )
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    # What is left of the budget once the model is closed (closing it takes a while too).
    search = max(MIN_SEARCH_SECONDS, time_limit - (time.monotonic() - called) - CLOSING_SECONDS)
    parameters.time_limit.FromMilliseconds(int(search * 1000))
    if configure is not None:  # the bench's experiments
        configure(parameters)
    routing.CloseModelWithParameters(parameters)

    began, seen, last = time.monotonic(), [0], [0.0]

    def report():
        seen[0] += 1
        now = time.monotonic() - began
        if on_progress is not None and now - last[0] >= progress_every:
            last[0] = now
            planned, km = _measure(routing, manager, instance)
            on_progress(seen[0], now, planned, km)

    routing.AddAtSolutionCallback(report)
    initial = routing.ReadAssignmentFromRoutes(
        [[manager.NodeToIndex(v) for v in route] for route in warm_start.by_shift], True
    )
    if initial is not None:
        solution = routing.SolveFromAssignmentWithParameters(initial, parameters)
    else:
        solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return Outcome(warm_start, initial is not None, seen[0], _status(routing))
    routes = Routes([_route(routing, manager, solution, number) for number in range(len(shifts))])
    return Outcome(routes, initial is not None, seen[0], _status(routing))


def _route(routing, manager, solution, vehicle: int) -> list[int]:
    route, index = [], solution.Value(routing.NextVar(routing.Start(vehicle)))
    while not routing.IsEnd(index):
        route.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return route


def _measure(routing, manager, instance: Instance) -> tuple[int, float]:
    """Planned visits and km of the solution being reported (inside the solution callback the
    next variables hold it)."""
    planned, metres = 0, 0.0
    for vehicle in range(routing.vehicles()):
        index = routing.Start(vehicle)
        at = manager.IndexToNode(index)
        while not routing.IsEnd(index):
            index = routing.NextVar(index).Value()
            node = manager.IndexToNode(index)
            metres += instance.km[at][node]
            at = node
            planned += 0 if routing.IsEnd(index) else 1
    return planned, metres


def _status(routing) -> str:
    status = routing.status()
    try:
        name = routing_enums_pb2.RoutingSearchStatus.Value.Name(status)
    except ValueError:
        return str(status)
    return name.removeprefix("ROUTING_").lower().replace("_", " ")
