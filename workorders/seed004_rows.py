"""Work orders, projects and plannings as the API answers them: the seed-004 shape.

Rows are read with `.values_list()` of their own columns, and the referenced codes with one more
query for the whole page; a table (not a serializer per field) turns them into the seed's flat
`x_id` / `x_code` pairs: a list page of 50 work orders costs two queries and a loop."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from uuid import UUID

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import QuerySet

from jobs.models import JobPriority, JobStatus, JobType
from jobsite.models import Address, Company, Contact, Country, Skill, User
from jobsite.tenancy import visible_sales_organization_ids
from workorders.models import (
    EquipmentFamily,
    EquipmentModel,
    JobPlanning,
    Project,
    ProjectStatus,
    WorkOrder,
)
from workorders.records import format_datetime
from workorders.selectors import visible_work_orders


@dataclass(frozen=True)
class Code:
    """An output field read from a referenced row (its code or reference), by the row's id."""

    fk: str  # the attname on the listed model, e.g. "job_type_id"
    model: type
    field: str = "code"


def _code(fk: str, model, field: str = "code") -> Code:
    return Code(fk, model, field)


# Seed-004 output name -> own column, or the Code of a referenced row. Embedded objects are not
# echoed: their id and code are. Codes are read in one extra query for a whole page (not joined:
# ten joins cost PostgreSQL more to plan than to run).
WORK_ORDER_FIELDS: dict[str, str | Code] = {
    "id": "id",
    "_parent_id": "parent_id",
    "_parent_jobs_reference_back_office": _code("parent_id", WorkOrder, "reference_back_office"),
    "project_id": "project_id",
    "project_reference_back_office": _code("project_id", Project, "reference_back_office"),
    "job_type_id": "job_type_id",
    "job_type_code": _code("job_type_id", JobType),
    "job_priority_id": "job_priority_id",
    "job_priority_code": _code("job_priority_id", JobPriority),
    "job_status_id": "job_status_id",
    "job_status_code": _code("job_status_id", JobStatus),
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
    "suggested_user_code": _code("suggested_user_id", User),
    "suggested_date_start": "suggested_date_start",
    "skill_id": "skill_id",
    "skill_code": _code("skill_id", Skill),
    "customer_reference": "customer_reference",
    "approval_responsible_user_id": "approval_responsible_user_id",
    "date_reported_by_company": "date_reported_by_company",
    "id2": "id2",
    "company_id": "company_id",
    "company_code": _code("company_id", Company),
    "db_address_name": "db_address_name",
    "db_address_street": "db_address_street",
    "db_address_street2": "db_address_street2",
    "db_address_street_number": "db_address_street_number",
    "db_address_city": "db_address_city",
    "db_address_zip": "db_address_zip",
    "db_address_db_country_id": "db_address_country_id",
    "db_address_db_country_code": _code("db_address_country_id", Country),
    "db_address_phone": "db_address_phone",
    "db_address_email": "db_address_email",
    "db_address_latitude_decimal": "db_address_latitude",
    "db_address_longitude_decimal": "db_address_longitude",
    "estimated_quantity_remark": "estimated_quantity_remark",
    "modified_dateutc": "modified_dateutc",
}

