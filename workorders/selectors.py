"""Reads of work orders, projects and plannings in the seed-004 shape, for one user's tenancy.

Rows are read with `.values()` (one query, the referenced codes joined in) and turned into the
seed's flat `x_id` / `x_code` pairs by a table, not by a serializer per field: a list page of 50
work orders costs one query and a loop."""

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import QuerySet

from jobsite.models import User
from jobsite.selectors import restrict_to_tenant
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.records import format_datetime

# Seed-004 output name -> ORM path. Embedded objects are not echoed: their id and code are.
WORK_ORDER_FIELDS: dict[str, str] = {
    "id": "id",
    "_parent_id": "parent_id",
    "_parent_jobs_reference_back_office": "parent__reference_back_office",
    "project_id": "project_id",
    "project_reference_back_office": "project__reference_back_office",
    "job_type_id": "job_type_id",
    "job_type_code": "job_type__code",
    "job_priority_id": "job_priority_id",
    "job_priority_code": "job_priority__code",
    "job_status_id": "job_status_id",
    "job_status_code": "job_status__code",
    "db_address_id": "db_address_id",
    "contact_id": "contact_id",
    "requested_by_company_id": "requested_by_company_id",
    "requested_by_contact_id": "requested_by_contact_id",
    "reference_back_office": "reference_back_office",
    "name": "name",
    "description": "description",
    "working_sequence": "working_sequence",
    "internal_memo": "internal_memo",
    "prejob_information": "prejob_information",
    "estimated_time": "estimated_time",
    "earliest_date_plannable": "earliest_date_plannable",
    "due_date": "due_date",
    "date_create": "date_create",
    "date_update": "date_update",
    "date_closed": "date_closed",
    "suggested_user_id": "suggested_user_id",
    "suggested_user_code": "suggested_user__code",
    "suggested_date_start": "suggested_date_start",
    "skill_id": "skill_id",
    "skill_code": "skill__code",
    "customer_reference": "customer_reference",
    "approval_responsible_user_id": "approval_responsible_user_id",
    "date_reported_by_company": "date_reported_by_company",
    "id2": "id2",
    "company_id": "company_id",
    "company_code": "company__code",
    "db_address_name": "db_address_name",
    "db_address_street": "db_address_street",
    "db_address_street2": "db_address_street2",
    "db_address_street_number": "db_address_street_number",
    "db_address_city": "db_address_city",
    "db_address_zip": "db_address_zip",
    "db_address_db_country_id": "db_address_country_id",
    "db_address_db_country_code": "db_address_country__code",
    "db_address_phone": "db_address_phone",
    "db_address_email": "db_address_email",
    "db_address_latitude_decimal": "db_address_latitude",
    "db_address_longitude_decimal": "db_address_longitude",
    "estimated_quantity_remark": "estimated_quantity_remark",
    "modified_dateutc": "modified_dateutc",
}

PROJECT_FIELDS: dict[str, str] = {
    "id": "id",
    "_parent_id": "parent_id",
    "_parent_reference_back_office": "parent__reference_back_office",
    "root_parent_id": "root_parent_id",
    "equipment_family_id": "equipment_family_id",
    "equipment_family_code": "equipment_family__code",
    "equipment_model_id": "equipment_model_id",
    "equipment_model_code": "equipment_model__code",
    "project_status_id": "project_status_id",
    "project_status_code": "project_status__code",
    "company_id": "company_id",
    "company_code": "company__code",
    "db_address_id": "db_address_id",
    "db_address_code": "db_address__code",
    "location": "location",
    "contact_id": "contact_id",
    "contact_reference_back_office": "contact__reference_back_office",
    "owner_user_id": "owner_user_id",
    "name": "name",
    "description": "description",
    "reference_back_office": "reference_back_office",
    "serial_number": "serial_number",
    "barcode": "barcode",
    "date_start_production": "date_start_production",
    "date_create": "date_create",
    "date_update": "date_update",
    "updated_by_user_id": "updated_by_user_id",
    "customer_reference": "customer_reference",
    "warranty_date_until": "warranty_date_until",
    "last_standard_result_score_1": "last_standard_result_score_1",
    "last_standard_result_score_2": "last_standard_result_score_2",
    "target_standard_result_score_1": "target_standard_result_score_1",
    "target_standard_result_score_2": "target_standard_result_score_2",
    "date_built": "date_built",
    "shutdown_consequence": "shutdown_consequence",
    "id2": "id2",
    "back_office_timestamp": "back_office_timestamp",
    "modified_dateutc": "modified_dateutc",
    "is_mobile_installation": "is_mobile_installation",
}

PLANNING_FIELDS: dict[str, str] = {
    "id": "id",
    "work_order_id": "work_order_id",
    "work_order_id2": "work_order__id2",
    "user_id": "user_id",
    "user_code": "user__code",
    "date_start": "date_start",
    "date_end": "date_end",
    "made_by_rule": "made_by_rule",
    "modified_dateutc": "modified_dateutc",
}


def _plain(value):
    """A database value as JSON wants it, in the seed's formats."""
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def shape(tuples: Iterable[tuple], fields: dict[str, str]) -> list[dict]:
    """`values_list(*fields.values())` tuples -> dicts in the output shape."""
    names = list(fields)
    return [
        {
            name: value if value is None or type(value) in (str, int, bool) else _plain(value)
            for name, value in zip(names, row, strict=True)
        }
        for row in tuples
    ]


def values(queryset: QuerySet, fields: dict[str, str]) -> QuerySet:
    return queryset.values_list(*fields.values())


def rows(queryset: QuerySet, fields: dict[str, str]) -> list[dict]:
    """The queryset's rows in the output shape (one query)."""
    return shape(values(queryset, fields), fields)


def visible_work_orders(*, user: User) -> QuerySet:
    return restrict_to_tenant(WorkOrder.objects.all(), user=user)


def visible_projects(*, user: User) -> QuerySet:
    return restrict_to_tenant(Project.objects.all(), user=user)


def visible_plannings(*, user: User) -> QuerySet:
    return restrict_to_tenant(
        JobPlanning.objects.all(), user=user, field="work_order__sales_organization"
    )


def work_order_rows(*, ids: Iterable, user: User | None = None) -> list[dict]:
    """Work orders by id in the seed-004 shape, in the order of `ids`."""
    ids = list(ids)
    qs = WorkOrder.objects.filter(pk__in=ids) if user is None else visible_work_orders(user=user)
    by_id = {row["id"]: row for row in rows(qs.filter(pk__in=ids).order_by(), WORK_ORDER_FIELDS)}
    return [by_id[str(pk)] for pk in ids if str(pk) in by_id]


def project_rows(*, ids: Iterable) -> list[dict]:
    ids = list(ids)
    qs = Project.objects.filter(pk__in=ids).order_by()
    by_id = {r["id"]: r for r in rows(qs, PROJECT_FIELDS)}
    return [by_id[str(pk)] for pk in ids if str(pk) in by_id]


def planning_rows(*, ids: Iterable) -> list[dict]:
    ids = list(ids)
    qs = JobPlanning.objects.filter(pk__in=ids).order_by()
    by_id = {r["id"]: r for r in rows(qs, PLANNING_FIELDS)}
    return [by_id[str(pk)] for pk in ids if str(pk) in by_id]
