"""A reference back office (the ERP's key) is unique per sales organization: two organizations'
ERPs may number alike, each reaches only its own record by it, and another organization's
reference looks unused (issue #15, item 5)."""

import json
import uuid

import pytest

from apijobs.models import ApiJob
from jobsite.models import Company, Contact
from workorders.models import Project, WorkOrder

from ..factories import work_order_url as url

pytestmark = pytest.mark.django_db

BULK = "/api/v1/workorders/bulk"


def body(project, **over):
    return {
        "name": "Boiler service",
        "project_reference_back_office": project.reference_back_office,
        "job_type_code": "Unknown",
        "job_status_code": "ToBePlanned",
        "reference_back_office": "ERP-1",
        **over,
    }


def used(response) -> bool:
    return "Already used" in response.content.decode()


def bulk(client, records, capture):
    with capture(execute=True):
        response = client.post(BULK, records, format="json")
    assert response.status_code == 202, response.content
    return ApiJob.objects.get(pk=response.json()["id"])


def listed(client, ref="ERP-1"):
    return client.get("/api/v1/workorders", {"reference_back_office": ref}).json()["results"]


def test_two_organizations_put_the_same_reference_each_their_own(
    api, other_api, project, twin_project
):
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    for client, pk in ((api, mine), (other_api, theirs)):
        response = client.put(url(pk), body(project), format="json")
        assert response.status_code == 201, response.content
    assert WorkOrder.objects.get(pk=mine).project == project
    assert WorkOrder.objects.get(pk=theirs).project == twin_project
    for client, pk in ((api, mine), (other_api, theirs)):
        assert [row["id"] for row in listed(client)] == [pk]
        again = client.put(url(pk), body(project, name="Renamed"), format="json")
        assert again.status_code == 200, again.content
        assert not used(again)
    assert set(WorkOrder.objects.values_list("name", flat=True)) == {"Renamed"}


def test_a_reference_taken_in_the_own_organization_is_still_refused(
    api, other_api, project, twin_project
):
    assert other_api.put(url(uuid.uuid4()), body(project), format="json").status_code == 201
    assert api.put(url(uuid.uuid4()), body(project), format="json").status_code == 201
    response = api.put(url(uuid.uuid4()), body(project), format="json")
    assert response.status_code == 400
    assert response.json() == {"reference_back_office": ["Already used by another work order."]}


def test_bulk_matches_by_reference_within_the_organization(
    api, other_api, project, twin_project, django_capture_on_commit_callbacks
):
    for client in (api, other_api):
        job = bulk(client, [body(project)], django_capture_on_commit_callbacks)
        assert (job.effected_records, job.error_records) == (1, 0), job.message
    for client, name in ((api, "Mine"), (other_api, "Theirs")):
        job = bulk(client, [body(project, name=name)], django_capture_on_commit_callbacks)
        assert (job.effected_records, job.error_records) == (1, 0), job.message
    assert [row["name"] for row in listed(api)] == ["Mine"]
    assert [row["name"] for row in listed(other_api)] == ["Theirs"]
    assert WorkOrder.objects.count() == 2


def test_projects_share_a_reference_across_organizations(api, other_api, company, other_company):
    project = {"name": "Chiller", "reference_back_office": "PRJ-9"}
    for client, owner in ((api, company), (other_api, other_company)):
        response = client.post(
            "/api/v1/projects", {**project, "company_code": owner.code}, format="json"
        )
        assert response.status_code == 201, response.content
    for client, owner in ((api, company), (other_api, other_company)):
        found = client.get("/api/v1/projects", {"reference_back_office": "PRJ-9"}).json()
        assert [row["company_id"] for row in found["results"]] == [str(owner.pk)]
        pk = found["results"][0]["id"]
        again = {**project, "name": f"Chiller of {owner.code}", "company_code": owner.code}
        response = client.put(f"/api/v1/projects/{pk}", again, format="json")
        assert response.status_code == 200, response.content
    assert Project.objects.filter(reference_back_office="PRJ-9").count() == 2
    # A second POST in the same organization finds its own.
    response = api.post(
        "/api/v1/projects", {**project, "company_code": company.code}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"reference_back_office": ["Already used by another project."]}


