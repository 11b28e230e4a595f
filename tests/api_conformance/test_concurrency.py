"""Two PUTs creating the same work order at once: one creates, the other gets a 400 naming
`id` (or updates, when it comes second), never a 500 and never two rows."""

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
    assert kinds in (["created", "unchanged"], ["created", "failed"]), outcomes
    for outcome, errors in outcomes:
        if outcome == "failed":
            assert set(errors) <= {"id", "reference_back_office"}, errors
