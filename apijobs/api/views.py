import uuid

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import filters, viewsets
from rest_framework.decorators import action

from apijobs import selectors
from apijobs.api.filters import ApiJobFilter
from apijobs.api.serializers import ApiJobErrorSerializer, ApiJobSerializer
from apijobs.models import ApiJob
from jobsite.api.filters import FilterBackend


class ApiJobViewSet(viewsets.ReadOnlyModelViewSet):
    """API jobs (seed 003): the status and counts of a bulk request or an import. Poll the
    detail until `end_time` is set; `errors` lists the failed records one field at a time."""

    serializer_class = ApiJobSerializer
    filter_backends = [FilterBackend, filters.OrderingFilter]
    filterset_class = ApiJobFilter
    ordering_fields = ["created_at", "updated_at", "status", "type"]
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiJob.objects.none()
        return selectors.visible_api_jobs(user=self.request.user)

    def get_object(self):
        job = selectors.get_api_job(
            user=self.request.user, api_job_id=_uuid_or_404(self.kwargs["pk"])
        )
        if job is None:
            raise Http404
        self.check_object_permissions(self.request, job)
        return job

    @extend_schema(
        summary="The failed records of an API job, one field at a time, paginated",
        responses=ApiJobErrorSerializer(many=True),
        filters=False,
    )
    @action(detail=True, methods=["get"], serializer_class=ApiJobErrorSerializer)
    def errors(self, request, pk=None):
        page = self.paginate_queryset(selectors.api_job_errors(api_job=self.get_object()))
        return self.get_paginated_response(ApiJobErrorSerializer(page, many=True).data)


def _uuid_or_404(value):
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc
