"""A plan as its users read it: each planned visit's technician, start, end and the travel to
reach it; each unplanned visit with the reason; and the KPIs."""

from dataclasses import dataclass

from workorders.scheduling.autoplan.greedy import Routes
from workorders.scheduling.autoplan.instance import Instance
from workorders.scheduling.autoplan.timing import route_km, schedule

NO_TECHNICIAN = "No technician of the selection has the skill."
NO_WORKING_DAY = "No skilled technician works long enough within its window in the range."
NO_ROOM = "No room left: the technicians who could do it are fully booked in its window."
ROUTE_REFUSED = "Its route did not fit the calendar when re-timed."


@dataclass(frozen=True)
class Placement:
    visit: int
    shift: int
    technician: int
    start: int
    end: int
    travel_km: float  # from the previous stop (the base for the first of the day)


@dataclass
class Plan:
    placements: list[Placement]
    unplanned: dict[int, str]
    travel_km: float  # every leg, the way back to the base included

    @property
    def planned(self) -> int:
        return len(self.placements)


def plan_of(instance: Instance, routes: Routes) -> Plan:
    """Times each route as early as it can go; a route that does not fit (it never should)
    leaves its visits unplanned rather than proposing what cannot be done."""
    placements, total, unplanned = [], 0.0, {}
    for number, route in enumerate(routes.by_shift):
        if not route:
            continue
        shift = instance.shifts[number]
        starts = schedule(instance, shift, route)
        if starts is None:
            unplanned.update(dict.fromkeys(route, ROUTE_REFUSED))
            continue
        at = instance.start_node(shift)
        for v, start in zip(route, starts, strict=True):
            leg = instance.km[at][v]
            placements.append(
                Placement(
                    v, number, shift.technician, start, start + instance.visits[v].duration, leg
                )
            )
            at = v
        total += route_km(instance, shift, route)
    placed = {p.visit for p in placements}
    for v in range(len(instance.visits)):
        if v not in placed and v not in unplanned:
            unplanned[v] = reason_unplanned(instance, v)
    placements.sort(key=lambda p: (p.technician, p.start))
    return Plan(placements, unplanned, total)


def reason_unplanned(instance: Instance, v: int) -> str:
    if v in instance.excluded:
        return instance.excluded[v]
    if not instance.visits[v].technicians:
        return NO_TECHNICIAN
    if not instance.candidates[v]:
        return NO_WORKING_DAY
    return NO_ROOM


def kpis(instance: Instance, plan: Plan, *, range_end: int | None = None) -> dict:
    """planned, unplanned, travel_km, travel_km_per_planned; late: unplanned work due before
    the end of the range (it will miss its due date); utilization: the share of the shifts'
    free time the planned visits fill."""
    end = range_end if range_end is not None else max((s.end for s in instance.shifts), default=0)
    free = sum(s.free_minutes for s in instance.shifts)
    busy = sum(p.end - p.start for p in plan.placements)
    return {
        "planned": plan.planned,
        "unplanned": len(plan.unplanned),
        "travel_km": round(plan.travel_km, 1),
        "travel_km_per_planned": round(plan.travel_km / plan.planned, 2) if plan.planned else 0,
        "late": sum(1 for v in plan.unplanned if instance.visits[v].latest <= end),
        "utilization": round(busy / free, 3) if free else 0,
    }
