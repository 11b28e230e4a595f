"""Admin pages beside the work order list: the planning board and the import upload.

Thin views: the board's reads are in `workorders.planning_board` (the timeline) and
`workorders.board_unplanned` (the pane), its moves in `workorders.board_moves`, imports in
`workorders.imports`. Each view is handed the work order admin that serves it
(WorkOrderAdmin.get_urls), for its permissions, its change log and its site's context: this
module needs nothing else of the admin, so the admin imports it and never the other way round."""

import uuid
from datetime import date, datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, JsonResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from jobsite.models import SalesOrganization
from jobsite.tenancy import restrict_to_tenant
from workorders import (
    board_ghosts,
    board_html,
    board_moves,
    board_slots,
    board_unplanned,
    planning_board,
)
from workorders.models import WorkOrder

PANE_TEMPLATE = "admin/workorders/workorder/board_unplanned.html"
SLOTS_TEMPLATE = "admin/workorders/workorder/board_slots.html"


def _parse_day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _visible_organizations(request):
    return restrict_to_tenant(
        SalesOrganization.objects.order_by("code"), user=request.user, field="pk"
    )


def _period(query) -> planning_board.Period:
    view = query.get("view") if query.get("view") in planning_board.VIEWS else "week"
    day = _parse_day(query.get("date") or query.get("week"))
    period = planning_board.Period.of(view=view, day=day)
    # A row redrawn after a move keeps the axis of the page it goes into.
    try:
        low, high = int(query.get("hour_from", "")), int(query.get("hour_to", ""))
    except ValueError:
        return period
    if 0 <= low < high <= 24:
        period.hour_from, period.hour_to = low, high
        period.fixed = True
    return period


def _board_query(request, **changes) -> str:
    kept = ("view", "date", "org", "skill", "autoplan")
    params = {k: v for k, v in request.GET.items() if k in kept and v}
    for key, value in changes.items():
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    return "?" + urlencode(params)


def board_view(model_admin):
    def view(request):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        period = _period(request.GET)
        org_id = _uuid_or_none(request.GET.get("org"))
        skill_id = _uuid_or_none(request.GET.get("skill"))
        if request.GET.get("progress"):
            return _progress(request)
        board = planning_board.board(
            user=request.user, period=period, sales_organization_id=org_id, skill_id=skill_id
        )
        proposal = None
        if request.GET.get("autoplan"):
            proposal = board_ghosts.proposal(
                user=request.user, job_id=request.GET["autoplan"], board=board
            )
            if proposal is None:
                messages.error(request, "No such auto-plan for your organization.")
        orgs = list(_visible_organizations(request)) if request.user.is_superuser else []
        today = timezone.localdate()
        if period.view == planning_board.DAY:
            label = f"{period.first:%A %-d %B %Y}"
        else:
            week = period.first.isocalendar().week
            label = f"Week {week} · {period.first:%-d %b} – {period.days[-1]:%-d %b %Y}"
        date_param = period.first.isoformat()
        context = {
            **model_admin.admin_site.each_context(request),
            "title": "Planning board",
            "opts": model_admin.model._meta,
            "board": board,
            "rows_html": board_html.rows_html(
                board.rows,
                today=today,
                can_plan=model_admin.has_change_permission(request),
                view=period.view,
                ghosts=proposal.ghosts if proposal else None,
            ),
            "proposal": proposal,
            "discard_link": _board_query(request, autoplan=None),
            "autoplan_url": reverse("admin:workorders_workorder_autoplan"),
            "period": period,
            "period_label": label,
            "today": today,
            "zone": timezone.get_current_timezone_name(),
            "prev_link": _board_query(request, date=(period.first - period.step).isoformat()),
            "next_link": _board_query(request, date=(period.first + period.step).isoformat()),
            "today_link": _board_query(request, date=today.isoformat()),
            "day_link": _board_query(
                request,
                view="day",
                date=(today if today in period.days else period.first).isoformat(),
            ),
            "week_link": _board_query(request, view="week", date=date_param),
            "orgs": orgs,
            "org_id": org_id,
            "skills": board.skills,
            "skill_id": skill_id,
            "can_plan": model_admin.has_change_permission(request),
            "urls": {
                "move": reverse("admin:workorders_workorder_board_move"),
                "plan": reverse("admin:workorders_workorder_board_plan"),
                "undo": reverse("admin:workorders_workorder_board_unplan"),
                "unplanned": reverse("admin:workorders_workorder_board_unplanned"),
                "slots": reverse("admin:workorders_workorder_board_slots"),
                "warnings": reverse("admin:workorders_jobplanning_changelist"),
            },
            "date_param": date_param,
        }
        return TemplateResponse(request, "admin/workorders/workorder/board.html", context)

    return view


def _progress(request) -> JsonResponse:
    """A running auto-plan's state, for the board to poll until its ghosts can be shown."""
    job = board_ghosts.visible_job(user=request.user, job_id=request.GET.get("autoplan"))
    if job is None:
        return JsonResponse({"message": "No such auto-plan."}, status=404)
    state = board_ghosts.Proposal(job=job, plan={})  # its state only: no ghosts while it runs
    return JsonResponse(
        {
            "status": job.status,
            "running": state.running,
            "percent": state.percent,
            "message": job.message,
        }
    )


