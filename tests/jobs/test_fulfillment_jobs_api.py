"""/api/v1/fulfillment-jobs: the plain CRUD resource beside the seed-000 PUT."""

import pytest

from jobs.models import Job, JobDetail
from tests.factories import make_job

pytestmark = pytest.mark.django_db

URL = "/api/v1/fulfillment-jobs"


def test_create_read_update_delete(api, company, technician, planner):
    body = {
        "description": "Meter swap",
        "client_id": str(company.pk),
        "assigned_to_id": str(technician.pk),
        "job_status_code": "waiting",
        "percent_complete": 10,
    }
    response = api.post(URL, body, format="json", HTTP_X_TX_ID="crud-1")
    assert response.status_code == 201, response.content
    job = response.json()
    assert job["number"].startswith("J-") and job["job_type_code"] == "Unknown"
    assert (job["job_status_code"], job["life_cycle_state"]) == ("Waiting", "PENDING")
    assert job["client_id2"] == company.id2 and job["created_by_id"] == str(planner.pk)
    trace = JobDetail.objects.get(job_id=job["id"])
    assert (trace.object_name, trace.tx_id) == ("fulfillment-jobs", "crud-1")

    url = f"{URL}/{job['id']}"
    response = api.patch(url, {"notes": "gate code 1234"}, format="json")
    assert response.status_code == 200 and response.json()["notes"] == "gate code 1234"
    assert JobDetail.objects.filter(job_id=job["id"]).count() == 2
    assert api.get(url + "/").json()["notes"] == "gate code 1234"
    assert api.delete(url).status_code == 204
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("job_type_code", "Nope"),
        ("job_status_code", "Nope"),
        ("job_status_id", "00000000-0000-0000-0000-000000000000"),
        ("percent_complete", 150),
        ("rating_state", "MAYBE"),
        ("start_date", "soon"),
    ],
)
def test_bad_input_names_the_field(api, field, value):
    response = api.post(URL, {field: value}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_id_and_code_must_agree(api, statuses):
    body = {"job_status_id": str(statuses["Open"].pk), "job_status_code": "Waiting"}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400 and "job_status_code" in response.json()


def test_tenancy(api, other_api, admin_api, company, other_company):
    mine, theirs = make_job(client=company), make_job(client=other_company)
    assert [j["id"] for j in api.get(URL).json()["results"]] == [mine.pk]
    assert other_api.get(f"{URL}/{mine.pk}").status_code == 404
    assert other_api.patch(f"{URL}/{mine.pk}", {"notes": "x"}, format="json").status_code == 404
    response = api.post(URL, {"client_id": str(other_company.pk)}, format="json")
    assert response.status_code == 400 and "client_id" in response.json()
    assert {j["id"] for j in admin_api.get(URL).json()["results"]} == {mine.pk, theirs.pk}


def test_filters_and_ordering(api, company, technician):
    pending = make_job(client=company, assigned_to=technician)
    running = make_job(client=company, status_code="InProgress", description="Boiler")

    def ids(query):
        response = api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.content
        return [j["id"] for j in response.json()["results"]]

    assert ids("life_cycle_state=IN_PROGRESS") == [running.pk]
    assert ids("job_status=tobeplanned") == [pending.pk]
    assert ids(f"assigned_to={technician.pk}") == [pending.pk]
    assert ids(f"number={running.number.lower()}") == [running.pk]
    assert ids("search=boiler") == [running.pk]
    assert ids("ordering=id") == [pending.pk, running.pk]
    assert ids(f"client_id2={company.id2}&ordering=-number") == [running.pk, pending.pk]
