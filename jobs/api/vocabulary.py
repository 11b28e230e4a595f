"""Job types, statuses and priorities over the API.

Global rows (no sales organization) are everyone's to read; only superusers write them. Rows of a
sales organization are read and written by its users. Statuses are all global."""

import django_filters
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from jobs import selectors, services
from jobs.models import JobPriority, JobStatus, JobType, LifeCycleState
from jobsite.api.crud import CrudViewSet, ScopedPrimaryKeyRelatedField, crud_schema, tenant_scope
from jobsite.models import SalesOrganization

GLOBAL_WRITES = "Global vocabulary (no sales organization) is written by superusers only."


class VocabularyViewSet(CrudViewSet):
    def write(self, *, instance, data):
        user = self.request.user
        if not user.is_superuser:
            if instance is None and "sales_organization" not in data:
                data = {**data, "sales_organization": user.sales_organization}
            target = data.get("sales_organization", getattr(instance, "sales_organization", None))
            if target is None or (instance is not None and instance.sales_organization_id is None):
                raise PermissionDenied(GLOBAL_WRITES)
        return services.save_vocabulary(instance=instance or self.queryset.model(), values=data)

    def remove(self, *, instance):
        if not self.request.user.is_superuser and instance.sales_organization_id is None:
            raise PermissionDenied(GLOBAL_WRITES)
        services.delete_vocabulary(instance=instance)


def _sales_organization_field():
    return ScopedPrimaryKeyRelatedField(
        source="sales_organization",
        queryset=SalesOrganization.objects.all(),
        scope=tenant_scope("pk"),
        required=False,
        allow_null=True,
        help_text="Null: a global row (superusers only). Default: your sales organization.",
    )


class VocabularyFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")
    sales_organization = django_filters.UUIDFilter(field_name="sales_organization_id")
    is_global = django_filters.BooleanFilter(
        field_name="sales_organization", lookup_expr="isnull", label="Global rows only (or not)"
    )


# --- job types ----------------------------------------------------------------------------------


class JobTypeFilter(VocabularyFilter):
    class Meta:
        model = JobType
        fields = ["code", "name", "is_default", "fulfillment_scope", "sales_organization"]


class JobTypeOutput(serializers.ModelSerializer):
    sales_organization_id = serializers.UUIDField(allow_null=True)
    sales_organization_code = serializers.CharField(
        source="sales_organization.code", allow_null=True
    )
    default_start_status_id = serializers.UUIDField(allow_null=True)
    default_start_status_code = serializers.CharField(
        source="default_start_status.code", allow_null=True
    )
    default_complete_status_id = serializers.UUIDField(allow_null=True)
    default_complete_status_code = serializers.CharField(
        source="default_complete_status.code", allow_null=True
    )

    class Meta:
        model = JobType
        fields = [
            "id",
            "code",
            "name",
            "description",
            "is_default",
            "sales_organization_id",
            "sales_organization_code",
            "fulfillment_scope",
            "default_start_status_id",
            "default_start_status_code",
            "default_complete_status_id",
            "default_complete_status_code",
            "modified_dateutc",
        ]
        read_only_fields = fields


class JobTypeInput(serializers.ModelSerializer):
    sales_organization_id = _sales_organization_field()
    default_start_status_id = serializers.PrimaryKeyRelatedField(
        source="default_start_status",
        queryset=JobStatus.objects.filter(life_cycle_state=LifeCycleState.IN_PROGRESS),
        required=False,
        allow_null=True,
        help_text="An IN_PROGRESS status: what start_progress moves to by default.",
    )
    default_complete_status_id = serializers.PrimaryKeyRelatedField(
        source="default_complete_status",
        queryset=JobStatus.objects.filter(life_cycle_state=LifeCycleState.COMPLETED),
        required=False,
        allow_null=True,
        help_text="A COMPLETED status: what complete moves to by default.",
    )

    class Meta:
        model = JobType
        fields = [
            "code",
            "name",
            "description",
            "is_default",
            "sales_organization_id",
            "fulfillment_scope",
            "default_start_status_id",
            "default_complete_status_id",
        ]


