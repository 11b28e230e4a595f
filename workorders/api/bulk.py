"""POST /api/v1/workorders/bulk: an array of seed-004 work orders, upserted in the background."""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apijobs.api.serializers import ApiJobSerializer
from workorders import bulk


class WorkOrderBulkView(APIView):
    """Accepts up to BULK_MAX_RECORDS work orders (seed 004 bodies; each upserted by `id`, else
    `reference_back_office`), stores them and answers 202 with the API job (seed 003) that
    processes them; poll its `Location`."""

    parser_classes = []  # the body is read raw: one json.loads, no second copy

    @extend_schema(
        request={
            media_type: {"type": "array", "minItems": 1, "items": {"type": "object"}}
            for media_type in ("application/json", "text/json")
        },
        parameters=[
            OpenApiParameter(
                "partial",
                bool,
                description="true: each record changes only the fields it sends (as PATCH).",
            )
        ],
        responses={
            202: OpenApiResponse(
                ApiJobSerializer,
                description="Accepted: the API job that processes the records; poll `Location`.",
            ),
            400: OpenApiResponse(description="Not a non-empty JSON array of objects."),
        },
    )
    def post(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit is not None and declared > limit:
            return _too_large(limit)
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(limit)
        try:
            records = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"The body is not valid JSON: {exc}") from exc
        job = bulk.accept_bulk_upsert(records=records, by=request.user, partial=_partial(request))
        location = reverse("api-job-detail", kwargs={"pk": job.pk})
        return Response(
            ApiJobSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


def _partial(request) -> bool:
    """`?partial=true`; a value that is no boolean is a 400, not a full write."""
    raw = request.query_params.get("partial", "false").lower()
    if raw not in ("true", "false", "1", "0"):
        raise ValidationError({"partial": ["Give true or false."]})
    return raw in ("true", "1")


def _too_large(limit: int) -> Response:
    return Response(
        {
            "detail": f"The body is larger than {limit} bytes; split the records over requests.",
            "code": "payload_too_large",
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )
