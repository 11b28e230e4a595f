"""Imports match a reference back office within a sales organization: two organizations' files
may number alike, each updates its own, and a superuser's file is read row by row in the
organization each row's project names. The set-based path and the batched one agree."""

import pytest
from django.db import transaction
from django.test import Client

from workorders import imports
from workorders.models import Project, WorkOrder

from ..admin_forms import change_form_data
from ..factories import make_work_order
from .conftest import write_csv

pytestmark = pytest.mark.django_db

COLUMNS = [
    "reference_back_office",
    "name",
    "project_id",
    "project_reference_back_office",
    "job_type_code",
    "job_status_code",
]


def row(reference, name, *, project=None, project_reference=None):
    return {
        "reference_back_office": reference,
        "name": name,
        "project_id": str(project.pk) if project else "",
        "project_reference_back_office": project_reference or "",
        "job_type_code": "Unknown",
        "job_status_code": "ToBePlanned",
    }


@pytest.mark.parametrize("method", ["set", "batched"])
def test_two_organizations_import_the_same_reference_each_their_own(
    tmp_path, planner, other_planner, project, twin_project, statuses, method
):
    for name in ("Service", "Service renamed"):
        path = write_csv(
            tmp_path / "wo.csv",
            [row("ERP-1", name, project_reference=project.reference_back_office)],
            columns=COLUMNS,
        )
        for by in (planner, other_planner):
            job = imports.run_import(path=path, method=method, by=by)
            assert (job.effected_records, job.error_records) == (1, 0), job.message
    rows = WorkOrder.objects.values_list("project_id", "name")
    assert sorted(rows) == sorted(
        [(project.pk, "Service renamed"), (twin_project.pk, "Service renamed")]
    )


def test_two_organizations_import_projects_with_the_same_reference(
    tmp_path, planner, other_planner, company, other_company
):
    for name in ("Chiller", "Chiller renamed"):
        for by, owner in ((planner, company), (other_planner, other_company)):
            path = write_csv(
                tmp_path / "projects.csv",
                [{"reference_back_office": "PRJ-9", "name": name, "company_code": owner.code}],
                columns=["reference_back_office", "name", "company_code"],
            )
            job = imports.run_import(path=path, kind="projects", by=by)
            assert (job.effected_records, job.error_records) == (1, 0), job.message
    projects = Project.objects.filter(reference_back_office="PRJ-9")
    assert sorted(projects.values_list("company_id", "name")) == sorted(
        [(company.pk, "Chiller renamed"), (other_company.pk, "Chiller renamed")]
    )


@pytest.fixture
def shared(project, twin_project, other_project, statuses, job_type):
    """Work orders of both organizations sharing references: ERP-1 and ERP-3 in both, ERP-2
    and ERP-4 only in the other one."""
    for owner, reference in (
        (project, "ERP-1"),
        (twin_project, "ERP-1"),
        (other_project, "ERP-2"),
        (project, "ERP-3"),
        (twin_project, "ERP-3"),
        (twin_project, "ERP-4"),
    ):
        make_work_order(
            project=owner, job_type=job_type, reference_back_office=reference, name="Stored"
        )


def superuser_rows(project, twin_project, other_project):
    shared_ref = project.reference_back_office  # both organizations' projects hold it
    return [
        row("ERP-1", "Mine updated", project=project),
        row("ERP-2", "Mine, new", project=project),  # ERP-2 is only theirs: a new one of mine
        row("ERP-3", "Which one?", project_reference=shared_ref),  # held by both: give the id
        row("ERP-4", "Theirs updated", project_reference=shared_ref),  # only theirs holds it
        row("ERP-5", "Theirs, new", project=twin_project),
        row("ERP-6", "Theirs, new", project_reference=other_project.reference_back_office),
        row("ERP-6", "Mine, new", project=project),  # the same reference, another organization
        row("ERP-7", "New, which project?", project_reference=shared_ref),
        row("ERP-1", "Theirs updated", project=twin_project),
    ]


