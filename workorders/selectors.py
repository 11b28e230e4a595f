"""Reads of work orders, projects and plannings in the seed-004 shape, for one user's tenancy.

Rows are read with `.values_list()` of their own columns, and the referenced codes with one more
query for the whole page; a table (not a serializer per field) turns them into the seed's flat
`x_id` / `x_code` pairs: a list page of 50 work orders costs two queries and a loop."""

import dataclasses
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from uuid import UUID

from django.db import connection
from django.db.models import CharField, Count, F, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone

from jobs.models import JobPriority, JobStatus, JobType, LifeCycleState, StatusNumber
from jobsite.models import Address, Company, Contact, Country, SalesOrganization, Skill, User
from jobsite.tenancy import restrict_to_tenant, visible_sales_organization_ids
from workorders.models import (
    EquipmentFamily,
    EquipmentModel,
    JobPlanning,
    Project,
    ProjectStatus,
    WorkOrder,
)
from workorders.records import format_datetime


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
    out = []
    for spec in fields.values():
        name = spec.fk if isinstance(spec, Code) else spec
        if name not in out:
            out.append(name)
    return out


def values(queryset: QuerySet, fields: dict[str, str | Code]) -> QuerySet:
    return queryset.values_list(*columns(fields))


def shape(
    tuples: Iterable[tuple], fields: dict[str, str | Code], known: dict | None = None
) -> list[dict]:
    """`values(queryset, fields)` tuples -> dicts in the output shape; the codes not `known`
    ({(model, field, id): value}) are read in one query."""
    tuples = list(tuples)
    position = {name: i for i, name in enumerate(columns(fields))}
    codes = _codes(tuples, fields, position, known or {})
    # One plan per field, made once: (name, column, code key or None).
    plan = [
        (name, position[spec.fk], (spec.model, spec.field))
        if isinstance(spec, Code)
        else (name, position[spec], None)
        for name, spec in fields.items()
    ]
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
    if connection.vendor == "postgresql":
        found = _work_order_rows_in_one_query(ids, user)
    else:
        qs = WorkOrder.objects.all() if user is None else visible_work_orders(user=user)
        found = rows(qs.filter(pk__in=ids).order_by(), WORK_ORDER_FIELDS)
    by_id = {row["id"]: row for row in found}
    return [by_id[str(pk)] for pk in ids if str(pk) in by_id]


