"""`PUT /api/v1/Fulfillment/Job` (seed 000): camelCase in and out, upserted by jobIdentifier."""

import time

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import selectors, services
from jobs.api.fields import NumberOrTextField, SeedDateTimeField
from jobs.models import Job
from jobsite.api.fields import UUIDField
from jobsite.errors import ServiceError
from jobsite.models import Company, User
from jobsite.tenancy import restrict_to_tenant

SEED_SAMPLE = {
    "id": 1,
    "jobTypeId": "Unknown",
    "jobIdentifier": "f904492a-69ef-4da9-979c-6b98245acf67",
    "clientId": 1,
    "startDate": "2025-08-14T01:25:46.9871243+00:00",
    "endDate": "2025-08-14T01:25:46.9871243+00:00",
    "percentComplete": 5,
    "requestingUserId": 1,
    "totalRecords": 6,
    "successfulRecords": 7,
    "errorRecords": 8,
    "jobStatusId": 0,
    "notes": "sample string 9",
    "jobDetails": [
        {
            "id": 1,
            "jobId": 2,
            "objectName": "sample string 3",
            "objectId": 4,
            "modifiedDateTime": "2025-08-14T01:25:46.9871243+00:00",
            "executionTime": 7,
            "txID": "sample string 8",
        }
    ],
    "modifiedDateTime": "2025-08-14T01:25:46.9871243+00:00",
    "executionTime": 12,
    "txID": "sample string 13",
}

OPERATION = "Fulfillment/Job"

# camelCase input name -> model field, for the plain values.
_PLAIN = {
    "startDate": "start_date",
    "endDate": "end_date",
    "percentComplete": "percent_complete",
    "totalRecords": "total_records",
    "successfulRecords": "successful_records",
    "errorRecords": "error_records",
    "notes": "notes",
}

_DETAIL = {
    "id": "id",
    "objectName": "object_name",
    "objectId": "object_id",
    "modifiedDateTime": "modified_datetime",
    "executionTime": "execution_time",
    "txID": "tx_id",
}

_BIGINT = 2**63 - 1
_INT = 2**31 - 1


class FulfillmentJobPutDetailInput(serializers.Serializer):
    id = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=_INT)
    jobId = serializers.IntegerField(
        required=False, allow_null=True, help_text="Ignored: a detail belongs to the job PUT."
    )
    objectName = serializers.CharField(
        max_length=100, required=False, allow_blank=True, allow_null=True
    )
    objectId = serializers.IntegerField(
        required=False, allow_null=True, min_value=-_BIGINT, max_value=_BIGINT
    )
    modifiedDateTime = SeedDateTimeField(required=False, allow_null=True)
    executionTime = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=_INT
    )
    txID = serializers.CharField(max_length=100, required=False, allow_blank=True, allow_null=True)


class FulfillmentJobPutInput(serializers.Serializer):
    """Seed 000's body. Keys left out keep their stored value; `modifiedDateTime`,
    `executionTime` and `txID` are the system's and ignored on input."""

    id = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=_INT)
    jobTypeId = NumberOrTextField(
        required=False,
        allow_null=True,
        help_text="A job type code (e.g. Unknown), id (UUID) or TJobType number (0 = Unknown).",
    )
    jobIdentifier = UUIDField(required=False, allow_null=True)
    clientId = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=_BIGINT,
        help_text="The client company's id2.",
    )
    startDate = SeedDateTimeField(required=False, allow_null=True)
    endDate = SeedDateTimeField(required=False, allow_null=True)
    percentComplete = serializers.IntegerField(required=False, min_value=0, max_value=100)
    requestingUserId = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=_BIGINT,
        help_text="The requesting user's id2.",
    )
    totalRecords = serializers.IntegerField(required=False, min_value=0, max_value=_INT)
    successfulRecords = serializers.IntegerField(required=False, min_value=0, max_value=_INT)
    errorRecords = serializers.IntegerField(required=False, min_value=0, max_value=_INT)
    jobStatusId = NumberOrTextField(
        required=False, allow_null=True, help_text="A status number (0 = ToBePlanned) or code."
    )
    notes = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    jobDetails = FulfillmentJobPutDetailInput(many=True, required=False, allow_null=True)
    modifiedDateTime = SeedDateTimeField(required=False, allow_null=True, help_text="Ignored.")
    executionTime = serializers.IntegerField(required=False, allow_null=True, help_text="Ignored.")
    txID = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Ignored."
    )

    def model_values(self, *, user: User) -> dict:
        """The validated body as model values, references resolved within the user's tenant."""
        data = self.validated_data
        values = {model: data[name] for name, model in _PLAIN.items() if name in data}
        if values.get("notes", "") is None:
            values["notes"] = ""
        if data.get("jobTypeId") is not None:
            values["job_type"] = selectors.job_type_by_reference(
                data["jobTypeId"], user=user, field="jobTypeId"
            )
        if data.get("jobStatusId") is not None:
            values["job_status"] = selectors.job_status_by_reference(
                data["jobStatusId"], field="jobStatusId"
            )
        # 0 is what .NET clients send for "no value"; no id2 is ever 0.
        if "clientId" in data:
            values["client"] = _by_id2(
                restrict_to_tenant(Company.objects.all(), user=user), data["clientId"], "clientId"
            )
        if "requestingUserId" in data:
            values["requesting_user"] = _by_id2(
                restrict_to_tenant(User.objects.all(), user=user),
                data["requestingUserId"],
                "requestingUserId",
            )
        return values

    def details(self) -> list[dict]:
        return [
            {model: d[name] for name, model in _DETAIL.items() if name in d}
            for d in self.validated_data.get("jobDetails") or []
        ]


