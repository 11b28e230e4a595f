"""The import page explains itself: templates with every column and a help table, a check of
the file before anything runs (its first rows with their problems, every unknown reference of
the file in that same first pass), then the import or a labelled dry run."""

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from apijobs.models import ApiJob
from workorders.imports import WORK_ORDER_COLUMNS
from workorders.models import WorkOrder

from .conftest import IMPORT_COLUMNS

PAGE = "/admin/workorders/workorder/import/"


def _upload(client, planner, name, text):
    return client.post(
        PAGE,
        {
            "file": SimpleUploadedFile(name, text.encode(), "text/csv"),
            "kind": "workorders",
            "sales_organization": str(planner.sales_organization_id),
        },
    )


def test_templates_carry_every_column_and_the_help(planner_client):
    page = planner_client.get(PAGE).content.decode()
    assert "Check the file" in page
    assert 'id="import-columns-workorders"' in page and "project_reference_back_office" in page
    response = planner_client.get(PAGE + "template/workorders.csv")
    assert response["Content-Disposition"] == 'attachment; filename="workorders-template.csv"'
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert set(header) == WORK_ORDER_COLUMNS
    assert header[:3] == ["reference_back_office", "name", "project_reference_back_office"]
    book = load_workbook(io.BytesIO(planner_client.get(PAGE + "template/workorders.xlsx").content))
    assert book.sheetnames == ["Work orders", "Columns"]
    assert [c.value for c in book["Work orders"][1]] == header
    assert book["Columns"].max_row == len(header) + 1
    projects = planner_client.get(PAGE + "template/projects.csv").content.decode("utf-8-sig")
    assert projects.startswith("reference_back_office,id,name")
    assert planner_client.get(PAGE + "template/nothing.csv").status_code == 404


def test_the_check_shows_problems_and_unknown_references_in_one_pass_and_writes_nothing(
    planner_client, planner, rows, technician, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    # Line 3: a bad date AND an unknown project: both said at once.
    rows[1]["due_date"] = "not a date"
    rows[1]["project_reference_back_office"] = "PRJ-NOPE"
    rows.append({**rows[0], "reference_back_office": "IMP-5", "suggested_user_code": "NOBODY"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*IMPORT_COLUMNS, "colour"])
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in IMPORT_COLUMNS})
    response = _upload(planner_client, planner, "orders.csv", out.getvalue())
    assert response.status_code == 200
    preview = response.context["preview"]
    by_line = {row.line: row for row in preview.rows}
    assert by_line[2].outcome == "would create" and not by_line[2].problems
    assert set(by_line[3].problems) == {"due_date", "project_reference_back_office"}
    assert by_line[5].problems["job_status_code"] == "Unknown job status code 'Nope'."
    assert "suggested_user_code" in by_line[6].problems
    unknown = {(u.column, u.value) for u in preview.unknown}
    assert unknown == {
        ("project_reference_back_office", "PRJ-NOPE"),
        ("job_status_code", "Nope"),
        ("suggested_user_code", "NOBODY"),
    }
    assert preview.ignored_columns == ["colour"]
    text = response.content.decode()
    assert "nothing has been written yet" in text and "PRJ-NOPE" in text
    assert not WorkOrder.objects.exists() and not ApiJob.objects.exists()

    # The checked file, as a dry run: labelled on the message and the job.
    started = planner_client.post(
        PAGE, {"token": response.context["token"], "start": "dry_run"}, follow=True
    )
    messages = [str(m) for m in started.context["messages"]]
    assert any(
        m.startswith("Dry run of orders.csv started: nothing will be written") for m in messages
    )
    job = ApiJob.objects.get()
    assert job.options["dry_run"] is True and job.effected_records == 0
    # Queued (the task runs once the request's transaction commits): it says dry run already.
    assert "Dry run" in started.content.decode()
    assert job.message.startswith("Dry run — nothing will be written")
    assert not WorkOrder.objects.exists()


def test_a_start_without_a_check_is_refused(planner_client):
    response = planner_client.post(PAGE, {"token": "forged", "start": "import"}, follow=True)
    assert "That check has expired" in response.content.decode()
    assert not ApiJob.objects.exists()
