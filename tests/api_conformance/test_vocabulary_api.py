"""Job types, statuses and priorities: global rows for everyone, writes of global rows for
superusers only, a tenant's own rows for its users."""

import pytest

from jobs.models import JobPriority, JobStatus, JobType

pytestmark = pytest.mark.django_db


def codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_everyone_reads_the_global_vocabulary_with_and_without_slash(api, other_api):
    assert codes(api.get("/api/v1/job-types")) == ["Unknown"]
    assert codes(other_api.get("/api/v1/job-priorities/")) == ["Low", "Normal", "High", "Urgent"]
    statuses = api.get("/api/v1/job-statuses?ordering=number").json()
    assert statuses["count"] == 10
    first = statuses["results"][0]
    assert (first["number"], first["code"], first["life_cycle_state"]) == (
        0,
        "ToBePlanned",
        "PENDING",
    )


def test_a_tenants_types_are_its_own(api, other_api, sales_org):
    response = api.post("/api/v1/job-types", {"code": "Meter", "name": "Meter"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["sales_organization_id"] == str(sales_org.pk)
    assert response.json()["default_start_status_code"] is None
    assert "Meter" in codes(api.get("/api/v1/job-types"))
    assert "Meter" not in codes(other_api.get("/api/v1/job-types"))
    meter = response.json()["id"]
    assert other_api.get(f"/api/v1/job-types/{meter}").status_code == 404
    assert (
        other_api.patch(f"/api/v1/job-types/{meter}", {"name": "x"}, format="json").status_code
        == 404
    )
    assert other_api.delete(f"/api/v1/job-types/{meter}").status_code == 404
    assert (
        api.patch(f"/api/v1/job-types/{meter}", {"name": "Meters"}, format="json").status_code
        == 200
    )
    assert api.delete(f"/api/v1/job-types/{meter}").status_code == 204


def test_global_vocabulary_is_written_by_superusers_only(api, admin_api):
    unknown = JobType.objects.get(code="Unknown")
    response = api.patch(f"/api/v1/job-types/{unknown.pk}", {"name": "Mine"}, format="json")
    assert response.status_code == 403
    body = {"code": "Global", "name": "G", "sales_organization_id": None}
    assert api.post("/api/v1/job-types", body, format="json").status_code == 403
    assert (
        api.post(
            "/api/v1/job-statuses",
            {"code": "X", "name": "X", "number": 20, "life_cycle_state": "PENDING"},
            format="json",
        ).status_code
        == 403
    )
    assert (
        api.delete(f"/api/v1/job-priorities/{JobPriority.objects.get(code='Low').pk}").status_code
        == 403
    )

    response = admin_api.post("/api/v1/job-types", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["sales_organization_id"] is None
    response = admin_api.patch(
        f"/api/v1/job-types/{unknown.pk}", {"name": "Unknown type"}, format="json"
    )
    assert response.status_code == 200


def test_another_tenants_sales_organization_is_refused(api, other_sales_org):
    body = {"code": "P", "name": "P", "sales_organization_id": str(other_sales_org.pk)}
    response = api.post("/api/v1/job-priorities", body, format="json")
    assert response.status_code == 400
    assert "sales_organization_id" in response.json()


def test_codes_are_unique_per_scope_ignoring_case(api):
    assert (
        api.post("/api/v1/job-priorities", {"code": "Rush", "name": "R"}, format="json").status_code
        == 201
    )
    response = api.post("/api/v1/job-priorities", {"code": "RUSH", "name": "R"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_one_default_per_scope(admin_api):
    response = admin_api.post(
        "/api/v1/job-priorities",
        {"code": "Top", "name": "Top", "is_default": True, "sequence": 9},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert list(JobPriority.objects.filter(is_default=True).values_list("code", flat=True)) == [
        "Top"
    ]


def test_job_type_default_statuses_must_fit(admin_api):
    completed = JobStatus.objects.get(code="Completed")
    body = {"code": "Bad", "name": "Bad", "default_start_status_id": str(completed.pk)}
    response = admin_api.post("/api/v1/job-types", body, format="json")
    assert response.status_code == 400
    assert "default_start_status_id" in response.json()


def test_the_statuses_the_rules_use_are_fixed(admin_api):
    open_ = JobStatus.objects.get(code="Open")
    response = admin_api.patch(
        f"/api/v1/job-statuses/{open_.pk}", {"life_cycle_state": "COMPLETED"}, format="json"
    )
    assert response.status_code == 400 and "life_cycle_state" in response.json()
    response = admin_api.delete(f"/api/v1/job-statuses/{open_.pk}")
    assert response.status_code == 400 and "number" in response.json()
    default = JobStatus.objects.get(is_default=True)
    response = admin_api.patch(
        f"/api/v1/job-statuses/{default.pk}", {"is_default": False}, format="json"
    )
    assert response.status_code == 400 and "is_default" in response.json()
    assert (
        admin_api.patch(
            f"/api/v1/job-statuses/{open_.pk}", {"name": "Opened"}, format="json"
        ).status_code
        == 200
    )

    new = admin_api.post(
        "/api/v1/job-statuses",
        {"code": "OnSite", "name": "On site", "number": 10, "life_cycle_state": "IN_PROGRESS"},
        format="json",
    )
    assert new.status_code == 201, new.content
    assert admin_api.delete(f"/api/v1/job-statuses/{new.json()['id']}").status_code == 204


def test_a_type_in_use_cannot_be_deleted(admin_api, api, company):
    from tests.factories import make_job

    meter = api.post("/api/v1/job-types", {"code": "Meter", "name": "Meter"}, format="json").json()
    make_job(client=company, job_type=JobType.objects.get(pk=meter["id"]))
    assert api.delete(f"/api/v1/job-types/{meter['id']}").status_code == 409


def test_filters_search_and_ordering(api, sales_org):
    JobType.objects.create(code="Meter", name="Meter install", sales_organization=sales_org)
    assert codes(api.get("/api/v1/job-types?is_global=false")) == ["Meter"]
    assert codes(api.get("/api/v1/job-types?is_global=true")) == ["Unknown"]
    assert codes(api.get("/api/v1/job-types?search=install")) == ["Meter"]
    assert codes(api.get("/api/v1/job-types?code=METER")) == ["Meter"]
    assert codes(api.get("/api/v1/job-priorities?ordering=-sequence"))[0] == "Urgent"
    assert codes(api.get("/api/v1/job-statuses?life_cycle_state=IN_PROGRESS")) == ["InProgress"]
    page = api.get("/api/v1/job-statuses?page_size=3&page=2").json()
    assert page["count"] == 10 and len(page["results"]) == 3


def test_unauthenticated_is_401(client, db):
    assert client.get("/api/v1/job-types").status_code == 401
