"""The planning service refuses a technician of another sales organization, and a user who is
not a technician, on every path that plans: work order PUT/POST/PATCH (by id, code and
embedded object), bulk, import, the plannings API, the admin's action and forms, and the
board. As a superuser too (who sees every organization); nothing is written."""

import uuid
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from apijobs.models import ApiJobError
from jobsite.models import User
from workorders import plannings
from workorders.models import JobPlanning, WorkOrder

from ..admin_forms import change_form_data
from ..factories import make_work_order
from ..factories import work_order_url as url
from .conftest import write_csv

pytestmark = pytest.mark.django_db

START = "2030-03-04T09:00:00+00:00"


@pytest.fixture
def foreign_tech(other_sales_org):
    return User.objects.create_user(
        username="their_tech", code="X01", sales_organization=other_sales_org, is_technician=True
    )


@pytest.fixture
def office_clerk(sales_org):
    return User.objects.create_user(username="clerk", code="C01", sales_organization=sales_org)


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


@pytest.fixture
def flat(project, job_type):
    """A flat Suggested work order of BE01's project, as an ERP sends it."""

    def build(**over):
        return {
            "reference_back_office": f"ERP-{uuid.uuid4().hex[:8]}",
            "name": "Yearly maintenance",
            "project_id": str(project.pk),
            "job_type_code": job_type.code,
            "job_status_code": "Suggested",
            "suggested_date_start": START,
            "estimated_time": 60,
            **over,
        }

    return build


@pytest.fixture
def planned(project, job_type, statuses, priority, technician):
    """A Suggested work order of BE01 planned for its own technician by the rule."""
    return make_work_order(
        project=project,
        job_type=job_type,
        priority=priority,
        status="Suggested",
        name="Planned",
        suggested_user=technician,
        suggested_date_start=datetime(2030, 3, 4, 9, tzinfo=UTC),
    )


def _nothing_planned_for(user):
    return not JobPlanning.objects.filter(user=user).exists() and not (
        WorkOrder.objects.filter(suggested_user=user).exists()
    )


