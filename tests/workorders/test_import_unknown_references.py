"""A row refused for a field (a bad date) is told its unknown references too (project,
technician, skill), in the first run, by both import paths and in the same words as the
preview: both ask workorders.imports.unknown_references. Otherwise an operator fixing the date
meets a second round of errors."""

import pytest

from apijobs.models import ApiJob
from workorders import imports
from workorders.imports.preview import preview_import
from workorders.models import WorkOrder

from .conftest import IMPORT_COLUMNS, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def bad_file(tmp_path, rows):
    # Line 3: a bad date AND an unknown project, technician and skill.
    rows[1].update(
        due_date="not a date",
        project_reference_back_office="PRJ-NOPE",
        suggested_user_code="NOBODY",
        skill_code="juggling",
    )
    # Line 5: only an unknown status (the resolver's own error, unchanged).
    return write_csv(tmp_path / "orders.csv", rows)


@pytest.mark.parametrize("method", ["set", "batched"])
def test_a_row_refused_for_a_field_is_told_its_unknown_references(bad_file, planner, method):
    job = imports.run_import(path=bad_file, by=planner, method=method)
    errors = {(e.line, e.field): e.message for e in job.errors.all()}
    line_3 = {field: message for (line, field), message in errors.items() if line == 3}
    assert line_3["due_date"]  # the field check
    assert (
        line_3["project_reference_back_office"]
        == "Unknown project reference_back_office 'PRJ-NOPE'."
    )
    assert line_3["suggested_user_code"] == "Unknown user code 'NOBODY'."
    assert line_3["skill_code"] == "Unknown skill code 'juggling'."
    assert errors[(5, "job_status_code")] == "Unknown job status code 'Nope'."
    assert job.error_records == 2
    # The good rows land as before.
    assert set(WorkOrder.objects.values_list("reference_back_office", flat=True)) == {
        "IMP-1",
        "IMP-3",
    }

    # The preview names the same problems for that line, in the same words.
    preview = preview_import(path=bad_file, by=planner)
    problems = next(row.problems for row in preview.rows if row.line == 3)
    assert problems == line_3


@pytest.mark.parametrize("method", ["set", "batched"])
def test_a_dry_run_tells_them_too_and_a_file_made_parent_is_no_unknown(
    tmp_path, rows, planner, method
):
    rows[0]["reference_back_office"] = "PARENT-1"
    rows[1].update(due_date="not a date", _parent_jobs_reference_back_office="PARENT-1")
    rows[2].update(due_date="not a date", _parent_jobs_reference_back_office="NO-SUCH")
    columns = [*IMPORT_COLUMNS, "_parent_jobs_reference_back_office"]
    path = write_csv(tmp_path / "orders.csv", rows, columns)
    job = imports.run_import(path=path, by=planner, method=method, dry_run=True)
    fields = {(e.line, e.field) for e in job.errors.all()}
    assert (3, "_parent_jobs_reference_back_office") not in fields
    assert (4, "_parent_jobs_reference_back_office") in fields
    assert {(3, "due_date"), (4, "due_date")} <= fields
    assert not WorkOrder.objects.exists()
    assert ApiJob.objects.get().options["dry_run"] is True