PROJECT_FIELDS: dict[str, str | Code] = {
    "id": "id",
    "_parent_id": "parent_id",
    "_parent_reference_back_office": _code("parent_id", WorkOrder, "reference_back_office"),
    "root_parent_id": "root_parent_id",
    "equipment_family_id": "equipment_family_id",
    "equipment_family_code": _code("equipment_family_id", EquipmentFamily),
    "equipment_model_id": "equipment_model_id",
    "equipment_model_code": _code("equipment_model_id", EquipmentModel),
    "project_status_id": "project_status_id",
    "project_status_code": _code("project_status_id", ProjectStatus),
    "company_id": "company_id",
    "company_code": _code("company_id", Company),
    "db_address_id": "db_address_id",
    "db_address_code": _code("db_address_id", Address),
    "location": "location",
    "contact_id": "contact_id",
    "contact_reference_back_office": _code("contact_id", Contact, "reference_back_office"),
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

PLANNING_FIELDS: dict[str, str | Code] = {
    "id": "id",
    "work_order_id": "work_order_id",
    "work_order_id2": _code("work_order_id", WorkOrder, "id2"),
    "user_id": "user_id",
    "user_code": _code("user_id", User),
    "date_start": "date_start",
    "date_end": "date_end",
    "made_by_rule": "made_by_rule",
    "warnings": "warnings",
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


def columns(fields: dict[str, str | Code]) -> list[str]:
    """The own columns a `values_list` must read for `fields` (codes' foreign keys included)."""
    return list(_layout(fields)[0])


# id(fields) -> (fields, its columns, {column: position}, its plan): the tables above are
# constants, and a PUT's answer asked for their layout twice per request.
_layouts: dict[int, tuple] = {}


def _layout(fields: dict[str, str | Code]) -> tuple[tuple[str, ...], dict[str, int], list]:
    """`columns(fields)`, their positions, and one plan per output field: (name, column, code
    key or None). Kept per table (the entry holds the table, so its id is not reused)."""
    found = _layouts.get(id(fields))
    if found is None or found[0] is not fields:
        names: list[str] = []
        for spec in fields.values():
            name = spec.fk if isinstance(spec, Code) else spec
            if name not in names:
                names.append(name)
        position = {name: i for i, name in enumerate(names)}
        plan = [
            (name, position[spec.fk], (spec.model, spec.field))
            if isinstance(spec, Code)
            else (name, position[spec], None)
            for name, spec in fields.items()
        ]
        found = _layouts[id(fields)] = (fields, tuple(names), position, plan)
    return found[1:]


def values(queryset: QuerySet, fields: dict[str, str | Code]) -> QuerySet:
    return queryset.values_list(*columns(fields))


def shape(
    tuples: Iterable[tuple], fields: dict[str, str | Code], known: dict | None = None
) -> list[dict]:
    """`values(queryset, fields)` tuples -> dicts in the output shape; the codes not `known`
    ({(model, field, id): value}) are read in one query."""
    tuples = list(tuples)
    _, position, plan = _layout(fields)
    codes = _codes(tuples, fields, position, known or {})
    plain = (str, int, bool, float, type(None))
    out = []
    for row in tuples:
        item = {}
        for name, column, code in plan:
            value = row[column]
            if code is not None:
                item[name] = None if value is None else codes.get((*code, value))
            elif type(value) in plain:
                item[name] = value
            else:
                item[name] = _plain(value)
        out.append(item)
    return out


def _codes(tuples: list[tuple], fields, position, known: dict) -> dict:
    """{(model, field, id): value} for every Code of the rows: one UNION ALL query for those
    not `known`."""
    wanted: dict[tuple, set] = {}
    for spec in fields.values():
        if isinstance(spec, Code):
            ids = wanted.setdefault((spec.model, spec.field), set())
            ids.update(row[position[spec.fk]] for row in tuples)
    wanted = {
        key: {i for i in ids if i is not None and (*key, i) not in known}
        for key, ids in wanted.items()
    }
    wanted = {key: ids for key, ids in wanted.items() if ids}
    if not wanted:
        return known
    qn = connection.ops.quote_name
    parts, params, keys = [], [], list(wanted)
    for n, (model, field) in enumerate(keys):
        ids = wanted[(model, field)]
        pk = model._meta.pk
        parts.append(
            f"SELECT {n}, {qn(pk.column)}, CAST({qn(model._meta.get_field(field).column)} AS "
            f"TEXT) FROM {qn(model._meta.db_table)} WHERE {qn(pk.column)} IN "
            f"({', '.join(['%s'] * len(ids))})"
        )
        params.extend(pk.get_db_prep_value(i, connection) for i in ids)
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        found = cursor.fetchall()
    out = dict(known)
    for n, pk_value, value in found:
        model, field = keys[n]
        if not isinstance(pk_value, UUID):
            pk_value = UUID(str(pk_value))
        if value is not None and model._meta.get_field(field).get_internal_type().endswith(
            "IntegerField"
        ):
            value = int(value)
        out[(model, field, pk_value)] = value
    return out


def rows(queryset: QuerySet, fields: dict[str, str | Code]) -> list[dict]:
    """The queryset's rows in the output shape (two queries: the rows, then their codes)."""
    return shape(values(queryset, fields), fields)


def work_order_rows(*, ids: Iterable, user: User | None = None) -> list[dict]:
    """Work orders by id in the seed-004 shape, in the order of `ids`."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        found = _work_order_rows_in_one_query(ids, user)
    else:
        qs = WorkOrder.objects.all() if user is None else visible_work_orders(user=user)
        found = rows(qs.filter(pk__in=ids).order_by(), WORK_ORDER_FIELDS)
    by_id = {row["id"]: row for row in found}
    return [by_id[str(pk)] for pk in ids if str(pk) in by_id]


def _is_uuid(field) -> bool:
    target = field.target_field if field.is_relation else field
    return isinstance(target, models.UUIDField)


@cache
def _work_order_select() -> str:
    """The columns and their codes (as scalar subqueries, cheap to plan) of row `t`; ids as
    text (PostgreSQL writes them as str(uuid) does, without a UUID object per value)."""
    qn = connection.ops.quote_name
    meta = WorkOrder._meta
    select = []
    for spec in WORK_ORDER_FIELDS.values():
        if isinstance(spec, Code):
            ref = spec.model._meta
            select.append(
                f"(SELECT CAST(r.{qn(ref.get_field(spec.field).column)} AS TEXT) FROM "
                f"{qn(ref.db_table)} r WHERE r.{qn(ref.pk.column)} = "
                f"t.{qn(meta.get_field(spec.fk).column)})"
            )
        elif _is_uuid(meta.get_field(spec.removesuffix("_id"))):
            select.append(f"CAST(t.{qn(meta.get_field(spec).column)} AS TEXT)")
        else:
            select.append(f"t.{qn(meta.get_field(spec).column)}")
    return ", ".join(select)


@cache
def _work_order_sql() -> str:
    """The rows by id in one statement."""
    qn = connection.ops.quote_name
    table, pk = qn(WorkOrder._meta.db_table), qn(WorkOrder._meta.pk.column)
    return f"SELECT {_work_order_select()} FROM {table} t WHERE t.{pk} = ANY(%s)"


def work_order_page(ids: QuerySet) -> list[dict]:
    """The work orders of a sliced queryset of ids (a list page: filtered, ordered, offset and
    limited), in its order and the seed-004 shape. On PostgreSQL the page's ids and rows come in
    ONE statement (the ids' query as a subquery)."""
    if connection.vendor != "postgresql":
        return work_order_rows(ids=list(ids))
    try:
        sql, params = ids.query.get_compiler(using=ids.db).as_sql()
    except EmptyResultSet:  # a filter no row can pass (Django answers it without a query)
        return []
    qn = connection.ops.quote_name
    table, pk = qn(WorkOrder._meta.db_table), qn(WorkOrder._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_work_order_select()} FROM unnest(ARRAY({sql})) WITH ORDINALITY "
            f"AS page(id, n) JOIN {table} t ON t.{pk} = page.id ORDER BY page.n",
            params,
        )
        return _shaped(cursor.fetchall())


def _work_order_rows_in_one_query(ids: list, user: User | None) -> list[dict]:
    """PostgreSQL answers a detail in one statement (its driver returns UUIDs, aware datetimes
    and decimals as the ORM would)."""
    sql, params = _work_order_sql(), [[UUID(str(pk)) for pk in ids]]
    visible = visible_sales_organization_ids(user=user) if user is not None else None
    if visible is not None:
        sql += f" AND t.{connection.ops.quote_name('sales_organization_id')} = ANY(%s)"
        params.append(list(visible))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return _shaped(cursor.fetchall())


def _shaped(found: list[tuple]) -> list[dict]:
    names = list(WORK_ORDER_FIELDS)
    plain = (str, int, bool, type(None))
    return [
        {
            name: value if type(value) in plain else _plain(value)
            for name, value in zip(names, row, strict=True)
        }
        for row in found
    ]


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


def work_order_rows_from(*, instances: Iterable[WorkOrder], codes: dict) -> list[dict]:
    """Work orders just written, in the seed-004 shape, without reading them again."""
    names = _layout(WORK_ORDER_FIELDS)[0]
    tuples = [tuple(getattr(wo, name) for name in names) for wo in instances]
    return shape(tuples, WORK_ORDER_FIELDS, codes)


# ---------------------------------------------------------------------------------------------
# Planner admin and planning board (issue 7): the work order list's filter choices, the project
# counters, the board.
# ---------------------------------------------------------------------------------------------
