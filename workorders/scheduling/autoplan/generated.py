"""Reproducible generated instances (seeded) for the bench and the tests: technicians with 1 to 3
of 6 skills and a base, Monday to Friday 08:00–12:00 and 12:30–17:00, a few whole-day and
part-day absences; visits of 30 to 240 minutes with one skill, a window of 1 to 5 days and a
priority, spread over a region about 110 × 140 km (Flanders)."""

import random
from datetime import UTC, datetime

from workorders.scheduling.autoplan.instance import Instance, Technician, Visit, day_shifts
from workorders.scheduling.geo import Point

SKILLS = 6
DAY = 24 * 60
MORNING, LUNCH, AFTERNOON, EVENING = 8 * 60, 12 * 60, 12 * 60 + 30, 17 * 60
REGION = ((50.6, 51.4), (3.2, 5.2))  # latitude and longitude ranges
ORIGIN = datetime(2030, 1, 7, tzinfo=UTC)  # a Monday


def _point(rng: random.Random) -> Point:
    (lat_low, lat_high), (lon_low, lon_high) = REGION
    return Point(rng.uniform(lat_low, lat_high), rng.uniform(lon_low, lon_high))


def generated(
    *, seed: int, visits: int, technicians: int, days: int = 5, speed_kmh: float = 50.0
) -> Instance:
    rng = random.Random(seed)
    people = [Technician(f"T{t + 1:03d}", f"T{t + 1:03d}", _point(rng)) for t in range(technicians)]
    skills = [set(rng.sample(range(SKILLS), rng.randint(1, 3))) for _ in people]
    shifts = []
    for t in range(technicians):
        off = rng.randrange(days) if rng.random() < 0.2 else None  # a whole day away
        for day in range(days):
            if day == off:
                continue
            midnight = day * DAY
            busy = []
            if rng.random() < 0.05:  # a part-day absence: a training, a doctor's visit
                start = midnight + rng.choice([9, 14]) * 60
                busy.append((start, start + 120, None))
            working = [
                (midnight + MORNING, midnight + LUNCH),
                (midnight + AFTERNOON, midnight + EVENING),
            ]
            shifts += day_shifts(technician=t, day=day, working=working, busy=busy)
    work = []
    for n in range(visits):
        skill = rng.randrange(SKILLS)
        first = rng.randrange(days)
        last = min(days - 1, first + rng.randint(0, 4))
        work.append(
            Visit(
                key=n,
                label=f"#{n + 1}",
                point=_point(rng),
                duration=rng.choice([30, 45, 60, 90, 120, 180, 240]),
                earliest=first * DAY,
                latest=(last + 1) * DAY,
                technicians=frozenset(t for t in range(technicians) if skill in skills[t]),
                rank=rng.choices([0, 1, 2, 3], [50, 30, 15, 5])[0],
            )
        )
    return Instance(ORIGIN, people, shifts, work, speed_kmh)
