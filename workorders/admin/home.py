"""The planner's home: how much is still to plan, what is overdue, what today looks like, which
plannings have warnings and which API jobs failed, each figure a link to the list it counts.

A figure is counted exactly as the list it opens counts its rows (PlannerPaginator): exact when
that is cheap, else the table statistics or the planner's estimate ("about"), or a count capped
at 10,000 ("more than"), so the home costs a few index lookups at a million work orders."""

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from apijobs import selectors as api_job_selectors
from apijobs.models import ApiJobStatus
from workorders import home_selectors, selectors
from workorders.admin.paging import PlannerPaginator
from workorders.scheduling.pending_checks import settle_quietly


def _counted(queryset) -> dict:
    paginator = PlannerPaginator(queryset.order_by("pk"), 100)
    count = paginator.count
    if paginator.estimated:
        shown, qualifier = count, "about"
    elif paginator.capped:
        shown, qualifier = paginator.cap, "more than"
    else:
        shown, qualifier = count, ""
    return {"count": shown, "qualifier": qualifier}


def _figure(key, label, queryset, url, params, *, alert=False) -> dict:
    return {
        "key": key,
        "label": label,
        "url": f"{url}?{urlencode(params)}",
        "alert": alert,
        **_counted(queryset),
    }


def planner_home(request) -> dict:
    """The figures of the home page for the request's user, in their local time."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    settle_quietly()  # the warnings a set-based write left to check (pending_checks)
    work_orders = selectors.visible_work_orders(user=user)
    plannings = selectors.visible_plannings(user=user)
    work_order_list = reverse("admin:workorders_workorder_changelist")
    planning_list = reverse("admin:workorders_jobplanning_changelist")
    api_job_list = reverse("admin:apijobs_apijob_changelist")
    figures = [
        _figure(
            "to_plan",
            "still to plan",
            home_selectors.due(work_orders, "unplanned", now=now),
            work_order_list,
            {"due": "unplanned"},
        ),
        _figure(
            "overdue",
            "overdue",
            home_selectors.due(work_orders, "overdue", now=now),
            work_order_list,
            {"due": "overdue"},
            alert=True,
        ),
        _figure(
            "due_this_week",
            "due this week",
            home_selectors.due(work_orders, "week", now=now),
            work_order_list,
            {"due": "week"},
        ),
        _figure(
            "warned_plannings",
            "plannings with warnings",
            home_selectors.warned_plannings(plannings),
            planning_list,
            {"warning": "any"},
            alert=True,
        ),
        _figure(
            "failed_api_jobs",
            "API jobs failed in the last 24 hours",
            api_job_selectors.created_recently(
                api_job_selectors.visible_api_jobs(user=user).filter(status=ApiJobStatus.FAILED),
                now=now,
            ),
            api_job_list,
            {"status__exact": ApiJobStatus.FAILED, "created": "day"},
            alert=True,
        ),
    ]
    day = today.isoformat()
    today_rows = [
        {
            "technician": row["technician"],
            "name": row["technician"].get_full_name() or row["technician"].username,
            "count": row["appointments"],
            "url": f"{planning_list}?{urlencode({'day': day, 'technician': row['technician'].pk})}",
        }
        for row in home_selectors.appointments_per_technician(user=user, day=today)
    ]
    organization = getattr(user, "sales_organization", None) if user.sales_organization_id else None
    return {
        "figures": figures,
        "today": today,
        "now": timezone.localtime(now),
        "zone": timezone.get_current_timezone_name(),
        "organization": organization,
        "appointments": today_rows,
        "appointments_total": sum(r["count"] for r in today_rows),
        "appointments_url": f"{planning_list}?{urlencode({'day': day})}",
        "board_url": reverse("admin:workorders_workorder_board"),
        "any_estimated": any(f["qualifier"] for f in figures),
    }
