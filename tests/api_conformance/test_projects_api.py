"""Projects over REST: the same upsert and reference resolution an embedded `project` gets."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workorders.models import EquipmentModel, Project

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects"


def test_put_creates_then_updates_then_is_unchanged(api, company, planner):
    pk = str(uuid.uuid4())
    body = {
        "id": pk,
        "name": "Chiller Leuven",
        "reference_back_office": "PRJ-77",
        "company_code": "acme",
        "is_mobile_installation": True,
        "date_built": "2025-10-08T00:00:00+00:00",
        "equipment_model": {"code": "CH-1", "name": "Chiller 1"},
        # computed counters and system fields of the seed are ignored on input
        "nb_open_jobs": 37,
        "id2": 36,
        "modified_dateutc": "2025-10-08T18:26:51.3485589+00:00",
    }
    created = api.put(f"{LIST}/{pk}", body, format="json")
    assert created.status_code == 201, created.json()
    data = created.json()
    assert data["company_code"] == "ACME"
    assert data["equipment_model_code"] == "CH-1"
    assert data["date_built"] == "2025-10-08T00:00:00+00:00"
    project = Project.objects.get(pk=pk)
    assert project.sales_organization_id == planner.sales_organization_id
    assert EquipmentModel.objects.get().sales_organization_id == planner.sales_organization_id

    same = api.put(f"{LIST}/{pk}", body, format="json")
    assert same.status_code == 200
    assert same.json()["modified_dateutc"] == data["modified_dateutc"]

    changed = api.patch(f"{LIST}/{pk}", {"name": "Chiller Leuven 2"}, format="json")
    assert changed.status_code == 200
    assert changed.json()["name"] == "Chiller Leuven 2"


def test_project_errors_name_the_field(api, company):
    response = api.post(LIST, {"name": "No company"}, format="json")
    assert response.status_code == 400
    assert "company_id" in response.json()
    response = api.post(LIST, {"name": "x" * 256, "company_code": "ACME"}, format="json")
    assert "name" in response.json()
    response = api.post(
        LIST, {"name": "Bad", "company_code": "ACME", "project_status_code": "NOPE"}, format="json"
    )
    assert "project_status_code" in response.json()
    response = api.post(
        LIST,
        {"name": "Dup", "company_code": "ACME", "reference_back_office": "PRJ-1"},
        format="json",
    )
    assert response.status_code == 201
    response = api.post(
        LIST,
        {"name": "Dup", "company_code": "ACME", "reference_back_office": "PRJ-1"},
        format="json",
    )
    assert response.status_code == 400
    assert "reference_back_office" in response.json()


def test_tenancy(api, other_api, project, other_company):
    assert other_api.get(f"{LIST}/{project.pk}").status_code == 404
    response = other_api.put(f"{LIST}/{project.pk}", {"name": "Mine"}, format="json")
    assert response.status_code == 404
    response = api.post(
        LIST, {"name": "Theirs", "company_id": str(other_company.pk)}, format="json"
    )
    assert response.status_code == 400
    assert "company_id" in response.json()
    assert other_api.get(LIST).json()["count"] == 0


def test_list_filters_and_constant_queries(api, company, project):
    for i in range(12):
        Project.objects.create(
            name=f"P{i}", company=company, sales_organization=company.sales_organization
        )
    assert api.get(LIST, {"company_code": "acme"}).json()["count"] == 13
    assert api.get(LIST, {"search": "boiler"}).json()["count"] == 1

    def queries(size):
        with CaptureQueriesContext(connection) as captured:
            assert len(api.get(LIST, {"page_size": size}).json()["results"]) == size
        return len(captured)

    assert queries(2) == queries(12)


def test_delete_refused_while_work_orders_refer_to_it(api, seed):
    from ..factories import work_order_url as url

    body = seed()
    assert api.put(url(uuid.uuid4()), body, format="json").status_code == 201
    response = api.delete(f"{LIST}/{body['project_id']}")
    assert response.status_code == 409
