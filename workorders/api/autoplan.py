"""The auto-plan over the API (DESIGN "Scheduling"): start one (202 and its API job, seed 003),
read the proposed plan, accept all or part of it. The rules are in
workorders/scheduling/autoplan/; here requests are read and answers shaped."""

import uuid

from django.urls import re_path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from apijobs.api.serializers import ApiJobSerializer
from jobsite.api.responses import FIELD_ERRORS, NOT_FOUND
from jobsite.errors import ServiceError
from workorders.scheduling.autoplan import accepting, services

JOB_ID = OpenApiParameter("api_job_id", OpenApiTypes.UUID, OpenApiParameter.PATH)


class AutoplanInput(serializers.Serializer):
    sales_organization_id = serializers.UUIDField(
        required=False, help_text="Default: yours (a superuser must give it)."
    )
    to = serializers.DateTimeField()
    work_order_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        help_text="Default: the organization's ToBePlanned work orders with an estimated time "
        "whose window (earliest date to due date) meets the range.",
    )
    technician_ids = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        help_text="Default: the organization's active technicians.",
    )

    def get_fields(self):  # `from` is a Python keyword
        fields = super().get_fields()
        fields["from"] = serializers.DateTimeField(help_text="ISO 8601 with an offset.")
        return fields


class ProposedPlanningOutput(serializers.Serializer):
    work_order_id = serializers.UUIDField()
    work_order_number = serializers.CharField()
    technician_id = serializers.UUIDField()
    technician_code = serializers.CharField()
    start = serializers.DateTimeField(help_text="UTC.")
    end = serializers.DateTimeField(help_text="UTC.")
    travel_km = serializers.FloatField(help_text="From the previous stop or the base.")


class UnplannedOutput(serializers.Serializer):
    work_order_id = serializers.UUIDField()
    work_order_number = serializers.CharField()
    reason = serializers.CharField()


class KpisOutput(serializers.Serializer):
    planned = serializers.IntegerField()
    unplanned = serializers.IntegerField()
    travel_km = serializers.FloatField()
    travel_km_per_planned = serializers.FloatField()
    late = serializers.IntegerField(help_text="Left unplanned though due within the range.")
    utilization = serializers.FloatField(help_text="Share of the free working time planned.")


class ProposedPlanOutput(serializers.Serializer):
    api_job_id = serializers.UUIDField()
    status = serializers.CharField(help_text="pending, processing, completed or failed.")
    message = serializers.CharField()
    total_records = serializers.IntegerField()
    processed_records = serializers.IntegerField(help_text="Progress while it runs.")
    plannings = ProposedPlanningOutput(many=True, required=False, help_text="Once completed.")
    unplanned = UnplannedOutput(many=True, required=False)
    kpis = KpisOutput(required=False)
    accepted_work_order_ids = serializers.ListField(child=serializers.UUIDField(), required=False)


class AcceptInput(serializers.Serializer):
    work_order_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, help_text="Default: the whole plan."
    )


class RefusedOutput(serializers.Serializer):
    work_order_id = serializers.UUIDField()
    reason = serializers.CharField()


class AcceptOutput(serializers.Serializer):
    accepted = serializers.ListField(child=serializers.UUIDField())
    refused = RefusedOutput(many=True)


def _job(request, api_job_id):
    try:
        pk = uuid.UUID(str(api_job_id))
    except ValueError:
        raise NotFound() from None
    job = services.visible_jobs(user=request.user).filter(pk=pk).first()
    if job is None:
        raise NotFound()
    return job


class AutoplanView(APIView):
    """Plan the unplanned work of a sales organization over a range: answers 202 with the API
    job that solves it (poll it, or GET /api/v1/autoplan/{api_job_id} for the plan)."""

    @extend_schema(
        summary="Start an auto-plan",
        request=AutoplanInput,
        responses={202: ApiJobSerializer, 400: FIELD_ERRORS},
        tags=["Scheduling"],
    )
    def post(self, request):
        job = services.start_autoplan(data=request.data, by=request.user)
        location = reverse("autoplan-detail", kwargs={"api_job_id": job.pk})
        return Response(
            ApiJobSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


class AutoplanDetailView(APIView):
    """The proposed plan (not written): plannings, unplanned work with the reason, KPIs."""

    @extend_schema(
        summary="An auto-plan's proposed plan",
        parameters=[JOB_ID],
        responses={200: ProposedPlanOutput, 404: NOT_FOUND},
        tags=["Scheduling"],
    )
    def get(self, request, api_job_id):
        return Response(services.proposed_plan(api_job=_job(request, api_job_id)))


class AutoplanAcceptView(APIView):
    """Write all or some of the proposed plannings through the planning service; what became
    invalid since is refused, saying why, and the rest is written."""

    @extend_schema(
        summary="Accept an auto-plan, or part of it",
        parameters=[JOB_ID],
        request=AcceptInput,
        responses={200: AcceptOutput, 400: FIELD_ERRORS, 404: NOT_FOUND},
        tags=["Scheduling"],
    )
    def post(self, request, api_job_id):
        job = _job(request, api_job_id)
        data = request.data
        if not isinstance(data, dict):
            raise ServiceError("The body must be a JSON object.", field="non_field_errors")
        answer = accepting.accept_plan(
            api_job=job, work_order_ids=data.get("work_order_ids"), by=request.user
        )
        return Response(answer)


urlpatterns = [
    re_path(r"^autoplan/?$", AutoplanView.as_view(), name="autoplan"),
    re_path(
        r"^autoplan/(?P<api_job_id>[^/.]+)/?$", AutoplanDetailView.as_view(), name="autoplan-detail"
    ),
    re_path(
        r"^autoplan/(?P<api_job_id>[^/.]+)/accept/?$",
        AutoplanAcceptView.as_view(),
        name="autoplan-accept",
    ),
]
