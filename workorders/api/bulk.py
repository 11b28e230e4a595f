"""POST /api/v1/workorders/bulk: an array of seed-004 work orders, upserted in the background."""

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
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
        request={"application/json": {"type": "array", "items": {"type": "object"}}},
        responses={
            202: ApiJobSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Not a non-empty array"),
            413: OpenApiResponse(OpenApiTypes.OBJECT, description="Body too large"),
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
        job = bulk.accept_bulk_upsert(
            records=records,
            by=request.user,
            partial=request.query_params.get("partial", "").lower() in ("1", "true"),
        )
        location = reverse("api-job-detail", kwargs={"pk": job.pk})
        return Response(
            ApiJobSerializer(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": location},
        )


def _too_large(limit: int) -> Response:
    return Response(
        {
            "detail": f"The body is larger than {limit} bytes; split the records over requests.",
            "code": "payload_too_large",
        },
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )
