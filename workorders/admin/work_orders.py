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
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from jobsite.admin import TenantAdmin
from workorders import plannings, search, services
from workorders.admin.actions import WorkOrderActions
from workorders.admin.autoplan import autoplan_view
from workorders.admin.board import (
    board_view,
    move_view,
    plan_view,
    slots_view,
    unplan_view,
    unplanned_view,
)
from workorders.admin.changelist import WorkOrderChangeList
from workorders.admin.columns import WorkOrderColumns
from workorders.admin.display import format_when, planning_warnings_html, project_counters_html
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
from workorders.admin.find_a_slot import find_a_slot_view
from workorders.admin.forms import KnownLabels, WorkOrderForm
from workorders.admin.import_page import import_view, template_view
from workorders.admin.paging import PlannerPaging
from workorders.admin.plannings import JobPlanningInline, ShowsWarningsInForm
from workorders.admin.work_order_form import SITE_ADDRESS, WorkOrderFormLayout
from workorders.models import JobPlanning, WorkOrder


class WorkOrderPlanningInline(JobPlanningInline):
    """The plannings under the Planning section, each with what the planning check says."""

    fields = ["user", "date_start", "date_end", "warnings_shown", "made_by_rule", "plan_anyway"]
    readonly_fields = ["made_by_rule", "warnings_shown"]

    @admin.display(description="warnings")
    def warnings_shown(self, planning):
        return planning_warnings_html(planning)


@admin.register(WorkOrder)
class WorkOrderAdmin(
    ShowsWarningsInForm,
    WorkOrderFormLayout,
    WorkOrderColumns,
    WorkOrderActions,
    PlannerPaging,
    KnownLabels,
    TenantAdmin,
):
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
    # get_search_results decides how each is searched (workorders.search); Django shows the
    # search box when search_fields is set.
    search_fields = ["=id2", "name", "reference_back_office", "customer_reference", "project__name"]
    search_help_text = search.SEARCH_HELP
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
    # Laid out by change_form.html: the classes place each section. "wo-left"/"wo-right" are
    # the two columns of a row ("wo-top": above the plannings), "wo-wide" spans the page.
    fieldsets = [
        (
            "Work order",
            {
                "classes": ["wo-top", "wo-left"],
                "fields": [
                    "name",
                    "project",
                    "job_type",
                    "job_priority",
                    "job_status",
                    "description",
                ],
            },
        ),
        (
            "Planning",
            {
                "classes": ["wo-top", "wo-right"],
                "fields": [
                    "skill",
                    "estimated_time",
                    "earliest_date_plannable",
                    "due_date",
                    "suggested_user",
                    "suggested_date_start",
                ],
                "description": "A Suggested work order with a technician and a start is planned "
                "by the rule; the plannings below show every appointment and what the planning "
                "check warns about.",
            },
        ),
        ("Project at a glance", {"classes": ["wo-wide"], "fields": ["project_overview"]}),
        (
            "Customer",
            {
                "classes": ["wo-left"],
                "fields": [
                    "customer_reference",
                    "reference_back_office",
                    "contact",
                    "requested_by_company",
                    "requested_by_contact",
                    "date_reported_by_company",
                    "approval_responsible_user",
                ],
            },
        ),
        (
            "Instructions",
            {
                "classes": ["wo-left"],
                "fields": ["prejob_information", "internal_memo", "estimated_quantity_remark"],
            },
        ),
        (
            SITE_ADDRESS,
            {
                "classes": ["wo-right", "wo-site"],
                "fields": [
                    "db_address",
                    "db_address_name",
                    ("db_address_street", "db_address_street_number"),
                    "db_address_street2",
                    ("db_address_zip", "db_address_city"),
                    "db_address_country",
                    "db_address_phone",
                    "db_address_email",
                    ("db_address_latitude", "db_address_longitude"),
                ],
            },
        ),
        (
            "Multi job",
            {"classes": ["collapse", "wo-right"], "fields": ["parent", "working_sequence"]},
        ),
        (
            "System",
            {
                "classes": ["collapse", "wo-wide"],
                "fields": [
                    ("id2", "sales_organization", "company"),
                    ("date_create", "date_update"),
                    ("date_closed", "modified_dateutc"),
                ],
            },
        ),
        ("Change history", {"classes": ["wo-wide"], "fields": ["recent_changes"]}),
    ]
    inlines = [WorkOrderPlanningInline]
    actions = [
        "suggest_technician",
        "bulk_edit",
        "activate",
        "start_progress",
        "complete",
        "cancel",
    ]

    class Media:
        css = {"all": ["jobsite/planner.css", "jobsite/planner_screens.css"]}

    # -- list --

    def get_changelist(self, request, **kwargs):
        return WorkOrderChangeList

    page_key = "id2"

    def get_search_results(self, request, queryset, search_term):
        # The rule is workorders.search (indexes and limits explained there).
        return search.search_work_orders(queryset, search_term, user=request.user), False

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
            path("board/slots/", view(slots_view(self)), name="workorders_workorder_board_slots"),
            path("import/", view(import_view(self)), name="workorders_workorder_import"),
            path(
                "import/template/<str:kind>.<str:fmt>",
                view(template_view(self)),
                name="workorders_workorder_import_template",
            ),
            path(
                "<path:object_id>/find-a-slot/",
                view(find_a_slot_view(self)),
                name="workorders_workorder_find_a_slot",
            ),
            path("autoplan/", view(autoplan_view(self)), name="workorders_workorder_autoplan"),
            *super().get_urls(),
        ]
