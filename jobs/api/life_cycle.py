"""`POST /api/v1/jobs/all_scopes/start_progress` and `.../complete` (seeds 002 and 001).

That API family answers in an envelope: `{"status": {"code", "message", "description"},
"data": {...}}`; errors carry the same `status` (and `data: null`) with a proper HTTP status."""

import time
from collections.abc import Mapping

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from jobs import selectors, services
from jobs.api.fields import FieldsSetField, SeedDateTimeField
from jobs.models import Job, LifeCycleState
from jobsite.api.authentication import BearerTokenAuthentication
from jobsite.api.exceptions import exception_handler
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.selectors import user_by_identifier

# --- the envelope ------------------------------------------------------------------------------

_STATUS_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "THROTTLED",
    503: "UNAVAILABLE",
}


def _messages(detail, path: str = "") -> list[str]:
    """Flatten DRF error details into `field.sub: message` lines."""
    if isinstance(detail, Mapping):
        lines = []
        for key, value in detail.items():
            key = "" if key in ("non_field_errors", "detail") else str(key)
            lines += _messages(value, f"{path}.{key}".strip(".") if key else path)
        return lines
    if isinstance(detail, list):
        return [line for item in detail for line in _messages(item, path)]
    return [f"{path}: {detail}" if path else str(detail)]


def envelope_exception_handler(exc, context):
    code = None
    if isinstance(exc, ServiceError) and exc.code == "invalid_state":
        code = "INVALID_STATE"
    response = exception_handler(exc, context)
    if response is None:
        return None
    lines = _messages(response.data)
    response.data = {
        "status": {
            "code": code or _STATUS_CODES.get(response.status_code, "ERROR"),
            "message": lines[0] if lines else "",
            "description": " ".join(lines[1:]),
        },
        "data": None,
    }
    return response


class EnvelopeStatus(serializers.Serializer):
    code = serializers.CharField(help_text="OK, or e.g. INVALID_STATE, VALIDATION_ERROR.")
    message = serializers.CharField(help_text="Empty when OK; else names the field or state.")
    description = serializers.CharField(help_text="Further error lines, if any.")


class EnvelopeError(serializers.Serializer):
    status = EnvelopeStatus()
    data = serializers.JSONField(allow_null=True, default=None)


# --- request bodies ----------------------------------------------------------------------------


class ExactlyOneOf(serializers.Serializer):
    """An identifier object: exactly one of its fields."""

    openapi_schema_extra = {"minProperties": 1, "maxProperties": 1}

    def validate(self, attrs):
        given = [name for name in self.fields if attrs.get(name) not in (None, "")]
        if len(given) != 1:
            raise serializers.ValidationError(
                f"Give exactly one of {', '.join(self.fields)}"
                + (f" (got {', '.join(given)})." if given else ".")
            )
        return {given[0]: attrs[given[0]]}


class JobIdentifier(ExactlyOneOf):
    id = serializers.CharField(
        required=False, help_text="The job's id (integer) or its jobIdentifier (UUID)."
    )
    number = serializers.CharField(required=False, help_text="e.g. J-000042")


class StatusIdentifier(ExactlyOneOf):
    id = serializers.CharField(required=False, help_text="The status's id (UUID) or number.")
    code = serializers.CharField(required=False, help_text="e.g. InProgress")
    name = serializers.CharField(required=False, help_text="e.g. In progress")


class UserIdentifier(ExactlyOneOf):
    id = serializers.CharField(required=False, help_text="The user's id (UUID) or id2.")
    username = serializers.CharField(required=False)
    code = serializers.CharField(required=False)


def _user_ref(user: User | None) -> dict | None:
    if user is None:
        return None
    return {
        "id": str(user.pk),
        "id2": user.id2,
        "username": user.username,
        "code": user.code,
        "person_name": user.get_full_name() or user.username,
    }


class UserRef(serializers.Serializer):
    id = serializers.UUIDField()
    id2 = serializers.IntegerField()
    username = serializers.CharField()
    code = serializers.CharField()
    person_name = serializers.CharField()