def _by_id2(queryset, id2: int | None, field: str):
    if not id2:
        return None
    found = queryset.filter(id2=id2).first()
    if found is None:
        raise ServiceError(f"No record with id2 {id2}.", field=field)
    return found


class FulfillmentJobPutDetailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    jobId = serializers.IntegerField(source="job_id")
    objectName = serializers.CharField(source="object_name")
    objectId = serializers.IntegerField(source="object_id", allow_null=True)
    modifiedDateTime = SeedDateTimeField(source="modified_datetime")
    executionTime = serializers.IntegerField(source="execution_time")
    txID = serializers.CharField(source="tx_id")


class FulfillmentJobPutOutput(serializers.Serializer):
    id = serializers.IntegerField()
    jobTypeId = serializers.CharField(source="job_type.code", help_text="The job type's code.")
    jobIdentifier = serializers.UUIDField(source="job_identifier")
    clientId = serializers.IntegerField(
        source="client.id2", allow_null=True, help_text="The client company's id2."
    )
    startDate = SeedDateTimeField(source="start_date", allow_null=True)
    endDate = SeedDateTimeField(source="end_date", allow_null=True)
    percentComplete = serializers.IntegerField(source="percent_complete")
    requestingUserId = serializers.IntegerField(
        source="requesting_user.id2", allow_null=True, help_text="The requesting user's id2."
    )
    totalRecords = serializers.IntegerField(source="total_records")
    successfulRecords = serializers.IntegerField(source="successful_records")
    errorRecords = serializers.IntegerField(source="error_records")
    jobStatusId = serializers.IntegerField(source="job_status.number", help_text="Status number.")
    notes = serializers.CharField()
    jobDetails = FulfillmentJobPutDetailOutput(source="details.all", many=True)
    modifiedDateTime = SeedDateTimeField(source="updated_at")
    executionTime = serializers.SerializerMethodField(help_text="Milliseconds the call took.")
    txID = serializers.SerializerMethodField(help_text="The call's X-Tx-ID.")

    def get_executionTime(self, job) -> int:
        return services.elapsed_ms(self.context["started"])

    def get_txID(self, job) -> str:
        return self.context["tx_id"]


class FulfillmentJobPutView(APIView):
    """Create or update a fulfillment job (seed 000). The job is matched by `jobIdentifier`
    (created with it when unknown); without one, by `id` (404 when unknown); with neither, it is
    created. Its number (J-000042) and id are the server's."""

    @extend_schema(
        operation_id="fulfillment_job_put",
        tags=["Fulfillment jobs"],
        request=FulfillmentJobPutInput,
        responses={
            200: FulfillmentJobPutOutput,
            404: OpenApiResponse(
                description="`jobIdentifier` or `id` names another sales "
                "organization's job, or `id` (without `jobIdentifier`) no job at all."
            ),
        },
        examples=[OpenApiExample("Seed 000 sample", value=SEED_SAMPLE, request_only=True)],
    )
    def put(self, request):
        started = time.perf_counter()
        body = FulfillmentJobPutInput(data=request.data)
        body.is_valid(raise_exception=True)
        job = self._matching_job(body.validated_data)
        values = body.model_values(user=request.user)
        if job is None and body.validated_data.get("jobIdentifier"):
            values["job_identifier"] = body.validated_data["jobIdentifier"]
        job = services.save_fulfillment_job(
            job=job,
            values=values,
            details=body.details(),
            by=request.user,
            operation=OPERATION,
            tx_id=request.tx_id,
            started=started,
        )
        job = (
            selectors.fulfillment_jobs(user=request.user)
            .select_related("requesting_user")
            .prefetch_related("details")
            .get(pk=job.pk)
        )
        output = FulfillmentJobPutOutput(job, context={"started": started, "tx_id": request.tx_id})
        return Response(output.data)

    def _matching_job(self, data) -> Job | None:
        visible = selectors.fulfillment_jobs(user=self.request.user)
        if data.get("jobIdentifier"):
            match = Job.objects.filter(job_identifier=data["jobIdentifier"]).only("pk").first()
            if match is not None and not visible.filter(pk=match.pk).exists():
                raise NotFound({"jobIdentifier": ["No such job."]})
            return match
        if data.get("id"):
            match = visible.filter(pk=data["id"]).first()
            if match is None:
                raise NotFound({"id": [f"No job with id {data['id']}."]})
            return match
        return None