@pytest.mark.parametrize(
    "key", ["suggested_user_id", "suggested_user_code", "suggested_user"], ids=str
)
def test_work_order_put_refuses_another_organizations_technician(
    admin_api, flat, foreign_tech, statuses, key
):
    value = {
        "suggested_user_id": str(foreign_tech.pk),
        "suggested_user_code": foreign_tech.code,
        "suggested_user": {"id": str(foreign_tech.pk)},
    }[key]
    response = admin_api.put(url(uuid.uuid4()), flat(**{key: value}), format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()
    assert not WorkOrder.objects.exists()
    assert _nothing_planned_for(foreign_tech)


def test_post_and_patch_refuse_it_too(admin_api, flat, foreign_tech, planned, statuses):
    response = admin_api.post(
        "/api/v1/workorders", flat(suggested_user_id=str(foreign_tech.pk)), format="json"
    )
    assert response.status_code == 400, response.content
    assert "suggested_user_id" in response.json()
    response = admin_api.patch(
        url(planned.pk), {"suggested_user_id": str(foreign_tech.pk)}, format="json"
    )
    assert response.status_code == 400, response.content
    assert "another sales organization" in response.json()["suggested_user_id"][0]
    assert _nothing_planned_for(foreign_tech)
    assert JobPlanning.objects.get(work_order=planned).user_id == planned.suggested_user_id


def test_a_user_who_is_not_a_technician_is_refused(api, flat, office_clerk, statuses):
    response = api.put(
        url(uuid.uuid4()), flat(suggested_user_id=str(office_clerk.pk)), format="json"
    )
    assert response.status_code == 400
    assert "not an active technician" in response.json()["suggested_user_id"][0]
    assert not WorkOrder.objects.exists()


def test_own_technician_is_planned(admin_api, flat, technician, statuses):
    response = admin_api.put(
        url(uuid.uuid4()), flat(suggested_user_id=str(technician.pk)), format="json"
    )
    assert response.status_code == 201, response.content
    assert JobPlanning.objects.get().user == technician


def test_bulk_fails_the_record_and_writes_nothing_of_it(
    superuser,
    admin_api,
    flat,
    foreign_tech,
    technician,
    statuses,
    django_capture_on_commit_callbacks,
):
    records = [flat(suggested_user_id=str(foreign_tech.pk)), flat(suggested_user_code="T01")]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_api.post("/api/v1/workorders/bulk", records, format="json")
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    job = admin_api.get(f"/api/v1/api-jobs/{job_id}").json()
    assert (job["status"], job["total_records"], job["effected_records"]) == ("completed", 2, 1)
    errors = admin_api.get(f"/api/v1/api-jobs/{job_id}/errors").json()["results"]
    assert [(e["index"], e["field"]) for e in errors] == [(0, "suggested_user_id")]
    assert _nothing_planned_for(foreign_tech)
    assert JobPlanning.objects.get().user == technician


def test_import_fails_the_row_and_names_the_column(tmp_path, flat, foreign_tech, technician):
    columns = [
        "reference_back_office",
        "name",
        "project_id",
        "job_type_code",
        "job_status_code",
        "suggested_user_code",
        "suggested_date_start",
        "estimated_time",
    ]
    path = write_csv(
        tmp_path / "plan.csv",
        [flat(suggested_user_code=foreign_tech.code), flat(suggested_user_code=technician.code)],
        columns,
    )
    with pytest.raises(CommandError):  # a failed row makes the exit non-zero
        call_command("import_workorders", str(path), "--no-progress")
    assert WorkOrder.objects.count() == 1
    assert _nothing_planned_for(foreign_tech)
    error = ApiJobError.objects.get()
    assert (error.line, error.field) == (2, "suggested_user_code")
    assert "another sales organization" in error.message


@pytest.mark.parametrize("key", ["user_id", "user_code"])
def test_plannings_api_refuses_it(admin_api, planned, foreign_tech, key):
    value = str(foreign_tech.pk) if key == "user_id" else foreign_tech.code
    body = {"work_order_id": str(planned.pk), key: value, "date_start": START}
    response = admin_api.post("/api/v1/plannings", body, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()
    assert _nothing_planned_for(foreign_tech)


def test_admin_suggest_action_refuses_it(
    admin_client, planned, other_project, foreign_tech, job_type, statuses
):
    # Work of both organizations selected: both organizations' technicians are offered.
    theirs = make_work_order(project=other_project, job_type=job_type, name="B")
    response = admin_client.post(
        "/admin/workorders/workorder/",
        {
            "action": "suggest_technician",
            "_selected_action": [str(planned.pk), str(theirs.pk)],
            "apply": "1",
            "technician": str(foreign_tech.pk),
            "date_start": "2030-03-05T09:00",
        },
        follow=True,
    )
    text = " ".join(str(m) for m in response.context["messages"])
    assert f"#{planned.id2}: their_tech works for another sales organization" in text
    assert list(
        JobPlanning.objects.filter(user=foreign_tech).values_list("work_order", flat=True)
    ) == [theirs.pk]
    planned.refresh_from_db()
    assert planned.suggested_user_id != foreign_tech.pk


def test_admin_work_order_form_refuses_it(admin_client, planned, foreign_tech):
    data = change_form_data(admin_client, planned)
    data["suggested_user"] = str(foreign_tech.pk)
    response = admin_client.post(f"/admin/workorders/workorder/{planned.pk}/change/", data)
    assert response.status_code == 200
    assert "another sales organization" in response.text
    assert _nothing_planned_for(foreign_tech)


def test_admin_planning_form_refuses_a_user_who_is_not_a_technician(
    admin_client, planned, office_clerk
):
    response = admin_client.post(
        "/admin/workorders/jobplanning/add/",
        {
            "work_order": str(planned.pk),
            "user": str(office_clerk.pk),
            "date_start_0": "2030-03-05",
            "date_start_1": "09:00:00",
            "date_end_0": "2030-03-05",
            "date_end_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "not an active technician" in response.text
    assert not JobPlanning.objects.filter(user=office_clerk).exists()


def test_board_refuses_it(admin_client, planned, foreign_tech):
    answer = admin_client.post(
        reverse("admin:workorders_workorder_board_plan"),
        {
            "work_order": str(planned.id2),
            "technician": str(foreign_tech.pk),
            "start": "2030-03-05T09:00",
            "plan_anyway": "1",
        },
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 400
    assert "another sales organization" in answer.json()["message"]
    assert _nothing_planned_for(foreign_tech)


@pytest.mark.parametrize(
    "is_technician,is_active,same_org",
    [(t, a, s) for t in (True, False) for a in (True, False) for s in (True, False, None)],
)
def test_the_sql_rule_equals_the_python_rule(
    sales_org, other_sales_org, is_technician, is_active, same_org
):
    org = {True: sales_org, False: other_sales_org, None: None}[same_org]
    user = User.objects.create_user(
        username="u", sales_organization=org, is_technician=is_technician, is_active=is_active
    )
    expected = plannings.technician_problem(
        is_technician=is_technician,
        is_active=is_active,
        user_organization_id=org.pk if org else None,
        sales_organization_id=sales_org.pk,
    )
    table = User._meta.db_table
    rule = plannings.technician_problem_sql(user="su", sales_organization_id="%s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {rule} FROM {table} su WHERE su.id = %s",
            [  # prepared as the columns store them (SQLite: hex text)
                User._meta.get_field("sales_organization").get_db_prep_value(
                    sales_org.pk, connection
                ),
                User._meta.pk.get_db_prep_value(user.pk, connection),
            ],
        )
        (value,) = cursor.fetchone()
    assert plannings.code_of_sql(value) == expected
