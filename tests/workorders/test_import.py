"""import_workorders / import_projects: bad rows reported with line and field and skipped, good
rows land, re-import effects nothing; the same on SQLite and PostgreSQL."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from apijobs.models import ApiJob
from workorders import imports
from workorders.models import JobPlanning, Project, WorkOrder

from .conftest import IMPORT_COLUMNS, write_csv, write_json

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(path, *args, command="import_workorders"):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), "--no-progress", *args, stdout=out, stderr=err)
    except CommandError as exc:
        return False, out.getvalue(), err.getvalue() + str(exc)
    return True, out.getvalue(), err.getvalue()


def test_bad_row_named_good_rows_land_and_again_effects_nothing(tmp_path, rows, technician):
    path = write_csv(tmp_path / "wo.csv", rows)
    ok, out, err = run(path)
    assert not ok
    assert "line 5: job_status_code: Unknown job status code 'Nope'." in err
    assert "4 rows, 3 effected, 0 unchanged, 1 failed" in out
    assert set(WorkOrder.objects.values_list("reference_back_office", flat=True)) == {
        "IMP-1",
        "IMP-2",
        "IMP-3",
    }
    wo = WorkOrder.objects.get(reference_back_office="IMP-2")
    assert JobPlanning.objects.get(work_order=wo, made_by_rule=True).user == technician
    job = ApiJob.objects.get(type="workorder_import")
    assert (job.status, job.total_records, job.effected_records, job.error_records) == (
        "completed",
        4,
        3,
        1,
    )
    # On create an unresolved required reference is also reported as missing (as the API does).
    assert set(job.errors.values_list("line", "field", "record_id")) == {
        (5, "job_status_code", "IMP-4"),
        (5, "job_status_id", "IMP-4"),
    }
    assert "Work order ID: IMP-4 (line 5) failed" in job.message

    ok, out, err = run(path)
    assert not ok
    assert "4 rows, 0 effected, 3 unchanged, 1 failed" in out
    assert JobPlanning.objects.count() == 1


def test_a_clean_file_exits_zero_and_updates_what_changed(tmp_path, rows):
    path = write_csv(tmp_path / "wo.csv", rows[:3])
    assert run(path)[0]
    rows[0]["name"] = "Service A renamed"
    ok, out, _ = run(write_csv(tmp_path / "wo2.csv", rows[:3]))
    assert ok
    assert "3 rows, 1 effected, 2 unchanged, 0 failed" in out
    assert WorkOrder.objects.get(reference_back_office="IMP-1").name == "Service A renamed"


def test_bom_semicolons_json_and_xlsx(tmp_path, rows):
    assert run(write_csv(tmp_path / "bom.csv", rows[:1], encoding="utf-8-sig", delimiter=";"))[0]
    assert WorkOrder.objects.filter(reference_back_office="IMP-1").exists()
    ok, _, err = run(write_json(tmp_path / "wo.json", rows[1:]))
    assert not ok
    assert "record 3: job_status_code" in err
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(IMPORT_COLUMNS)
    rows[0]["name"] = "From a sheet"
    for row in rows[:1]:
        sheet.append([row.get(c) or None for c in IMPORT_COLUMNS])
    book.save(tmp_path / "wo.xlsx")
    ok, out, _ = run(tmp_path / "wo.xlsx")
    assert ok, out
    assert WorkOrder.objects.get(reference_back_office="IMP-1").name == "From a sheet"


def test_dry_run_writes_nothing_but_counts(tmp_path, rows):
    ok, out, _ = run(write_csv(tmp_path / "wo.csv", rows), "--dry-run")
    assert not ok
    assert "Dry run — nothing was written: would create 3, would update 0" in out
    assert "effected" not in out
    assert not WorkOrder.objects.exists()
    assert not JobPlanning.objects.exists()
    assert ApiJob.objects.get().options["dry_run"] is True


def test_not_utf8_and_missing_columns_are_clear_errors(tmp_path, rows):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("reference_back_office,name\nX,Caf\xe9\n".encode("latin-1"))
    ok, _, err = run(latin)
    assert not ok and "not UTF-8" in err
    ok, _, err = run(write_csv(tmp_path / "cols.csv", rows, columns=["name", "job_type_code"]))
    assert not ok
    assert "missing required column(s)" in err and "project_reference_back_office" in err
    assert not ApiJob.objects.exists()


def test_command_exit_status_and_no_traceback(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name\nCaf\xe9\n".encode("latin-1"))
    done = subprocess.run(
        [sys.executable, "manage.py", "import_workorders", str(latin)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert done.returncode != 0
    assert "not UTF-8" in done.stderr and "Traceback" not in done.stderr


def test_sales_organization_limits_what_resolves(tmp_path, rows, other_sales_org):
    ok, _, err = run(write_csv(tmp_path / "wo.csv", rows[:1]), "--sales-organization", "NL01")
    assert not ok
    assert "line 2: project_reference_back_office: Unknown project" in err
    assert not WorkOrder.objects.exists()
    ok, _, err = run(write_csv(tmp_path / "wo.csv", rows[:1]), "--sales-organization", "XX")
    assert not ok and "Unknown sales organization" in err


def test_start_import_runs_in_the_background(
    tmp_path, rows, planner, django_capture_on_commit_callbacks
):
    path = write_csv(tmp_path / "wo.csv", rows)
    with django_capture_on_commit_callbacks(execute=True):
        job = imports.start_import(path=path, by=planner)
    job.refresh_from_db()
    assert (job.type, job.status, job.effected_records, job.error_records) == (
        "workorder_import",
        "completed",
        3,
        1,
    )
    assert job.requested_by == planner
    with pytest.raises(imports.ImportFileError):
        imports.start_import(path=tmp_path / "missing.csv", by=planner)


def test_import_projects(tmp_path, company, sales_org):
    columns = ["reference_back_office", "name", "company_code", "is_mobile_installation"]
    projects = [
        {"reference_back_office": "P-1", "name": "Boiler", "company_code": "acme"},
        {
            "reference_back_office": "P-2",
            "name": "Van",
            "company_code": "ACME",
            "is_mobile_installation": "true",
        },
        {"reference_back_office": "P-3", "name": "Lost", "company_code": "NOPE"},
    ]
    path = write_csv(tmp_path / "p.csv", projects, columns=columns)
    ok, out, err = run(path, command="import_projects")
    assert not ok
    assert "line 4: company_code: Unknown company code 'NOPE'." in err
    assert "3 rows, 2 effected, 0 unchanged, 1 failed" in out
    van = Project.objects.get(reference_back_office="P-2")
    assert van.is_mobile_installation and van.sales_organization == sales_org
    ok, out, _ = run(path, command="import_projects")
    assert "3 rows, 0 effected, 2 unchanged, 1 failed" in out
    assert ApiJob.objects.filter(type="project_import").count() == 2
