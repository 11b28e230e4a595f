"""Proposals for one work order over the API: which technician could do it when, best first. The
rules are in workorders/scheduling/proposals.py; here the query is read and the answer shaped
(UTC, ISO 8601 with the offset, as plannings are answered)."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from jobsite.api.responses import FIELD_ERRORS, NOT_FOUND
from jobsite.dates import parse_datetime
from workorders.records import format_datetime
from workorders.scheduling import proposals
from workorders.scheduling.availability import MAX_RANGE


class ProposalOutput(serializers.Serializer):
    technician_id = serializers.UUIDField()
    technician_code = serializers.CharField(help_text="May be empty.")
    start = serializers.DateTimeField(help_text="UTC.")
    end = serializers.DateTimeField(help_text="UTC: the start plus the estimated time.")
    travel_km = serializers.FloatField(
        allow_null=True,
        help_text="Great-circle km from the previous appointment that day, else the base; "
        "null when a point has no coordinates.",
    )
    score = serializers.FloatField(help_text="Higher is better (100 less the weighted costs).")
    reasons = serializers.ListField(child=serializers.CharField())


# `from` and `to` are Python keywords: no class attributes.
ProposalsOutput = inline_serializer(
    "ProposalsOutput",
    fields={
        "proposals": ProposalOutput(
            many=True, help_text="Best first; each passes the planning check."
        ),
        "unplannable": serializers.ListField(
            child=serializers.CharField(), help_text="Why there is no proposal (empty when some)."
        ),
        "from": serializers.DateTimeField(help_text="Start of the range searched, UTC."),
        "to": serializers.DateTimeField(help_text="End of the range searched, UTC."),
    },
)


PARAMETERS = [
    OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH),
    OpenApiParameter(
        "from",
        OpenApiTypes.DATETIME,
        description="Start of the range, ISO 8601 (default: now, or the earliest date "
        "plannable if later). No proposal starts before now.",
    ),
    OpenApiParameter(
        "to",
        OpenApiTypes.DATETIME,
        description=f"End of the range (default: the due date, else 14 days after `from`; at "
        f"most {MAX_RANGE.days} days after `from`). No proposal ends after the due date.",
    ),
    OpenApiParameter(
        "limit",
        int,
        description=f"How many proposals (1 to {proposals.MAX_LIMIT}, default "
        f"{proposals.DEFAULT_LIMIT}).",
    ),
]


def _moment(params, name: str):
    raw = params.get(name, "")
    if not raw:
        return None
    try:
        return parse_datetime(raw)
    except ValueError:
        raise ValidationError(
            {name: ["Enter an ISO 8601 date, e.g. 2027-03-29T08:00:00+02:00."]}
        ) from None


def _limit(params) -> int:
    raw = params.get("limit", "")
    if not raw:
        return proposals.DEFAULT_LIMIT
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({"limit": ["Must be a whole number."]}) from None


class WorkOrderProposalsView(APIView):
    """Technicians and moments that fit a work order (Dynamics 365's schedule assistant)."""

    @extend_schema(
        summary="Proposed technicians and slots for a work order",
        parameters=PARAMETERS,
        responses={200: ProposalsOutput, 400: FIELD_ERRORS, 404: NOT_FOUND},
        tags=["Calendars"],
    )
    def get(self, request, pk):
        try:
            work_order = proposals.work_order_for_proposals(user=request.user, pk=uuid.UUID(pk))
        except ValueError:
            work_order = None
        if work_order is None:
            raise NotFound()
        params = request.query_params
        found = proposals.proposals(
            user=request.user,
            work_order=work_order,
            start=_moment(params, "from"),
            end=_moment(params, "to"),
            limit=_limit(params),
        )
        return Response(
            {
                "proposals": [
                    {
                        "technician_id": str(p.technician.pk),
                        "technician_code": p.technician.code,
                        "start": format_datetime(p.start),
                        "end": format_datetime(p.end),
                        "travel_km": p.travel_km,
                        "score": p.score,
                        "reasons": list(p.reasons),
                    }
                    for p in found.proposals
                ],
                "unplannable": found.unplannable,
                "from": format_datetime(found.start),
                "to": format_datetime(found.end),
            }
        )
