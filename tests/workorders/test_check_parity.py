"""The batch check (refresh_warnings over many plannings at once) and the SQL form of the
check (checks_sql, the set-based writes' on PostgreSQL) find exactly what the check of one
planning (findings_for([it])) finds, on a randomized world: skills, absences, holidays,
working-hour patterns and exceptions, overlaps, dates either side of the work orders' bounds and
of now, daylight saving in Brussels."""

import json
import random
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from jobsite import calendar_services
from jobsite.models import Absence, Holiday, User
from workorders import imports
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling import checks_sql
from workorders.scheduling.checks import Appointment, findings_for, warning_codes
from workorders.scheduling.pending_checks import settle
from workorders.scheduling.warnings import refresh_warnings

from ..factories import make_work_order
from .conftest import IMPORT_COLUMNS, write_csv

pytestmark = pytest.mark.django_db

PLANNINGS = 120
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
    for n in range(PLANNINGS):
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
        single = _single(p)
        assert stored[p.pk] == single, p
        codes |= {f["code"] for f in single}
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


def _single(planning) -> list[dict]:
    (found,) = findings_for(
        [
            Appointment(
                pk=planning.pk,
                user_id=planning.user_id,
                work_order=planning.work_order,
                date_start=planning.date_start,
                date_end=planning.date_end,
            )
        ]
    )
    return [f.as_dict() for f in found]


@pytest.mark.postgres
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_sql_form_finds_what_the_python_form_finds(seed, sales_org, project, skill):
    rng = random.Random(seed)
    technicians = _world(rng, sales_org=sales_org, project=project, skill=skill)
    # Zero-length plannings, one at a working interval's edge, and a pile-up past the names
    # a message holds.
    wo = make_work_order(project=project, name="Edge", skill=skill)
    edge = FIRST.replace(hour=11)  # 12:00 in Brussels, where the morning ends
    for start, end in [(edge, edge), (edge, edge + timedelta(minutes=30))]:
        JobPlanning.objects.create(
            work_order=wo, user=technicians[1], date_start=start, date_end=end
        )
    for n in range(8):
        JobPlanning.objects.create(
            work_order=make_work_order(project=project, name=f"Pile {n}"),
            user=technicians[3],
            date_start=FIRST + timedelta(days=2, hours=8),
            date_end=FIRST + timedelta(days=2, hours=9),
        )
    plannings = list(
        JobPlanning.objects.filter(user__in=technicians).select_related("work_order__job_status")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE TEMPORARY TABLE parity_target AS
               SELECT id, user_id, date_start, date_end, work_order_id, TRUE AS written,
                      warnings AS stored
               FROM workorders_jobplanning WHERE id = ANY(%s::uuid[])""",
            [[p.pk for p in plannings]],
        )
        technicians = checks_sql.prepare(cursor, users="SELECT user_id FROM parity_target")
        checks_sql.working_time(cursor, targets="parity_target", technicians=technicians)
        checks_sql.gather(cursor, around="parity_target")
        checks_sql.find(cursor, targets="parity_target", now=timezone.now())
        cursor.execute(f"SELECT id, warnings, codes FROM {checks_sql.FOUND}")
        found = {pk: (json.loads(w), codes) for pk, w, codes in cursor.fetchall()}
        checks_sql.drop(cursor)
        cursor.execute("DROP TABLE parity_target")
    seen = set()
    for p in plannings:
        expected = _single(p)
        assert found[p.pk] == (expected, warning_codes(expected)), p
        seen |= {f["code"] for f in expected}
    assert len(seen) == 8  # every warning, as above


def _import_rows(rng, technicians, project, job_type) -> list[dict]:
    rows = []
    for n in range(80):
        start = FIRST + timedelta(minutes=30 * rng.randrange(DAYS * 48))
        rows.append(
            {
                "reference_back_office": f"PARITY-IMP-{n}",
                "name": f"Imported {n}",
                "project_reference_back_office": project.reference_back_office,
                "job_type_code": job_type.code,
                "job_status_code": rng.choice(["Suggested"] * 4 + ["ToBePlanned"]),
                "suggested_user_code": rng.choice(technicians).code,
                "suggested_date_start": start.isoformat(),
                "estimated_time": str(rng.choice([30, 60, 240])),
                "skill_code": "ELEC" if rng.random() < 0.7 else "",
            }
        )
    return rows


def _stored_warnings() -> dict:
    """Each planning's warnings, named so that two runs compare: a planning by its work order's
    reference (or name) and start, a work order's number in a message by its name."""
    plannings = JobPlanning.objects.select_related("work_order")
    key = {str(p.pk): (p.work_order.name, p.date_start) for p in plannings}
    names = dict(WorkOrder.objects.values_list("id2", "name"))

    def named(message):
        return re.sub(r"#(\d+)", lambda m: names[int(m.group(1))], message)

    return {
        key[str(p.pk)]: (
            [
                {
                    **w,
                    "message": named(w["message"]),
                    "planning_ids": [key[i] for i in w["planning_ids"]],
                }
                for w in p.warnings
            ],
            p.warning_codes,
        )
        for p in plannings
    }


@pytest.mark.postgres
def test_an_import_stores_the_same_warnings_through_either_form(
    tmp_path, sales_org, project, skill, job_type, statuses, monkeypatch
):
    """Two files (80 work orders, most Suggested among the world's plannings; then a third of
    them moved, others to be planned, some renamed) through the SQL form and the Python form of
    the check: every planning's stored warnings are the same."""
    rng = random.Random(11)
    technicians = _world(rng, sales_org=sales_org, project=project, skill=skill)
    first = _import_rows(rng, technicians, project, job_type)
    moves = _import_rows(rng, technicians, project, job_type)
    second = [
        {**row, **{k: moves[n][k] for k in ("suggested_user_code", "suggested_date_start")}}
        if n % 3 == 0
        else {**row, "job_status_code": "ToBePlanned"}
        if n % 3 == 1
        else {**row, "name": row["name"] + " (renamed)"}
        for n, row in enumerate(first)
    ]
    files = [
        write_csv(tmp_path / f"parity-{n}.csv", rows, columns=IMPORT_COLUMNS)
        for n, rows in enumerate([first, second])
    ]

    def imported(in_sql: bool) -> dict:
        monkeypatch.setattr(checks_sql, "available", lambda: in_sql)
        with transaction.atomic():
            for path in files:
                job = imports.run_import(path=path, method="set")
                assert job.status == "completed" and job.error_records == 0
                settle()  # the check the import left, in the form `available` says
            found = _stored_warnings()
            transaction.set_rollback(True)
        return found

    in_sql, in_python = imported(True), imported(False)
    assert in_sql == in_python
    assert sum(1 for warnings, _ in in_sql.values() if warnings) > 40
