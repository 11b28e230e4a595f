"""Reads of work orders, projects and plannings."""

# ---------------------------------------------------------------------------------------------
# Planner admin and planning board (issue 7). Other readers: add your functions in a block of
# your own above or below this one.
# ---------------------------------------------------------------------------------------------

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import CharField, Count, F, Max, Min, Q, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils import timezone

from jobs.models import JobPriority, JobStatus, JobType, LifeCycleState, StatusNumber
from jobsite.models import SalesOrganization, Skill, User
from jobsite.selectors import restrict_to_tenant, visible_sales_organization_ids
from workorders.models import JobPlanning, WorkOrder

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


def _shared_or_visible(queryset, ids):
    if ids is None:
        return queryset
    return queryset.filter(Q(sales_organization__in=ids) | Q(sales_organization__isnull=True))


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
        _shared_or_visible(JobPriority.objects.order_by(), ids),
        "priority",
        F("name"),
        -F("sequence"),
    )
    job_types = part(_shared_or_visible(JobType.objects.order_by(), ids), "job_type", F("name"))
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
    warnings: list[str] = field(default_factory=list)


@dataclass
class BoardRow:
    technician: User
    skills: set
    cells: list[list[BoardBlock]]
    is_technician: bool = True
    days: list = field(default_factory=list)

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
        JobPlanning.objects.filter(date_start__lt=end, date_end__gt=start),
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
