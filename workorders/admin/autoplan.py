"""The planner's "Plan the unplanned…" page (DESIGN "Scheduling", auto-plan): start an auto-plan
for a week, follow its progress, read the proposed plan (KPIs, a table by technician and day)
and accept all of it or the ticked rows. The planning board posts here too (`back=board`): its
"Plan the unplanned…" starts the week shown, and its ghosts' "Accept" buttons accept; both come
back to the board, which shows the proposal as ghosts (workorders/board_ghosts.py). Thin: the
job, its plan and the acceptance are workorders.scheduling.autoplan's; the page is handed the
work order admin that serves it (WorkOrderAdmin.get_urls) for its permissions and its site's
context."""

import uuid
from datetime import date, datetime, time, timedelta
from itertools import groupby

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from apijobs.models import ApiJobStatus
from jobsite.calendars import zone_of
from jobsite.dates import parse_datetime
from jobsite.errors import ServiceError
from jobsite.models import SalesOrganization
from jobsite.tenancy import restrict_to_tenant
from workorders.scheduling.autoplan import accepting, services


def _day(value: str | None, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _organizations(request):
    return restrict_to_tenant(
        SalesOrganization.objects.order_by("code"), user=request.user, field="pk"
    )


def _organization(request, organizations):
    wanted = request.POST.get("org") or request.GET.get("org")
    try:
        found = organizations.filter(pk=uuid.UUID(wanted)).first() if wanted else None
    except ValueError:
        found = None
    return found or organizations.filter(pk=request.user.sales_organization_id).first()


def _week(request, zone) -> tuple[date, date]:
    """`from` and `to` as local days (to inclusive); by default this week, Monday to Friday."""
    today = timezone.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    first = _day(request.GET.get("from") or request.POST.get("from"), monday)
    last = _day(request.GET.get("to") or request.POST.get("to"), first + timedelta(days=4))
    return first, max(first, last)


def _rows(plan: dict, zone, accepted: set) -> list[dict]:
    """The proposed plannings grouped by technician, then by local day."""
    rows = []
    for p in plan.get("plannings", []):
        start = parse_datetime(p["start"]).astimezone(zone)
        end = parse_datetime(p["end"]).astimezone(zone)
        rows.append({**p, "start_local": start, "end_local": end, "day": start.date()})
    rows.sort(key=lambda r: (r["technician_code"], r["start_local"]))
    groups = []
    for code, by_technician in groupby(rows, key=lambda r: r["technician_code"]):
        days = []
        for day, items in groupby(by_technician, key=lambda r: r["day"]):
            items = list(items)
            for item in items:
                item["accepted"] = item["work_order_id"] in accepted
            days.append({"day": day, "items": items, "km": sum(i["travel_km"] for i in items)})
        groups.append({"technician": code, "days": days})
    return groups


def autoplan_view(model_admin):
    def view(request):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        organizations = _organizations(request)
        organization = _organization(request, organizations)
        zone = zone_of(organization)
        first, last = _week(request, zone)
        here = reverse("admin:workorders_workorder_autoplan")
        job_id = request.GET.get("job") or request.POST.get("job")
        job = None
        if job_id:
            try:
                job = services.visible_jobs(user=request.user).filter(pk=uuid.UUID(job_id)).first()
            except ValueError:
                job = None
        if request.method == "POST":
            if not model_admin.has_change_permission(request):
                raise PermissionDenied
            if request.POST.get("action") == "accept" and job is not None:
                return _accept(request, job, here)
            if request.POST.get("action") == "accept":
                messages.error(request, "No such auto-plan for your organization.")
                return HttpResponseRedirect(_back(request, here))
            return _start(request, organization, zone, first, last, here)
        context = {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.model._meta,
            "title": "Plan the unplanned work",
            "organizations": organizations,
            "organization": organization,
            "first": first,
            "last": last,
            "job": job,
            "zone": zone,
        }
        if job is not None:
            plan = services.proposed_plan(api_job=job)
            context["plan"] = plan
            context["running"] = job.status in (ApiJobStatus.PENDING, ApiJobStatus.PROCESSING)
            context["percent"] = (
                int(100 * job.processed_records / job.total_records) if job.total_records else 0
            )
            context["groups"] = _rows(plan, zone, set(plan.get("accepted_work_order_ids", [])))
            if plan.get("from") and plan.get("to"):
                begin = parse_datetime(plan["from"]).astimezone(zone)
                end = parse_datetime(plan["to"]).astimezone(zone)
                context["range_label"] = f"{begin:%a %d %b %H:%M} to {end:%a %d %b %H:%M}"
                context["plan_first"] = begin.date()
        return TemplateResponse(request, "admin/workorders/workorder/autoplan.html", context)

    return view


def _start(request, organization, zone, first, last, here):
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    data = {"from": start.isoformat(), "to": end.isoformat()}
    if organization is not None:
        data["sales_organization_id"] = str(organization.pk)
    try:
        job = services.start_autoplan(data=data, by=request.user)
    except ServiceError as exc:
        messages.error(request, f"{exc.field}: {exc.message}" if exc.field else exc.message)
        return HttpResponseRedirect(here)
    follows = (
        "the board shows the proposal when the solver is done"
        if request.POST.get("back") == "board"
        else "this page follows the solver"
    )
    messages.info(
        request,
        f"Planning {job.total_records} unplanned work orders from {first:%a %d %b} to "
        f"{last:%a %d %b}: {follows}. Nothing is written until you accept it.",
    )
    if request.POST.get("back") == "board":
        return HttpResponseRedirect(_back(request, here, job=job, date=first))
    query = {"job": job.pk, "from": first.isoformat(), "to": last.isoformat()}
    return HttpResponseRedirect(f"{here}?{urlencode(query)}")


def _back(request, here, *, job=None, date=None) -> str:
    """The board the request came from (its period, organization and skill filter), showing
    auto-plan `job`'s ghosts; this page when it did not come from the board."""
    if request.POST.get("back") != "board":
        return here
    params = {k: request.POST.get(k) for k in ("view", "date", "org", "skill")}
    params.update(autoplan=job.pk if job else None, date=date or params["date"])
    board = reverse("admin:workorders_workorder_board")
    return f"{board}?{urlencode({k: v for k, v in params.items() if v})}"


def _accept(request, job, here):
    ticked = request.POST.getlist("work_order_ids")
    everything = request.POST.get("which") == "all"
    try:
        answer = accepting.accept_plan(
            api_job=job, work_order_ids=None if everything else ticked, by=request.user
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        plan = services.proposed_plan(api_job=job)  # as the acceptance left it
        _say_accepted(request, plan, answer)
        if request.POST.get("back") == "board":
            remaining = len(plan.get("plannings", [])) > len(
                plan.get("accepted_work_order_ids", [])
            )
            return HttpResponseRedirect(_back(request, here, job=job if remaining else None))
    if request.POST.get("back") == "board":
        return HttpResponseRedirect(_back(request, here, job=job))
    return HttpResponseRedirect(f"{here}?{urlencode({'job': job.pk})}")


def _say_accepted(request, plan: dict, answer: dict) -> None:
    """What was written and what was refused, naming the work orders (as the plan does)."""
    numbers = {
        p["work_order_id"]: p["work_order_number"]
        for p in plan.get("plannings", []) + plan.get("unplanned", [])
    }
    written = [numbers.get(pk, pk) for pk in answer["accepted"]]
    if written:
        shown = ", ".join(written[:12]) + (" …" if len(written) > 12 else "")
        messages.success(request, f"{len(written)} plannings written (Suggested status): {shown}.")
    elif not answer["refused"]:
        messages.warning(request, "Nothing ticked: nothing written.")
    for refused in answer["refused"]:
        number = numbers.get(refused["work_order_id"], refused["work_order_id"])
        messages.warning(request, f"Not planned: {number} — {refused['reason']}")
