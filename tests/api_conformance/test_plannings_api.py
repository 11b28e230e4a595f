"""Plannings over REST: hand-made ones are written here; the rule's are read-only."""

import uuid

import pytest

from workorders.models import JobPlanning
from workorders.services import upsert_work_orders

pytestmark = pytest.mark.django_db

LIST = "/api/v1/plannings"


@pytest.fixture
def work_order(seed, planner):
    (result,) = upsert_work_orders(records=[seed(id=str(uuid.uuid4()))], by=planner)
    return result.work_order


def test_hand_made_planning_crud(api, work_order, technician2):
    response = api.post(
        LIST,
        {
            "work_order_id": str(work_order.pk),
            "user_code": "t02",
            "date_start": "2026-02-02T08:00:00.1234567+00:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["made_by_rule"] is False
    assert data["user_id"] == str(technician2.pk)
    assert data["date_end"] == "2026-02-02T08:22:00.123456+00:00"  # estimated_time 22
    pk = data["id"]
    moved = api.patch(
        f"{LIST}/{pk}",
        {"date_start": "2026-02-03T08:00:00Z", "date_end": "2026-02-03T09:00:00Z"},
        format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["date_end"] == "2026-02-03T09:00:00+00:00"
    assert api.get(LIST, {"made_by_rule": "false"}).json()["count"] == 1
    assert api.get(LIST, {"work_order_id": str(work_order.pk)}).json()["count"] == 2
    assert api.delete(f"{LIST}/{pk}").status_code == 204


def test_rule_plannings_are_read_only(api, work_order):
    rule = JobPlanning.objects.get(work_order=work_order, made_by_rule=True)
    response = api.patch(f"{LIST}/{rule.pk}", {"date_start": "2026-02-03T08:00:00Z"}, format="json")
    assert response.status_code == 400
    assert "made_by_rule" in response.json()
    assert api.delete(f"{LIST}/{rule.pk}").status_code == 400


def test_planning_errors_and_tenancy(api, other_api, work_order, other_planner):
    response = api.post(LIST, {"work_order_id": str(work_order.pk)}, format="json")
    assert response.status_code == 400
    assert {"user_id", "date_start"} <= set(response.json())
    response = api.post(
        LIST,
        {
            "work_order_id": str(work_order.pk),
            "user_id": str(other_planner.pk),
            "date_start": "2026-02-02T08:00:00Z",
        },
        format="json",
    )
    assert "user_id" in response.json()
    response = api.post(
        LIST,
        {
            "work_order_id": str(work_order.pk),
            "user_code": "T01",
            "date_start": "2026-02-02T08:00:00Z",
            "date_end": "2026-02-01T08:00:00Z",
        },
        format="json",
    )
    assert "date_end" in response.json()
    assert other_api.get(LIST).json()["count"] == 0
    rule = JobPlanning.objects.get(work_order=work_order)
    assert other_api.get(f"{LIST}/{rule.pk}").status_code == 404
    response = other_api.post(
        LIST,
        {
            "work_order_id": str(work_order.pk),
            "user_code": "x",
            "date_start": "2026-02-02T08:00:00Z",
        },
        format="json",
    )
    assert "work_order_id" in response.json()


def test_list_queries_do_not_grow_with_page_size(api, work_order, technician):
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = work_order.suggested_date_start
    JobPlanning.objects.bulk_create(
        JobPlanning(
            work_order=work_order,
            user=technician,
            date_start=start + timedelta(days=i),
            date_end=start + timedelta(days=i, hours=1),
        )
        for i in range(1, 12)
    )

    def queries(size):
        with CaptureQueriesContext(connection) as captured:
            assert len(api.get(LIST, {"page_size": size}).json()["results"]) == size
        return len(captured)

    queries(2)  # the token is read once, then remembered (API_TOKEN_CACHE_SECONDS)
    assert queries(2) == queries(10)


def test_unauthenticated_is_401_json(client, db):
    for path in (LIST, "/api/v1/projects", "/api/v1/workorders"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["detail"]
