import django_filters

from apijobs.models import ApiJob, ApiJobStatus
from jobsite.api.filters import IsoDateTimeFilter


class ApiJobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApiJobStatus.choices)
    type = django_filters.CharFilter()
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = ApiJob
        fields = ["status", "type"]