class AssignInformation(serializers.Serializer):
    user = UserRef(allow_null=True, help_text="The user the job is assigned to, if any.")


class JobTypeRef(serializers.Serializer):
    id = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    fulfillment_scope = serializers.CharField()


class JobStatusRef(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    life_cycle_state = serializers.CharField()


class LogInformation(serializers.Serializer):
    created_date = SeedDateTimeField()
    created_by_user = UserRef(allow_null=True)
    updated_date = SeedDateTimeField()
    updated_by_user = UserRef(allow_null=True)


_LIFE_CYCLE_LABELS = [services.life_cycle_label(s) for s in LifeCycleState.values]


class LifeCycleJob(serializers.Serializer):
    """The response data of seeds 001/002."""

    id = serializers.CharField(source="pk", help_text="The job's id.")
    number = serializers.CharField()
    description = serializers.CharField()
    life_cycle_state = serializers.SerializerMethodField()
    rating_state = serializers.CharField()
    expiration_date = SeedDateTimeField(allow_null=True)
    scheduled_date = SeedDateTimeField(allow_null=True)
    assigned_to = serializers.SerializerMethodField()
    type = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    log_information = serializers.SerializerMethodField()

    @extend_schema_field({"type": "string", "enum": _LIFE_CYCLE_LABELS})
    def get_life_cycle_state(self, job) -> str:
        return services.life_cycle_label(job.job_status.life_cycle_state)

    @extend_schema_field(AssignInformation)
    def get_assigned_to(self, job):
        return {"user": _user_ref(job.assigned_to)}

    @extend_schema_field(JobTypeRef)
    def get_type(self, job):
        t = job.job_type
        return {
            "id": str(t.pk),
            "code": t.code,
            "name": t.name,
            "fulfillment_scope": t.fulfillment_scope,
        }

    @extend_schema_field(JobStatusRef)
    def get_status(self, job):
        s = job.job_status
        return {
            "id": str(s.pk),
            "number": s.number,
            "code": s.code,
            "name": s.name,
            "life_cycle_state": services.life_cycle_label(s.life_cycle_state),
        }

    @extend_schema_field(LogInformation)
    def get_log_information(self, job):
        dates = SeedDateTimeField()
        return {
            "created_date": dates.to_representation(job.created_at),
            "created_by_user": _user_ref(job.created_by),
            "updated_date": dates.to_representation(job.updated_at),
            "updated_by_user": _user_ref(job.updated_by),
        }


RESPONSE_FIELDS = tuple(LifeCycleJob().fields)


class StartProgressInput(serializers.Serializer):
    token = serializers.CharField(
        required=False, help_text="From POST /api/v1/auth/login; else the Authorization header."
    )
    job_identifier = JobIdentifier()
    status_identifier = StatusIdentifier(required=False, allow_null=True)
    fields_set = FieldsSetField(
        allowed=RESPONSE_FIELDS,
        required=False,
        allow_null=True,
        help_text=f"Comma separated, of: {', '.join(RESPONSE_FIELDS)}. Default: all.",
    )


class CompleteInput(StartProgressInput):
    performed_by_user_identifier = UserIdentifier(required=False, allow_null=True)
    performed_on = SeedDateTimeField(required=False, allow_null=True)
    scheduled_date = SeedDateTimeField(required=False, allow_null=True)


class LifeCycleResponse(serializers.Serializer):
    status = EnvelopeStatus()
    data = LifeCycleJob()


# --- views -------------------------------------------------------------------------------------


class _LifeCycleView(APIView):
    authentication_classes = [BearerTokenAuthentication, SessionAuthentication]
    # Every error of this family is the envelope (jobsite.api.schema documents each status).
    openapi_error_serializer = EnvelopeError
    input_class: type[StartProgressInput] = StartProgressInput

    def get_exception_handler(self):
        return envelope_exception_handler

    def perform_authentication(self, request):
        """`token` in the body, as the seeds document, else the Authorization header."""
        data = request.data
        token = data.get("token") if isinstance(data, Mapping) else None
        if token in (None, ""):
            request.user  # noqa: B018 - authenticates from the header or the session
            return
        if not isinstance(token, str):
            raise AuthenticationFailed("token must be a string.")
        request.user, request.auth = BearerTokenAuthentication().authenticate_raw(token)

    def post(self, request):
        started = time.perf_counter()
        body = self.input_class(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        job = self._job(data["job_identifier"])
        status = None
        if data.get("status_identifier"):
            (how, value), *_ = data["status_identifier"].items()
            by = {"id": ("id", "number"), "code": ("code",), "name": ("name",)}[how]
            status = selectors.job_status_by_reference(
                value, field=f"status_identifier.{how}", by=by
            )
        self.move(job=job, status=status, data=data, started=started)
        job = (
            selectors.fulfillment_jobs(user=request.user)
            .select_related("assigned_to", "created_by", "updated_by")
            .get(pk=job.pk)
        )
        payload = LifeCycleJob(job).data
        if data.get("fields_set"):
            payload = {name: payload[name] for name in data["fields_set"]}
        return Response(
            {"status": {"code": "OK", "message": "", "description": ""}, "data": payload}
        )

    def move(self, *, job, status, data, started):
        raise NotImplementedError

    def _job(self, identifier: dict) -> Job:
        (how, value), *_ = identifier.items()
        found = selectors.fulfillment_job_by_identifier(
            user=self.request.user, how=how, value=value, field=f"job_identifier.{how}"
        )
        if found is None:
            raise NotFound({f"job_identifier.{how}": [f"No job with {how} {value.strip()}."]})
        return found


# The other statuses follow from what the operation is (jobsite.api.schema); this one from the
# body: `job_identifier` names a job.
_ERRORS = {
    404: OpenApiResponse(
        EnvelopeError, description="No job with that identifier in your sales organization."
    )
}


class StartProgressView(_LifeCycleView):
    """Set a PENDING job in progress (seed 002)."""

    input_class = StartProgressInput

    @extend_schema(
        operation_id="jobs_all_scopes_start_progress",
        tags=["Fulfillment jobs"],
        request=StartProgressInput,
        responses={200: LifeCycleResponse, **_ERRORS},
        examples=[
            OpenApiExample(
                "By number",
                value={"job_identifier": {"number": "J-000042"}, "fields_set": "id,number"},
                request_only=True,
            )
        ],
    )
    def post(self, request):
        return super().post(request)

    def move(self, *, job, status, data, started):
        services.start_fulfillment_job(
            job=job, status=status, by=self.request.user, tx_id=self.request.tx_id, started=started
        )


class CompleteView(_LifeCycleView):
    """Complete a job that is IN PROGRESS (seed 001)."""

    input_class = CompleteInput

    @extend_schema(
        operation_id="jobs_all_scopes_complete",
        tags=["Fulfillment jobs"],
        request=CompleteInput,
        responses={200: LifeCycleResponse, **_ERRORS},
        examples=[
            OpenApiExample(
                "By id, performed by a username",
                value={
                    "job_identifier": {"id": "42"},
                    "performed_by_user_identifier": {"username": "tech1"},
                    "performed_on": "2025-08-14T01:25:46.9871243+00:00",
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        return super().post(request)

    def move(self, *, job, status, data, started):
        performed_by = None
        if data.get("performed_by_user_identifier"):
            (how, value), *_ = data["performed_by_user_identifier"].items()
            performed_by = user_by_identifier(
                user=self.request.user,
                how=how,
                value=value,
                field=f"performed_by_user_identifier.{how}",
            )
        services.complete_fulfillment_job(
            job=job,
            status=status,
            by=self.request.user,
            performed_by=performed_by,
            performed_on=data.get("performed_on"),
            scheduled_date=data.get("scheduled_date"),
            tx_id=self.request.tx_id,
            started=started,
        )