@cache
def _work_order_sql() -> str:
    """The rows and their codes (as scalar subqueries, cheap to plan) in one statement."""
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
        else:
            select.append(f"t.{qn(meta.get_field(spec).column)}")
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    return f"SELECT {', '.join(select)} FROM {table} t WHERE t.{pk} = ANY(%s)"


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
        found = cursor.fetchall()
    names = list(WORK_ORDER_FIELDS)
    return [
        {
            name: value if value is None or type(value) in (str, int, bool) else _plain(value)
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
    names = columns(WORK_ORDER_FIELDS)
    tuples = [tuple(getattr(wo, name) for name in names) for wo in instances]
    return shape(tuples, WORK_ORDER_FIELDS, codes)


# ---------------------------------------------------------------------------------------------
# Planner admin and planning board (issue 7): the work order list's filter choices, the project
# counters, the board.
# ---------------------------------------------------------------------------------------------

# Statuses a planner still has to place on the board.
UNPLANNED_STATUSES = (StatusNumber.TO_BE_PLANNED, StatusNumber.WAITING, StatusNumber.POOLING)
# Statuses that carry an appointment with a technician.
PLANNED_STATUSES = (
    StatusNumber.SUGGESTED,
    StatusNumber.ACTIVATED,
    StatusNumber.OPEN,
    StatusNumber.IN_PROGRESS,
)
OPEN_STATES = (LifeCycleState.PENDING, LifeCycleState.IN_PROGRESS)


def work_order_filter_choices(*, user: User) -> dict[str, list[tuple[str, str]]]:
    """The choices of the work order list's sidebar filters, in ONE query (a UNION ALL).

    kind -> [(id, label)] for: status, priority, job_type, sales_organization, technician,
    skill. Technicians and skills are those of the sales organizations the user sees, so the
    sidebar stays short however many users and projects there are."""
    ids = visible_sales_organization_ids(user=user)
    label = CharField()

    def part(queryset, kind, label_expr, sort=None):
        return queryset.annotate(
            kind=Value(kind, output_field=label),
            label=label_expr,
            sort=sort if sort is not None else Value(0),
        ).values_list("kind", "pk", "label", "sort")

    statuses = part(JobStatus.objects.order_by(), "status", F("name"), F("number"))
    priorities = part(
        restrict_to_tenant(JobPriority.objects.order_by(), user=user, shared_when_empty=True),
        "priority",
        F("name"),
        -F("sequence"),
    )
    job_types = part(
        restrict_to_tenant(JobType.objects.order_by(), user=user, shared_when_empty=True),
        "job_type",
        F("name"),
    )
    orgs = part(
        SalesOrganization.objects.order_by()
        if ids is None
        else SalesOrganization.objects.order_by().filter(pk__in=ids),
        "sales_organization",
        Concat("code", Value(" – "), "name", output_field=label),
    )
    technicians = part(
        restrict_to_tenant(
            User.objects.order_by().filter(is_technician=True, is_active=True), user=user
        ),
        "technician",
        Coalesce(
            NullIf(Concat("first_name", Value(" "), "last_name", output_field=label), Value(" ")),
            "username",
            output_field=label,
        ),
    )
    skills = part(restrict_to_tenant(Skill.objects.order_by(), user=user), "skill", F("name"))
    rows = statuses.union(priorities, job_types, orgs, technicians, skills, all=True).order_by()
    # Statuses by number, priorities most urgent first, the rest by name.
    rows = sorted(rows, key=lambda r: (r[0], r[3], (r[2] or "").lower()))
    choices: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for kind, pk, text, _sort in rows:
        choices[kind].append((str(pk), text))
    return choices


def project_counters(*, project_id) -> dict:
    """The project counters of seed 004, computed from its work orders (never stored).

    nb_open_jobs: work orders not finished (PENDING or IN_PROGRESS); nb_jobs_planned: those
    with an appointment (Suggested, Activated, Open, InProgress); nb_jobs_tobeplanned:
    ToBePlanned; nb_jobs_waitingfurtheraction: Waiting or Pooling; date_next_job: the first
    appointment from now on; date_last_job: the last appointment before now."""
    now = timezone.now()
    work_orders = WorkOrder.objects.filter(project_id=project_id)
    row = work_orders.aggregate(
        nb_open_jobs=Count(
            "pk", distinct=True, filter=Q(job_status__life_cycle_state__in=OPEN_STATES)
        ),
        nb_jobs_planned=Count(
            "pk", distinct=True, filter=Q(job_status__number__in=PLANNED_STATUSES)
        ),
        nb_jobs_tobeplanned=Count(
            "pk", distinct=True, filter=Q(job_status__number=StatusNumber.TO_BE_PLANNED)
        ),
        nb_jobs_waitingfurtheraction=Count(
            "pk",
            distinct=True,
            filter=Q(job_status__number__in=(StatusNumber.WAITING, StatusNumber.POOLING)),
        ),
        date_next_job=Min(
            "plannings__date_start",
            filter=Q(plannings__date_start__gte=now)
            & ~Q(job_status__life_cycle_state=LifeCycleState.CANCELLED),
        ),
        date_last_job=Max("plannings__date_start", filter=Q(plannings__date_start__lt=now)),
    )
    return row


# --- The planning board -----------------------------------------------------------------------

# A week of a busy office is a few hundred appointments; this keeps a page readable (and
# bounded) even on benchmark data where every technician has thousands.
MAX_BOARD_PLANNINGS = 1500
MAX_UNPLANNED = 60
WORKDAY_START = time(8, 0)


@dataclass
class BoardBlock:
    planning: JobPlanning
    warnings: list[str] = dataclasses.field(default_factory=list)


@dataclass
class BoardRow:
    technician: User
    skills: set
    cells: list[list[BoardBlock]]
    is_technician: bool = True
    days: list = dataclasses.field(default_factory=list)

    @property
    def day_cells(self):
        return list(zip(self.days, self.cells, strict=True))


@dataclass
class Board:
    week_start: date
    days: list[date]
    rows: list[BoardRow]
    unplanned: list[WorkOrder]
    unplanned_more: bool
    truncated: bool
    warnings_count: int


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def board_week(
    *,
    user: User,
    week_start: date,
    sales_organization_id=None,
    skill_id=None,
    days: int = 7,
) -> Board:
    """Technicians × days of one week with their plannings, the unplanned work beside it, and
    the warnings computed from what is stored (so plannings made through the API show them
    too): two plannings of one technician that overlap, and a technician without the work
    order's skill."""
    tz = timezone.get_current_timezone()
    start = datetime.combine(week_start, time.min, tzinfo=tz)
    end = start + timedelta(days=days)
    day_list = [week_start + timedelta(days=i) for i in range(days)]

    technicians = restrict_to_tenant(
        User.objects.filter(is_technician=True, is_active=True), user=user
    ).prefetch_related("skills")
    if sales_organization_id:
        technicians = technicians.filter(sales_organization_id=sales_organization_id)
    if skill_id:
        technicians = technicians.filter(skills=skill_id)
    technicians = list(technicians.order_by("first_name", "last_name", "username"))

    plannings = restrict_to_tenant(
        # The lower bound lets the date_start index serve the week (an appointment longer
        # than a day that began before it is the rare exception it leaves out).
        JobPlanning.objects.filter(
            date_start__gte=start - timedelta(days=1), date_start__lt=end, date_end__gt=start
        ),
        user=user,
        field="work_order__sales_organization",
    ).select_related("work_order__job_status", "work_order__skill", "user")
    if sales_organization_id:
        plannings = plannings.filter(work_order__sales_organization_id=sales_organization_id)
    if skill_id:
        plannings = plannings.filter(user__skills=skill_id)
    plannings = list(plannings.order_by("date_start", "pk")[: MAX_BOARD_PLANNINGS + 1])
    truncated = len(plannings) > MAX_BOARD_PLANNINGS
    plannings = plannings[:MAX_BOARD_PLANNINGS]

    # Someone planned through the API who is not (or no longer) a technician still has a row:
    # nothing planned may be invisible on the board.
    rows_by_user = {t.pk: t for t in technicians}
    extra = {p.user_id: p.user for p in plannings if p.user_id not in rows_by_user}
    if extra:
        for u in User.objects.filter(pk__in=extra).prefetch_related("skills"):
            rows_by_user[u.pk] = u
    rows = {
        pk: BoardRow(
            technician=u,
            skills={s.pk for s in u.skills.all()},
            cells=[[] for _ in day_list],
            is_technician=u.is_technician,
            days=day_list,
        )
        for pk, u in rows_by_user.items()
    }

    warnings_count = 0
    latest_end: dict = {}
    latest_block: dict = {}
    for planning in plannings:
        row = rows[planning.user_id]
        block = BoardBlock(planning=planning)
        wo = planning.work_order
        if wo.skill_id and wo.skill_id not in row.skills:
            block.warnings.append(f"{row.technician} lacks the skill {wo.skill}.")
        previous_end = latest_end.get(planning.user_id)
        if previous_end is not None and planning.date_start < previous_end:
            other = latest_block[planning.user_id]
            block.warnings.append(f"Overlaps #{other.planning.work_order.id2}.")
            if not any(w.startswith("Overlaps") for w in other.warnings):
                other.warnings.append(f"Overlaps #{wo.id2}.")
                warnings_count += 1
        if previous_end is None or planning.date_end > previous_end:
            latest_end[planning.user_id] = planning.date_end
            latest_block[planning.user_id] = block
        warnings_count += bool(block.warnings)
        local_day = timezone.localtime(planning.date_start, tz).date()
        index = max((local_day - week_start).days, 0)
        row.cells[min(index, days - 1)].append(block)

    unplanned_qs = restrict_to_tenant(
        WorkOrder.objects.filter(job_status__number__in=UNPLANNED_STATUSES), user=user
    ).select_related("job_status", "job_priority", "skill", "project")
    if sales_organization_id:
        unplanned_qs = unplanned_qs.filter(sales_organization_id=sales_organization_id)
    if skill_id:
        unplanned_qs = unplanned_qs.filter(skill_id=skill_id)
    unplanned = list(
        unplanned_qs.order_by(F("due_date").asc(nulls_last=True), "-id2")[: MAX_UNPLANNED + 1]
    )
    ordered_rows = sorted(
        rows.values(),
        key=lambda r: (not r.is_technician, str(r.technician).lower()),
    )
    return Board(
        week_start=week_start,
        days=day_list,
        rows=ordered_rows,
        unplanned=unplanned[:MAX_UNPLANNED],
        unplanned_more=len(unplanned) > MAX_UNPLANNED,
        truncated=truncated,
        warnings_count=warnings_count,
    )


def first_free_start(*, user_id, day: date, default: time = WORKDAY_START) -> datetime:
    """Where a work order dropped on a technician's day goes: after that day's last
    appointment, or at the start of the working day."""
    tz = timezone.get_current_timezone()
    day_start = datetime.combine(day, time.min, tzinfo=tz)
    last_end = JobPlanning.objects.filter(
        user_id=user_id, date_start__gte=day_start, date_start__lt=day_start + timedelta(days=1)
    ).aggregate(last=Max("date_end"))["last"]
    start = datetime.combine(day, default, tzinfo=tz)
    if last_end is not None and last_end > start:
        return timezone.localtime(last_end, tz)
    return start


# --- end of the planner admin block ----------------------------------------------------------