@crud_schema(input_serializer=JobTypeInput, output_serializer=JobTypeOutput, tag="Job vocabulary")
class JobTypeViewSet(VocabularyViewSet):
    queryset = JobType.objects.none()
    serializer_class = JobTypeOutput
    input_serializer_class = JobTypeInput
    filterset_class = JobTypeFilter
    ordering_fields = ["code", "name", "modified_dateutc"]
    ordering = ["code"]
    search_fields = ["code", "name", "description"]

    def scoped_queryset(self, *, user):
        return selectors.job_types(user=user)


# --- job statuses (global) ----------------------------------------------------------------------


class JobStatusFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact")
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = JobStatus
        fields = ["code", "name", "number", "life_cycle_state", "is_default"]


class JobStatusOutput(serializers.ModelSerializer):
    class Meta:
        model = JobStatus
        fields = [
            "id",
            "code",
            "name",
            "number",
            "life_cycle_state",
            "is_default",
            "modified_dateutc",
        ]
        read_only_fields = fields


class JobStatusInput(serializers.ModelSerializer):
    class Meta:
        model = JobStatus
        fields = ["code", "name", "number", "life_cycle_state", "is_default"]


@crud_schema(
    input_serializer=JobStatusInput, output_serializer=JobStatusOutput, tag="Job vocabulary"
)
class JobStatusViewSet(VocabularyViewSet):
    """Statuses are global: everyone reads them, superusers write them."""

    queryset = JobStatus.objects.none()
    serializer_class = JobStatusOutput
    input_serializer_class = JobStatusInput
    filterset_class = JobStatusFilter
    ordering_fields = ["number", "code", "name"]
    ordering = ["number"]
    search_fields = ["code", "name"]

    def scoped_queryset(self, *, user):
        return JobStatus.objects.all()

    def write(self, *, instance, data):
        if not self.request.user.is_superuser:
            raise PermissionDenied(GLOBAL_WRITES)
        return services.save_vocabulary(instance=instance or JobStatus(), values=data)

    def remove(self, *, instance):
        if not self.request.user.is_superuser:
            raise PermissionDenied(GLOBAL_WRITES)
        services.delete_vocabulary(instance=instance)


# --- job priorities -------------------------------------------------------------------------------


class JobPriorityFilter(VocabularyFilter):
    class Meta:
        model = JobPriority
        fields = ["code", "name", "is_default", "sequence", "sales_organization"]


class JobPriorityOutput(serializers.ModelSerializer):
    sales_organization_id = serializers.UUIDField(allow_null=True)
    sales_organization_code = serializers.CharField(
        source="sales_organization.code", allow_null=True
    )

    class Meta:
        model = JobPriority
        fields = [
            "id",
            "code",
            "name",
            "is_default",
            "sequence",
            "sales_organization_id",
            "sales_organization_code",
            "modified_dateutc",
        ]
        read_only_fields = fields


class JobPriorityInput(serializers.ModelSerializer):
    sales_organization_id = _sales_organization_field()

    class Meta:
        model = JobPriority
        fields = ["code", "name", "is_default", "sequence", "sales_organization_id"]


@crud_schema(
    input_serializer=JobPriorityInput, output_serializer=JobPriorityOutput, tag="Job vocabulary"
)
class JobPriorityViewSet(VocabularyViewSet):
    queryset = JobPriority.objects.none()
    serializer_class = JobPriorityOutput
    input_serializer_class = JobPriorityInput
    filterset_class = JobPriorityFilter
    ordering_fields = ["sequence", "code", "name"]
    ordering = ["sequence"]
    search_fields = ["code", "name"]

    def scoped_queryset(self, *, user):
        return selectors.job_priorities(user=user)
