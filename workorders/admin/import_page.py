"""The import page: a template to download (CSV or XLSX, every column, a help table), a check of
the uploaded file before anything runs (its first rows with their problems, and every unknown
reference of the file), then the import or a dry run of the checked file, which opens its API job.

Thin views: the preview is `workorders.imports.preview`, the help and templates
`workorders.imports.columns_help`, the import `workorders.imports.start_import` (the same task
as `manage.py import_workorders`). The checked upload is remembered in the session, so the
planner starts the very file they looked at, and no other path can be named."""

import uuid
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import get_valid_filename

from jobsite.errors import ServiceError
from jobsite.models import SalesOrganization
from jobsite.tenancy import restrict_to_tenant
from workorders import imports
from workorders.imports import columns_help
from workorders.imports.preview import preview_import

IMPORT_SUFFIXES = {".csv", ".json", ".xlsx"}
KINDS = [("workorders", "Work orders"), ("projects", "Projects")]
SESSION_KEY = "checked_imports"
TEMPLATE_TYPES = {
    "csv": ("text/csv; charset=utf-8", columns_help.template_csv),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        columns_help.template_xlsx,
    ),
}


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV, JSON or XLSX, with the columns of the template below.")
    kind = forms.ChoiceField(choices=KINDS, initial="workorders", label="What it holds")
    sales_organization = forms.ModelChoiceField(queryset=SalesOrganization.objects.none())

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


def _organizations(request):
    return restrict_to_tenant(
        SalesOrganization.objects.order_by("code"), user=request.user, field="pk"
    )


def _store(upload) -> Path:
    # A folder per upload keeps the planner's file name (the job shows it) unique.
    folder = Path(settings.MEDIA_ROOT) / "imports" / uuid.uuid4().hex
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (get_valid_filename(Path(upload.name).name) or "upload")
    with target.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def _remember(request, *, path: Path, kind: str, organization) -> str:
    token = uuid.uuid4().hex
    checked = dict(request.session.get(SESSION_KEY, {}))
    # The last few checked files only: a session is no archive.
    for old in list(checked)[:-4]:
        checked.pop(old)
    checked[token] = {
        "path": str(path),
        "kind": kind,
        "organization": str(organization.pk) if organization else None,
    }
    request.session[SESSION_KEY] = checked
    return token


def _context(model_admin, request, form, **extra):
    kind = (form.data.get("kind") if form.is_bound else None) or "workorders"
    return {
        **model_admin.admin_site.each_context(request),
        "title": "Import work orders or projects",
        "opts": model_admin.model._meta,
        "form": form,
        "jobs_url": reverse("admin:apijobs_apijob_changelist"),
        "help_kind": kind if kind in dict(KINDS) else "workorders",
        "help_tables": [(k, label, columns_help.columns_for(k)) for k, label in KINDS],
        "kinds": KINDS,
        **extra,
    }


def import_view(model_admin):
    def view(request):
        if not model_admin.has_add_permission(request):
            raise PermissionDenied
        orgs = _organizations(request)
        if request.method == "POST" and "start" in request.POST:
            return _start(model_admin, request, orgs)
        if request.method == "POST":
            form = ImportForm(request.POST, request.FILES, organizations=orgs)
            if form.is_valid():
                data = form.cleaned_data
                target = _store(data["file"])
                try:
                    preview = preview_import(
                        path=target,
                        kind=data["kind"],
                        by=request.user,
                        sales_organization=data["sales_organization"],
                    )
                except imports.ImportFileError as exc:
                    # The file cannot be read as an import at all: say why, write nothing.
                    form.add_error("file", str(exc))
                else:
                    token = _remember(
                        request,
                        path=target,
                        kind=data["kind"],
                        organization=data["sales_organization"],
                    )
                    context = _context(
                        model_admin,
                        request,
                        form,
                        preview=preview,
                        token=token,
                        file_name=target.name,
                    )
                    return TemplateResponse(
                        request, "admin/workorders/workorder/import.html", context
                    )
        else:
            form = ImportForm(organizations=orgs)
        return TemplateResponse(
            request,
            "admin/workorders/workorder/import.html",
            _context(model_admin, request, form),
        )

    return view


def _start(model_admin, request, orgs):
    checked = request.session.get(SESSION_KEY, {}).get(request.POST.get("token", ""))
    if checked is None:
        messages.error(request, "That check has expired: upload the file again.")
        return HttpResponseRedirect(reverse("admin:workorders_workorder_import"))
    organization = (
        orgs.filter(pk=checked["organization"]).first() if checked["organization"] else None
    )
    dry_run = request.POST.get("start") == "dry_run"
    try:
        job = imports.start_import(
            path=checked["path"],
            kind=checked["kind"],
            by=request.user,
            sales_organization=organization,
            dry_run=dry_run,
        )
    except (imports.ImportFileError, ServiceError) as exc:
        messages.error(request, str(getattr(exc, "message", exc)))
        return HttpResponseRedirect(reverse("admin:workorders_workorder_import"))
    name = Path(checked["path"]).name
    if dry_run:
        messages.success(
            request,
            f"Dry run of {name} started: nothing will be written; the API job says what the "
            "import would create and update. This page follows it until it is done.",
        )
    else:
        messages.success(
            request, f"Import of {name} started. This page follows it until it is done."
        )
    return HttpResponseRedirect(reverse("admin:apijobs_apijob_change", args=[job.pk]))


def template_view(model_admin):
    """The template of an import: every column a file may carry (CSV, or XLSX with the help
    table on a second sheet)."""

    def view(request, kind, fmt):
        if not model_admin.has_view_permission(request):
            raise PermissionDenied
        if kind not in dict(KINDS) or fmt not in TEMPLATE_TYPES:
            return HttpResponse("Unknown template.", status=404, content_type="text/plain")
        content_type, build = TEMPLATE_TYPES[fmt]
        response = HttpResponse(build(kind), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{kind}-template.{fmt}"'
        return response

    return view
