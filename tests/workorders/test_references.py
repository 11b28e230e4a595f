"""Reference resolution (workorders/references.py), directly: a batch reads each kind once,
ids and codes must agree, a code shared by several organizations is resolved in the record's
organization or is an error asking for the id, and a user resolves only what they see."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobs.models import JobType
from workorders.reference_kinds import WORK_ORDER_GROUPS
from workorders.references import ReferenceResolver

pytestmark = pytest.mark.django_db


def _records(project, job_type, count):
    return [
        {
            "project_reference_back_office": project.reference_back_office,
            "job_type_code": job_type.code,
            "job_status_code": "ToBePlanned",
        }
        for _ in range(count)
    ]


def test_a_batch_reads_each_kind_once_however_many_records(planner, project, job_type):
    def queries(count):
        with CaptureQueriesContext(connection) as captured:
            ReferenceResolver(records=_records(project, job_type, count), by=planner)
        return len(captured)

    assert queries(1) == queries(200) == 1  # every kind only referred to: one UNION ALL


def test_resolves_by_id_and_by_code_to_the_same_rows(planner, project, job_type, statuses):
    record = {
        "project_id": str(project.pk),
        "project_reference_back_office": project.reference_back_office,
        "job_type_code": job_type.code.upper(),  # codes match case-insensitively
        "job_status_id": str(statuses["Suggested"].pk),
    }
    resolver = ReferenceResolver(records=[record], by=planner)
    values, errors = resolver.resolve(record=record, groups=WORK_ORDER_GROUPS)
    assert errors == {}
    assert values["project"].pk == project.pk
    assert values["job_type"].pk == job_type.pk
    assert values["job_status"].pk == statuses["Suggested"].pk


def test_an_id_and_a_code_that_disagree_are_an_error(planner, project, other_project):
    record = {
        "project_id": str(project.pk),
        "project_reference_back_office": "PRJ-NOT-THIS-ONE",
    }
    resolver = ReferenceResolver(records=[record], by=planner)
    _, errors = resolver.resolve(record=record, groups=WORK_ORDER_GROUPS)
    assert "Does not name the same project" in errors["project_reference_back_office"]


def test_unknown_and_malformed_ids_name_their_field(planner):
    record = {"project_id": str(uuid.uuid4()), "job_type_id": "not-a-uuid"}
    resolver = ReferenceResolver(records=[record], by=planner)
    _, errors = resolver.resolve(record=record, groups=WORK_ORDER_GROUPS)
    assert errors["project_id"].startswith("Unknown project id")
    assert "job_type_id" in errors


def test_another_organizations_rows_are_unknown_to_a_planner(planner, other_project):
    record = {"project_id": str(other_project.pk)}
    resolver = ReferenceResolver(records=[record], by=planner)
    _, errors = resolver.resolve(record=record, groups=WORK_ORDER_GROUPS)
    assert errors["project_id"].startswith("Unknown project id")


def test_a_shared_code_prefers_the_records_organization_then_the_shared_one(
    superuser, project, sales_org, other_sales_org
):
    ours = JobType.objects.create(code="SERVICE", name="Ours", sales_organization=sales_org)
    JobType.objects.create(code="SERVICE", name="Theirs", sales_organization=other_sales_org)
    record = {"project_id": str(project.pk), "job_type_code": "service"}
    resolver = ReferenceResolver(records=[record], by=superuser)
    values, errors = resolver.resolve(record=record, groups=WORK_ORDER_GROUPS)
    assert errors == {} and values["job_type"].pk == ours.pk

    # Without a project to say which organization, two organizations' codes are ambiguous.
    alone = {"job_type_code": "service"}
    resolver = ReferenceResolver(records=[alone], by=superuser)
    _, errors = resolver.resolve(record=alone, groups=WORK_ORDER_GROUPS)
    assert "names several job type records; give the id" in errors["job_type_code"]
