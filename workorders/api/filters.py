"""List filters: one FilterSet per resource. Dates parse like the bodies do (seven fractional
digits and offsets); codes match case-insensitively."""

import django_filters
from rest_framework.filters import OrderingFilter

from jobsite.api.filters import FilterBackend as StrictFilterBackend
from jobsite.api.filters import IsoDateTimeFilter, SearchFilter
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.scheduling.checks import WARNING_CODES


def _code(field_name):
    return django_filters.CharFilter(field_name=field_name, lookup_expr="iexact")


class WorkOrderFilter(django_filters.FilterSet):
    job_status_id = django_filters.UUIDFilter()
    job_status_code = _code("job_status__code")
    job_type_id = django_filters.UUIDFilter()
    job_type_code = _code("job_type__code")
    project_id = django_filters.UUIDFilter()
    project_reference_back_office = django_filters.CharFilter(
        field_name="project__reference_back_office"
    )
    suggested_user_id = django_filters.UUIDFilter()
    suggested_user_code = _code("suggested_user__code")
    skill_id = django_filters.UUIDFilter()
    skill_code = _code("skill__code")
    reference_back_office = django_filters.CharFilter()
    id2 = django_filters.NumberFilter()
    due_date_from = IsoDateTimeFilter(field_name="due_date", lookup_expr="gte")
    due_date_to = IsoDateTimeFilter(field_name="due_date", lookup_expr="lte")
    modified_since = IsoDateTimeFilter(field_name="modified_dateutc", lookup_expr="gte")

    class Meta:
        model = WorkOrder
        fields = []


class ProjectFilter(django_filters.FilterSet):
    company_id = django_filters.UUIDFilter()
    company_code = _code("company__code")
    project_status_code = _code("project_status__code")
    equipment_model_code = _code("equipment_model__code")
    reference_back_office = django_filters.CharFilter()
    is_mobile_installation = django_filters.BooleanFilter()
    modified_since = IsoDateTimeFilter(field_name="modified_dateutc", lookup_expr="gte")

    class Meta:
        model = Project
        fields = []


class PlanningFilter(django_filters.FilterSet):
    work_order_id = django_filters.UUIDFilter()
    user_id = django_filters.UUIDFilter()
    user_code = _code("user__code")
    made_by_rule = django_filters.BooleanFilter()
    date_from = IsoDateTimeFilter(field_name="date_end", lookup_expr="gte")
    date_to = IsoDateTimeFilter(field_name="date_start", lookup_expr="lte")
    has_warnings = django_filters.BooleanFilter(
        method="filter_has_warnings", help_text="Plannings the planning check warned about."
    )
    warning = django_filters.ChoiceFilter(
        choices=[(code, code) for code in WARNING_CODES],
        method="filter_warning",
        help_text="Plannings with this warning, e.g. overlap.",
    )

    class Meta:
        model = JobPlanning
        fields = []

    def filter_has_warnings(self, queryset, name, value):
        return queryset.exclude(warning_codes="") if value else queryset.filter(warning_codes="")

    def filter_warning(self, queryset, name, value):
        return queryset.filter(warning_codes__contains=f",{value},")


class FilterBackend(StrictFilterBackend):
    """django-filter, skipped when the request names none of the filters (building the
    filter form costs as much as reading a page)."""

    def filter_queryset(self, request, queryset, view):
        names = view.filterset_class.base_filters
        if not any(name in request.query_params for name in names):
            return queryset
        return super().filter_queryset(request, queryset, view)


FILTER_BACKENDS = [FilterBackend, OrderingFilter, SearchFilter]
