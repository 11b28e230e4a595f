"""PUT /api/v1/Fulfillment/Job as seed 000 documents it."""

import copy
import re
import uuid

import pytest

from jobs.models import Job, JobDetail, JobType
from tests.factories import make_job, seed_000_sample

pytestmark = pytest.mark.django_db

URL = "/api/v1/Fulfillment/Job"

VERBATIM = seed_000_sample()
RESPONSE_KEYS = set(VERBATIM)
DETAIL_KEYS = set(VERBATIM["jobDetails"][0])
SEED_DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}[+-]\d\d:\d\d$")


def put(api, body, url=URL, **headers):
    return api.put(url, body, format="json", **headers)


def test_seed_sample_verbatim_creates_the_job_and_answers_with_the_seed_keys(api, seed_directory):
    client_1, user_1 = seed_directory
    response = put(api, VERBATIM, HTTP_X_TX_ID="tx-000-1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == RESPONSE_KEYS
    assert body["jobDetails"] and all(set(d) == DETAIL_KEYS for d in body["jobDetails"])
    assert body["jobIdentifier"] == VERBATIM["jobIdentifier"]
    assert body["jobTypeId"] == "Unknown"
    assert body["jobStatusId"] == 0
    assert (body["clientId"], body["requestingUserId"]) == (1, 1)
    assert (body["percentComplete"], body["totalRecords"]) == (5, 6)
    assert (body["successfulRecords"], body["errorRecords"]) == (7, 8)
    assert body["notes"] == "sample string 9"
    assert body["startDate"] == "2025-08-14T01:25:46.9871240+00:00"
    assert SEED_DATE.match(body["modifiedDateTime"])
    assert body["txID"] == "tx-000-1" == response["X-Tx-ID"]
    assert isinstance(body["executionTime"], int) and body["executionTime"] >= 0

    job = Job.objects.get(job_identifier=VERBATIM["jobIdentifier"])
    assert body["id"] == job.pk
    assert re.fullmatch(r"J-\d{6}", job.number)
    assert job.client == client_1 and job.requesting_user == user_1
    assert job.sales_organization == client_1.sales_organization
    # The two entries share id 1: one detail; plus the trace of this write.
    sample = job.details.get(object_name="sample string 3")
    assert (sample.object_id, sample.execution_time, sample.tx_id) == (4, 7, "sample string 8")
    trace = job.details.get(object_name="Fulfillment/Job")
    assert (trace.object_id, trace.tx_id) == (job.pk, "tx-000-1")
    assert [d["id"] for d in body["jobDetails"]] == [sample.pk, trace.pk]


def test_same_body_again_updates_the_same_job(api, seed_directory):
    first = put(api, VERBATIM).json()
    body = copy.deepcopy(VERBATIM)
    body["notes"] = "second"
    second = put(api, body, url=URL + "/")  # the trailing slash answers too
    assert second.status_code == 200, second.content
    assert second.json()["id"] == first["id"]
    assert Job.objects.count() == 1
    assert Job.objects.get().notes == "second"
    assert Job.objects.get().details.filter(object_name="Fulfillment/Job").count() == 2


def test_upsert_by_id_without_identifier(api, seed_directory):
    job = make_job(client=seed_directory[0])
    response = put(api, {"id": job.pk, "notes": "by id", "jobStatusId": "Waiting"})
    assert response.status_code == 200, response.content
    job.refresh_from_db()
    assert (job.notes, job.job_status.code) == ("by id", "Waiting")
    assert response.json()["jobStatusId"] == 1


def test_unknown_id_without_identifier_is_404(api, seed_directory):
    response = put(api, {"id": 999999, "notes": "x"})
    assert response.status_code == 404
    assert "id" in response.json()


def test_neither_id_nor_identifier_creates_with_defaults(api, planner):
    response = put(api, {"notes": "minimal"})
    assert response.status_code == 200, response.content
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.job_type.code, job.job_status.code) == ("Unknown", "ToBePlanned")
    assert job.sales_organization == planner.sales_organization
    assert job.created_by == planner == job.updated_by


def test_own_details_are_upserted_by_id_and_the_others_kept(api, seed_directory):
    job = make_job(client=seed_directory[0])
    kept, updated = JobDetail.objects.bulk_create(
        [
            JobDetail(job=job, object_name="kept", modified_datetime="2025-01-01T00:00:00Z"),
            JobDetail(job=job, object_name="old", modified_datetime="2025-01-01T00:00:00Z"),
        ]
    )
    body = {
        "jobIdentifier": str(job.job_identifier),
        "jobDetails": [{"id": updated.pk, "objectName": "new", "objectId": 9, "jobId": 12345}],
    }
    assert put(api, body).status_code == 200
    updated.refresh_from_db()
    assert (updated.object_name, updated.object_id, updated.job_id) == ("new", 9, job.pk)
    assert JobDetail.objects.filter(pk=kept.pk, object_name="kept").exists()


