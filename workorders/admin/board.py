"""Admin pages beside the work order list: the planning board and the import upload.

Thin views: the board's reads are in `workorders.selectors`, planning goes through
`workorders.services.suggest_technician`, imports through `workorders.imports.start_import`.
Each view is handed the work order admin that serves it (WorkOrderAdmin.get_urls), for its
permissions, its change log and its site's context: this module needs nothing else of the admin,
so the admin imports it and never the other way round."""

import uuid
from datetime import date, datetime, timedelta
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.text import get_valid_filename

from jobsite.errors import ServiceError
from jobsite.models import SalesOrganization, Skill, User
from jobsite.tenancy import restrict_to_tenant
from workorders import imports, planning_board, plannings, services
from workorders.models import WorkOrder


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


def _board_filters(request):
    orgs = _visible_organizations(request)
    org_id = _uuid_or_none(request.GET.get("org"))
    skill_id = _uuid_or_none(request.GET.get("skill"))
    return orgs, org_id, skill_id


def board_view(model_admin):
    def view(request):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        week_start = planning_board.week_start_of(_parse_day(request.GET.get("week")))
        orgs, org_id, skill_id = _board_filters(request)
        board = planning_board.board_week(
            user=request.user,
            week_start=week_start,
            sales_organization_id=org_id,
            skill_id=skill_id,
        )
        skills = restrict_to_tenant(
            Skill.objects.select_related("sales_organization").order_by("name"), user=request.user
        )
        if org_id:
            skills = skills.filter(sales_organization_id=org_id)

        def week_link(day):
            params = {"week": day.isoformat()}
            if org_id:
                params["org"] = org_id
            if skill_id:
                params["skill"] = skill_id
            return "?" + urlencode(params)

        today = timezone.localdate()
        context = {
            **model_admin.admin_site.each_context(request),
            "title": "Planning board",
            "week_label": f"Week {week_start.isocalendar().week}, {week_start:%Y}",
            "opts": model_admin.model._meta,
            "board": board,
            "week_after": board.week_start + timedelta(days=len(board.days)),
            "today": today,
            "now": timezone.now(),
            "prev_week": week_link(week_start - timedelta(days=7)),
            "next_week": week_link(week_start + timedelta(days=7)),
            "this_week": week_link(today),
            "week_end": week_start + timedelta(days=6),
            "orgs": list(orgs),
            "org_id": org_id,
            "skills": list(skills),
            "skill_id": skill_id,
            "technicians": [r.technician for r in board.rows if r.is_technician],
            "plan_url": reverse("admin:workorders_workorder_board_plan"),
            "list_url": reverse("admin:workorders_workorder_changelist"),
            "can_plan": model_admin.has_change_permission(request),
            "back_query": request.GET.urlencode(),
            "default_start": datetime.combine(
                max(week_start, today), planning_board.WORKDAY_START
            ).strftime("%Y-%m-%dT%H:%M"),
        }
        return TemplateResponse(request, "admin/workorders/workorder/board.html", context)

    return view