def test_project_reference_back_office_names_the_organizations_own(
    api, other_api, project, twin_project
):
    for client, expected in ((api, project), (other_api, twin_project)):
        response = client.put(url(uuid.uuid4()), body(project), format="json")
        assert response.status_code == 201, response.content
        assert response.json()["project_id"] == str(expected.pk)


def test_a_superuser_naming_a_shared_project_reference_gives_the_id(
    admin_api, project, twin_project, statuses
):
    response = admin_api.put(url(uuid.uuid4()), body(project), format="json")
    assert response.status_code == 400
    assert response.json()["project_reference_back_office"] == [
        "'PRJ-1' names several project records; give the id."
    ]
    assert not WorkOrder.objects.exists()
    named = body(project, project_id=str(twin_project.pk))
    response = admin_api.put(url(uuid.uuid4()), named, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["project_id"] == str(twin_project.pk)


def test_a_superusers_bulk_matches_within_the_projects_organization(
    admin_api, api, other_api, project, twin_project, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for client in (api, other_api):
        assert client.put(url(uuid.uuid4()), body(project), format="json").status_code == 201
    records = [
        body(project, project_id=str(twin_project.pk), name="Theirs, by the admin"),
        {"reference_back_office": "ERP-1", "name": "Which one?"},
    ]
    job = bulk(admin_api, records, capture)
    assert (job.effected_records, job.error_records) == (1, 1), job.message
    assert "'ERP-1' names several work order records; give the id." in job.message
    assert [row["name"] for row in listed(other_api)] == ["Theirs, by the admin"]
    assert [row["name"] for row in listed(api)] == ["Boiler service"]


def test_companies_and_contacts_share_references_across_organizations(
    api, other_api, company, other_company
):
    for client in (api, other_api):
        response = client.post(
            "/api/v1/companies", {"code": "NEW", "name": "New", "reference_back_office": "C-1"}
        )
        assert response.status_code == 201, response.content
    response = api.post(
        "/api/v1/companies", {"code": "NEW2", "name": "New 2", "reference_back_office": "C-1"}
    )
    assert response.status_code == 400
    assert response.json() == {"reference_back_office": ["Already used by another company."]}
    assert Company.objects.filter(reference_back_office="C-1").count() == 2

    for client, owner in ((api, company), (other_api, other_company)):
        contact = {
            "company_id": str(owner.pk),
            "last_name": "Peeters",
            "reference_back_office": "P-1",
        }
        response = client.post(
            "/api/v1/contacts", json.dumps(contact), content_type="application/json"
        )
        assert response.status_code == 201, response.content
        response = client.post(
            "/api/v1/contacts", json.dumps(contact), content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json() == {
            "reference_back_office": ["Already used by another contact of this company."]
        }
    assert Contact.objects.filter(reference_back_office="P-1").count() == 2
    # Without a reference (or a sales organization: the writer's), nothing more is required.
    response = api.post("/api/v1/companies", {"code": "BARE", "name": "Bare"})
    assert response.status_code == 201, response.content


def test_a_contact_reference_is_looked_up_within_the_organization(
    api, company, other_company, sales_org
):
    mine = Contact.objects.create(company=company, last_name="Mine", reference_back_office="P-1")
    Contact.objects.create(company=other_company, last_name="Theirs", reference_back_office="P-1")
    project = {"name": "Chiller", "company_code": company.code}
    response = api.post(
        "/api/v1/projects", {**project, "contact_reference_back_office": "P-1"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["contact_id"] == str(mine.pk)
    # Two companies of one organization may each have a P-1 (unique per company): ask for the id.
    sister = Company.objects.create(code="SISTER", name="Sister", sales_organization=sales_org)
    Contact.objects.create(company=sister, last_name="Sister", reference_back_office="P-1")
    response = api.post(
        "/api/v1/projects", {**project, "contact_reference_back_office": "P-1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "contact_reference_back_office": ["'P-1' names several contact records; give the id."]
    }
