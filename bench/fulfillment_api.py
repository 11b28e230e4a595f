"""Fulfillment jobs API, in process: what each seed endpoint costs per call, against a floor
measured in the same run: a bare authenticated API view doing one UPDATE of a job row, through
the same middleware and test client.

    .venv/bin/python bench/fulfillment_api.py       # SQLite in memory, 200 calls a case
    DATABASE_URL=postgres://root@127.0.0.1:5432/jobsite_h5 \
        .venv/bin/python bench/fulfillment_api.py --calls 1000

On PostgreSQL it creates and drops its own database `<name>_bench_fulfillment`."""

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jobsite.test_settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from rest_framework.decorators import api_view  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from jobs.models import Job  # noqa: E402


@api_view(["POST"])
def floor_view(request):
    Job.objects.filter(pk=request.data["id"]).update(notes="floor")
    return Response({"ok": True})


urlpatterns = [path("bench/floor", floor_view), path("", include("jobsite.urls"))]


def timed(fn, calls: int) -> tuple[float, float]:
    """Median and p90 milliseconds of `calls` calls of fn(i)."""
    samples = []
    for i in range(calls):
        start = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()

    settings_dict = connection.settings_dict
    settings_dict.setdefault("TEST", {})
    if connection.vendor == "postgresql":
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench_fulfillment"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        with override_settings(ROOT_URLCONF=__name__):
            run(args.calls)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def run(calls: int) -> None:
    from jobsite.models import Company, SalesOrganization, User
    from jobsite.services import issue_api_token

    org = SalesOrganization.objects.create(code="BE01", name="Belgium")
    user = User.objects.create_user(username="planner", id2=1, sales_organization=org)
    Company.objects.create(code="C1", name="Client", id2=1, sales_organization=org)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_api_token(user=user)[0]}")

    sample = {
        "id": 1,
        "jobTypeId": "Unknown",
        "clientId": 1,
        "startDate": "2025-08-14T01:25:46.9871243+00:00",
        "percentComplete": 5,
        "requestingUserId": 1,
        "jobStatusId": 0,
        "notes": "sample string 9",
        "jobDetails": [{"id": 1, "objectName": "sample string 3", "objectId": 4}],
    }
    identifiers = [str(uuid.uuid4()) for _ in range(calls)]

    def put_new(i):
        response = api.put("/api/v1/Fulfillment/Job", {**sample, "jobIdentifier": identifiers[i]})
        assert response.status_code == 200, response.content

    def put_again(i):
        response = api.put("/api/v1/Fulfillment/Job", {**sample, "jobIdentifier": identifiers[i]})
        assert response.status_code == 200, response.content

    def start(i):
        body = {"job_identifier": {"id": identifiers[i]}, "fields_set": "id,life_cycle_state"}
        response = api.post("/api/v1/jobs/all_scopes/start_progress", body)
        assert response.status_code == 200, response.content

    def complete(i):
        response = api.post(
            "/api/v1/jobs/all_scopes/complete", {"job_identifier": {"id": identifiers[i]}}
        )
        assert response.status_code == 200, response.content

    def list_page(i):
        response = api.get("/api/v1/fulfillment-jobs?page_size=50")
        assert response.status_code == 200, response.content

    ids = []

    def floor(i):
        response = api.post("/bench/floor", {"id": ids[i % len(ids)]})
        assert response.status_code == 200, response.content

    cases = [
        ("PUT Fulfillment/Job (create)", put_new),
        ("PUT Fulfillment/Job (update)", put_again),
        ("POST start_progress", start),
        ("POST complete", complete),
        ("GET fulfillment-jobs (50 rows)", list_page),
    ]
    results = {}
    for label, fn in cases:
        results[label] = timed(fn, calls)
        if not ids:
            ids.extend(Job.objects.values_list("pk", flat=True))
    floor_ms = timed(floor, calls)[0]

    # Queries per call, measured once on a fresh job.
    fresh = str(uuid.uuid4())
    counts = {}
    for label, call in [
        (
            "PUT Fulfillment/Job (create)",
            lambda: api.put("/api/v1/Fulfillment/Job", {**sample, "jobIdentifier": fresh}),
        ),
        (
            "PUT Fulfillment/Job (update)",
            lambda: api.put("/api/v1/Fulfillment/Job", {**sample, "jobIdentifier": fresh}),
        ),
        (
            "POST start_progress",
            lambda: api.post(
                "/api/v1/jobs/all_scopes/start_progress", {"job_identifier": {"id": fresh}}
            ),
        ),
        (
            "POST complete",
            lambda: api.post("/api/v1/jobs/all_scopes/complete", {"job_identifier": {"id": fresh}}),
        ),
        (
            "GET fulfillment-jobs (50 rows)",
            lambda: api.get("/api/v1/fulfillment-jobs?page_size=50"),
        ),
    ]:
        with CaptureQueriesContext(connection) as queries:
            call()
        counts[label] = len(queries.captured_queries)

    print(f"database: {connection.vendor}, calls per case: {calls}")
    print(f"floor (bare API view, one UPDATE): {floor_ms:.2f} ms median")
    print(f"{'case':34} {'median ms':>10} {'p90 ms':>8} {'x floor':>8} {'queries':>8}")
    for label, (median, p90) in results.items():
        print(f"{label:34} {median:10.2f} {p90:8.2f} {median / floor_ms:8.1f} {counts[label]:8}")


if __name__ == "__main__":
    main()
