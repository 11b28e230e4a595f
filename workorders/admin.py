"""The planner admin: work orders as a planner scans and plans them, fast at a million rows.

What keeps the work order list fast (see PERFORMANCE.md): the page's rows are fetched by their
`id2` first (an index-only scan, even on page 5,000) in the same statement that loads them; no
full count, but an estimate where exact numbers cost a scan; an `id2` search that is an integer
lookup; every sidebar filter filled by one query; FK labels on the change form taken from the row
already loaded instead of one query per field."""

import uuid
from datetime import datetime, timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import BooleanField, F, Func, Max, Min, Q, Subquery
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.functional import cached_property
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe

from jobs.models import LifeCycleState, StatusNumber
from jobsite.admin import TenantAdmin, TenantScoped
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.selectors import restrict_to_tenant
from workorders import plannings, selectors, services
from workorders.models import (
    EquipmentBrand,
    EquipmentFamily,
    EquipmentModel,
    JobPlanning,
    Project,
    ProjectStatus,
    WorkOrder,
)
from workorders.references import KINDS, WORK_ORDER_GROUPS, references_of_other_organizations


class EqualsAnyOf(Func):
    """`column = ANY(ARRAY(subquery))`: PostgreSQL runs the subquery once and probes an index
    with the array (a plain IN (subquery) inside an OR would be tested row by row)."""

    arg_joiner = " = ANY(ARRAY"
    template = "%(expressions)s)"
    output_field = BooleanField()


# An action on "all 1,000,000 selected" is a mistake, not a plan.
MAX_ACTION_ROWS = 500


# --- Counting and paging without scanning a million rows -------------------------------------


class PlannerPaginator(Paginator):
    """Pages through the rows' unique ordering key first, and counts no more than it must.

    count: on PostgreSQL an unfiltered list uses the table's statistics (pg_class.reltuples);
    a filtered one asks the planner's estimate (EXPLAIN) and counts exactly only when that is
    small (or when searching), and then no further than CAP (SEARCH_CAP) rows. `estimated` tells the
    template to say "about"; `capped` to say "more than"."""

    CAP = 10_000
    SEARCH_CAP = 1_000
    ESTIMATE_ABOVE = 50_000

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, **kw):
        self.page_key = kw.pop("page_key", "pk")
        self.searching = kw.pop("searching", False)
        super().__init__(object_list, per_page, orphans, allow_empty_first_page, **kw)
        self.estimated = False
        self.capped = False
        self.cap = self.CAP

    @cached_property
    def count(self):
        qs = self.object_list
        connection = connections[qs.db]
        if connection.vendor != "postgresql":
            return qs.count()
        if not qs.query.where and not self.searching:
            estimate = self._reltuples(connection, qs.model._meta.db_table)
            if estimate > self.ESTIMATE_ABOVE:
                self.estimated = True
                return estimate
            return qs.count()
        if not self.searching:
            estimate = self._explain_rows(connection, qs)
            if estimate > self.ESTIMATE_ABOVE:
                self.estimated = True
                return estimate
        # A search is read, not paged through: past SEARCH_CAP hits the list says "more than"
        # (counting further costs a scan of every hit).
        cap = self.SEARCH_CAP if self.searching else self.CAP
        counted = qs.order_by().values("pk")[: cap + 1].count()
        if counted > cap:
            self.capped = True
            self.cap = cap
        return counted

    @staticmethod
    def _reltuples(connection, table):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
            )
            row = cursor.fetchone()
        return row[0] if row and row[0] and row[0] > 0 else 0

    @staticmethod
    def _explain_rows(connection, qs):
        sql, params = qs.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):  # pragma: no cover - depends on the driver's JSON handling
            import json

            plan = json.loads(plan)
        return int(plan[0]["Plan"]["Plan Rows"])

    def validate_number(self, number):
        if not (self.estimated or self.capped):
            return super().validate_number(number)
        # An estimate may be short of the real count: a page past it is asked for, not refused
        # (it is empty if there is really nothing there).
        try:
            number = int(number)
        except (TypeError, ValueError) as exc:
            raise PageNotAnInteger("That page number is not an integer") from exc
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count and not (self.estimated or self.capped):
            top = self.count
        # One statement: the page's keys by the list's ordering (an index-only scan), then the
        # rows and their joins for those keys only.
        keys = self.object_list.values(self.page_key)[bottom:top]
        rows = self.object_list.filter(**{f"{self.page_key}__in": keys})
        return self._get_page(rows, number, self)


