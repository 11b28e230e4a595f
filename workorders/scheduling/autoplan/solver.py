"""The OR-Tools routing model: each shift (a free stretch of a technician's working day) is a
vehicle from its start place to its end place (the base, or the site of a planning already
there), each visit a node with its duration, its window and the shifts allowed to take it; a
visit may be dropped at a penalty that grows with its priority. The shared lunch break is a set
of forbidden start times of each visit.

What a feasibility run on 2 cores showed (issue 18, PERFORMANCE.md) and this model follows:
the travel matrices are registered with `RegisterTransitMatrix` (no Python callback in the
search); the allowed vehicles restrict `VehicleVar` (SetAllowedVehiclesForIndex raises
TypeError in 9.15: its absl::Span argument is not wrapped); the search starts from the
best-insertion greedy's routes and improves them with guided local search until the time limit;
when OR-Tools refuses the warm start, the first solution is local cheapest insertion (path
cheapest arc found nothing). Busy time as OR-Tools' break intervals was tried: on every
vehicle, re-reading the warm start took over 15 s at 1,000 × 40; on the few busy ones, the
search failed at once; so busy time cuts the day into vehicles (instance.day_shifts).

What measuring it showed since (bench/autoplan.py, 200 × 10 in 10 s): with OR-Tools' default
operators, one sweep of the neighbourhoods took seconds (its insertion-LNS operators above
all), so the first descent had not ended when the time ran out and guided local search never
began; the plain moves below end it in 2–4 s. And a drop penalty above any travel made the
search add every visit it could, each at any detour: the plan held a few more visits than the
greedy's for about as much driving. A visit is now worth a bounded detour (VISIT_WORTH_M), and
the plan never holds fewer visits than its warm start (a hard floor)."""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from ortools.util import optional_boolean_pb2

from workorders.scheduling.autoplan.greedy import Routes, best_insertion
from workorders.scheduling.autoplan.instance import Instance, day_lunches
from workorders.scheduling.autoplan.timing import route_km
from workorders.scheduling.geo import Point, distance_km

# What planning a visit is worth, in metres of travel: a visit whose cheapest place in the plan
# costs a longer detour is left out, unless the floor (as many visits as the warm start) needs
# it. Bench, 3 seeds: with a worth above any travel (10,000 km), 200 × 10 planned 4–9 more
# visits than the best-insertion greedy with 8–20% less driving; with 85 km, 3–11 more with
# 21–25% less, and 1,000 × 40 more visits and less driving than before too. 80 km planned too
# few at 1,000 × 40 (seed 2: 657, under 15% more than the simple greedy's 573).
VISIT_WORTH_M = 85_000
# Added per priority rank: an urgent visit (rank 3) is worth 2.5 normal ones, dropped last.
RANK_WORTH_M = 42_500
# The moves the search makes (RoutingSearchParameters.local_search_operators, without `use_`);
# every other operator is off: OR-Tools' default set adds insertion LNS and chain operators
# whose sweep took seconds on 2 cores (see the module's docstring).
OPERATORS = (
    "relocate",
    "exchange",
    "cross",
    "two_opt",
    "or_opt",
    "make_active",
    "make_inactive",
    "swap_active",
)
MIN_SEARCH_SECONDS = 0.5
# Reading the solution out after the search, not counted by OR-Tools' own time limit.
READING_SECONDS = 0.2
# Kept for the caller to time the plan and re-check it within the limit.
FINISHING_SECONDS = 0.3
OVERRUN_SHARE = 0.04
# Past this many technicians the instance is solved region by region (see `solve`).
REGION_TECHNICIANS = 10


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
    region_technicians: int = REGION_TECHNICIANS,
) -> Outcome:
    """Routes improved from `warm_start` (by default the best-insertion greedy's) within
    `time_limit` seconds of wall time from the call (the greedy start and the models' building
    come out of it).

    Up to `region_technicians` technicians, one model. Past them, the technicians are grouped
    by where their bases are and each region is searched in turn for its share of the time,
    with the visits planned in its days and the unplanned ones whose nearest allowed technician
    is one of its own: on 2 shared cores, one model of 1,000 visits × 200 technician-days found
    one improving move per 3 s sweep of its neighbourhoods, where regions of about 250 × 50
    improve by the hundred."""
    # OR-Tools looks at its clock between moves: on a busy machine a move may run over.
    deadline = time.monotonic() + time_limit - FINISHING_SECONDS - OVERRUN_SHARE * time_limit
    routes = warm_start if warm_start is not None else best_insertion(instance)
    regions = _regions(instance, region_technicians)
    if len(regions) <= 1:
        return _solve_model(
            instance,
            deadline=deadline,
            warm_start=routes,
            on_progress=on_progress,
            progress_every=progress_every,
        )
    routes = Routes([list(r) for r in routes.by_shift])
    solutions, warm, statuses = 0, True, []
    nearest = _nearest_region(instance, regions, routes)
    for number, region in enumerate(regions):
        share = (deadline - time.monotonic()) / (len(regions) - number)
        sub, visits, shifts = _region(instance, routes, region, nearest, number)
        if not sub.visits or not sub.shifts:
            continue
        outside = _outside(instance, routes, set(shifts))
        local = {v: j for j, v in enumerate(visits)}
        done = solutions

        def report(found, seconds, planned, km, outside=outside, done=done):
            if on_progress is not None:
                on_progress(done + found, seconds, planned + outside[0], km + outside[1])

        outcome = _solve_model(
            sub,
            deadline=time.monotonic() + share,
            warm_start=Routes([[local[v] for v in routes.by_shift[n]] for n in shifts]),
            on_progress=report,
            progress_every=progress_every,
        )
        solutions += outcome.solutions
        warm = warm and outcome.warm_started
        statuses.append(outcome.status)
        for j, n in enumerate(shifts):
            routes.by_shift[n] = [visits[v] for v in outcome.routes.by_shift[j]]
    status = ", ".join(sorted(set(statuses))) or "nothing to plan"
    return Outcome(routes, warm, solutions, f"{len(regions)} regions: {status}")


