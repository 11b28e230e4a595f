"""Plannings (a technician's appointments for a work order): their own list, newest first, and
the inline under a work order."""

from django.contrib import admin
from django.utils.html import format_html_join

from jobsite.admin import TenantAdmin, TenantScoped
from workorders import plannings
from workorders.admin.filters import PlanningDayFilter, PlanningTechnicianFilter
from workorders.admin.form_renderer import QUICK_RENDERER
from workorders.admin.forms import KnownLabels, PlanningForm
from workorders.admin.paging import PlannerPaging
from workorders.models import JobPlanning
from workorders.scheduling.checks import WARNING_CODES
from workorders.scheduling.pending_checks import settle_quietly


class PlanningWarningFilter(admin.SimpleListFilter):
    """The planning check's warnings: any of them, or one kind."""

    title = "warning"
    parameter_name = "warning"

    def lookups(self, request, model_admin):
        return [("any", "Any warning"), ("none", "No warning")] + [
            (code, code.replace("_", " ")) for code in WARNING_CODES
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "any":
            return queryset.exclude(warning_codes="")
        if value == "none":
            return queryset.filter(warning_codes="")
        if value in WARNING_CODES:
            return queryset.filter(warning_codes__contains=f",{value},")
        return queryset


class ShowsWarningsInForm:
    """An admin whose form shows plannings' warnings: the checks a set-based write left are
    settled first (`pending_checks`), once a page."""

    def changeform_view(self, request, *args, **kwargs):
        settle_quietly()
        return super().changeform_view(request, *args, **kwargs)


class ShowsWarnings(ShowsWarningsInForm):
    """... and whose list shows them too."""

    def changelist_view(self, request, *args, **kwargs):
        settle_quietly()
        return super().changelist_view(request, *args, **kwargs)


@admin.register(JobPlanning)
class JobPlanningAdmin(ShowsWarnings, PlannerPaging, KnownLabels, TenantAdmin):
    form = PlanningForm
    tenant_field = "work_order__sales_organization"
    list_display = ["work_order", "user", "date_start", "date_end", "made_by_rule", "warnings_list"]
    list_filter = [
        PlanningWarningFilter,
        "made_by_rule",
        PlanningDayFilter,
        PlanningTechnicianFilter,
    ]
    list_select_related = ["work_order", "user"]
    autocomplete_fields = ["work_order", "user"]
    # Plannings by date are what the board shows; this list pages them newest first, by the
    # date_start index, without counting them all.
    ordering = ["-date_start", "-pk"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description="Warnings")
    def warnings_list(self, obj):
        return format_html_join(
            "", '<div class="planner-finding">⚠ {}</div>', ((w["message"],) for w in obj.warnings)
        )

    def save_model(self, request, obj, form, change):
        plannings.store_planning(planning=obj)

    def delete_model(self, request, obj):
        plannings.forget_plannings(plannings=[obj])

    def delete_queryset(self, request, queryset):
        plannings.forget_plannings(plannings=queryset)


class JobPlanningInline(KnownLabels, TenantScoped, admin.TabularInline):
    model = JobPlanning
    form = PlanningForm
    tenant_field = None
    extra = 0
    fields = ["user", "date_start", "date_end", "made_by_rule", "plan_anyway"]
    readonly_fields = ["made_by_rule"]
    autocomplete_fields = ["user"]
    verbose_name_plural = "plannings (appointments)"

    def get_queryset(self, request):
        # The row label (str) names the work order: load it in the same query.
        return super().get_queryset(request).select_related("user", "work_order")

    def get_formset(self, request, obj=None, **kwargs):
        # The planning forms' renderer (PlanningForm's) for the formset's own hidden counts and
        # errors too, instead of Django's default, which goes through the template engine.
        return super().get_formset(request, obj, renderer=QUICK_RENDERER, **kwargs)
