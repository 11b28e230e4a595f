"""The batch upsert service every entry path writes work orders through."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workorders.models import JobPlanning, WorkOrder
from workorders.services import clean_work_order_fields, upsert_work_orders

pytestmark = pytest.mark.django_db


def test_creates_then_unchanged_then_moves(seed, planner, technician2):
    body = seed(id=str(uuid.uuid4()))
    (created,) = upsert_work_orders(records=[body], by=planner)
    assert created.outcome == "created", created.errors
    wo = created.work_order
    assert wo.id2 and wo.company_id and wo.sales_organization_id == planner.sales_organization_id
    assert JobPlanning.objects.filter(work_order=wo, made_by_rule=True).count() == 1
    stamp = WorkOrder.objects.get(pk=wo.pk).modified_dateutc

    with CaptureQueriesContext(connection) as queries:
        (again,) = upsert_work_orders(records=[body], by=planner)
    assert again.outcome == "unchanged"
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert WorkOrder.objects.get(pk=wo.pk).modified_dateutc == stamp

    moved = {**body, "suggested_user_id": str(technician2.pk)}
    for key in ("suggested_user", "suggested_user_code"):
        moved.pop(key)
    (result,) = upsert_work_orders(records=[moved], by=planner)
    assert result.outcome == "updated"
    (planning,) = JobPlanning.objects.filter(work_order=wo)
    assert planning.user == technician2


def test_batch_failures_stay_alone_and_match_by_reference(seed, planner):
    good = seed()
    bad = seed(job_type_code="NOPE", job_type=None, job_type_id=None)
    results = upsert_work_orders(records=[good, bad, {"name": "x" * 300}], by=planner)
    assert [r.outcome for r in results] == ["created", "failed", "failed"]
    assert "job_type_code" in results[1].errors
    assert "name" in results[2].errors
    again = upsert_work_orders(records=[{**good, "name": "Renamed"}], by=planner)
    assert again[0].outcome == "updated"
    assert again[0].work_order.pk == results[0].work_order.pk
    assert WorkOrder.objects.count() == 1


def test_batch_resolves_references_with_one_query_per_kind(seed, planner):
    records = [seed() for _ in range(20)]
    upsert_work_orders(records=records, by=planner)
    with CaptureQueriesContext(connection) as queries:
        results = upsert_work_orders(records=records, by=planner)
    assert {r.outcome for r in results} == {"unchanged"}
    selects = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 10, selects


def test_clean_work_order_fields_is_pure():
    cleaned, errors = clean_work_order_fields(
        {
            "name": " Repair ",
            "due_date": "2025-10-08T18:26:51.3485589+00:00",
            "estimated_time": "30",
            "db_address_latitude_decimal": 49.0,
            "description": "x" * 4001,
            "working_sequence": "soon",
        }
    )
    assert cleaned["name"] == "Repair"
    assert cleaned["due_date"].isoformat() == "2025-10-08T18:26:51.348558+00:00"
    assert cleaned["estimated_time"] == 30
    assert str(cleaned["db_address_latitude"]) == "49.0000000"
    assert set(errors) == {"description", "working_sequence"}


def test_a_batch_naming_a_reference_twice_creates_once_then_updates(seed, planner):
    first = seed(reference_back_office="ERP-TWICE", name="First")
    second = {**first, "name": "Second"}
    results = upsert_work_orders(records=[first, second], by=planner)
    assert [r.outcome for r in results] == ["created", "updated"]
    assert WorkOrder.objects.get(reference_back_office="ERP-TWICE").name == "Second"
    assert JobPlanning.objects.count() == 1


def test_embedded_project_of_another_tenant_is_unknown(seed, planner, other_project, company):
    body = seed()
    for key in ("project_id", "project_reference_back_office"):
        body.pop(key)
    body["project"] = {"id": str(other_project.pk), "name": "Mine now", "company_code": "ACME"}
    (result,) = upsert_work_orders(records=[body], by=planner)
    assert result.outcome == "failed"
    assert "project.id" in result.errors


def test_a_batch_writing_one_work_order_twice_ends_with_the_last(seed, planner):
    from jobsite.models import Address

    pk = str(uuid.uuid4())
    first = seed(id=pk, name="A")
    upsert_work_orders(records=[first], by=planner)
    elsewhere = str(Address.objects.create(street="Elsewhere").pk)
    results = upsert_work_orders(
        records=[
            {**first, "name": "B"},
            {**first, "name": "C", "db_address_id": elsewhere},  # fails: not the project's
            {**first, "name": "A"},
        ],
        by=planner,
    )
    assert [r.outcome for r in results] == ["updated", "failed", "updated"]
    assert WorkOrder.objects.get(pk=pk).name == "A"
    (again,) = upsert_work_orders(records=[first], by=planner)
    assert again.outcome == "unchanged"
