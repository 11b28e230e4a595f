"""One bulk payload through the set-based path (flat records staged and written in SQL, as the
file import does) and through the record-by-record path (`upsert_work_orders`): the same stored
rows, plannings (with their warnings), counts, per-record errors and seed-003 message, on
SQLite and on PostgreSQL."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import transaction

from apijobs.models import ApiJob
from workorders import bulk
from workorders.models import JobPlanning, Project, WorkOrder

from ..factories import make_work_order
from ..workorders.test_import_paths import rows, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

FIELDS = (
    "id2",
    "reference_back_office",
    "name",
    "description",
    "project_id",
    "company_id",
    "sales_organization_id",
    "job_type_id",
    "job_status_id",
    "job_priority_id",
    "parent_id",
    "suggested_user_id",
    "suggested_date_start",
    "estimated_time",
    "skill_id",
    "due_date",
    "db_address_street",
    "db_address_city",
    "db_address_zip",
    "db_address_id",
    "customer_reference",
    "working_sequence",
)


# The stored work orders of the fixtures.
FIXED = ("OLD-1", "OLD-2", "OLD-3", "NL-1", "OLD-4", "OLD-5")


@pytest.fixture
def payload(project, job_type, world, other_sales_org, statuses, priority):  # noqa: F811
    """The import's rows as JSON records, and what only a bulk request carries: records that
    leave fields out (an update naming only its name; a new one without a project), JSON
    numbers and nulls, an embedded project (the record path, in the same job), a reference
    given as a number, another organization's work order, and a planning over another."""
    other_project = Project.objects.create(
        name="NL", company=project.company, sales_organization=other_sales_org
    )
    hidden = make_work_order(
        project=other_project, job_type=job_type, priority=priority, reference_back_office="NL-1"
    )
    kept = make_work_order(
        project=project, job_type=job_type, priority=priority, reference_back_office="OLD-4"
    )
    taken = make_work_order(
        project=project, job_type=job_type, priority=priority, reference_back_office="OLD-5"
    )
    # The import's rows, one work order once each: the row stealing OLD-1's reference (OLD-1
    # is updated by another row) steals OLD-5's instead.
    records = rows(project, job_type, world)
    (steal,) = [r for r in records if r["name"] == "Steals a reference"]
    steal["reference_back_office"] = taken.reference_back_office
    start = datetime(2030, 5, 6, 8, 0, tzinfo=UTC).isoformat()
    p = project.reference_back_office
    records += [
        {"id": str(kept.pk), "name": "Renamed by id only"},
        {"reference_back_office": "B-1", "name": "No project", "job_type_code": "Unknown"},
        {
            "reference_back_office": "B-2",
            "name": "Numbers and nulls",
            "project_reference_back_office": p,
            "job_type_code": "Unknown",
            "job_status_code": "ToBePlanned",
            "estimated_time": 120,
            "due_date": None,
            "description": None,
            "working_sequence": 3,
        },
        {
            "reference_back_office": "B-3",
            "name": "Embedded project",
            "project": {"reference_back_office": p},
            "job_type_code": "Unknown",
            "job_status_code": "ToBePlanned",
        },
        {
            "reference_back_office": "B-4",
            "name": "Reference as a number",
            "project_reference_back_office": 12,
            "job_type_code": "Unknown",
            "job_status_code": "ToBePlanned",
        },
        {"id": str(hidden.pk), "name": "Not mine", "project_reference_back_office": p},
        {
            "reference_back_office": "B-5",
            "name": "Over N-2",
            "project_reference_back_office": p,
            "job_type_code": "Unknown",
            "job_status_code": "Suggested",
            "suggested_user_code": "T01",
            "suggested_date_start": start,
            "estimated_time": 60,
        },
        {
            "reference_back_office": "B-6",
            "name": "Bad id",
            "id": "not-a-uuid",
            "project_id": str(project.pk),
            "job_type_code": "Unknown",
            "job_status_code": "ToBePlanned",
        },
        {
            "reference_back_office": "B-7",
            "name": "Project by id, bad parent",
            "project_id": str(project.pk),
            "_parent_jobs_reference_back_office": "NOPE",
            "job_type_code": "Unknown",
            "job_status_code": "Activated",
            "job_priority_code": priority.code,
        },
        {
            "reference_back_office": "B-8",
            "name": "Unknown project id",
            "project_id": str(uuid.UUID(int=7)),
            "job_type_code": "Unknown",
            "job_status_code": "ToBePlanned",
        },
    ]
    return records


