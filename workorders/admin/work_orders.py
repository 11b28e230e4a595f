"""The planner admin's work orders: the list a planner scans and plans from, fast at a million
rows, the change form, and the planning board and import pages beside them.

What keeps the list fast (see PERFORMANCE.md): PlannerPaginator pages by `id2` and counts no
more than it must; an `id2` search is an integer lookup; every sidebar filter is filled by one
query; the change form's foreign-key labels come from the row already loaded instead of one
query per field."""

from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import F, Q, Subquery
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from jobsite.admin import TenantAdmin
from jobsite.tenancy import restrict_to_tenant
from workorders import plannings, services
from workorders.admin.actions import WorkOrderActions
from workorders.admin.board import (
    board_view,
    import_view,
    move_view,
    plan_view,
    unplan_view,
    unplanned_view,
)
from workorders.admin.changelist import EqualsAnyOf, WorkOrderChangeList
from workorders.admin.columns import WorkOrderColumns
from workorders.admin.display import format_when, project_counters_html
from workorders.admin.filters import (
    DueFilter,
    JobTypeFilter,
    LifeCycleFilter,
    PriorityFilter,
    SalesOrganizationFilter,
    SkillFilter,
    StatusFilter,
    TechnicianFilter,
)
from workorders.admin.forms import KnownLabels, WorkOrderForm
from workorders.admin.paging import PlannerPaging
from workorders.admin.plannings import JobPlanningInline
from workorders.models import JobPlanning, Project, WorkOrder


