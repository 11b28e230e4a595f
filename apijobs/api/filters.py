import django_filters

from apijobs.models import ApiJob, ApiJobStatus


class ApiJobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApiJobStatus.choices)
    type = django_filters.CharFilter()
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ApiJob
        fields = ["status", "type"]
