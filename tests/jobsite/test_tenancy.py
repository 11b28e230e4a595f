"""jobsite/tenancy.py: each rule's Python and SQL forms agree, and a superuser (who sees every
sales organization) still cannot wire one organization's work order to another's rows."""

import csv
import itertools
import uuid

import pytest
from django.db import connection

from apijobs.models import ApiJobError
from jobs.models import JobType
from jobsite.errors import ServiceError
from jobsite.models import Company, Contact, Skill, User
from jobsite.tenancy import (
    may_refer,
    may_refer_sql,
    organization_for_new_record,
    organization_sql,
    restrict_to_tenant,
    sees,
    sees_sql,
    visible_sales_organization_ids,
)
from workorders import imports
from workorders.models import WorkOrder

from ..factories import work_order_url as url

pytestmark = pytest.mark.django_db


def _sql_ids(model, tenant, user, shared):
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    condition = sees_sql(
        organization_sql(model, tenant, "t"),
        visible=visible_sales_organization_ids(user=user),
        shared_when_empty=shared,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.{pk} FROM {table} t WHERE {condition}")
        return {model._meta.pk.to_python(row[0]) for row in cursor.fetchall()}


@pytest.fixture
def users(planner, other_planner, superuser, sales_org):
    homeless = User.objects.create_user(username="nobody", is_staff=True)
    return [planner, other_planner, superuser, homeless]


@pytest.mark.parametrize("shared", [False, True], ids=["own-only", "shared-when-empty"])
def test_visibility_is_the_same_in_querysets_python_and_sql(
    users, sales_org, other_sales_org, shared
):
    JobType.objects.create(code="OURS", name="Ours", sales_organization=sales_org)
    JobType.objects.create(code="THEIRS", name="Theirs", sales_organization=other_sales_org)
    for user in users:
        queryset = set(
            restrict_to_tenant(
                JobType.objects.all(), user=user, shared_when_empty=shared
            ).values_list("pk", flat=True)
        )
        visible = visible_sales_organization_ids(user=user)
        python = {
            t.pk
            for t in JobType.objects.all()
            if sees(t.sales_organization_id, visible=visible, shared_when_empty=shared)
        }
        assert queryset == python == _sql_ids(JobType, "sales_organization", user, shared), user


def test_visibility_through_a_related_row(users, company, other_sales_org):
    theirs = Company.objects.create(code="THEM", name="Them", sales_organization=other_sales_org)
    Contact.objects.create(company=company, last_name="Ours")
    Contact.objects.create(company=theirs, last_name="Theirs")
    for user in users:
        queryset = set(
            restrict_to_tenant(
                Contact.objects.all(), user=user, field="company__sales_organization"
            ).values_list("pk", flat=True)
        )
        assert queryset == _sql_ids(Contact, "company__sales_organization", user, False), user


def test_may_refer_is_the_same_in_python_and_sql(sales_org, other_sales_org):
    values = [None, sales_org.pk, other_sales_org.pk]

    def literal(value):
        return "NULL" if value is None else f"'{value.hex}'"

    for record, referred, shared in itertools.product(values, values, [False, True]):
        condition = may_refer_sql(literal(record), literal(referred), shared)
        with connection.cursor() as cursor:
            # Negated too: the import fails rows WHERE NOT may_refer, so NULL must not leak.
            cursor.execute(
                f"SELECT CASE WHEN {condition} THEN 1 ELSE 0 END, "
                f"CASE WHEN NOT {condition} THEN 1 ELSE 0 END"
            )
            holds, fails = cursor.fetchone()
            assert holds != fails
            in_sql = bool(holds)
        in_python = may_refer(
            record_organization=record, organization=referred, shared_when_empty=shared
        )
        assert in_sql == in_python, (record, referred, shared)


def test_a_new_record_gets_its_context_else_its_writers_organization(
    planner, superuser, sales_org, other_sales_org
):
    assert organization_for_new_record(by=planner) == sales_org.pk
    assert organization_for_new_record(by=planner, context=other_sales_org.pk) == (
        other_sales_org.pk
    )
    assert organization_for_new_record(by=superuser) is None
    with pytest.raises(ServiceError) as refused:
        organization_for_new_record(by=superuser, required="sales_organization_id")
    assert refused.value.field == "sales_organization_id"


@pytest.mark.parametrize("key", ["skill_id", "skill_code", "skill"])
def test_a_superuser_cannot_give_a_work_order_another_organizations_skill(
    admin_api, project, job_type, statuses, other_sales_org, key
):
    theirs = Skill.objects.create(code="GAS", name="Gas", sales_organization=other_sales_org)
    value = {"skill_id": str(theirs.pk), "skill_code": "GAS", "skill": {"id": str(theirs.pk)}}
    body = {
        "name": "Boiler",
        "project_id": str(project.pk),
        "job_type_id": str(job_type.pk),
        "job_status_code": "ToBePlanned",
        key: value[key],
    }
    response = admin_api.put(url(uuid.uuid4()), body, format="json")
    if key == "skill_code":
        # A code is looked up in the project's organization: theirs is not found there.
        assert response.status_code == 400, response.content
        assert key in response.json()
    else:
        assert response.status_code == 400, response.content
        assert "another sales organization" in response.json()[key][0]
    assert not WorkOrder.objects.exists()


def test_a_superuser_may_give_a_shared_job_type_and_its_own_organizations_rows(
    admin_api, project, job_type, statuses, skill
):
    body = {
        "name": "Boiler",
        "project_id": str(project.pk),
        "job_type_id": str(job_type.pk),  # shared by every organization
        "job_status_code": "ToBePlanned",
        "skill_id": str(skill.pk),
    }
    response = admin_api.put(url(uuid.uuid4()), body, format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("method", ["set", "batched"])
def test_a_superusers_import_keeps_each_work_order_within_its_organization(
    tmp_path, superuser, project, job_type, other_sales_org, skill, method
):
    theirs = Skill.objects.create(code="GAS", name="Gas", sales_organization=other_sales_org)
    columns = [
        "reference_back_office", "name", "project_id", "job_type_code", "job_status_code",
        "skill_id",
    ]  # fmt: skip
    records = [
        {"reference_back_office": f"ERP-{n}", "name": "Boiler", "project_id": str(project.pk),
         "job_type_code": job_type.code, "job_status_code": "ToBePlanned",
         "skill_id": str(chosen.pk)}
        for n, chosen in enumerate([theirs, skill])
    ]  # fmt: skip
    path = tmp_path / "work.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(records)
    job = imports.run_import(path=path, method=method, by=superuser)
    assert (job.effected_records, job.error_records) == (1, 1)
    error = ApiJobError.objects.get(api_job=job)
    assert (error.line, error.field) == (2, "skill_id")
    assert "another sales organization" in error.message
    assert list(WorkOrder.objects.values_list("skill_id", flat=True)) == [skill.pk]