class PlanForm(forms.Form):
    work_order = forms.CharField(help_text="Its number (id2) or id.")
    technician = forms.UUIDField()
    date_start = forms.DateTimeField(
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    day = forms.DateField(required=False, help_text="Dropped on a day: its first free slot.")
    plan_anyway = forms.BooleanField(
        required=False, help_text="Plan it although the planning check warns."
    )

    def clean(self):
        data = super().clean()
        if not data.get("date_start") and not data.get("day"):
            raise ValidationError("Give a start (or a day).")
        return data


def _find_work_order(request, value: str):
    visible = restrict_to_tenant(WorkOrder.objects.all(), user=request.user)
    value = value.strip().lstrip("#")
    if value.isdigit():
        return visible.filter(id2=int(value)).first()
    pk = _uuid_or_none(value)
    return visible.filter(pk=pk).first() if pk else None


def plan_view(model_admin):
    """Plans a work order for a technician from the board (its form, or a drop in plain JS).

    Answers JSON to `fetch` and redirects back to the board otherwise."""

    def view(request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not model_admin.has_change_permission(request):
            raise PermissionDenied
        wants_json = "application/json" in request.headers.get("Accept", "")
        back = reverse("admin:workorders_workorder_board")
        query = request.POST.get("back_query", "")

        def answer(ok, message, week=None, status=200, level=None):
            # Also a message for the page the board reloads after a drop.
            level = level or (messages.SUCCESS if ok else messages.ERROR)
            messages.add_message(request, level, message)
            if wants_json:
                return JsonResponse({"ok": ok, "message": message}, status=status)
            params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
            if week:
                params["week"] = week.isoformat()
            return HttpResponseRedirect(back + ("?" + urlencode(params) if params else ""))

        form = PlanForm(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
            return answer(False, f"Not planned — {errors}", status=400)
        wo = _find_work_order(request, form.cleaned_data["work_order"])
        if wo is None:
            return answer(False, "Not planned — no such work order.", status=404)
        # Who may be planned is the planning service's to say (inside suggest_technician).
        technician = (
            restrict_to_tenant(User.objects.all(), user=request.user)
            .filter(pk=form.cleaned_data["technician"])
            .first()
        )
        if technician is None:
            return answer(False, "Not planned — no such technician.", status=400)
        start = form.cleaned_data.get("date_start")
        if start is None:
            start = planning_board.first_free_start(
                user_id=technician.pk, day=form.cleaned_data["day"]
            )
        elif timezone.is_naive(start):
            start = timezone.make_aware(start)
        (warnings,) = plannings.preview_suggestions(placements=[(wo, technician.pk, start)])
        if warnings and not form.cleaned_data["plan_anyway"]:
            # Seen before it is saved: the planner confirms, or picks another time.
            listed = " ".join(w.message for w in warnings)
            question = f"Plan #{wo.id2} {wo.name} for {technician} anyway? {listed}"
            if wants_json:
                return JsonResponse(
                    {
                        "ok": False,
                        "confirm": True,
                        "message": question,
                        "warnings": [w.as_dict() for w in warnings],
                    },
                    status=409,
                )
            return answer(False, f"Not planned yet — {listed} Tick “plan anyway” to plan it.")
        try:
            services.suggest_technician(
                work_orders=[wo], user=technician, date_start=start, by=request.user
            )
        except ServiceError as exc:
            return answer(False, f"Not planned — {exc.message}", status=400)
        model_admin.log_change(request, wo, f"Planned for {technician} on the planning board.")
        when = formats.date_format(timezone.localtime(start), "D j M H:i")
        planned = f"Planned #{wo.id2} {wo.name} for {technician} on {when}."
        if warnings:
            planned += " With warnings: " + " ".join(w.message for w in warnings)
        return answer(
            True,
            planned,
            week=planning_board.week_start_of(timezone.localtime(start).date()),
            level=messages.WARNING if warnings else None,
        )

    return view


# --- Import upload ---------------------------------------------------------------------------

IMPORT_SUFFIXES = {".csv", ".json", ".xlsx"}


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, JSON or XLSX, with the columns of the work order API.")
    kind = forms.ChoiceField(
        choices=[("workorders", "Work orders"), ("projects", "Projects")], initial="workorders"
    )
    sales_organization = forms.ModelChoiceField(queryset=SalesOrganization.objects.none())
    dry_run = forms.BooleanField(
        required=False, help_text="Check every row and report, without writing anything."
    )

    def __init__(self, *args, organizations, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["sales_organization"]
        field.queryset = organizations
        if len(organizations) == 1:
            field.initial = organizations[0].pk
            field.widget = forms.HiddenInput()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in IMPORT_SUFFIXES:
            raise ValidationError("Upload a .csv, .json or .xlsx file.")
        return upload


def start_import(**kwargs):
    """The import task of `workorders.imports` (the same one `import_workorders` starts)."""
    return imports.start_import(**kwargs)


def import_view(model_admin):
    def view(request):
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        orgs = _visible_organizations(request)
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES, organizations=orgs)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                # A folder per upload keeps the planner's file name (the job shows it) unique.
                folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
                folder.mkdir(parents=True, exist_ok=True)
                target = folder / (get_valid_filename(Path(upload.name).name) or "upload")
                with target.open("wb") as out:
                    for chunk in upload.chunks():
                        out.write(chunk)
                try:
                    job = start_import(
                        path=str(target),
                        kind=form.cleaned_data["kind"],
                        by=request.user,
                        sales_organization=form.cleaned_data["sales_organization"],
                        dry_run=form.cleaned_data["dry_run"],
                    )
                except imports.ImportFileError as exc:
                    # The file cannot be read as an import at all: say why, write nothing.
                    form.add_error("file", str(exc))
                except ServiceError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    messages.success(
                        request,
                        f"Import of {upload.name} started"
                        + (" (dry run)" if form.cleaned_data["dry_run"] else "")
                        + ". This page follows it until it is done.",
                    )
                    return HttpResponseRedirect(
                        reverse("admin:apijobs_apijob_change", args=[job.pk])
                    )
        else:
            form = ImportForm(organizations=orgs)
        context = {
            **model_admin.admin_site.each_context(request),
            "title": "Import work orders",
            "opts": model_admin.model._meta,
            "form": form,
            "jobs_url": reverse("admin:apijobs_apijob_changelist"),
        }
        return TemplateResponse(request, "admin/workorders/workorder/import.html", context)

    return view