# The columns the list shows (and its actions read): converting every timestamp and text of
# seven joined tables for 100 rows costs more than the query.


class PlannerPaging:
    """A model admin whose changelist pages with PlannerPaginator. Its history page is handed
    the same hook with log entries, which have no page key: they page as Django pages them."""

    page_key = "pk"

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        if queryset.model is not self.model:
            return super().get_paginator(
                request, queryset, per_page, orphans, allow_empty_first_page
            )
        return PlannerPaginator(
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            page_key=self.page_key,
            searching=bool(request.GET.get("q", "").strip()),
        )


LIST_COLUMNS = [
    "id2",
    "name",
    "due_date",
    "modified_dateutc",
    "suggested_date_start",
    "estimated_time",
    "sales_organization",
    "project__name",
    "company__name",
    "job_status__name",
    "job_status__number",
    "job_status__life_cycle_state",
    "job_priority__name",
    "job_priority__sequence",
    "suggested_user__first_name",
    "suggested_user__last_name",
    "suggested_user__username",
]


class WorkOrderChangeList(ChangeList):
    """Loads only the listed columns, and adds the due-date drill-down computed from one
    MIN/MAX (indexed) instead of a DISTINCT over every row."""

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        return queryset.only(*LIST_COLUMNS)

    @cached_property
    def _change_url(self):
        return reverse(
            "admin:workorders_workorder_change",
            args=("__pk__",),
            current_app=self.model_admin.admin_site.name,
        )

    def url_for_result(self, result):
        # One reverse() per page instead of one per row.
        return self._change_url.replace("__pk__", quote(str(result.pk)))

    @cached_property
    def due_hierarchy(self):
        field = self.date_hierarchy
        year = self.params.get(f"{field}__year")
        month = self.params.get(f"{field}__month")
        day = self.params.get(f"{field}__day")

        def link(params):
            return self.get_query_string(params, [f"{field}__"])

        def as_int(value):
            try:
                return int(value[-1] if isinstance(value, list) else value)
            except (TypeError, ValueError):
                return None

        year, month, day = as_int(year), as_int(month), as_int(day)
        if year and month and day:
            chosen = datetime(year, month, day)
            return {
                "back": (
                    link({f"{field}__year": year, f"{field}__month": month}),
                    formats.date_format(chosen, "YEAR_MONTH_FORMAT"),
                ),
                "choices": [(None, formats.date_format(chosen, "MONTH_DAY_FORMAT"))],
            }
        bounds = self.queryset.aggregate(first=Min(field), last=Max(field))
        first, last = bounds["first"], bounds["last"]
        if first is None:
            return None
        first, last = timezone.localtime(first), timezone.localtime(last)
        # Like Django's: when everything falls in one year (or month), start there.
        if not year and first.year == last.year:
            year = first.year
            if first.month == last.month:
                month = first.month
        if year and month:
            days = range(first.day, last.day + 1)
            return {
                "back": (link({f"{field}__year": year}), str(year))
                if self.params.get(f"{field}__year")
                else None,
                "choices": [
                    (
                        link(
                            {f"{field}__year": year, f"{field}__month": month, f"{field}__day": d}
                        ),
                        formats.date_format(datetime(year, month, d), "MONTH_DAY_FORMAT"),
                    )
                    for d in days
                ],
            }
        if year or first.year == last.year:
            year = year or first.year
            months = range(first.month, last.month + 1)
            return {
                "back": (link({}), "All dates") if self.params.get(f"{field}__year") else None,
                "choices": [
                    (
                        link({f"{field}__year": year, f"{field}__month": m}),
                        formats.date_format(datetime(year, m, 1), "YEAR_MONTH_FORMAT"),
                    )
                    for m in months
                ],
            }
        return {
            "back": None,
            "choices": [
                (link({f"{field}__year": y}), str(y)) for y in range(first.year, last.year + 1)
            ],
        }


