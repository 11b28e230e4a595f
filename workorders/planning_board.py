"""What the planning board reads: a week of technicians' plannings with their warnings, the
work still waiting for a planner, and the first free start of a technician's day."""

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import F, Max
from django.utils import timezone

from jobsite.models import User
from jobsite.tenancy import restrict_to_tenant
from workorders.models import (
    JobPlanning,
    WorkOrder,
)
from workorders.selectors import AWAITING_PLANNING_STATUSES

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
    each planning's warnings as the planning check stored them (workorders/scheduling), so the
    board agrees with the API and the lists whatever path made the planning."""
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
    for planning in plannings:
        row = rows[planning.user_id]
        # The planning check's stored warnings: the board says what the API and lists say.
        block = BoardBlock(planning=planning, warnings=[w["message"] for w in planning.warnings])
        warnings_count += bool(block.warnings)
        local_day = timezone.localtime(planning.date_start, tz).date()
        index = max((local_day - week_start).days, 0)
        row.cells[min(index, days - 1)].append(block)

    unplanned_qs = restrict_to_tenant(
        WorkOrder.objects.filter(job_status__number__in=AWAITING_PLANNING_STATUSES), user=user
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
