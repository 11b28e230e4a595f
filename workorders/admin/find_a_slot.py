""" "Find a slot" for one work order: the proposals of workorders/scheduling/proposals.py, and one
click to plan one through `suggest_technician` (the work order becomes Suggested and the rule
plans it). Reached from the change form and at `…/workorder/<id>/find-a-slot/`, where the board
can link too.

A thin view, handed the work order admin that serves it (WorkOrderAdmin.get_urls) for its
permissions, change log and messages, as the board's views are."""

import uuid
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from jobsite import calendar_selectors
from jobsite.dates import parse_datetime
from jobsite.errors import ServiceError
from workorders import plannings, services
from workorders.admin.display import format_when
from workorders.scheduling import proposals

SHOWN = 10


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _local_midnight(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def find_a_slot_view(model_admin):
    def view(request, object_id):
        work_order = proposals.work_order_for_proposals(user=request.user, pk=_uuid(object_id))
        if work_order is None:
            raise Http404("No such work order.")
        if not model_admin.has_view_permission(request, work_order):
            raise PermissionDenied
        here = reverse("admin:workorders_workorder_find_a_slot", args=[work_order.pk])
        if request.method == "POST":
            if not model_admin.has_change_permission(request, work_order):
                raise PermissionDenied
            return _plan(model_admin, request, work_order, here)
        first, last = _day(request.GET.get("from")), _day(request.GET.get("to"))
        error, found = "", None
        try:
            found = proposals.proposals(
                user=request.user,
                work_order=work_order,
                start=_local_midnight(first),
                end=_local_midnight(last + timedelta(days=1)) if last else None,
                limit=SHOWN,
            )
        except ServiceError as exc:
            error = f"{'From' if exc.field == 'from' else 'To'}: {exc.message}"
        context = {
            **model_admin.admin_site.each_context(request),
            "title": f"Find a slot for #{work_order.id2}",
            "opts": model_admin.model._meta,
            "original": work_order,
            "work_order": work_order,
            "found": found,
            "error": error,
            "first": first or (found and timezone.localtime(found.start).date()),
            "last": last or (found and timezone.localtime(found.end - timedelta(seconds=1)).date()),
            "can_plan": model_admin.has_change_permission(request, work_order),
            "change_url": reverse("admin:workorders_workorder_change", args=[work_order.pk]),
            "minutes": work_order.estimated_time or plannings.DEFAULT_PLANNING_MINUTES,
        }
        return TemplateResponse(request, "admin/workorders/workorder/find_a_slot.html", context)

    return view


def _plan(model_admin, request, work_order, here):
    """Plan the proposal clicked, if the planning check still passes it (the slot may have been
    taken since the page was drawn)."""
    technician = (
        calendar_selectors.technicians(user=request.user)
        .filter(pk=_uuid(request.POST.get("technician")))
        .first()
    )
    try:
        start = parse_datetime(request.POST.get("start", ""))
    except ValueError:
        start = None
    if technician is None or start is None:
        model_admin.message_user(request, "Choose one of the proposals.", messages.ERROR)
        return HttpResponseRedirect(here)
    (findings,) = plannings.preview_suggestions(placements=[(work_order, technician.pk, start)])
    if findings:
        model_admin.message_user(
            request,
            f"Not planned: {technician} at {format_when(start)} no longer fits ("
            + " ".join(f.message for f in findings)
            + "). Here is what fits now.",
            messages.WARNING,
        )
        return HttpResponseRedirect(here)
    try:
        (changed,) = services.suggest_technician(
            work_orders=[work_order], user=technician, date_start=start, by=request.user
        )
    except ServiceError as exc:
        model_admin.message_user(request, f"Not planned: {exc.message}", messages.ERROR)
        return HttpResponseRedirect(here)
    model_admin.log_change(
        request, changed, f"Suggested {technician} at {format_when(start)} (Find a slot)."
    )
    board = reverse("admin:workorders_workorder_board") + (
        f"?week={timezone.localtime(start).date().isoformat()}"
    )
    model_admin.message_user(
        request,
        format_html(
            'Suggested {} for #{} at {}. <a href="{}">See it on the planning board</a>.',
            technician,
            changed.id2,
            format_when(start),
            board,
        ),
        messages.SUCCESS,
    )
    return HttpResponseRedirect(reverse("admin:workorders_workorder_change", args=[changed.pk]))
