"""A work order PUT's own statements (its lock, its references, its UPDATE) are prepared once per
pooled PostgreSQL connection and planned once (jobsite.database.prepared_cursor); what they
answer and write is what ordinary statements did, and the query log still shows each statement
with its values."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobsite.database import prepared_cursor
from workorders.models import Project, WorkOrder

from ..factories import work_order_url as url

pytestmark = pytest.mark.django_db


def _flat_body(api, seed):
    """A stored work order and its body as the API answers it (a valid seed-004 input)."""
    pk = str(uuid.uuid4())
    assert api.put(url(pk), seed(id=pk), format="json").status_code == 201
    return pk, api.get(url(pk)).json()


def test_a_put_answers_and_writes_as_before_and_logs_its_statements(api, seed):
    pk, body = _flat_body(api, seed)
    for n in range(3):  # the first prepares, the next ones run what was prepared
        with CaptureQueriesContext(connection) as queries:
            response = api.put(url(pk), {**body, "description": f"Words {n}."}, format="json")
        # (read before the next request: a request's start empties the query log)
        (update,) = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
        assert f"Words {n}." in update  # the values written in, as an ordinary cursor logs
        assert response.status_code == 200, response.json()
        assert response.json() == api.get(url(pk)).json()
        assert WorkOrder.objects.get(pk=pk).description == f"Words {n}."


@pytest.mark.postgres
def test_a_puts_statements_are_prepared_once_and_planned_once(api, seed):
    pk, body = _flat_body(api, seed)
    for n in range(3):
        response = api.put(url(pk), {**body, "description": f"Words {n}."}, format="json")
        assert response.status_code == 200, response.json()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, custom_plans FROM pg_prepared_statements")
        prepared = cursor.fetchall()
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)
    table = WorkOrder._meta.db_table
    assert any(s.startswith(f'UPDATE "{table}"') for s, _ in prepared)
    assert any(f'FROM "{table}"' in s and "FOR UPDATE" in s for s, _ in prepared)
    assert any(s.startswith("SELECT 0, t.") for s, _ in prepared)  # the references
    assert all(custom == 0 for _, custom in prepared)


def test_a_prepared_cursor_reads_what_an_ordinary_one_reads(project):
    sql = (
        "SELECT id, name, modified_dateutc FROM workorders_project "
        "WHERE id IN (%s, %s) OR name = %s ORDER BY id"
    )
    pk = Project._meta.pk
    params = [pk.get_db_prep_value(v, connection) for v in (project.pk, uuid.uuid4())]
    params.append("no such name")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        expected = cursor.fetchall()
    for _ in range(2):
        with prepared_cursor(connection) as cursor:
            cursor.execute(sql, params)
            assert cursor.fetchall() == expected
    assert len(expected) == 1
