"""What the planner's home counts, and the lists its figures open, as one set of rules: the
work order list's "due" filter, the plannings list's day and technician filters and the home's
figures all call these functions, so a figure and the list its link opens select the same rows.

Days and weeks are the viewer's local ones (the zone `jobsite.local_time` activated)."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, QuerySet
from django.utils import timezone

from jobsite.models import User
from workorders import selectors

DUE_CHOICES = [
    ("overdue", "Overdue"),
    ("week", "Due this week"),
    ("next_week", "Due next week"),
    ("unplanned", "Still to plan"),
    ("none", "No due date"),
]


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The first instant of `day` and of the next one, in the active zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def local_monday(now: datetime | None = None) -> datetime:
    today = timezone.localtime(now or timezone.now()).date()
    return local_day_bounds(today - timedelta(days=today.weekday()))[0]


def due(queryset: QuerySet, value: str | None, *, now: datetime | None = None) -> QuerySet:
    """The work orders of one "due" choice (DUE_CHOICES); anything else: all of them."""
    now = now or timezone.now()
    monday = local_monday(now)
    if value == "overdue":
        return queryset.filter(
            due_date__lt=now, job_status__life_cycle_state__in=selectors.OPEN_STATES
        )
    if value == "week":
        return queryset.filter(due_date__gte=monday, due_date__lt=monday + timedelta(days=7))
    if value == "next_week":
        return queryset.filter(
            due_date__gte=monday + timedelta(days=7), due_date__lt=monday + timedelta(days=14)
        )
    if value == "unplanned":
        return queryset.filter(job_status__number__in=selectors.AWAITING_PLANNING_STATUSES)
    if value == "none":
        return queryset.filter(due_date__isnull=True)
    return queryset


def plannings_on(queryset: QuerySet, day: date) -> QuerySet:
    """Plannings starting on the local `day` (the planning_start index)."""
    start, end = local_day_bounds(day)
    return queryset.filter(date_start__gte=start, date_start__lt=end)


def warned_plannings(queryset: QuerySet) -> QuerySet:
    """Plannings the planning check warns about (JobPlanning.warnings is not empty)."""
    return queryset.exclude(warning_codes="")


def appointments_per_technician(*, user: User, day: date) -> list[dict]:
    """[{"technician": User, "appointments": n}] for the technicians with plannings on the local
    `day`, busiest first: one grouped query over the day's plannings."""
    counts = dict(
        plannings_on(selectors.visible_plannings(user=user), day)
        .order_by()
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    if not counts:
        return []
    technicians = User.objects.filter(pk__in=counts).only(
        "pk", "username", "first_name", "last_name", "code"
    )
    rows = [{"technician": t, "appointments": counts[t.pk]} for t in technicians]
    rows.sort(key=lambda r: (-r["appointments"], r["technician"].get_full_name().lower()))
    return rows
