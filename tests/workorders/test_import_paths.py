"""The set-based import and the batched one (through upsert_work_orders) give the same rows,
plannings, counts and errors for the same file, on PostgreSQL and on SQLite."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction

from jobs.models import JobType
from jobsite.models import User
from workorders import imports
from workorders.models import JobPlanning, Project, WorkOrder

from .conftest import IMPORT_COLUMNS, write_csv

pytestmark = pytest.mark.django_db

COLUMNS = [*IMPORT_COLUMNS, "id", "db_address_street", "db_address_city", "db_address_zip"]


@pytest.fixture
def world(project, company, statuses, job_type, technician, technician2, other_sales_org, skill):
    """Stored data the file refers to: an existing work order to update, one to leave, one to
    cancel; a mobile installation; a job type code that exists globally and for BE01; a
    technician code that also exists in another sales organization."""
    JobType.objects.create(code="Repair", name="Repair (global)")
    local_repair = JobType.objects.create(
        code="REPAIR", name="Repair BE", sales_organization=project.sales_organization
    )
    User.objects.create_user(username="nl-tech", code="T01", sales_organization=other_sales_org)
    van = Project.objects.create(
        name="Van",
        company=company,
        sales_organization=company.sales_organization,
        reference_back_office="VAN-1",
        is_mobile_installation=True,
    )
    start = datetime(2030, 1, 2, 9, 0, tzinfo=UTC)
    base = {
        "project": project,
        "company": company,
        "sales_organization": company.sales_organization,
        "job_type": job_type,
        "date_create": start,
        "date_update": start,
        "modified_dateutc": start,
    }
    WorkOrder.objects.create(
        id2=900001,
        reference_back_office="OLD-1",
        name="Old one",
        job_status=statuses["ToBePlanned"],
        **base,
    )
    WorkOrder.objects.create(
        id2=900002,
        reference_back_office="OLD-2",
        name="Same",
        job_status=statuses["ToBePlanned"],
        estimated_time=45,
        **base,
    )
    suggested = WorkOrder.objects.create(
        id2=900003,
        reference_back_office="OLD-3",
        name="To cancel",
        job_status=statuses["Suggested"],
        suggested_user=technician,
        suggested_date_start=start,
        **base,
    )
    JobPlanning.objects.create(
        work_order=suggested,
        user=technician,
        date_start=start,
        date_end=start.replace(hour=10),
        made_by_rule=True,
    )
    return {"van": van, "local_repair": local_repair, "start": start}


def rows(project, job_type, world):
    start = datetime(2030, 5, 6, 8, 0, tzinfo=UTC).isoformat()
    new_id = str(uuid.UUID(int=42))
    p = project.reference_back_office
    good = {
        "project_reference_back_office": p,
        "job_type_code": "unknown",
        "job_status_code": "tobeplanned",
        "estimated_time": "45",
    }
    return [
        {**good, "reference_back_office": "N-1", "name": "New plain", "skill_code": "ELEC"},
        {
            **good,
            "reference_back_office": "N-2",
            "name": "New suggested",
            "job_status_code": "Suggested",
            "suggested_user_code": "t01",
            "suggested_date_start": start,
            "estimated_time": "30",
        },
        {**good, "reference_back_office": "N-3", "name": "Local type", "job_type_code": "repair"},
        {
            **good,
            "reference_back_office": "OLD-1",
            "name": "Old one renamed",
            "due_date": "2030-07-01T12:00:00+02:00",
            "description": "more",
        },
        {**good, "reference_back_office": "OLD-2", "name": "Same"},
        {
            **good,
            "reference_back_office": "OLD-3",
            "name": "To cancel",
            "job_status_code": "Canceled",
        },
        {**good, "reference_back_office": "N-4", "name": "x" * 256},
        {**good, "reference_back_office": "N-5", "name": "Bad date", "due_date": "tomorrow"},
        {
            **good,
            "reference_back_office": "N-6",
            "name": "No project",
            "project_reference_back_office": "NOPE",
        },
        {
            **good,
            "reference_back_office": "N-7",
            "name": "Bad skill",
            "skill_code": "NOPE",
            "suggested_user_code": "ghost",
        },
        {
            **good,
            "reference_back_office": "N-8",
            "name": "Van no address",
            "project_reference_back_office": "VAN-1",
            "db_address_street": "Quay",
        },
        {
            **good,
            "reference_back_office": "N-9",
            "name": "Van",
            "db_address_street": "Quay",
            "db_address_city": "Gent",
            "db_address_zip": "9000",
            "project_reference_back_office": "VAN-1",
        },
        {**good, "id": new_id, "reference_back_office": "N-10", "name": "Explicit id"},
        {
            **good,
            "id": str(uuid.UUID(int=43)),
            "reference_back_office": "OLD-1",
            "name": "Steals a reference",
        },
        {
            **good,
            "reference_back_office": "N-11",
            "name": "Unknown status",
            "job_status_code": "Later",
        },
    ]


def snapshot(job):
    work_orders = {
        wo["reference_back_office"]: wo
        for wo in WorkOrder.objects.values(
            "reference_back_office",
            "name",
            "description",
            "project_id",
            "company_id",
            "sales_organization_id",
            "job_type_id",
            "job_status_id",
            "suggested_user_id",
            "suggested_date_start",
            "estimated_time",
            "skill_id",
            "due_date",
            "db_address_street",
            "db_address_city",
            "db_address_zip",
            "date_closed",
        )
    }
    ids = dict(WorkOrder.objects.values_list("reference_back_office", "id"))
    plannings = sorted(
        JobPlanning.objects.values_list(
            "work_order__reference_back_office", "user_id", "date_start", "date_end", "made_by_rule"
        )
    )
    errors = sorted(job.errors.values_list("line", "field", "message", "record_id"))
    counts = (job.status, job.total_records, job.effected_records, job.error_records)
    numbers = sorted(WorkOrder.objects.values_list("id2", flat=True))
    return work_orders, ids["N-10"], plannings, errors, counts, len(numbers) == len(set(numbers))


def import_with(method, path):
    with transaction.atomic():
        job = imports.run_import(path=path, method=method)
        result = snapshot(job)
        again = imports.run_import(path=path, method=method)
        result += ((again.effected_records, again.error_records),)
        transaction.set_rollback(True)
    return result


def test_set_based_and_batched_give_the_same_result(tmp_path, project, job_type, world):
    path = write_csv(tmp_path / "wo.csv", rows(project, job_type, world), columns=COLUMNS)
    set_based = import_with("set", path)
    batched = import_with("batched", path)
    for a, b in zip(set_based, batched, strict=True):
        assert a == b
    work_orders, explicit_id, _, errors, counts, unique_numbers, again = set_based
    assert explicit_id == uuid.UUID(int=42)
    assert counts == ("completed", 15, 7, 7)  # N-1 N-2 N-3 N-9 N-10 created, OLD-1 OLD-3 updated
    assert again == (0, 7)
    assert unique_numbers
    assert work_orders["N-3"]["job_type_id"] == world["local_repair"].pk
    assert {(line, field) for line, field, *_ in errors} >= {
        (8, "name"),
        (9, "due_date"),
        (10, "project_reference_back_office"),
        (11, "skill_code"),
        (11, "suggested_user_code"),
        (12, "db_address_city"),
        (15, "reference_back_office"),
        (16, "job_status_code"),
    }


def test_a_work_order_twice_in_one_file(tmp_path, project, job_type, world):
    """The set-based path refuses the later lines that name a work order again (one statement
    cannot write a row twice, and the file is ambiguous); the batched path, like a bulk
    request, applies them in turn (see README)."""
    first, *_ = rows(project, job_type, world)
    again = {**first, "name": "Same reference, other name"}
    path = write_csv(tmp_path / "wo.csv", [first, again], columns=COLUMNS)
    job = imports.run_import(path=path, method="set")
    assert (job.effected_records, job.error_records) == (1, 1)
    error = job.errors.get()
    assert (error.line, error.field) == (3, "reference_back_office")
    assert WorkOrder.objects.get(reference_back_office="N-1").name == "New plain"
    assert imports.run_import(path=path, method="set").effected_records == 0


def test_a_file_of_updates_only_touches_what_changed(tmp_path, project, job_type, world):
    path = write_csv(tmp_path / "wo.csv", rows(project, job_type, world)[3:6], columns=COLUMNS)
    job = imports.run_import(path=path, method="set")
    assert (job.effected_records, job.error_records) == (2, 0)
    assert WorkOrder.objects.get(reference_back_office="OLD-2").date_update == world["start"]
    assert not JobPlanning.objects.filter(work_order__reference_back_office="OLD-3").exists()


def test_the_suggested_rule_in_sql_matches_the_service(
    project, company, statuses, job_type, technician, technician2
):
    from django.db import connection

    from workorders import services
    from workorders.imports import write

    start = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)
    later = start.replace(hour=13)
    base = {
        "project": project,
        "company": company,
        "sales_organization": project.sales_organization,
        "job_type": job_type,
        "date_create": start,
        "date_update": start,
        "modified_dateutc": start,
    }
    # status, suggested user, start, estimated_time, existing planning (user, start, by rule)
    cases = [
        ("Suggested", technician, start, 90, None),
        ("Suggested", technician, start, 90, (technician, start, True)),
        ("Suggested", technician2, later, None, (technician, start, True)),
        ("Suggested", technician, start, 0, (technician, start, True)),
        ("Suggested", None, start, 30, (technician, start, True)),
        ("Canceled", technician, start, 30, (technician, start, True)),
        ("Activated", technician, start, 30, (technician, start, True)),
        ("ToBePlanned", None, None, 30, (technician, start, False)),
        ("Suggested", technician2, later, 45, (technician, start, False)),
        ("Waiting", technician, start, 30, (technician, start, True)),
    ]
    work_orders = []
    for n, (status, user, at, minutes, planning) in enumerate(cases):
        wo = WorkOrder.objects.create(
            id2=800000 + n,
            name=f"case {n}",
            job_status=statuses[status],
            suggested_user=user,
            suggested_date_start=at,
            estimated_time=minutes,
            **base,
        )
        if planning:
            who, when, rule = planning
            JobPlanning.objects.create(
                work_order=wo,
                user=who,
                date_start=when,
                date_end=when.replace(hour=9),
                made_by_rule=rule,
            )
        work_orders.append(wo)

    def plannings():
        return sorted(
            JobPlanning.objects.values_list(
                "work_order__name", "user_id", "date_start", "date_end", "made_by_rule"
            )
        )

    with transaction.atomic():
        services.sync_suggested_plannings(work_orders=work_orders)
        by_service = plannings()
        transaction.set_rollback(True)
    id_field = WorkOrder._meta.pk
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE written (id {id_field.db_type(connection)})")
        cursor.executemany(
            "INSERT INTO written VALUES (%s)",
            [[id_field.get_db_prep_value(wo.pk, connection)] for wo in work_orders],
        )
        write.sync_suggested_plannings_sql(cursor, written="written", now=start)
        by_sql = plannings()
        cursor.execute("DROP TABLE written")
        transaction.set_rollback(True)
    assert by_sql == by_service
    assert len(by_service) == 8  # 4 (suggestion cleared), 5 (Canceled), 9 (Waiting) lost theirs


def test_an_error_midway_leaves_nothing_written(tmp_path, project, job_type, world, monkeypatch):
    """The rows are written, then the Suggested rule fails: the whole import is undone."""
    from workorders.imports import write

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    before = sorted(WorkOrder.objects.values_list("reference_back_office", "name"))
    plannings = JobPlanning.objects.count()
    monkeypatch.setattr(write, "_sync_plannings", broken)
    path = write_csv(tmp_path / "wo.csv", rows(project, job_type, world), columns=COLUMNS)
    job = imports.run_import(path=path, method="set")
    assert job.status == "failed"
    assert "disk on fire" in job.message and "nothing was written" in job.message
    assert sorted(WorkOrder.objects.values_list("reference_back_office", "name")) == before
    assert JobPlanning.objects.count() == plannings
    monkeypatch.undo()
    # Nothing left behind either: the same file imports cleanly afterwards.
    assert imports.run_import(path=path, method="set").effected_records == 7
