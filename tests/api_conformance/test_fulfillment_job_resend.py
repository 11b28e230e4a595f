"""PUT /api/v1/Fulfillment/Job is idempotent: an ERP that retries after a timeout, or echoes
the answer back, does not grow the job; and `jobTypeId` may be TJobType's number."""

import json

import pytest

from jobs.models import Job, JobDetail
from tests.factories import make_job, seed_000_sample

pytestmark = pytest.mark.django_db

URL = "/api/v1/Fulfillment/Job"
TEXT_JSON = {"content_type": "text/json", "HTTP_ACCEPT": "text/json"}
# Per call, not per job: how long this call took and its TxID.
PER_CALL = ("executionTime", "txID")


def put_text_json(api, body):
    response = api.put(URL, data=json.dumps(body), **TEXT_JSON)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/json")
    return json.loads(response.content)


def put(api, body):
    response = api.put(URL, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def without_per_call(answer: dict) -> dict:
    return {k: v for k, v in answer.items() if k not in PER_CALL}


def test_the_seed_sample_twice_as_text_json_leaves_the_job_as_the_first_left_it(
    api, seed_directory
):
    first = put_text_json(api, seed_000_sample())
    job = Job.objects.get(pk=first["id"])
    stored = list(JobDetail.objects.values_list().order_by("pk"))
    second = put_text_json(api, seed_000_sample())
    assert without_per_call(second) == without_per_call(first)
    assert len(first["jobDetails"]) == 2  # the sample's detail (id 1 twice) and the trace
    assert list(JobDetail.objects.values_list().order_by("pk")) == stored
    again = Job.objects.get(pk=job.pk)
    assert (again.updated_at, again.updated_by_id) == (job.updated_at, job.updated_by_id)


def test_echoing_the_answer_back_changes_nothing(api, seed_directory):
    first = put(api, seed_000_sample())
    echoed = put(api, {**first, "jobDetails": [{**d, "jobId": 2} for d in first["jobDetails"]]})
    assert without_per_call(echoed) == without_per_call(first)


def test_details_without_an_id_are_not_appended_on_a_resend(api, seed_directory):
    body = seed_000_sample()
    entry = {"objectName": "meter", "objectId": 9, "executionTime": 3}
    body["jobDetails"] = [entry, dict(entry), {"objectName": "seal"}]
    first = put(api, body)
    # Two equal entries are two details, and stay two: each stored detail matches one entry.
    assert [d["objectName"] for d in first["jobDetails"]] == [
        "meter",
        "meter",
        "seal",
        "Fulfillment/Job",
    ]
    second = put(api, body)
    assert without_per_call(second) == without_per_call(first)
    assert JobDetail.objects.count() == 4


def test_a_null_time_on_resend_keeps_the_stored_time(api, seed_directory):
    body = seed_000_sample()
    first = put(api, body)
    body["jobDetails"] = [{**d, "modifiedDateTime": None} for d in body["jobDetails"]]
    assert without_per_call(put(api, body)) == without_per_call(first)


def test_a_change_is_written_once_with_one_trace(api, seed_directory):
    first = put(api, seed_000_sample())
    sample_id = first["jobDetails"][0]["id"]
    body = {
        "jobIdentifier": first["jobIdentifier"],
        "jobDetails": [{"id": sample_id, "executionTime": 99}],
    }
    changed = put(api, body)
    assert changed["modifiedDateTime"] != first["modifiedDateTime"]
    assert changed["jobDetails"][0] == {**first["jobDetails"][0], "executionTime": 99}
    traces = [d for d in changed["jobDetails"] if d["objectName"] == "Fulfillment/Job"]
    assert len(traces) == 2
    assert without_per_call(put(api, body)) == without_per_call(changed)


def test_a_new_detail_alone_is_a_change_of_the_job(api, seed_directory):
    first = put(api, seed_000_sample())
    body = {**seed_000_sample(), "jobDetails": [{"objectName": "extra"}]}
    second = put(api, body)
    names = [d["objectName"] for d in second["jobDetails"]]
    assert names.count("extra") == 1 and names.count("Fulfillment/Job") == 2
    assert second["modifiedDateTime"] != first["modifiedDateTime"]


def test_the_crud_resource_writes_no_trace_for_an_unchanged_patch(api, company):
    job = make_job(client=company)
    url = f"/api/v1/fulfillment-jobs/{job.pk}"
    assert api.patch(url, {"notes": "gate 12"}, format="json").status_code == 200
    count = job.details.count()
    assert api.patch(url, {"notes": "gate 12"}, format="json").status_code == 200
    assert job.details.count() == count


@pytest.mark.parametrize("body", [{"jobTypeId": 0}, {"jobTypeId": "Unknown"}])
def test_job_type_by_tjobtype_number_or_name(api, planner, body):
    answer = put(api, body)
    assert answer["jobTypeId"] == "Unknown"
    assert Job.objects.get(pk=answer["id"]).job_type.code == "Unknown"


@pytest.mark.parametrize("value", [7, -1, True, 1.5, 2**70])
def test_a_job_type_number_tjobtype_lacks_is_a_400_naming_the_field(api, planner, value):
    response = api.put(URL, {"jobTypeId": value}, format="json")
    assert response.status_code == 400, response.content
    assert "jobTypeId" in response.json()
    assert not Job.objects.exists()
