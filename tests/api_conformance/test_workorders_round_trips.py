"""What a work order PUT and a list page cost: a change the Suggested rule and the planning
check do not read leaves the plannings unread; one they read refreshes them as before; the
answer is built from what was written, never read back; a page reads its ids and rows at once."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workorders.models import JobPlanning

from ..factories import work_order_url as url

pytestmark = pytest.mark.django_db


def put(api, pk, body):
    return api.put(url(pk), body, format="json")


def _statements(queries, table):
    return [q["sql"] for q in queries if table in q["sql"]]


def test_a_description_change_reads_no_planning_and_answers_what_a_read_returns(api, seed):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    assert put(api, pk, body).status_code == 201
    (planning,) = JobPlanning.objects.filter(work_order_id=pk)
    with CaptureQueriesContext(connection) as queries:
        response = put(api, pk, {**body, "description": "Only the words change."})
    assert response.status_code == 200, response.json()
    assert _statements(queries, "workorders_jobplanning") == []
    assert _statements(queries, "jobsite_absence") == []
    # The work order is read once (locked, where the database can), not again for the answer.
    reads = _statements(queries, 'FROM "workorders_workorder"')
    assert len([q for q in reads if q.lstrip().upper().startswith("SELECT")]) == 1
    assert response.json() == api.get(url(pk)).json()
    (after,) = JobPlanning.objects.filter(work_order_id=pk)
    assert (after.date_start, after.warnings, after.modified_dateutc) == (
        planning.date_start,
        planning.warnings,
        planning.modified_dateutc,
    )


def test_a_due_date_change_checks_the_planning_again(api, seed):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    assert put(api, pk, body).status_code == 201
    (planning,) = JobPlanning.objects.filter(work_order_id=pk)
    assert "after_due_date" in planning.warning_codes  # the seed's due date is before it
    later = (planning.date_end.replace(year=planning.date_end.year + 1)).isoformat()
    response = put(api, pk, {**body, "due_date": later})
    assert response.status_code == 200, response.json()
    planning.refresh_from_db()
    assert "after_due_date" not in planning.warning_codes


def test_a_status_change_runs_the_rule(api, seed, statuses):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    assert put(api, pk, body).status_code == 201
    back = {**body, "job_status_code": "ToBePlanned", "job_status_id": None}
    assert put(api, pk, back).status_code == 200
    assert not JobPlanning.objects.filter(work_order_id=pk).exists()


def test_a_list_page_reads_its_ids_and_rows_together(api, seed):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    for n, pk in enumerate(ids):
        assert put(api, pk, seed(id=pk, name=f"Page {n}")).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = api.get("/api/v1/workorders?page_size=2&ordering=name")
    # The page's ids and rows (one statement on PostgreSQL), and the capped count.
    reads = _statements(queries, 'FROM "workorders_workorder"')
    assert len(reads) == (2 if connection.vendor == "postgresql" else 3)
    assert response.status_code == 200, response.json()
    page = response.json()
    assert [row["id"] for row in page["results"]] == ids[:2]
    assert page["results"] == [api.get(url(pk)).json() for pk in ids[:2]]
    assert page["next"] and page["count"] == 3
    assert api.get("/api/v1/workorders?page_size=2&ordering=name&page=2").json()["results"] == [
        api.get(url(ids[2])).json()
    ]