def snapshot(job):
    work_orders = sorted(
        WorkOrder.objects.values_list(
            "reference_back_office", "sales_organization_id", "project_id", "name"
        )
    )
    errors = sorted(job.errors.values_list("line", "field", "message"))
    return work_orders, errors, (job.status, job.effected_records, job.error_records)


def import_with(method, path, by):
    with transaction.atomic():
        job = imports.run_import(path=path, method=method, by=by)
        result = snapshot(job)
        again = imports.run_import(path=path, method=method, by=by)
        result += ((again.effected_records, again.error_records),)
        transaction.set_rollback(True)
    return result


def test_a_superusers_import_matches_each_row_in_its_projects_organization(
    tmp_path, superuser, project, twin_project, other_project, shared
):
    rows = superuser_rows(project, twin_project, other_project)
    path = write_csv(tmp_path / "wo.csv", rows, columns=COLUMNS)
    set_based = import_with("set", path, superuser)
    batched = import_with("batched", path, superuser)
    assert set_based == batched
    work_orders, errors, counts, again = set_based
    assert counts == ("completed", 7, 2)
    assert again == (0, 2)
    assert errors == [
        (4, "reference_back_office", "'ERP-3' names several work order records; give the id."),
        (9, "project_id", "Required: give project_id or project_reference_back_office or project."),
        (
            9,
            "project_reference_back_office",
            "'PRJ-1' names several project records; give the id.",
        ),
    ]
    mine, theirs = project.sales_organization_id, twin_project.sales_organization_id
    names = {(ref, org): name for ref, org, _, name in work_orders}
    assert names == {
        ("ERP-1", mine): "Mine updated",
        ("ERP-1", theirs): "Theirs updated",
        ("ERP-2", theirs): "Stored",
        ("ERP-2", mine): "Mine, new",
        ("ERP-3", mine): "Stored",
        ("ERP-3", theirs): "Stored",
        ("ERP-4", theirs): "Theirs updated",
        ("ERP-5", theirs): "Theirs, new",
        ("ERP-6", theirs): "Theirs, new",
        ("ERP-6", mine): "Mine, new",
    }


@pytest.fixture
def admin_client(superuser):
    client = Client()
    client.force_login(superuser)
    return client


def project_form_data(client, project):
    response = client.get(f"/admin/workorders/project/{project.pk}/change/")
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value not in (None, ""):
            data[name] = value.isoformat(" ") if hasattr(value, "isoformat") else value
    return data


def post_reference(client, page, data, reference):
    """Post an admin change form with another reference; the form's errors (None: saved)."""
    response = client.post(page, {**data, "reference_back_office": reference})
    if response.status_code == 302:
        return None
    return response.context["adminform"].form.errors


def test_the_admin_forms_check_the_reference_within_the_organization(
    admin_client, project, twin_project, other_project, statuses, job_type
):
    taken = {"reference_back_office": ["Already used by another project."]}
    # Their other project may take my project's reference, not their own project's.
    data = project_form_data(admin_client, other_project)
    page = f"/admin/workorders/project/{other_project.pk}/change/"
    assert post_reference(admin_client, page, data, "PRJ-1") == taken
    twin_project.delete()
    assert post_reference(admin_client, page, data, "PRJ-1") is None
    assert Project.objects.filter(reference_back_office="PRJ-1").count() == 2

    mine = make_work_order(project=project, job_type=job_type, reference_back_office="ERP-2")
    make_work_order(project=project, job_type=job_type, reference_back_office="ERP-1")
    make_work_order(project=other_project, job_type=job_type, reference_back_office="ERP-3")
    data = change_form_data(admin_client, mine)
    page = f"/admin/workorders/workorder/{mine.pk}/change/"
    taken = {"reference_back_office": ["Already used by another work order."]}
    assert post_reference(admin_client, page, data, "ERP-1") == taken
    assert post_reference(admin_client, page, data, "ERP-3") is None
    mine.refresh_from_db()
    assert mine.reference_back_office == "ERP-3"
