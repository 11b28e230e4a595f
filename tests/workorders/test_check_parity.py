"""The batch check (refresh_warnings over many plannings at once) finds exactly what the check
of one planning (findings_for([it])) finds, on a randomized world: skills, absences, holidays,
working-hour patterns and exceptions, overlaps, dates either side of the work orders' bounds and
of now, daylight saving in Brussels."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from jobsite import calendar_services
from jobsite.models import Absence, Holiday, User
from workorders.models import JobPlanning
from workorders.scheduling.checks import Appointment, findings_for
from workorders.scheduling.warnings import refresh_warnings

from ..factories import make_work_order

pytestmark = pytest.mark.django_db

# Around the spring change of 2030 in Brussels (31 March).
FIRST = datetime(2030, 3, 20, tzinfo=UTC)
DAYS = 20


def _world(rng, *, sales_org, project, skill):
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save(update_fields=["time_zone"])
    technicians = []
    for n in range(6):
        tech = User.objects.create_user(
            username=f"parity{n}", code=f"P{n}", sales_organization=sales_org, is_technician=True
        )
        if rng.random() < 0.6:
            tech.skills.add(skill)
        technicians.append(tech)
    calendar_services.save_working_hours(
        sales_organization=sales_org,
        weekly=[{"weekday": d, "start": "08:00", "end": "12:00"} for d in range(1, 6)]
        + [{"weekday": d, "start": "13:00", "end": "17:30"} for d in range(1, 6)],
        exceptions=[{"date": "2030-03-27", "intervals": []}],
    )
    for tech in technicians[::2]:  # their own patterns, with exceptions
        calendar_services.save_working_hours(
            technician=tech,
            weekly=[{"weekday": d, "start": "07:00", "end": "15:00"} for d in range(1, 5)]
            + [{"weekday": 6, "start": "09:00", "end": "12:00"}],
            exceptions=[
                {"date": "2030-03-25", "intervals": [{"start": "10:00", "end": "11:00"}]},
                {"date": "2030-04-02", "intervals": []},
            ],
        )
    for day in (date(2030, 3, 22), date(2030, 4, 1)):
        Holiday.objects.create(sales_organization=sales_org, date=day, name=f"Feast {day}")
    for _ in range(15):
        start = FIRST + timedelta(hours=rng.randrange(DAYS * 24))
        Absence.objects.create(
            technician=rng.choice(technicians),
            start=start,
            end=start + timedelta(hours=rng.choice([2, 5, 30])),
            kind=rng.choice(["sick", "time_off", "training"]),
        )
    now = datetime.now(UTC)
    for n in range(120):
        if rng.random() < 0.1:  # a few in the past
            start = now - timedelta(hours=rng.randrange(1, 200))
        else:
            start = FIRST + timedelta(minutes=30 * rng.randrange(DAYS * 48))
        minutes = rng.choice([30, 60, 90, 240, 600])
        wo = make_work_order(
            project=project,
            status=rng.choice(["ToBePlanned", "ToBePlanned", "InProgress"]),
            name=f"Parity {n}",
            skill=skill if rng.random() < 0.7 else None,
            due_date=start + timedelta(hours=rng.choice([-5, 1, 48]))
            if rng.random() < 0.3
            else None,
            earliest_date_plannable=(
                start + timedelta(hours=rng.choice([-24, 2])) if rng.random() < 0.3 else None
            ),
        )
        JobPlanning.objects.create(
            work_order=wo,
            user=rng.choice(technicians),
            date_start=start,
            date_end=start + timedelta(minutes=minutes),
        )
    return technicians


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_batch_check_finds_what_the_single_check_finds(seed, sales_org, project, skill):
    rng = random.Random(seed)
    technicians = _world(rng, sales_org=sales_org, project=project, skill=skill)
    plannings = list(
        JobPlanning.objects.filter(user__in=technicians).select_related("work_order__job_status")
    )
    JobPlanning.objects.filter(pk__in=[p.pk for p in plannings]).update(warnings=[])
    low = min(p.date_start for p in plannings) - timedelta(days=2)
    high = max(p.date_end for p in plannings) + timedelta(days=2)
    refresh_warnings(
        windows=[(t.pk, low, high) for t in technicians], written=[p.pk for p in plannings]
    )
    stored = dict(
        JobPlanning.objects.filter(pk__in=[p.pk for p in plannings]).values_list("pk", "warnings")
    )
    codes = set()
    for p in plannings:
        (single,) = findings_for(
            [
                Appointment(
                    pk=p.pk,
                    user_id=p.user_id,
                    work_order=p.work_order,
                    date_start=p.date_start,
                    date_end=p.date_end,
                )
            ]
        )
        assert stored[p.pk] == [f.as_dict() for f in single], p
        codes |= {f.code for f in single}
    # The world exercises every warning.
    assert codes >= {
        "overlap",
        "outside_working_hours",
        "absence",
        "holiday",
        "missing_skill",
        "in_the_past",
        "before_earliest_date",
        "after_due_date",
    }
