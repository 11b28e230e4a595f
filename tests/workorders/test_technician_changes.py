"""The stored warnings follow what the check reads of a technician and of a work order,
whichever path changes it: a technician's skills (either side of the many-to-many, a service,
the admin's form), organization or being a technician; a work order's skill through the API,
the admin's form or an import."""

import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from jobsite.models import Skill
from workorders import imports
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling.pending_checks import settle

from ..admin_forms import change_form_data
from ..factories import make_holiday
from ..factories import work_order_url as url
from .conftest import IMPORT_COLUMNS, write_csv

pytestmark = pytest.mark.django_db

MARKER = [{"code": "marker", "message": "", "planning_ids": []}]


def a_working_monday() -> datetime:
    """10:00 UTC on a Monday two to three weeks ahead (inside the default working hours and
    the window a technician's change refreshes)."""
    day = timezone.now().date() + timedelta(days=14)
    day += timedelta(days=(7 - day.weekday()) % 7)
    return datetime.combine(day, time(10), tzinfo=UTC)


@pytest.fixture
def gas(sales_org):
    return Skill.objects.create(code="GAS", name="Gas", sales_organization=sales_org)


@pytest.fixture
def body(project, job_type, technician, statuses):
    return {
        "name": "Boiler service",
        "project_id": str(project.pk),
        "job_type_id": str(job_type.pk),
        "job_status_code": "Suggested",
        "suggested_user_id": str(technician.pk),
        "suggested_date_start": a_working_monday().isoformat(),
        "estimated_time": 60,
        "skill_code": "ELEC",
    }


@pytest.fixture
def planned(api, body) -> JobPlanning:
    """A Suggested work order needing ELEC, planned for the technician (who has ELEC)."""
    pk = str(uuid.uuid4())
    response = api.put(url(pk), body, format="json")
    assert response.status_code == 201, response.content
    return JobPlanning.objects.get(work_order_id=pk)


def codes(planning) -> set[str]:
    settle()  # as every read of warnings does first (an import leaves its check pending)
    planning.refresh_from_db()
    return {w["code"] for w in planning.warnings}


def served(client, path) -> dict:
    """What a browser posts back from the admin's change form at `path` (inlines included)."""
    response = client.get(path)
    assert response.status_code == 200
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {"_save": "1"}
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is not None and value is not False and not field.disabled:
                data[form.add_prefix(name)] = value
    return data


def test_a_technicians_skills_from_either_side(planned, technician, skill, gas):
    assert codes(planned) == set()
    technician.skills.remove(skill)
    assert codes(planned) == {"missing_skill"}
    technician.skills.add(skill)
    assert codes(planned) == set()
    skill.users.remove(technician)
    assert codes(planned) == {"missing_skill"}
    skill.users.add(technician)
    assert codes(planned) == set()
    technician.skills.set([gas])
    assert codes(planned) == {"missing_skill"}
    technician.skills.set([gas, skill])
    assert codes(planned) == set()
    skill.users.clear()
    assert codes(planned) == {"missing_skill"}
    technician.skills.add(skill)
    technician.skills.clear()
    assert codes(planned) == {"missing_skill"}


def test_a_technicians_skills_in_the_admin(planned, technician, skill, gas, superuser):
    client = Client()
    client.force_login(superuser)
    path = f"/admin/jobsite/user/{technician.pk}/change/"
    data = served(client, path)
    data["skills"] = [str(gas.pk)]
    response = client.post(path, data)
    assert response.status_code == 302, response.context["errors"]
    assert codes(planned) == {"missing_skill"}
    data["skills"] = [str(gas.pk), str(skill.pk)]
    assert client.post(path, data).status_code == 302
    assert codes(planned) == set()


def test_a_technician_moved_to_another_organization(planned, technician, other_sales_org):
    make_holiday(sales_organization=other_sales_org, date=a_working_monday().date())
    technician.sales_organization = other_sales_org
    technician.save()
    assert "holiday" in codes(planned)


def test_being_a_technician_or_not_sends_the_plannings_through_the_check(planned, technician):
    JobPlanning.objects.filter(pk=planned.pk).update(warnings=MARKER)
    technician.save()  # nothing the check reads changed: no refresh
    technician.save(update_fields=["last_login"])
    assert codes(planned) == {"marker"}
    technician.is_technician = False
    technician.save()
    assert codes(planned) == set()


def test_a_work_orders_skill_through_the_api(api, planned, body, gas):
    response = api.put(url(planned.work_order_id), {**body, "skill_code": "GAS"}, format="json")
    assert response.status_code == 200, response.content
    assert codes(planned) == {"missing_skill"}
    response = api.patch(url(planned.work_order_id), {"skill_code": "ELEC"}, format="json")
    assert response.status_code == 200, response.content
    assert codes(planned) == set()


def test_a_work_orders_skill_through_the_admin(admin_client, planned, gas):
    wo = WorkOrder.objects.get(pk=planned.work_order_id)
    data = change_form_data(admin_client, wo)
    data["skill"] = str(gas.pk)
    response = admin_client.post(f"/admin/workorders/workorder/{wo.pk}/change/", data)
    assert response.status_code == 302, response.context["errors"]
    assert codes(planned) == {"missing_skill"}


@pytest.mark.parametrize("method", ["set", "batched"])
def test_a_work_orders_skill_through_an_import(tmp_path, planned, project, job_type, gas, method):
    wo = WorkOrder.objects.get(pk=planned.work_order_id)
    wo.reference_back_office = "SKILLED-1"
    wo.save(update_fields=["reference_back_office"])
    row = {
        "reference_back_office": "SKILLED-1",
        "name": wo.name,
        "project_reference_back_office": project.reference_back_office,
        "job_type_code": job_type.code,
        "job_status_code": "Suggested",
        "suggested_user_code": "T01",
        "suggested_date_start": wo.suggested_date_start.isoformat(),
        "estimated_time": "60",
        "skill_code": "GAS",
    }
    path = write_csv(tmp_path / "skill.csv", [row], columns=IMPORT_COLUMNS)
    job = imports.run_import(path=path, method=method)
    assert job.effected_records == 1, list(job.errors.values())
    assert codes(planned) == {"missing_skill"}