def unplanned_view(model_admin):
    """One page of the unplanned pane, as HTML for the board to put in place."""

    def view(request):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        search = board_unplanned.Search.from_query(
            request.GET, sales_organization_id=_uuid_or_none(request.GET.get("org"))
        )
        page = board_unplanned.unplanned(user=request.user, search=search)
        query = request.GET.copy()
        query.pop("filters", None)
        query["page"] = str(search.page + 1)
        context = {
            "page": page,
            "more_url": "?" + query.urlencode(),
            "can_plan": model_admin.has_change_permission(request),
        }
        if search.page == 1 and request.GET.get("filters"):
            context["choices"] = board_unplanned.filter_choices(user=request.user)
        return TemplateResponse(request, PANE_TEMPLATE, context)

    return view


def slots_view(model_admin):
    """Find a slot on the board: a work order's best slots for the period shown (JSON, for
    board_slots.js to draw as ghosts in the rows) and the strip that names them (HTML). A slot
    off the board links to its week, which opens with the slots shown (`slots=<id>`)."""

    def view(request):
        work_order = board_slots.work_order(
            user=request.user, pk=_uuid_or_none(request.GET.get("work_order"))
        )
        if work_order is None:
            return JsonResponse({"message": "No such work order."}, status=404)
        if not model_admin.has_view_permission(request, work_order):
            raise PermissionDenied
        period = _period(request.GET)
        found = board_slots.slots(user=request.user, work_order=work_order, period=period)
        board = reverse("admin:workorders_workorder_board")
        slots = []
        for slot in found.slots:
            # Its week with every row: a filter hiding the technician would hide it again.
            week = _board_query(
                request, view="week", date=slot.day.isoformat(), skill=None, slots=work_order.pk
            )
            slots.append({**slot.as_dict(), "link": board + week})
        context = {
            "found": found,
            "work_order": work_order,
            "slots": zip(found.slots, slots, strict=True),
            "view": period.view,
            "find_a_slot_url": reverse(
                "admin:workorders_workorder_find_a_slot", args=[work_order.pk]
            ),
        }
        return JsonResponse(
            {
                "work_order": {
                    "id": str(work_order.pk),
                    "number": work_order.id2,
                    "name": work_order.name,
                    "minutes": found.minutes,
                },
                "searched": found.searched,
                "slots": slots,
                "unplannable": found.unplannable,
                "strip": render_to_string(SLOTS_TEMPLATE, context, request=request),
            }
        )

    return view


class _MoveForm(forms.Form):
    technician = forms.UUIDField()
    start = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    plan_anyway = forms.BooleanField(required=False)


class MoveForm(_MoveForm):
    planning = forms.UUIDField()
    end = forms.DateTimeField(required=False, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])


class PlanForm(_MoveForm):
    work_order = forms.CharField(help_text="Its id, or its number (id2).")


class UnplanForm(forms.Form):
    work_order = forms.UUIDField()
    status = forms.UUIDField()


def _aware(value: datetime | None) -> datetime | None:
    # Typed and dropped in local time (the organization's zone), stored in UTC.
    if value is not None and timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _rows_html(request, *, period, technician_ids, can_plan) -> dict:
    board = planning_board.board(
        user=request.user, period=period, technician_ids=list(technician_ids)
    )
    today = timezone.localdate()
    return {
        str(row.technician.pk): board_html.row_html(
            row, today=today, can_plan=can_plan, view=period.view
        )
        for row in board.rows
    }


def _write_view(model_admin, form_class, act):
    """A board write: the form checked (400 naming the field), the move made or refused (400)
    or asked about (409), and the rows it changed, redrawn, in one answer."""

    def view(request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not model_admin.has_change_permission(request):
            raise PermissionDenied
        form = form_class(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
            return JsonResponse(
                {"ok": False, "message": f"Not done — {errors}", "errors": form.errors},
                status=400,
            )
        outcome = act(request, form.cleaned_data)
        answer = outcome.as_dict()
        if outcome.ok:
            answer["rows"] = _rows_html(
                request,
                period=_period(request.POST),
                technician_ids=outcome.technician_ids,
                can_plan=True,
            )
            return JsonResponse(answer)
        return JsonResponse(answer, status=409 if outcome.confirm else 400)

    return view


def move_view(model_admin):
    def act(request, data):
        return board_moves.move_planning(
            user=request.user,
            planning_id=data["planning"],
            technician_id=data["technician"],
            start=_aware(data["start"]),
            end=_aware(data.get("end")),
            plan_anyway=data["plan_anyway"],
        )

    return _write_view(model_admin, MoveForm, act)


def _work_order_pk(request, value: str):
    value = value.strip().lstrip("#")
    if value.isdigit():
        visible = restrict_to_tenant(WorkOrder.objects.all(), user=request.user)
        return visible.filter(id2=int(value)).values_list("pk", flat=True).first()
    return _uuid_or_none(value)


def plan_view(model_admin):
    def act(request, data):
        outcome = board_moves.plan_work_order(
            user=request.user,
            work_order_id=_work_order_pk(request, data["work_order"]),
            technician_id=data["technician"],
            start=_aware(data["start"]),
            plan_anyway=data["plan_anyway"],
        )
        if outcome.ok:
            wo = WorkOrder.objects.get(pk=outcome.undo["work_order"])
            model_admin.log_change(request, wo, "Planned on the planning board.")
        return outcome

    return _write_view(model_admin, PlanForm, act)


def unplan_view(model_admin):
    def act(request, data):
        return board_moves.unplan_work_order(
            user=request.user, work_order_id=data["work_order"], status_id=data["status"]
        )

    return _write_view(model_admin, UnplanForm, act)
