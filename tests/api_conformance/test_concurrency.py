"""Writers racing on one work order: one creates, the others find it stored and update it (or
find it up to date), never a 400 or 500, never two rows, never two rule plannings."""

import threading
import uuid

import pytest
from django.db import connection

from workorders.models import WorkOrder
from workorders.services import upsert_work_orders

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_simultaneous_creates_of_one_id(seed, planner):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    barrier = threading.Barrier(2)
    outcomes = []

    def write():
        try:
            barrier.wait()
            (result,) = upsert_work_orders(records=[body], by=planner)
            outcomes.append((result.outcome, result.errors))
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert WorkOrder.objects.filter(pk=pk).count() == 1
    kinds = sorted(outcome for outcome, _ in outcomes)
    assert kinds == ["created", "unchanged"], outcomes


def _put_at_once(*, token: str, pk: str, body: dict, times: int) -> list[tuple[int, dict]]:
    """`times` PUTs of one body through the API at the same moment, each thread with its own
    client and database connection."""
    from rest_framework.test import APIClient

    barrier = threading.Barrier(times)
    answers = []

    def put():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            response = client.put(f"/api/v1/workorders/{pk}", body, format="json")
            answers.append((response.status_code, response.json()))
        except Exception as exc:  # a thread's crash must fail the test, not vanish
            answers.append((0, {"exception": repr(exc)}))
        finally:
            connection.close()

    threads = [threading.Thread(target=put) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _rule_plannings(pk):
    from workorders.models import JobPlanning

    return list(JobPlanning.objects.filter(work_order_id=pk, made_by_rule=True))


def test_twenty_identical_suggested_puts_plan_once(seed, api, technician):
    """An existing Suggested work order: the writers queue on its row; the first writes, the
    others find it up to date. One rule planning, all 200."""
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    assert api.put(f"/api/v1/workorders/{pk}", body, format="json").status_code == 201
    body = {**body, "suggested_date_start": "2026-03-02T08:00:00+00:00", "estimated_time": 90}

    answers = _put_at_once(token=api.raw_token, pk=pk, body=body, times=20)

    assert sorted(code for code, _ in answers) == [200] * 20, answers
    (planning,) = _rule_plannings(pk)
    wo = WorkOrder.objects.get(pk=pk)
    assert (planning.user_id, planning.date_start) == (technician.pk, wo.suggested_date_start)
    assert (planning.date_end - planning.date_start).total_seconds() == 90 * 60
    assert wo.estimated_time == 90
    assert {a["id"] for _, a in answers} == {pk}


def test_twenty_identical_suggested_puts_creating_one_work_order(seed, api, technician):
    """A new id: one PUT creates (201); the others wait for it, then find it stored and up to
    date (200) - a lost insert race is retried as an update, never a 400 or 500."""
    pk = str(uuid.uuid4())
    body = seed(id=pk)

    answers = _put_at_once(token=api.raw_token, pk=pk, body=body, times=20)

    assert sorted(code for code, _ in answers) == [200] * 19 + [201], answers
    assert WorkOrder.objects.filter(pk=pk).count() == 1
    assert (
        WorkOrder.objects.filter(reference_back_office=body["reference_back_office"]).count() == 1
    )
    (planning,) = _rule_plannings(pk)
    assert planning.user_id == technician.pk
    assert len({a["id2"] for _, a in answers}) == 1