# --- Sidebar filters, all filled by one query ------------------------------------------------


def _filter_choices(request):
    if not hasattr(request, "_work_order_filter_choices"):
        request._work_order_filter_choices = selectors.work_order_filter_choices(user=request.user)
    return request._work_order_filter_choices


class ChoiceFilter(admin.SimpleListFilter):
    kind = ""
    lookup = ""
    hide_single = False

    def lookups(self, request, model_admin):
        choices = _filter_choices(request).get(self.kind, [])
        if self.hide_single and len(choices) < 2:
            return []
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            uuid.UUID(value)
        except ValueError as exc:
            raise IncorrectLookupParameters(f"{self.title}: not an id") from exc
        return queryset.filter(**{self.lookup: value})


class StatusFilter(ChoiceFilter):
    title = "status"
    parameter_name = "status"
    kind = "status"
    lookup = "job_status"


class LifeCycleFilter(admin.SimpleListFilter):
    title = "life-cycle state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return LifeCycleState.choices

    def queryset(self, request, queryset):
        if self.value() in LifeCycleState.values:
            return queryset.filter(job_status__life_cycle_state=self.value())
        return queryset


class PriorityFilter(ChoiceFilter):
    title = "priority"
    parameter_name = "priority"
    kind = "priority"
    lookup = "job_priority"


class JobTypeFilter(ChoiceFilter):
    title = "job type"
    parameter_name = "job_type"
    kind = "job_type"
    lookup = "job_type"
    hide_single = True


class SalesOrganizationFilter(ChoiceFilter):
    title = "sales organization"
    parameter_name = "org"
    kind = "sales_organization"
    lookup = "sales_organization"
    hide_single = True


class TechnicianFilter(ChoiceFilter):
    title = "technician"
    parameter_name = "technician"
    kind = "technician"
    lookup = "suggested_user"


class SkillFilter(ChoiceFilter):
    title = "skill"
    parameter_name = "skill"
    kind = "skill"
    lookup = "skill"


