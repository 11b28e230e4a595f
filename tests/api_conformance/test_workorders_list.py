"""GET /api/v1/workorders: pagination, filters, ordering, search; queries do not grow."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workorders.services import upsert_work_orders

pytestmark = pytest.mark.django_db

LIST = "/api/v1/workorders"


@pytest.fixture
def many(seed, planner, statuses, technician2, skill):
    """30 work orders: every third ToBePlanned, due one day apart."""
    now = timezone.now().replace(microsecond=0)
    records = []
    for i in range(30):
        body = seed(
            id=str(uuid.uuid4()),
            name=f"Repair {i:02d}" if i % 2 else f"Inspect {i:02d}",
            due_date=(now + timedelta(days=i)).isoformat(),
            reference_back_office=f"ERP-{i:03d}",
        )
        if i % 3 == 0:
            body["job_status_code"] = "ToBePlanned"
            body.pop("job_status_id")
        records.append(body)
    results = upsert_work_orders(records=records, by=planner)
    assert {r.outcome for r in results} == {"created"}, [r.errors for r in results]
    return now


def test_paginates_in_the_seed_shape(api, many):
    page = api.get(LIST, {"page_size": 10}).json()
    assert page["count"] == 30
    assert len(page["results"]) == 10
    assert page["next"]
    first = page["results"][0]
    assert first["job_status_code"] in ("Suggested", "ToBePlanned")
    assert isinstance(first["id2"], int)
    ids2 = [r["id2"] for r in page["results"]]
    assert ids2 == sorted(ids2, reverse=True)
    assert len(api.get(LIST, {"page_size": 10, "page": 3}).json()["results"]) == 10
    assert api.get(LIST, {"page": 99}).status_code == 404


def test_filters(api, many, technician, project, job_type, skill):
    def count(**params):
        response = api.get(LIST, params)
        assert response.status_code == 200, response.json()
        return response.json()["count"]

    assert count(job_status_code="tobeplanned") == 10
    assert count(job_type_code="UNKNOWN") == 30
    assert count(job_type_id=str(job_type.pk)) == 30
    assert count(project_id=str(project.pk)) == 30
    assert count(project_reference_back_office="PRJ-1") == 30
    assert count(suggested_user_id=str(technician.pk)) == 30
    assert count(suggested_user_code="t01") == 30
    assert count(skill_code="elec") == 30
    assert count(skill_id=str(uuid.uuid4())) == 0
    assert count(due_date_from=(many + timedelta(days=10)).isoformat()) == 20
    assert (
        count(
            due_date_from=(many + timedelta(days=10)).isoformat(),
            due_date_to=(many + timedelta(days=14, hours=1)).isoformat(),
        )
        == 5
    )
    assert count(modified_since="2000-01-01T00:00:00.1234567+00:00") == 30
    assert count(modified_since=(timezone.now() + timedelta(minutes=5)).isoformat()) == 0
    assert count(search="inspect") == 15
    assert count(search="ERP-007") == 1


def test_bad_filter_values_are_400_naming_the_parameter(api, many):
    response = api.get(LIST, {"due_date_from": "yesterday"})
    assert response.status_code == 400
    assert "due_date_from" in response.json()
    response = api.get(LIST, {"project_id": "nope"})
    assert response.status_code == 400
    assert "project_id" in response.json()


def test_ordering(api, many):
    names = [
        r["name"] for r in api.get(LIST, {"ordering": "name", "page_size": 30}).json()["results"]
    ]
    assert names == sorted(names)
    due = [r["due_date"] for r in api.get(LIST, {"ordering": "-due_date"}).json()["results"]]
    assert due == sorted(due, reverse=True)


def test_list_queries_do_not_grow_with_page_size(api, many):
    def queries(size):
        with CaptureQueriesContext(connection) as captured:
            response = api.get(LIST, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        return len(captured)

    queries(2)  # the token is read once, then remembered (API_TOKEN_CACHE_SECONDS)
    assert queries(2) == queries(25)
    assert queries(25) <= 4  # the page's ids, count, its rows (+ codes on SQLite)


def test_count_stops_at_a_cap_unless_asked_for(api, many, monkeypatch):
    from workorders.api.pagination import CappedCountPagination

    monkeypatch.setattr(CappedCountPagination, "count_cap", 10)
    page = api.get(LIST, {"page_size": 5}).json()
    assert (page["count"], page["count_is_exact"]) == (10, False)
    assert page["next"] and page["previous"] is None
    exact = api.get(LIST, {"page_size": 5, "count": "exact"}).json()
    assert (exact["count"], exact["count_is_exact"]) == (30, True)
    last = api.get(LIST, {"page_size": 7, "page": 5}).json()
    assert (last["count"], last["count_is_exact"], last["next"]) == (30, True, None)
    assert len(last["results"]) == 2
    assert "page=4" in last["previous"]


def test_a_list_over_the_cap_is_not_counted_again_for_a_while(api, many, monkeypatch):
    from workorders.api import pagination
    from workorders.models import WorkOrder

    monkeypatch.setattr(pagination.CappedCountPagination, "count_cap", 10)

    def page(number):
        with CaptureQueriesContext(connection) as captured:
            body = api.get(LIST, {"page_size": 5, "page": number}).json()
        counts = sum("COUNT(" in q["sql"].upper() for q in captured.captured_queries)
        return (body["count"], body["count_is_exact"]), counts

    assert page(1) == ((10, False), 1)
    assert page(2) == ((10, False), 0)  # remembered: over the cap
    WorkOrder.objects.filter(pk__in=WorkOrder.objects.values("pk")[:25]).delete()
    later = pagination.time.monotonic() + pagination.OVER_CAP_SECONDS + 1
    monkeypatch.setattr(pagination.time, "monotonic", lambda: later)
    assert page(1) == ((5, True), 0)  # the only page: counted from its rows
    assert api.get(LIST, {"page_size": 2}).json()["count_is_exact"] is True