@admin.register(WorkOrder)
class WorkOrderAdmin(WorkOrderColumns, WorkOrderActions, PlannerPaging, KnownLabels, TenantAdmin):
    form = WorkOrderForm
    # Fits a 1440-px screen beside the filters: project and company share a column, the job
    # type is a filter (and on the form) rather than a column.
    list_display = [
        "id2",
        "name",
        "project_and_company",
        "status_badge",
        "priority",
        "technician_and_start",
        "due",
        "modified",
    ]
    list_display_links = ["id2"]
    list_filter = [
        StatusFilter,
        LifeCycleFilter,
        PriorityFilter,
        JobTypeFilter,
        SalesOrganizationFilter,
        TechnicianFilter,
        SkillFilter,
        DueFilter,
    ]
    # get_search_results decides how each is searched; these name the fields for the help text.
    search_fields = ["=id2", "name", "reference_back_office", "customer_reference", "project__name"]
    search_help_text = (
        "A number finds that work order; words search the name, the project's name, and the "
        "back-office or customer reference."
    )
    list_select_related = [
        "project",
        "company",
        "job_status",
        "job_priority",
        "suggested_user",
    ]
    sortable_by = ["id2", "due", "modified", "technician_and_start"]
    date_hierarchy = "due_date"
    list_per_page = 100
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    autocomplete_fields = [
        "parent",
        "project",
        "job_type",
        "job_priority",
        "job_status",
        "db_address",
        "contact",
        "requested_by_company",
        "requested_by_contact",
        "suggested_user",
        "skill",
        "approval_responsible_user",
        "db_address_country",
    ]
    readonly_fields = [
        "id2",
        "company",
        "sales_organization",
        "date_create",
        "date_update",
        "date_closed",
        "modified_dateutc",
        "project_overview",
        "recent_changes",
    ]
    fieldsets = [
        (
            "Work order",
            {
                "fields": [
                    "name",
                    "project",
                    "job_type",
                    "job_priority",
                    "job_status",
                    "description",
                ]
            },
        ),
        (
            "Planning",
            {
                "fields": [
                    "skill",
                    "estimated_time",
                    ("earliest_date_plannable", "due_date"),
                    ("suggested_user", "suggested_date_start"),
                ],
                "description": "A Suggested work order with a technician and a start is planned "
                "by the rule; the plannings below show every appointment.",
            },
        ),
        (
            "Customer",
            {
                "fields": [
                    ("customer_reference", "reference_back_office"),
                    "contact",
                    ("requested_by_company", "requested_by_contact"),
                    "date_reported_by_company",
                    "approval_responsible_user",
                ]
            },
        ),
        (
            "Instructions",
            {"fields": ["prejob_information", "internal_memo", "estimated_quantity_remark"]},
        ),
        (
            "Site address",
            {
                "classes": ["collapse"],
                "fields": [
                    "db_address",
                    "db_address_name",
                    ("db_address_street", "db_address_street_number"),
                    "db_address_street2",
                    ("db_address_zip", "db_address_city"),
                    "db_address_country",
                    ("db_address_phone", "db_address_email"),
                    ("db_address_latitude", "db_address_longitude"),
                ],
            },
        ),
        ("Multi job", {"classes": ["collapse"], "fields": ["parent", "working_sequence"]}),
        ("Project at a glance", {"fields": ["project_overview"]}),
        (
            "System",
            {
                "classes": ["collapse"],
                "fields": [
                    ("id2", "sales_organization", "company"),
                    ("date_create", "date_update"),
                    ("date_closed", "modified_dateutc"),
                ],
            },
        ),
        ("Change history", {"fields": ["recent_changes"]}),
    ]
    inlines = [JobPlanningInline]
    actions = [
        "suggest_technician",
        "activate",
        "start_progress",
        "complete",
        "cancel",
    ]

    class Media:
        css = {"all": ["jobsite/planner.css"]}

    # -- list --

    def get_changelist(self, request, **kwargs):
        return WorkOrderChangeList

    page_key = "id2"

    def get_search_results(self, request, queryset, search_term):
        """A number is a work order's number (an integer lookup on the unique index); words
        must each match the name (trigram index on PostgreSQL), a reference (exact), or the
        name of a project (looked up first, in the small project table)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        digits = term.lstrip("#")
        if digits.isdigit() and len(digits) < 19:
            return queryset.filter(
                Q(id2=int(digits)) | Q(reference_back_office=term) | Q(customer_reference=term)
            ), False
        postgres = connections[queryset.db].vendor == "postgresql"
        for word in term.split()[:5]:
            variants = {word, word.upper()}
            projects = (
                restrict_to_tenant(Project.objects.order_by(), user=request.user)
                .filter(name__icontains=word)
                .values("pk")[:200]
            )
            if postgres:
                in_projects = Q(EqualsAnyOf(F("project_id"), Subquery(projects)))
            else:
                in_projects = Q(project_id__in=Subquery(projects))
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(reference_back_office__in=variants)
                | Q(customer_reference__in=variants)
                | in_projects
            )
        return queryset, False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "board_url": reverse("admin:workorders_workorder_board"),
            "import_url": reverse("admin:workorders_workorder_import"),
        }
        return super().changelist_view(request, extra_context)

    # -- form --

    def get_object(self, request, object_id, from_field=None):
        # Every foreign key of the form in the same query: the autocomplete widgets take their
        # labels from it (KnownLabelsForm), and company and sales organization are shown as text.
        related = [*self.autocomplete_fields, "company", "sales_organization"]
        queryset = self.get_queryset(request).select_related(*related)
        field = WorkOrder._meta.pk if from_field is None else WorkOrder._meta.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (WorkOrder.DoesNotExist, ValidationError, ValueError):
            return None

    @admin.display(description="project counters")
    def project_overview(self, wo):
        if wo is None or not wo.project_id:
            return "–"
        return project_counters_html(wo.project_id)

    @admin.display(description="recent changes")
    def recent_changes(self, wo):
        if wo is None or wo.pk is None:
            return "–"
        entries = list(
            LogEntry.objects.filter(
                content_type_id=ContentType.objects.get_for_model(WorkOrder).pk,
                object_id=str(wo.pk),
            )
            .select_related("user")
            .order_by("-action_time")[:8]
        )
        if not entries:
            return "No change made in the admin yet (API and import writes show in modified)."
        history = reverse("admin:workorders_workorder_history", args=[wo.pk])
        return format_html(
            '<ul class="wo-history">{}</ul><a href="{}">Full history</a>',
            format_html_join(
                "",
                "<li><time>{}</time> {} — {}</li>",
                (
                    (format_when(e.action_time), e.user, e.get_change_message() or "Changed")
                    for e in entries
                ),
            ),
            history,
        )

    def save_model(self, request, obj, form, change):
        # The service reads the previous status from the stored row, applies the system fields
        # and the Suggested rule.
        services.save_work_order(work_order=obj, by=request.user)

    def save_formset(self, request, form, formset, change):
        if formset.model is not JobPlanning:
            return super().save_formset(request, form, formset, change)
        # Plannings made by hand under the work order: through the planning service, which
        # keeps their and their neighbours' warnings current.
        changed = formset.save(commit=False)
        plannings.forget_plannings(plannings=formset.deleted_objects)
        for planning in changed:
            plannings.store_planning(planning=planning)
        return None

    # -- board and import pages --

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("board/", view(board_view(self)), name="workorders_workorder_board"),
            path("board/plan/", view(plan_view(self)), name="workorders_workorder_board_plan"),
            path("board/move/", view(move_view(self)), name="workorders_workorder_board_move"),
            path(
                "board/unplan/", view(unplan_view(self)), name="workorders_workorder_board_unplan"
            ),
            path(
                "board/unplanned/",
                view(unplanned_view(self)),
                name="workorders_workorder_board_unplanned",
            ),
            path("import/", view(import_view(self)), name="workorders_workorder_import"),
            *super().get_urls(),
        ]