def snapshot(job: ApiJob):
    job.refresh_from_db()
    work_orders = {
        wo["reference_back_office"] or str(wo["id"]): wo
        for wo in WorkOrder.objects.values("id", *FIELDS)
    }
    # A new work order's id is drawn at random unless given; its number comes from the
    # sequence, in request order on both paths (the record path reserves numbers for records
    # that then fail too: the same order, not the same numbers).
    new = sorted(
        (wo for wo in work_orders.values() if wo["reference_back_office"] not in FIXED),
        key=lambda wo: wo["id2"],
    )
    for rank, wo in enumerate(new):
        del wo["id"]
        wo["id2"] = f"new #{rank}"
    closed = sorted(
        WorkOrder.objects.filter(date_closed__isnull=False).values_list(
            "reference_back_office", flat=True
        )
    )
    plannings = sorted(
        JobPlanning.objects.values_list(
            "work_order__reference_back_office",
            "user_id",
            "date_start",
            "date_end",
            "made_by_rule",
            "warning_codes",
        )
    )
    errors = list(
        job.errors.order_by("index", "id").values_list(
            "index", "line", "record_id", "field", "message"
        )
    )
    counts = (
        job.status,
        job.total_records,
        job.processed_records,
        job.effected_records,
        job.error_records,
    )
    return {
        "work_orders": work_orders,
        "closed": closed,
        "plannings": plannings,
        "errors": errors,
        "counts": counts,
        "message": job.message,
    }


def bulk_with(
    path, records, by, monkeypatch, settings, django_capture_on_commit_callbacks
) -> tuple[dict, dict]:
    """Run the payload twice (the second time: nothing left to change) through one path; the
    database is left as it was."""
    settings.BULK_CHUNK_SIZE = 7
    monkeypatch.setattr(bulk, "database_supported", lambda: path == "set")
    with transaction.atomic():
        with django_capture_on_commit_callbacks(execute=True):
            job = bulk.accept_bulk_upsert(records=records, by=by)
        first = snapshot(job)
        with django_capture_on_commit_callbacks(execute=True):
            job = bulk.accept_bulk_upsert(records=records, by=by)
        again = snapshot(job)
        transaction.set_rollback(True)
    return first, again


@pytest.mark.parametrize("who", ["planner", "superuser"])
def test_set_based_and_record_paths_give_the_same_result(
    payload, who, request, monkeypatch, settings, django_capture_on_commit_callbacks
):
    by = request.getfixturevalue(who)
    run = (payload, by, monkeypatch, settings, django_capture_on_commit_callbacks)
    set_based, set_based_again = bulk_with("set", *run)
    one_by_one, one_by_one_again = bulk_with("records", *run)
    for key in set_based:
        assert set_based[key] == one_by_one[key], key
        assert set_based_again[key] == one_by_one_again[key], key
    status, total, processed, effected, failed = set_based["counts"]
    assert (status, total, processed) == ("completed", len(payload), len(payload))
    assert effected >= 8 and failed >= 8
    assert set_based_again["counts"][3] == 0  # nothing left to change
    assert "failed with the following errors" in set_based["message"]
    fields = {(index, field) for index, _, _, field, _ in set_based["errors"]}
    assert (len(payload) - 9, "project_id") in fields  # a new work order needs a project
    assert any(codes for *_, codes in set_based["plannings"])  # B-5 over N-2: a warning


def test_flat_records_take_the_set_based_path(payload, planner, monkeypatch):
    """Which records go set-based: the flat ones; an embedded object, a reference that is not a
    string or an id that is not a uuid go record by record."""
    flat = [bulk.is_flat(record, partial=False) for record in payload]
    names = {record.get("name"): f for record, f in zip(payload, flat, strict=True)}
    assert names["Embedded project"] is False
    assert names["Reference as a number"] is False
    assert names["Bad id"] is True  # its own id is validated alike on both paths
    assert names["Renamed by id only"] is True
    assert sum(flat) >= len(payload) - 3
    assert bulk.is_flat({"name": "x", "project_id": "nope"}, partial=False) is False
    assert bulk.is_flat({"reference_back_office": "x"}, partial=True) is False