def _regions(instance: Instance, size: int) -> list[list[int]]:
    """Technicians in groups of about `size` whose bases lie near each other (a few rounds of
    k-means from the farthest-apart bases; without a base, in the smallest group)."""
    count = len(instance.technicians)
    k = math.ceil(count / size) if size else 1
    if k <= 1:
        return [list(range(count))]
    points = [t.point for t in instance.technicians]
    placed = [t for t in range(count) if points[t] is not None]
    if len(placed) < k:
        return [list(range(count))]
    centres = [placed[0]]
    while len(centres) < k:
        centres.append(
            max(placed, key=lambda t: min(distance_km(points[t], points[c]) for c in centres))
        )
    centre_points = [points[c] for c in centres]
    for _ in range(8):
        groups = [[] for _ in range(k)]
        for t in placed:
            groups[min(range(k), key=lambda g: distance_km(points[t], centre_points[g]))].append(t)
        centre_points = [
            Point(
                sum(points[t].latitude for t in g) / len(g),
                sum(points[t].longitude for t in g) / len(g),
            )
            if g
            else centre_points[n]
            for n, g in enumerate(groups)
        ]
    for t in range(count):
        if points[t] is None:
            min(groups, key=len).append(t)
    return [g for g in groups if g]


def _nearest_region(instance: Instance, regions, routes: Routes) -> dict[int, int]:
    """Each unplanned visit's region: that of its nearest allowed technician's base."""
    region_of = {t: n for n, g in enumerate(regions) for t in g}
    planned = routes.planned()
    base = len(instance.visits)
    found = {}
    for v, visit in enumerate(instance.visits):
        if v in planned or v in instance.excluded or not instance.candidates[v]:
            continue
        nearest = min(visit.technicians, key=lambda t: (instance.km[base + t][v], t))
        found[v] = region_of[nearest]
    return found


def _region(instance: Instance, routes: Routes, region, nearest, number):
    """The sub-instance of a region: (instance, its visits' global indexes, its shifts')."""
    members = set(region)
    shifts = [n for n, s in enumerate(instance.shifts) if s.technician in members]
    visits = sorted(
        {v for n in shifts for v in routes.by_shift[n]}
        | {v for v, r in nearest.items() if r == number}
    )
    sub = Instance(
        instance.origin,
        instance.technicians,
        [instance.shifts[n] for n in shifts],
        [instance.visits[v] for v in visits],
        instance.speed_kmh,
        stops=instance.stops,
    )
    return sub, visits, shifts


def _outside(instance: Instance, routes: Routes, inside: set) -> tuple[int, float]:
    """Planned visits and km of the shifts outside a region (for progress)."""
    planned, km = 0, 0.0
    for n, route in enumerate(routes.by_shift):
        if n not in inside:
            planned += len(route)
            km += route_km(instance, instance.shifts[n], route)
    return planned, km


def _solve_model(
    instance: Instance,
    *,
    deadline: float,
    warm_start: Routes,
    on_progress: Progress | None,
    progress_every: float,
) -> Outcome:
    """One OR-Tools model of `instance`, searched from `warm_start` until `deadline` (a
    time.monotonic() moment; building the model comes out of it)."""
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
        routing.AddDisjunction([index], VISIT_WORTH_M + RANK_WORTH_M * visit.rank)

    # A base or a site that begins or ends no vehicle's stretch is a place, not a visit.
    depots = {instance.start_node(s) for s in shifts} | {instance.end_node(s) for s in shifts}
    for node in range(len(instance.visits), places):
        if node not in depots:
            index = manager.NodeToIndex(node)
            routing.AddDisjunction([index], 0)
            routing.ActiveVar(index).SetValue(0)

    parameters = _parameters()
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
        # Never fewer visits than the warm start: a visit is worth a bounded detour only, and
        # the plan is to do at least as much work as the greedy's, with less driving.
        floor = sum(len(route) for route in warm_start.by_shift)
        engine = routing.solver()
        active = [routing.ActiveVar(manager.NodeToIndex(v)) for v in range(len(instance.visits))]
        engine.Add(engine.Sum(active) >= floor)
    # What is left once the model is closed and the warm start read (both take a while).
    search = max(MIN_SEARCH_SECONDS, deadline - time.monotonic() - READING_SECONDS)
    parameters.time_limit.FromMilliseconds(int(search * 1000))
    if initial is not None:
        solution = routing.SolveFromAssignmentWithParameters(initial, parameters)
    else:
        solution = routing.SolveWithParameters(parameters)
    if solution is None:
        return Outcome(warm_start, initial is not None, seen[0], _status(routing))
    routes = Routes([_route(routing, manager, solution, number) for number in range(len(shifts))])
    return Outcome(routes, initial is not None, seen[0], _status(routing))


def _parameters():
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = (
        routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    )
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    operators = parameters.local_search_operators
    for field in operators.DESCRIPTOR.fields:
        on = field.name.removeprefix("use_") in OPERATORS
        setattr(
            operators,
            field.name,
            optional_boolean_pb2.BOOL_TRUE if on else optional_boolean_pb2.BOOL_FALSE,
        )
    parameters.time_limit.FromMilliseconds(int(MIN_SEARCH_SECONDS * 1000))
    return parameters


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
