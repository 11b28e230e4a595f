"""`/api/v1/fulfillment-jobs`: the fulfillment jobs as a plain resource (snake_case), beside the
seed-000 `Fulfillment/Job` PUT. Writes go through the same service and leave a JobDetail."""

import time

import django_filters
from rest_framework import serializers

from jobs import selectors, services
from jobs.models import Job, JobStatus, LifeCycleState, RatingState
from jobsite.api.crud import CrudViewSet, ScopedPrimaryKeyRelatedField, crud_schema, tenant_scope
from jobsite.api.fields import UUIDField
from jobsite.api.filters import IsoDateTimeFilter
from jobsite.errors import ServiceError
from jobsite.models import Company, User

OPERATION = "fulfillment-jobs"


class FulfillmentJobFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(lookup_expr="iexact")
    job_type = django_filters.CharFilter(field_name="job_type__code", lookup_expr="iexact")
    job_status = django_filters.CharFilter(field_name="job_status__code", lookup_expr="iexact")
    job_status_number = django_filters.NumberFilter(field_name="job_status__number")
    life_cycle_state = django_filters.ChoiceFilter(
        field_name="job_status__life_cycle_state", choices=LifeCycleState.choices
    )
    client = django_filters.UUIDFilter(field_name="client_id")
    client_id2 = django_filters.NumberFilter(field_name="client__id2")
    assigned_to = django_filters.UUIDFilter(field_name="assigned_to_id")
    requesting_user = django_filters.UUIDFilter(field_name="requesting_user_id")
    sales_organization = django_filters.UUIDFilter(field_name="sales_organization_id")
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")

    class Meta:
        model = Job
        fields = ["number", "job_identifier", "rating_state"]


class FulfillmentJobOutput(serializers.ModelSerializer):
    job_type_id = serializers.UUIDField()
    job_type_code = serializers.CharField(source="job_type.code")
    job_status_id = serializers.UUIDField()
    job_status_code = serializers.CharField(source="job_status.code")
    job_status_number = serializers.IntegerField(source="job_status.number")
    life_cycle_state = serializers.CharField(source="job_status.life_cycle_state")
    sales_organization_id = serializers.UUIDField(allow_null=True)
    client_id = serializers.UUIDField(allow_null=True)
    client_id2 = serializers.IntegerField(source="client.id2", allow_null=True)
    requesting_user_id = serializers.UUIDField(allow_null=True)
    assigned_to_id = serializers.UUIDField(allow_null=True)
    performed_by_id = serializers.UUIDField(allow_null=True)
    created_by_id = serializers.UUIDField(allow_null=True)
    updated_by_id = serializers.UUIDField(allow_null=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "job_identifier",
            "number",
            "description",
            "job_type_id",
            "job_type_code",
            "job_status_id",
            "job_status_code",
            "job_status_number",
            "life_cycle_state",
            "sales_organization_id",
            "client_id",
            "client_id2",
            "requesting_user_id",
            "assigned_to_id",
            "start_date",
            "end_date",
            "percent_complete",
            "total_records",
            "successful_records",
            "error_records",
            "notes",
            "rating_state",
            "expiration_date",
            "scheduled_date",
            "performed_by_id",
            "performed_on",
            "created_by_id",
            "created_at",
            "updated_by_id",
            "updated_at",
        ]
        read_only_fields = fields


def _user_field(source: str):
    return ScopedPrimaryKeyRelatedField(
        source=source,
        queryset=User.objects.all(),
        scope=tenant_scope("sales_organization"),
        required=False,
        allow_null=True,
    )


class FulfillmentJobInput(serializers.Serializer):
    """A job type and a status by id or by code (code: case-insensitive); the job type defaults
    to the default type, the status to ToBePlanned. Status changes here are plain writes, as in
    seed 000; the guarded moves are jobs/all_scopes/start_progress and complete."""

    job_identifier = UUIDField(required=False, help_text="Create only; else new.")
    description = serializers.CharField(required=False, allow_blank=True)
    job_type_id = UUIDField(required=False)
    job_type_code = serializers.CharField(required=False, max_length=50)
    job_status_id = UUIDField(required=False)
    job_status_code = serializers.CharField(required=False, max_length=50)
    client_id = ScopedPrimaryKeyRelatedField(
        source="client",
        queryset=Company.objects.all(),
        scope=tenant_scope("sales_organization"),
        required=False,
        allow_null=True,
    )
    requesting_user_id = _user_field("requesting_user")
    assigned_to_id = _user_field("assigned_to")
    start_date = serializers.DateTimeField(required=False, allow_null=True)
    end_date = serializers.DateTimeField(required=False, allow_null=True)
    percent_complete = serializers.IntegerField(required=False, min_value=0, max_value=100)
    total_records = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    successful_records = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    error_records = serializers.IntegerField(required=False, min_value=0, max_value=2**31 - 1)
    notes = serializers.CharField(required=False, allow_blank=True)
    rating_state = serializers.ChoiceField(choices=RatingState.choices, required=False)
    expiration_date = serializers.DateTimeField(required=False, allow_null=True)
    scheduled_date = serializers.DateTimeField(required=False, allow_null=True)

    def validate_job_identifier(self, value):
        if self.instance is not None and value != self.instance.job_identifier:
            raise serializers.ValidationError("The job identifier cannot change.")
        if self.instance is None and Job.objects.filter(job_identifier=value).exists():
            raise serializers.ValidationError("A job with this identifier exists.")
        return value

    def validate(self, attrs) -> dict:
        """The body as model values, the job type and status resolved."""
        user = self.context["request"].user
        data = attrs
        values = {k: v for k, v in data.items() if k in services.FULFILLMENT_JOB_FIELDS}
        for kind in ("job_type", "job_status"):
            by_id, by_code = data.get(f"{kind}_id"), data.get(f"{kind}_code")
            if by_id is None and by_code is None:
                continue
            resolve = (
                (lambda ref, field: selectors.job_type_by_reference(ref, user=user, field=field))
                if kind == "job_type"
                else (lambda ref, field: _status(ref, field))
            )
            found = resolve(by_id, f"{kind}_id") if by_id is not None else None
            if by_code is not None:
                by_code_found = resolve(by_code, f"{kind}_code")
                if found is not None and found.pk != by_code_found.pk:
                    raise ServiceError(
                        f"{kind}_id and {kind}_code name different rows.", field=f"{kind}_code"
                    )
                found = by_code_found
            values[kind] = found
        return values


def _status(reference, field: str) -> JobStatus:
    by = ("id",) if field.endswith("_id") else ("code",)
    return selectors.job_status_by_reference(reference, field=field, by=by)


@crud_schema(
    input_serializer=FulfillmentJobInput,
    output_serializer=FulfillmentJobOutput,
    tag="Fulfillment jobs",
)
class FulfillmentJobViewSet(CrudViewSet):
    queryset = Job.objects.none()
    serializer_class = FulfillmentJobOutput
    input_serializer_class = FulfillmentJobInput
    filterset_class = FulfillmentJobFilter
    ordering_fields = ["id", "number", "created_at", "updated_at", "start_date", "scheduled_date"]
    ordering = ["-id"]
    search_fields = ["number", "description", "notes"]

    def scoped_queryset(self, *, user):
        return selectors.fulfillment_jobs(user=user)

    def write(self, *, instance, data):
        return services.save_fulfillment_job(
            job=instance,
            values=data,
            by=self.request.user,
            operation=OPERATION,
            tx_id=self.request.tx_id,
            started=self.started,
        )

    def initial(self, request, *args, **kwargs):
        self.started = time.perf_counter()
        super().initial(request, *args, **kwargs)