def test_a_detail_id_of_another_job_is_never_taken(api, seed_directory):
    other = make_job(client=seed_directory[0])
    theirs = JobDetail.objects.create(
        job=other, object_name="theirs", modified_datetime="2025-01-01T00:00:00Z"
    )
    body = {"jobDetails": [{"id": theirs.pk, "jobId": other.pk, "objectName": "mine"}]}
    response = put(api, body)
    assert response.status_code == 200, response.content
    theirs.refresh_from_db()
    assert (theirs.job_id, theirs.object_name) == (other.pk, "theirs")
    mine = JobDetail.objects.get(object_name="mine")
    assert mine.job_id == response.json()["id"] and mine.pk != theirs.pk


def test_job_type_by_uuid_and_status_by_code(api, planner):
    job_type = JobType.objects.create(
        code="Meter", name="Meter install", sales_organization=planner.sales_organization
    )
    response = put(api, {"jobTypeId": str(job_type.pk), "jobStatusId": "inprogress"})
    assert response.status_code == 200, response.content
    assert (response.json()["jobTypeId"], response.json()["jobStatusId"]) == ("Meter", 6)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("jobTypeId", "NoSuchType"),
        ("jobTypeId", str(uuid.uuid4())),
        ("jobStatusId", 42),
        ("jobStatusId", "NoSuchStatus"),
        ("clientId", 987654),
        ("requestingUserId", 987654),
        ("startDate", "14/08/2025"),
        ("percentComplete", 101),
        ("totalRecords", -1),
        ("jobIdentifier", "not-a-uuid"),
        ("jobDetails", [{"objectId": "four"}]),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, seed_directory, field, value):
    response = put(api, {**VERBATIM, "jobDetails": [], field: value})
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Job.objects.exists()


def test_another_tenants_client_is_refused(api, other_company):
    response = put(api, {"clientId": other_company.id2})
    assert response.status_code == 400
    assert "clientId" in response.json()


def test_another_tenants_job_is_404_and_untouched(api, other_api, other_company):
    theirs = put(other_api, {"clientId": other_company.id2, "notes": "theirs"}).json()
    response = put(api, {"jobIdentifier": theirs["jobIdentifier"], "notes": "stolen"})
    assert response.status_code == 404
    assert put(api, {"id": theirs["id"], "notes": "stolen"}).status_code == 404
    assert Job.objects.get(pk=theirs["id"]).notes == "theirs"


def test_a_superuser_sees_every_tenant(admin_api, other_api, other_company):
    theirs = put(other_api, {"clientId": other_company.id2}).json()
    response = put(admin_api, {"jobIdentifier": theirs["jobIdentifier"], "notes": "admin"})
    assert response.status_code == 200
    assert response.json()["id"] == theirs["id"]


def test_unauthenticated_is_401(client, db):
    response = client.put(URL, VERBATIM, content_type="application/json")
    assert response.status_code == 401


def test_zero_references_mean_none(api, planner):
    response = put(api, {"clientId": 0, "requestingUserId": 0, "id": 0})
    assert response.status_code == 200, response.content
    assert (response.json()["clientId"], response.json()["requestingUserId"]) == (None, None)


def test_a_job_type_code_the_superuser_cannot_place_is_ambiguous(
    admin_api, sales_org, other_sales_org
):
    # Two organizations' "Meter" and no global one: a superuser (no organization of their own)
    # gets a 400 asking for the id, as the work order resolver answers, not a silent pick.
    for org in (sales_org, other_sales_org):
        JobType.objects.create(code="Meter", name="Meter", sales_organization=org)
    response = put(admin_api, {"jobTypeId": "meter"})
    assert response.status_code == 400, response.content
    assert "give the id" in response.json()["jobTypeId"][0]
    assert not Job.objects.exists()


def test_the_callers_own_job_type_wins_over_a_global_namesake(api, planner):
    JobType.objects.create(code="Meter", name="Global meter")
    own = JobType.objects.create(
        code="Meter", name="Own meter", sales_organization=planner.sales_organization
    )
    response = put(api, {"jobTypeId": "meter"})
    assert response.status_code == 200, response.content
    assert Job.objects.get().job_type == own
