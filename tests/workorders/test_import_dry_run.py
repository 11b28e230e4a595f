"""A dry run writes nothing, says so, and counts what it would have done apart from what an
import effected: on the set-based path (CSV) and the batched one (JSON), SQLite and PostgreSQL."""

import pytest

from apijobs.models import ApiJob
from workorders import imports
from workorders.models import JobPlanning, WorkOrder

from .conftest import write_csv, write_json

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_dry_run_writes_nothing_and_counts_would_be_effects_apart(
    tmp_path, rows, technician, planner, api, fmt
):
    write = write_csv if fmt == "csv" else write_json
    path = write(tmp_path / f"wo.{fmt}", rows)
    job = imports.run_import(path=path, by=planner, dry_run=True)
    assert not WorkOrder.objects.exists() and not JobPlanning.objects.exists()
    assert job.effected_records == 0
    assert job.options["would"] == {"created": 3, "updated": 0}
    assert job.message.startswith(
        "Dry run — nothing was written: would create 3, would update 0, 0 unchanged, "
        "1 with errors (of 4 rows)."
    )
    answer = api.get(f"/api/v1/api-jobs/{job.pk}").json()
    assert answer["effected_records"] == 0 and answer["message"].startswith("Dry run")

    # Once imported, the same file would update nothing and leave 3 unchanged; one changed row
    # would be updated.
    imports.run_import(path=path, by=planner)
    assert WorkOrder.objects.count() == 3
    rows[0]["name"] = "Renamed"
    job = imports.run_import(path=write(tmp_path / f"again.{fmt}", rows), by=planner, dry_run=True)
    assert job.effected_records == 0
    assert job.options["would"] == {"created": 0, "updated": 1}
    assert "would update 1, 2 unchanged" in job.message
    assert not WorkOrder.objects.filter(name="Renamed").exists()


def test_the_api_job_page_labels_a_dry_run(planner_client, planner, tmp_path, rows, technician):
    job = imports.run_import(path=write_csv(tmp_path / "wo.csv", rows), by=planner, dry_run=True)
    text = planner_client.get(f"/admin/apijobs/apijob/{job.pk}/change/").content.decode()
    assert "Dry run" in text and "would create 3" in text
    assert " effected" not in text  # neither the counts nor the bar's title
    listing = planner_client.get("/admin/apijobs/apijob/").content.decode()
    assert "would create 3" in listing
    assert ApiJob.objects.get().effected_records == 0
