"""Technicians' availability over the API: a technician's free time, and every matching
technician's with their booked and available minutes. The rules are in
workorders/scheduling/availability.py; here the query is read and the answer shaped (UTC,
ISO 8601 with the offset, as plannings are answered)."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from jobsite.api.responses import FIELD_ERRORS, NOT_FOUND
from jobsite.dates import parse_datetime
from jobsite.text import unstorable
from workorders.records import format_datetime
from workorders.scheduling import availability

RANGE_PARAMETERS = [
    OpenApiParameter(
        "from",
        OpenApiTypes.DATETIME,
        required=True,
        description="Start of the range, ISO 8601 with an offset (none: UTC).",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATETIME,
        required=True,
        description=f"End of the range: after `from`, at most {availability.MAX_RANGE.days} "
        "days later.",
    ),
]
SEARCH_PARAMETERS = [
    OpenApiParameter("skill_code", str, description="Only technicians with this skill (any case)."),
    OpenApiParameter(
        "skill_id", OpenApiTypes.UUID, description="Only technicians with this skill."
    ),
    OpenApiParameter(
        "sales_organization_id",
        OpenApiTypes.UUID,
        description="Only this organization's technicians (superusers see every organization).",
    ),
]


class FreeIntervalOutput(serializers.Serializer):
    start = serializers.DateTimeField(help_text="UTC.")
    end = serializers.DateTimeField(help_text="UTC, after the start.")


class TechnicianAvailabilityOutput(serializers.Serializer):
    technician_id = serializers.UUIDField()
    free = FreeIntervalOutput(
        many=True, help_text="Working time with no absence, holiday or planning, in order."
    )


class AvailabilityRowOutput(TechnicianAvailabilityOutput):
    technician_code = serializers.CharField(help_text="May be empty.")
    booked_minutes = serializers.IntegerField(help_text="Of the available time, planned.")
    available_minutes = serializers.IntegerField(
        help_text="Working time less holidays and absences: booked + free."
    )


class AvailabilityOutput(serializers.Serializer):
    results = AvailabilityRowOutput(many=True)


def _range(params) -> tuple:
    """`from` and `to` of the query, checked; every bad one named."""
    moments, errors = {}, {}
    for name in ("from", "to"):
        raw = params.get(name, "")
        if not raw:
            errors[name] = ["This parameter is required."]
            continue
        try:
            moments[name] = parse_datetime(raw)
        except ValueError:
            errors[name] = ["Enter an ISO 8601 date, e.g. 2027-03-29T08:00:00+02:00."]
    if errors:
        raise ValidationError(errors)
    availability.check_range(start=moments["from"], end=moments["to"])
    return moments["from"], moments["to"]


def _uuid(params, name: str):
    raw = params.get(name, "")
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError({name: ["Must be a UUID."]}) from None


def _text(params, name: str) -> str:
    raw = params.get(name, "").strip()
    problem = unstorable(raw)
    if problem:
        raise ValidationError({name: [problem]})
    return raw


def _free(found: availability.Availability) -> list[dict]:
    return [{"start": format_datetime(i.start), "end": format_datetime(i.end)} for i in found.free]


class TechnicianAvailabilityView(APIView):
    """A technician's free time: working hours minus plannings, absences and holidays."""

    @extend_schema(
        summary="A technician's free time in a range",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
            *RANGE_PARAMETERS,
        ],
        responses={200: TechnicianAvailabilityOutput, 400: FIELD_ERRORS, 404: NOT_FOUND},
        tags=["Calendars"],
    )
    def get(self, request, pk):
        try:
            found = availability.technician(user=request.user, pk=uuid.UUID(pk))
        except ValueError:
            found = None
        if found is None:
            raise NotFound()
        start, end = _range(request.query_params)
        (answer,) = availability.availability(technicians=[found], start=start, end=end)
        return Response({"technician_id": str(found.pk), "free": _free(answer)})


class AvailabilityView(APIView):
    """Free time of every technician you see, or of those with a skill: Dynamics 365's Search
    Resource Availability."""

    @extend_schema(
        summary="Free, booked and available time of technicians in a range",
        parameters=[*RANGE_PARAMETERS, *SEARCH_PARAMETERS],
        responses={200: AvailabilityOutput, 400: FIELD_ERRORS},
        tags=["Calendars"],
    )
    def get(self, request):
        params = request.query_params
        start, end = _range(params)
        technicians = availability.technicians_matching(
            user=request.user,
            skill_code=_text(params, "skill_code"),
            skill_id=_uuid(params, "skill_id"),
            sales_organization_id=_uuid(params, "sales_organization_id"),
        )
        rows = [
            {
                "technician_id": str(found.technician.pk),
                "technician_code": found.technician.code,
                "free": _free(found),
                "booked_minutes": found.booked_minutes,
                "available_minutes": found.available_minutes,
            }
            for found in availability.availability(technicians=technicians, start=start, end=end)
        ]
        return Response({"results": rows})
