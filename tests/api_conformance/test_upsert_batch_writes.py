"""The batch upsert writes set-wise, and answers exactly as writing record by record would."""

import uuid

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from workorders import upsert
from workorders.models import JobPlanning, WorkOrder
from workorders.services import upsert_work_orders

pytestmark = pytest.mark.django_db

# The clock's fields, and the id a new work order named by reference draws at random.
_DRAWN = {"id", "date_create", "date_update", "modified_dateutc", "date_closed"}


def _flat(project, job_type, **over):
    """A flat record (no embedded objects) for the planner's project."""
    return {
        "reference_back_office": f"ERP-{uuid.uuid4().hex[:8]}",
        "name": "Yearly maintenance",
        "project_reference_back_office": project.reference_back_office,
        "job_type_code": job_type.code,
        "job_status_code": "ToBePlanned",
        "estimated_time": 90,
        **over,
    }


def _run(records, by, *, record_by_record):
    """Upsert and roll back; the results and the rows written (without the clock's fields)."""
    original = upsert._upsert_cleaned

    def forced(**kwargs):
        return original(**{**kwargs, "batched": False} if record_by_record else kwargs)

    upsert._upsert_cleaned = forced
    try:
        with transaction.atomic():
            results = upsert_work_orders(records=records, by=by)
            answer = [
                (r.outcome, r.errors, r.work_order and r.work_order.reference_back_office)
                for r in results
            ]
            rows = {
                wo["reference_back_office"]: {k: v for k, v in wo.items() if k not in _DRAWN}
                for wo in WorkOrder.objects.values()
            }
            # Numbers by rank: on PostgreSQL a rolled-back run's numbers stay taken
            # (jobsite/numbers.py), so the second run's new rows are numbered further on.
            ranks = {n: rank for rank, n in enumerate(sorted(r["id2"] for r in rows.values()))}
            for row in rows.values():
                row["id2"] = ranks[row["id2"]]
            plannings = sorted(
                (p.work_order.reference_back_office, str(p.user_id), p.date_start)
                for p in JobPlanning.objects.select_related("work_order")
            )
            transaction.set_rollback(True)
    finally:
        upsert._upsert_cleaned = original
    return answer, rows, plannings


def test_a_mixed_batch_answers_as_record_by_record(
    planner, project, job_type, technician, statuses
):
    changed = _flat(project, job_type, id=str(uuid.uuid4()), name="Before")
    same = _flat(project, job_type)
    upsert_work_orders(records=[changed, same], by=planner)
    twice = _flat(project, job_type, name="First")
    suggested = _flat(
        project,
        job_type,
        job_status_code="Suggested",
        suggested_user_code=technician.code,
        suggested_date_start="2026-05-04T08:00:00Z",
    )
    records = [
        _flat(project, job_type, id=str(uuid.uuid4())),  # new, named by id
        {**changed, "name": "After"},  # changed
        same,  # unchanged
        _flat(project, job_type, job_type_code="NOPE"),  # fails: unknown job type
        twice,  # new
        _flat(project, job_type, name="x" * 300),  # fails: too long
        {**twice, "name": "Second"},  # the same work order again: an update
        {**changed, "name": "Again", "estimated_time": 30},  # changed twice in the batch
        suggested,  # new, with the rule's planning
        {**same, "reference_back_office": twice["reference_back_office"], "id": changed["id"]},
    ]
    batched = _run(records, planner, record_by_record=False)
    one_by_one = _run(records, planner, record_by_record=True)
    assert batched == one_by_one
    outcomes = [outcome for outcome, _, _ in batched[0]]
    assert outcomes == [
        "created",
        "updated",
        "unchanged",
        "failed",
        "created",
        "failed",
        "updated",
        "updated",
        "created",
        "failed",
    ]
    assert "job_type_code" in batched[0][3][1]
    assert "name" in batched[0][5][1]
    assert batched[0][9][1] == {"reference_back_office": "Already used by another work order."}
    assert batched[1][twice["reference_back_office"]]["name"] == "Second"
    assert batched[1][changed["reference_back_office"]]["name"] == "Again"
    assert len(batched[2]) == 1  # the Suggested rule ran for the batch


def test_new_work_orders_are_written_with_a_constant_number_of_queries(planner, project, job_type):
    def queries_for(n):
        records = [_flat(project, job_type) for _ in range(n)]
        with CaptureQueriesContext(connection) as queries:
            results = upsert_work_orders(records=records, by=planner)
        assert {r.outcome for r in results} == {"created"}
        return len(queries)

    small = queries_for(3)
    assert queries_for(60) == small
    assert WorkOrder.objects.count() == 63


def test_a_unique_race_fails_only_its_record(planner, project, job_type, monkeypatch):
    (taken,) = upsert_work_orders(records=[_flat(project, job_type)], by=planner)
    clash = _flat(project, job_type, id2=taken.work_order.id2)  # the id2 is stored already
    good = _flat(project, job_type)
    runs = []
    original = upsert._upsert_cleaned

    def spy(**kwargs):
        runs.append(kwargs["batched"])
        return original(**kwargs)

    monkeypatch.setattr(upsert, "_upsert_cleaned", spy)
    results = upsert_work_orders(records=[good, clash, _flat(project, job_type)], by=planner)
    assert runs == [True, False]  # the set-wise write collided: again, record by record
    assert [r.outcome for r in results] == ["created", "failed", "created"]
    assert "id2" in results[1].errors
    assert WorkOrder.objects.count() == 3
    assert WorkOrder.objects.filter(reference_back_office=good["reference_back_office"]).exists()


def test_a_new_id_named_twice_answers_as_record_by_record(planner, project, job_type):
    pk = str(uuid.uuid4())
    first = _flat(project, job_type, id=pk, name="First")
    records = [first, {**first, "name": "Second"}, _flat(project, job_type)]
    batched = _run(records, planner, record_by_record=False)
    assert batched == _run(records, planner, record_by_record=True)
