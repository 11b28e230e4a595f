"""Reads of work orders, projects and plannings for one user's tenancy: what a user sees, the
list's filter choices and a project's counters. The seed-004 rows are read in
workorders/seed004_rows.py, the planning board's week in workorders/board.py."""

from collections import defaultdict

from django.db.models import CharField, Count, F, Max, Min, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone

from jobs.models import JobPriority, JobStatus, JobType, LifeCycleState, StatusNumber
from jobsite.models import SalesOrganization, Skill, User
from jobsite.tenancy import restrict_to_tenant, visible_sales_organization_ids
from workorders.models import (
    JobPlanning,
    Project,
    WorkOrder,
)


def visible_work_orders(*, user: User) -> QuerySet:
    return restrict_to_tenant(WorkOrder.objects.all(), user=user)


def visible_projects(*, user: User) -> QuerySet:
    return restrict_to_tenant(Project.objects.all(), user=user)


def visible_plannings(*, user: User) -> QuerySet:
    return restrict_to_tenant(
        JobPlanning.objects.all(), user=user, field="work_order__sales_organization"
    )


# Work waiting for a planner: the board's unplanned list and the list's "to plan" filter. Not
# plannings.UNPLANNED_STATUSES, the statuses in which a work order loses its appointment.
AWAITING_PLANNING_STATUSES = (
    StatusNumber.TO_BE_PLANNED,
    StatusNumber.WAITING,
    StatusNumber.POOLING,
)
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
