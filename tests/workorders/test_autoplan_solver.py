"""The auto-plan's planners on in-memory instances (no database): the rule of time, the free
stretches of a day, the independent checker, and the solver beside the greedy baselines (tiny
instances, a second of search)."""

from workorders.scheduling.autoplan import checker, greedy, result, solver
from workorders.scheduling.autoplan.generated import generated
from workorders.scheduling.autoplan.instance import Instance, Shift, Technician, Visit, day_shifts
from workorders.scheduling.autoplan.timing import earliest_start, schedule
from workorders.scheduling.geo import Point

GENT, ANTWERPEN = Point(51.054, 3.717), Point(51.219, 4.402)  # 51.2 km: 62 min at 50 km/h


def placements(plan):
    return [(p.visit, p.technician, p.start) for p in plan.placements]


def test_a_visit_waits_for_travel_and_its_earliest_start_and_skips_lunch():
    lunch = [(720, 750)]
    assert earliest_start(ready=600, travel=30, duration=60, lunch=lunch, not_before=0) == 630
    assert earliest_start(ready=600, travel=0, duration=60, lunch=lunch, not_before=680) == 750
    # Driving during lunch is allowed: arriving at 12:30 after leaving at 11:50.
    assert earliest_start(ready=710, travel=40, duration=30, lunch=lunch, not_before=0) == 750


def test_a_working_day_is_cut_where_the_technician_is_busy_never_inside_lunch():
    working = [(480, 720), (750, 1020)]
    shifts = day_shifts(technician=0, day=0, working=working, busy=[(660, 760, 3)])
    assert [(s.start, s.end, s.lunch, s.first, s.last) for s in shifts] == [
        (480, 660, (), None, 3),  # to the planning's site by 11:00
        (760, 1020, (), 3, None),  # from there after it, home by 17:00
    ]
    (whole,) = day_shifts(technician=0, day=0, working=working)
    assert (whole.start, whole.end, whole.lunch) == (480, 1020, ((720, 750),))


def instance(visits, shifts=None, technicians=None):
    technicians = technicians or [Technician("t0", "T0", GENT), Technician("t1", "T1", ANTWERPEN)]
    shifts = shifts or [
        Shift(0, 0, 480, 1020, ((720, 750),)),
        Shift(1, 0, 480, 1020, ((720, 750),)),
    ]
    return Instance(None, technicians, shifts, visits, 50.0)


def visit(n, point, duration=60, technicians=(0, 1), earliest=0, latest=1440, rank=0):
    return Visit(n, f"#{n}", point, duration, earliest, latest, frozenset(technicians), rank)


def test_the_checker_finds_every_broken_hard_constraint():
    problem = instance(
        [
            visit(0, ANTWERPEN, technicians=(1,)),
            visit(1, GENT, earliest=900),
            visit(2, ANTWERPEN),
            visit(3, GENT),
        ]
    )
    found = checker.violations(
        problem,
        [
            (0, 0, 480),  # technician 0 lacks the skill; and 62 min from Gent, not 0
            (1, 1, 600),  # before its earliest start
            (2, 1, 700),  # over lunch
            (3, 1, 1000),  # past the end of the day
            (3, 1, 1000),  # twice
        ],
    )
    text = " ".join(found)
    for expected in ("may not do it", "outside its window", "lunch", "working days", "twice"):
        assert expected in text
    assert "travel do not fit" in text
    ok = [(0, 1, 480), (1, 0, 900)]
    assert checker.violations(problem, ok) == []


def test_planners_plan_within_every_hard_constraint_and_the_solver_beats_the_simple_greedy():
    problem = generated(seed=7, visits=40, technicians=3, days=2)
    simple = result.plan_of(problem, greedy.simple_greedy(problem))
    best = result.plan_of(problem, greedy.best_insertion(problem))
    outcome = solver.solve(problem, time_limit=1.0)
    solved = result.plan_of(problem, outcome.routes)
    assert outcome.warm_started
    for plan in (simple, best, solved):
        assert checker.violations(problem, placements(plan)) == []
        assert plan.planned + len(plan.unplanned) == 40
    assert solved.planned >= best.planned >= simple.planned > 0
    kpis = result.kpis(problem, solved)
    assert kpis["planned"] == solved.planned and 0 < kpis["utilization"] <= 1


def test_an_urgent_visit_is_dropped_last():
    # Room for one visit of 8 hours: the urgent one gets it.
    problem = instance(
        [visit(0, GENT, duration=480, rank=0), visit(1, GENT, duration=480, rank=3)],
        shifts=[Shift(0, 0, 480, 1020)],
    )
    plan = result.plan_of(problem, solver.solve(problem, time_limit=1.0).routes)
    assert [p.visit for p in plan.placements] == [1]
    assert plan.unplanned == {0: result.NO_ROOM}


def test_a_visit_is_worth_a_bounded_detour_but_never_fewer_visits_than_the_warm_start():
    # From a base in Gent, Antwerpen is 102 km there and back: more than a visit is worth.
    assert solver.VISIT_WORTH_M < 2 * 51_000
    problem = instance(
        [visit(0, GENT, technicians=(0,)), visit(1, ANTWERPEN, technicians=(0,))],
        shifts=[Shift(0, 0, 480, 1020, ((720, 750),))],
        technicians=[Technician("t0", "T0", GENT)],
    )
    alone = solver.solve(problem, time_limit=1.0, warm_start=greedy.Routes([[0]]))
    assert alone.routes.by_shift == [[0]]
    # Started from a plan with both, the floor keeps both: never less work than the start.
    both = solver.solve(problem, time_limit=1.0, warm_start=greedy.Routes([[0, 1]]))
    assert sorted(both.routes.by_shift[0]) == [0, 1]
    assert checker.violations(problem, placements(result.plan_of(problem, both.routes))) == []


def test_unplanned_visits_say_why():
    problem = instance([visit(0, GENT, technicians=()), visit(1, GENT, earliest=2000, latest=3000)])
    plan = result.plan_of(problem, greedy.best_insertion(problem))
    assert plan.unplanned == {0: result.NO_TECHNICIAN, 1: result.NO_WORKING_DAY}


def test_a_route_is_timed_as_early_as_it_can_go():
    problem = instance([visit(0, ANTWERPEN, duration=30), visit(1, GENT, duration=60)])
    assert schedule(problem, problem.shifts[0], [0, 1]) == [480 + 62, 480 + 62 + 30 + 62]
    longer = instance([visit(0, ANTWERPEN, duration=30), visit(1, GENT, duration=90)])
    # 10:34 + 90 min would run into lunch: it waits until 12:30.
    assert schedule(longer, longer.shifts[0], [0, 1]) == [480 + 62, 750]


def test_many_technicians_are_solved_region_by_region_within_the_hard_constraints():
    problem = generated(seed=3, visits=60, technicians=12, days=2)
    best = result.plan_of(problem, greedy.best_insertion(problem))
    outcome = solver.solve(problem, time_limit=2.0, region_technicians=5)
    assert outcome.status.startswith("3 regions")
    solved = result.plan_of(problem, outcome.routes)
    assert checker.violations(problem, placements(solved)) == []
    assert solved.planned >= best.planned
