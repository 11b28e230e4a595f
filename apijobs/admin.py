import uuid

from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.html import format_html

from apijobs import selectors
from apijobs.models import ApiJob, ApiJobError, ApiJobStatus
from jobsite.admin import TenantAdmin

# A job with 100,000 bad rows would make a page nobody can read; the first ones tell the story.
MAX_ERRORS_SHOWN = 200
RUNNING = {ApiJobStatus.PENDING, ApiJobStatus.PROCESSING}


class FirstErrorsFormSet(BaseInlineFormSet):
    def get_queryset(self):
        return super().get_queryset()[:MAX_ERRORS_SHOWN]


class ApiJobErrorInline(admin.TabularInline):
    model = ApiJobError
    formset = FirstErrorsFormSet
    extra = 0
    fields = ["line", "index", "record_id", "field", "message"]
    readonly_fields = fields
    can_delete = False
    verbose_name = "record error"
    verbose_name_plural = f"record errors (the first {MAX_ERRORS_SHOWN})"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def progress_bar(job: ApiJob) -> str:
    """Effected, unchanged and failed records as one bar over the total."""
    total = job.total_records or 0
    if not total:
        pct = 0 if job.status in RUNNING else 100
        return format_html(
            '<div class="aj-progress" role="progressbar" aria-valuenow="{}" aria-valuemin="0" '
            'aria-valuemax="100"><span class="aj-bar aj-unchanged" style="width:{}%"></span>'
            "</div>",
            pct,
            pct,
        )
    options = job.options or {}
    dry_run = bool(options.get("dry_run"))
    # A dry run effected nothing: its bar shows what it would have created or updated.
    would = options.get("would") or {"created": 0, "updated": 0}
    done_records = would["created"] + would["updated"] if dry_run else job.effected_records
    effected = min(done_records, total)
    errors = min(job.error_records, total - effected)
    processed = max(job.processed_records, effected + errors)
    unchanged = max(min(processed, total) - effected - errors, 0)
    done = round(100 * min(processed, total) / total)

    def pct(n):
        return f"{100 * n / total:.2f}"

    return format_html(
        '<div class="aj-progress" role="progressbar" aria-valuenow="{}" aria-valuemin="0" '
        'aria-valuemax="100" title="{} {}, {} unchanged, {} errors of {}">'
        '<span class="aj-bar aj-effected{}" style="width:{}%"></span>'
        '<span class="aj-bar aj-unchanged" style="width:{}%"></span>'
        '<span class="aj-bar aj-errors" style="width:{}%"></span></div>',
        done,
        effected,
        "would be written" if dry_run else "effected",
        unchanged,
        errors,
        total,
        " aj-would" if dry_run else "",
        pct(effected),
        pct(unchanged),
        pct(errors),
    )


class CreatedFilter(admin.SimpleListFilter):
    """Jobs of the last 24 hours: the planner's home links here for the failed ones."""

    title = "created"
    parameter_name = "created"

    def lookups(self, request, model_admin):
        return [("day", "In the last 24 hours")]

    def queryset(self, request, queryset):
        if self.value() == "day":
            return selectors.created_recently(queryset)
        return queryset


@admin.register(ApiJob)
class ApiJobAdmin(TenantAdmin):
    list_display = [
        "created_at",
        "type",
        "source_name",
        "status_badge",
        "progress",
        "counts",
        "requested_by",
        "end_time",
    ]
    list_display_links = ["created_at", "type"]
    list_filter = ["status", "type", CreatedFilter]
    search_fields = ["source_name"]
    search_help_text = "An API job's id, or a word of the uploaded file's name."
    list_select_related = ["requested_by"]
    fieldsets = [
        (None, {"fields": ["status_badge", "progress", "counts", "message"]}),
        (
            "Request",
            {
                "fields": [
                    "id",
                    "type",
                    "source_name",
                    "requested_by",
                    "sales_organization",
                    "company",
                ]
            },
        ),
        ("Options", {"classes": ["collapse"], "fields": ["options"]}),
        ("Times", {"fields": ["created_at", "start_time", "end_time", "updated_at"]}),
    ]
    readonly_fields = [
        "status_badge",
        "progress",
        "counts",
        "message",
        "id",
        "type",
        "source_name",
        "requested_by",
        "sales_organization",
        "company",
        "options",
        "ignored_columns",
        "created_at",
        "start_time",
        "end_time",
        "updated_at",
    ]
    inlines = [ApiJobErrorInline]
    show_full_result_count = False
    date_hierarchy = None

    class Media:
        css = {"all": ["jobsite/planner.css", "jobsite/planner_screens.css"]}

    def has_add_permission(self, request):
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not obj.options.get("ignored_columns"):
            return fieldsets
        # A misspelt column imports nothing from it: the planner must see that beside the counts.
        (name, first), *rest = fieldsets
        return [(name, {**first, "fields": [*first["fields"], "ignored_columns"]}), *rest]

    @admin.display(description="ignored columns")
    def ignored_columns(self, job):
        return ", ".join(job.options.get("ignored_columns") or []) or "—"

    def get_search_results(self, request, queryset, search_term):
        try:
            return queryset.filter(pk=uuid.UUID(search_term.strip())), False
        except ValueError:
            return super().get_search_results(request, queryset, search_term)

    def has_change_permission(self, request, obj=None):
        # Everything is read-only: the page is a report, without a Save button.
        return False

    @admin.display(description="status", ordering="status")
    def status_badge(self, job):
        return format_html(
            '<span class="aj-status aj-status-{}">{}</span>', job.status, job.get_status_display()
        )

    @admin.display(description="progress")
    def progress(self, job):
        return progress_bar(job)

    @admin.display(description="records")
    def counts(self, job):
        would = (job.options or {}).get("would")
        if (job.options or {}).get("dry_run"):
            # A dry run wrote nothing: what it would have done, never "effected".
            would = would or {"created": 0, "updated": 0}
            return format_html(
                '<span class="aj-dry-run">Dry run</span> would create {} · would update {} · '
                "{} errors · {} of {} checked",
                would["created"],
                would["updated"],
                job.error_records,
                job.processed_records,
                job.total_records,
            )
        return format_html(
            "{} effected · {} errors · {} of {} processed",
            job.effected_records,
            job.error_records,
            job.processed_records,
            job.total_records,
        )

    def changelist_view(self, request, extra_context=None):
        # While one of the planner's jobs runs, the list follows it too.
        running = self.get_queryset(request).filter(status__in=RUNNING).exists()
        extra_context = {**(extra_context or {}), "refresh_seconds": 5 if running else None}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        job = self.get_object(request, object_id)
        # The page reloads itself while the job runs, so a planner can watch it finish.
        extra_context["refresh_seconds"] = 2 if job is not None and job.status in RUNNING else None
        return super().change_view(request, object_id, form_url, extra_context)