class DueFilter(admin.SimpleListFilter):
    title = "due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [
            ("overdue", "Overdue"),
            ("week", "Due this week"),
            ("next_week", "Due next week"),
            ("unplanned", "Still to plan"),
            ("none", "No due date"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        now = timezone.now()
        monday = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
        monday -= timedelta(days=monday.weekday())
        if value == "overdue":
            return queryset.filter(
                due_date__lt=now, job_status__life_cycle_state__in=selectors.OPEN_STATES
            )
        if value == "week":
            return queryset.filter(due_date__gte=monday, due_date__lt=monday + timedelta(days=7))
        if value == "next_week":
            return queryset.filter(
                due_date__gte=monday + timedelta(days=7), due_date__lt=monday + timedelta(days=14)
            )
        if value == "unplanned":
            return queryset.filter(job_status__number__in=selectors.UNPLANNED_STATUSES)
        if value == "none":
            return queryset.filter(due_date__isnull=True)
        return queryset


# --- Autocomplete without a query per field --------------------------------------------------


class KnownLabelAutocomplete(AutocompleteSelect):
    """An autocomplete that renders its selected option from the row the form already loaded
    (select_related), instead of one query per foreign key."""

    known: dict | None = None

    def optgroups(self, name, value, attr=None):
        known = self.known or {}
        selected = [str(v) for v in value if str(v) not in self.choices.field.empty_values]
        if not selected or not all(v in known for v in selected):
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        for v in selected:
            default[1].append(self.create_option(name, v, known[v], True, len(default[1])))
        return [default]


class KnownLabelsForm(forms.ModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = self.instance
        for name, form_field in self.fields.items():
            widget = getattr(form_field.widget, "widget", form_field.widget)
            if not isinstance(widget, KnownLabelAutocomplete):
                continue
            model_field = instance._meta.get_field(name)
            if model_field.is_cached(instance):
                related = getattr(instance, name)
                if related is not None:
                    widget.known = {str(related.pk): form_field.label_from_instance(related)}


class OneOrganizationForm(forms.ModelForm):
    """Refuses a reference to another sales organization's row. A planner's choices are their
    organization's already; a superuser's lists hold every organization's."""

    reference_groups: tuple = ()

    def organization_id(self):
        raise NotImplementedError

    def _post_clean(self):
        super()._post_clean()
        errors = references_of_other_organizations(
            instance=self.instance,
            groups=self.reference_groups,
            sales_organization_id=self.organization_id(),
        )
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)


class WorkOrderForm(OneOrganizationForm, KnownLabelsForm):
    reference_groups = WORK_ORDER_GROUPS

    def organization_id(self):
        project = self.instance.project if self.instance.project_id else None
        return project.sales_organization_id if project else None

    def _post_clean(self):
        super()._post_clean()
        replanned = {"suggested_user", "project"} & set(self.changed_data)
        org = self.organization_id()
        if (
            self.instance.suggested_user_id
            and replanned
            and org
            and not self.has_error("project")
            and not self.has_error("suggested_user")
        ):
            problem = plannings.Technicians().problem(
                user_id=self.instance.suggested_user_id, sales_organization_id=org
            )
            if problem is not None:
                self.add_error("suggested_user", problem[1])


class PlanningForm(KnownLabelsForm):
    """The planning service's technician rule, before the admin saves a planning by hand."""

    def _post_clean(self):
        super()._post_clean()
        planning = self.instance
        if not planning.user_id or not {"user", "work_order"} & set(self.changed_data):
            return
        try:
            org = planning.work_order.project.sales_organization_id
        except WorkOrder.DoesNotExist:
            return  # the form's own check names the missing work order
        problem = plannings.Technicians().problem(
            user_id=planning.user_id, sales_organization_id=org
        )
        if problem is not None:
            self.add_error("user", problem[1])


class ProjectForm(OneOrganizationForm):
    reference_groups = KINDS["project"].groups

    def organization_id(self):
        company = self.instance.company if self.instance.company_id else None
        return company.sales_organization_id if company else None


class KnownLabels:
    form = KnownLabelsForm

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name in self.get_autocomplete_fields(request) and "widget" not in kwargs:
            kwargs["widget"] = KnownLabelAutocomplete(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# --- Actions ---------------------------------------------------------------------------------


class SuggestTechnicianForm(forms.Form):
    technician = forms.ModelChoiceField(queryset=User.objects.none())
    date_start = forms.DateTimeField(
        label="Start",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    one_after_another = forms.BooleanField(
        required=False,
        initial=True,
        label="Plan them one after another",
        help_text="Each work order starts when the previous one ends (its estimated time).",
    )

    def __init__(self, *args, technicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = technicians
        self.fields["technician"].label_from_instance = _technician_label


def _technician_label(user):
    name = user.get_full_name() or user.username
    return f"{name} ({user.code})" if user.code else name


def _visible_technicians(request, sales_organization_ids=None):
    qs = restrict_to_tenant(
        User.objects.filter(is_technician=True, is_active=True), user=request.user
    )
    if sales_organization_ids:
        qs = qs.filter(sales_organization_id__in=sales_organization_ids)
    return qs.order_by("first_name", "last_name", "username")


def _ids(work_orders, limit=12):
    shown = ", ".join(f"#{wo.id2}" for wo in work_orders[:limit])
    return shown + (f" and {len(work_orders) - limit} more" if len(work_orders) > limit else "")


def _when(value):
    return formats.date_format(timezone.localtime(value), "D j M Y H:i")


def project_counters_html(project_id):
    counters = selectors.project_counters(project_id=project_id)

    def when(value):
        return _when(value) if value else "–"

    items = [
        ("Open work orders", counters["nb_open_jobs"]),
        ("Planned", counters["nb_jobs_planned"]),
        ("To be planned", counters["nb_jobs_tobeplanned"]),
        ("Waiting for further action", counters["nb_jobs_waitingfurtheraction"]),
        ("Next appointment", when(counters["date_next_job"])),
        ("Last appointment", when(counters["date_last_job"])),
    ]
    return format_html(
        '<dl class="wo-counters">{}</dl>',
        format_html_join("", "<div><dt>{}</dt><dd>{}</dd></div>", items),
    )


# --- Inlines ---------------------------------------------------------------------------------


class JobPlanningInline(KnownLabels, TenantScoped, admin.TabularInline):
    model = JobPlanning
    form = PlanningForm
    tenant_field = None
    extra = 0
    fields = ["user", "date_start", "date_end", "made_by_rule"]
    readonly_fields = ["made_by_rule"]
    autocomplete_fields = ["user"]
    verbose_name_plural = "plannings (appointments)"

    def get_queryset(self, request):
        # The row label (str) names the work order: load it in the same query.
        return super().get_queryset(request).select_related("user", "work_order")


# --- Work orders -----------------------------------------------------------------------------

_FORM_RELATED = [
    "parent",
    "project",
    "company",
    "sales_organization",
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


@admin.register(WorkOrder)
class WorkOrderAdmin(PlannerPaging, KnownLabels, TenantAdmin):
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

    @admin.display(
        description=mark_safe(
            '<input type="checkbox" id="action-toggle" '
            'aria-label="Select all objects on this page for an action">'
        )
    )
    def action_checkbox(self, wo):
        # The same markup as Django's, without rendering a form widget template per row (a
        # third of the list's rendering time).
        return mark_safe(
            f'<input type="checkbox" name="{helpers.ACTION_CHECKBOX_NAME}" value="{wo.pk}" '
            f'class="action-select" aria-label="Select this object for an action - '
            f'{escape(str(wo))}">'
        )

    @admin.display(description="project · company")
    def project_and_company(self, wo):
        return mark_safe(
            f'{escape(wo.project.name)}<br><span class="wo-muted">{escape(wo.company.name)}</span>'
        )

    @admin.display(description="status", ordering="job_status__number")
    def status_badge(self, wo):
        status = wo.job_status
        return mark_safe(
            f'<span class="wo-badge wo-state-{status.life_cycle_state.lower()} '
            f'wo-status-{status.number}">{escape(status.name)}</span>'
        )

    @admin.display(description="priority")
    def priority(self, wo):
        p = wo.job_priority
        if p is None:
            return "–"
        return mark_safe(
            f'<span class="wo-priority wo-priority-{p.sequence}">{escape(p.name)}</span>'
        )

    @admin.display(description="technician · start", ordering="suggested_date_start")
    def technician_and_start(self, wo):
        if wo.suggested_user_id is None:
            return "–"
        user = wo.suggested_user
        name = escape(user.get_full_name() or user.username)
        if wo.suggested_date_start is None:
            return name
        start = formats.date_format(timezone.localtime(wo.suggested_date_start), "D j M H:i")
        return mark_safe(f'{name}<br><span class="wo-muted">{start}</span>')

    @admin.display(description="due", ordering="due_date")
    def due(self, wo):
        if wo.due_date is None:
            return "–"
        text = formats.date_format(timezone.localtime(wo.due_date), "j M Y")
        if wo.due_date < self._now and wo.job_status.life_cycle_state in selectors.OPEN_STATES:
            return mark_safe(
                f'<span class="wo-overdue" title="Overdue">{text}<br>'
                "<strong>overdue</strong></span>"
            )
        return text

    @admin.display(description="modified", ordering="modified_dateutc")
    def modified(self, wo):
        text = formats.date_format(timezone.localtime(wo.modified_dateutc), "j M H:i")
        return mark_safe(f'<span class="wo-muted">{text}</span>')

    def changelist_view(self, request, extra_context=None):
        self._now = timezone.now()
        extra_context = {
            **(extra_context or {}),
            "board_url": reverse("admin:workorders_workorder_board"),
            "import_url": reverse("admin:workorders_workorder_import"),
        }
        return super().changelist_view(request, extra_context)

    # -- form --

    def get_object(self, request, object_id, from_field=None):
        # Every foreign key of the form in the same query: the autocomplete widgets take their
        # labels from it (KnownLabelsForm).
        queryset = self.get_queryset(request).select_related(*_FORM_RELATED)
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
                    (_when(e.action_time), e.user, e.get_change_message() or "Changed")
                    for e in entries
                ),
            ),
            history,
        )

    def save_model(self, request, obj, form, change):
        # The service reads the previous status from the stored row, applies the system fields
        # and the Suggested rule.
        services.save_work_order(work_order=obj, by=request.user)

    # -- actions --

    def _bounded(self, request, queryset):
        rows = list(queryset.select_related("job_status")[: MAX_ACTION_ROWS + 1])
        if len(rows) > MAX_ACTION_ROWS:
            self.message_user(
                request,
                f"Select at most {MAX_ACTION_ROWS} work orders for an action (filter the list "
                "first).",
                messages.ERROR,
            )
            return None
        return rows

    def _report(self, request, verb, done, refused, unchanged=()):
        if done:
            self.message_user(
                request, f"{verb} {len(done)} work order(s): {_ids(done)}.", messages.SUCCESS
            )
        if unchanged:
            self.message_user(
                request,
                f"Left {len(unchanged)} unchanged (already there): {_ids(unchanged)}.",
                messages.INFO,
            )
        for wo, reason in refused[:10]:
            self.message_user(request, f"Refused #{wo.id2}: {reason}", messages.WARNING)
        if len(refused) > 10:
            self.message_user(request, f"… and {len(refused) - 10} more refused.", messages.WARNING)

    def _status_action(self, request, queryset, *, verb, call, skip_state=None):
        rows = self._bounded(request, queryset)
        if rows is None:
            return
        done, refused, unchanged = [], [], []
        for wo in rows:
            if skip_state and wo.job_status.number == skip_state:
                unchanged.append(wo)
                continue
            try:
                changed = call(wo)
            except ServiceError as exc:
                refused.append((wo, exc.message))
                continue
            self.log_change(request, changed, f"{verb} from the work order list.")
            done.append(changed)
        self._report(request, verb, done, refused, unchanged)

    @admin.action(description="Suggest a technician…", permissions=["change"])
    def suggest_technician(self, request, queryset):
        rows = self._bounded(request, queryset)
        if rows is None:
            return None
        orgs = {wo.sales_organization_id for wo in rows}
        technicians = _visible_technicians(request, orgs)
        if "apply" in request.POST:
            form = SuggestTechnicianForm(request.POST, technicians=technicians)
            if form.is_valid():
                self._suggest(request, rows, **form.cleaned_data)
                return None
        else:
            start = timezone.localtime() + timedelta(days=1)
            form = SuggestTechnicianForm(
                technicians=technicians,
                initial={"date_start": start.replace(hour=8, minute=0, second=0, microsecond=0)},
            )
        context = {
            **self.admin_site.each_context(request),
            "title": "Suggest a technician",
            "opts": self.model._meta,
            "form": form,
            "work_orders": rows,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "action": "suggest_technician",
            "media": self.media + form.media,
        }
        return TemplateResponse(
            request, "admin/workorders/workorder/suggest_technician.html", context
        )

    def _suggest(self, request, rows, *, technician, date_start, one_after_another):
        done, refused = [], []
        start = date_start
        for wo in sorted(rows, key=lambda w: w.id2):
            try:
                changed = services.suggest_technician(
                    work_orders=[wo], user=technician, date_start=start, by=request.user
                )
            except ServiceError as exc:
                refused.append((wo, exc.message))
                continue
            for c in changed:
                self.log_change(request, c, f"Suggested {technician} at {_when(start)}.")
                done.append(c)
                if one_after_another:
                    start = services.planning_end(date_start=start, estimated_time=c.estimated_time)
        if done:
            week = selectors.week_start_of(timezone.localtime(date_start).date())
            board = reverse("admin:workorders_workorder_board") + f"?week={week.isoformat()}"
            self.message_user(
                request,
                format_html(
                    'Suggested {} for {} work order(s) from {}: {}. <a href="{}">See them on the '
                    "planning board</a>.",
                    technician,
                    len(done),
                    _when(date_start),
                    _ids(done),
                    board,
                ),
                messages.SUCCESS,
            )
        self._report(request, "Suggested", [], refused)

    @admin.action(description="Activate", permissions=["change"])
    def activate(self, request, queryset):
        self._status_action(
            request,
            queryset,
            verb="Activated",
            call=lambda wo: services.activate(work_order=wo, by=request.user),
            skip_state=StatusNumber.ACTIVATED,
        )

    @admin.action(description="Start (in progress)", permissions=["change"])
    def start_progress(self, request, queryset):
        self._status_action(
            request,
            queryset,
            verb="Started",
            call=lambda wo: services.start_progress(work_order=wo, by=request.user),
        )

    @admin.action(description="Complete", permissions=["change"])
    def complete(self, request, queryset):
        self._status_action(
            request,
            queryset,
            verb="Completed",
            call=lambda wo: services.complete(work_order=wo, by=request.user),
        )

    @admin.action(description="Cancel", permissions=["change"])
    def cancel(self, request, queryset):
        self._status_action(
            request,
            queryset,
            verb="Cancelled",
            call=lambda wo: services.cancel(work_order=wo, by=request.user),
            skip_state=StatusNumber.CANCELED,
        )

    # -- board and import pages --

    def get_urls(self):
        from workorders import board

        view = self.admin_site.admin_view
        return [
            path("board/", view(board.board_view(self)), name="workorders_workorder_board"),
            path(
                "board/plan/", view(board.plan_view(self)), name="workorders_workorder_board_plan"
            ),
            path("import/", view(board.import_view(self)), name="workorders_workorder_import"),
            *super().get_urls(),
        ]


# --- Projects and the rest -------------------------------------------------------------------


@admin.register(EquipmentBrand)
class EquipmentBrandAdmin(TenantAdmin):
    list_display = ["code", "name", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["sales_organization"]


@admin.register(EquipmentFamily)
class EquipmentFamilyAdmin(TenantAdmin):
    list_display = ["code", "name", "parent", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["parent", "sales_organization"]
    autocomplete_fields = ["parent"]


@admin.register(EquipmentModel)
class EquipmentModelAdmin(TenantAdmin):
    list_display = ["code", "name", "equipment_brand", "equipment_family", "sales_organization"]
    search_fields = ["code", "name"]
    list_select_related = ["equipment_brand", "equipment_family", "sales_organization"]
    autocomplete_fields = ["equipment_brand", "equipment_family"]


@admin.register(ProjectStatus)
class ProjectStatusAdmin(TenantAdmin):
    list_display = ["code", "name", "is_default", "is_closed", "sales_organization"]
    search_fields = ["code", "name"]


@admin.register(Project)
class ProjectAdmin(TenantAdmin):
    form = ProjectForm
    list_display = ["id2", "name", "company", "reference_back_office", "serial_number"]
    search_fields = ["name", "reference_back_office", "serial_number", "barcode"]
    list_select_related = ["company"]
    autocomplete_fields = [
        "parent",
        "root_parent",
        "equipment_family",
        "equipment_model",
        "project_status",
        "company",
        "db_address",
        "contact",
        "owner_user",
        "updated_by_user",
    ]
    readonly_fields = ["id2", "sales_organization", "counters"]
    show_full_result_count = False

    class Media:
        css = {"all": ["jobsite/planner.css"]}

    @admin.display(description="counters")
    def counters(self, project):
        if project is None or project.pk is None:
            return "–"
        return project_counters_html(project.pk)

    def save_model(self, request, obj, form, change):
        services.save_project(project=obj, by=request.user)


@admin.register(JobPlanning)
class JobPlanningAdmin(PlannerPaging, KnownLabels, TenantAdmin):
    form = PlanningForm
    tenant_field = "work_order__sales_organization"
    list_display = ["work_order", "user", "date_start", "date_end", "made_by_rule"]
    list_filter = ["made_by_rule"]
    list_select_related = ["work_order", "user"]
    autocomplete_fields = ["work_order", "user"]
    # Plannings by date are what the board shows; this list pages them newest first, by the
    # date_start index, without counting them all.
    ordering = ["-date_start", "-pk"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
