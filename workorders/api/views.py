"""Work orders (seed 004), projects and plannings over REST.

Views stay thin: they parse, call `workorders.services` (writes) or `workorders.selectors`
(reads, already in the seed's shape) and answer. Bodies are not run through DRF serializers:
the serializers in `serializers.py` describe them for OpenAPI; the rules are in the services."""

import uuid

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from jobsite.api.parsers import JSON_PARSERS
from jobsite.api.responses import FIELD_ERRORS, NOT_FOUND
from workorders import seed004_rows, selectors, services
from workorders.api.filters import (
    FILTER_BACKENDS,
    PlanningFilter,
    ProjectFilter,
    WorkOrderFilter,
)
from workorders.api.pagination import CappedCountPagination
from workorders.api.serializers import (
    PlanningInputSerializer,
    PlanningSerializer,
    ProjectInputSerializer,
    ProjectSerializer,
    WorkOrderInputSerializer,
    WorkOrderSerializer,
)
from workorders.models import JobPlanning, Project, WorkOrder
from workorders.scheduling.pending_checks import settle_quietly


def _pk(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise NotFound() from exc


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": "The body must be a JSON object."})
    return request.data


def _field_errors(errors: dict[str, str]) -> Response:
    return Response({k: [v] for k, v in errors.items()}, status=status.HTTP_400_BAD_REQUEST)


class _WorkOrderPage:
    """A queryset of work order ids as the paginator uses it: a slice of it is the slice's
    work orders in the seed-004 shape (seed004_rows.work_order_page), read in one statement;
    `order_by()` is the ids' queryset's, for the count."""

    def __init__(self, ids):
        self.ids = ids

    def __getitem__(self, bounds: slice) -> list[dict]:
        return seed004_rows.work_order_page(self.ids[bounds])

    def order_by(self, *fields):
        return self.ids.order_by(*fields)


class ShapedListMixin:
    """List = filter the model queryset, page it as `values_list` tuples, shape the page."""

    output_fields: dict[str, str] = {}
    pagination_class = CappedCountPagination
    filter_backends = FILTER_BACKENDS

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(seed004_rows.values(queryset, self.output_fields))
        return self.get_paginated_response(seed004_rows.shape(page, self.output_fields))


@extend_schema_view(
    list=extend_schema(summary="List work orders", responses={200: WorkOrderSerializer}),
    retrieve=extend_schema(
        summary="Get a work order", responses={200: WorkOrderSerializer, 404: NOT_FOUND}
    ),
    update=extend_schema(
        summary="Create or update the work order with this id (seed 004)",
        request=WorkOrderInputSerializer,
        responses={
            200: WorkOrderSerializer,
            201: WorkOrderSerializer,
            400: FIELD_ERRORS,
            404: NOT_FOUND,
        },
    ),
    partial_update=extend_schema(
        summary="Change some fields of a work order",
        request=WorkOrderInputSerializer,
        responses={200: WorkOrderSerializer, 400: FIELD_ERRORS, 404: NOT_FOUND},
    ),
    create=extend_schema(
        summary="Create a work order",
        request=WorkOrderInputSerializer,
        responses={201: WorkOrderSerializer, 400: FIELD_ERRORS},
    ),
    destroy=extend_schema(summary="Delete a work order", responses={204: None, 404: NOT_FOUND}),
)
class WorkOrderViewSet(ShapedListMixin, viewsets.GenericViewSet):
    """Work orders ("jobs" in seed 004) of your sales organization."""

    parser_classes = JSON_PARSERS
    queryset = WorkOrder.objects.all()
    serializer_class = WorkOrderSerializer
    filterset_class = WorkOrderFilter
    ordering_fields = [
        "id2",
        "name",
        "due_date",
        "modified_dateutc",
        "date_create",
        "suggested_date_start",
    ]
    ordering = ["-id2"]
    search_fields = ["name", "reference_back_office", "customer_reference"]
    output_fields = seed004_rows.WORK_ORDER_FIELDS

    def get_queryset(self):
        return selectors.visible_work_orders(user=self.request.user)

    def list(self, request, *args, **kwargs):
        # The page's ids and their rows as a detail reads them: one statement on PostgreSQL.
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(_WorkOrderPage(queryset.values_list("pk", flat=True)))
        return self.get_paginated_response(page)

    def retrieve(self, request, pk=None):
        found = seed004_rows.work_order_rows(ids=[_pk(pk)], user=request.user)
        if not found:
            raise NotFound()
        return Response(found[0])

    def update(self, request, pk=None):
        return self._write(request, pk=_pk(pk), partial=False)

    def partial_update(self, request, pk=None):
        pk = _pk(pk)
        if not self.get_queryset().filter(pk=pk).exists():
            raise NotFound()
        return self._write(request, pk=pk, partial=True)

    def create(self, request):
        body = _body(request)
        if body.get("id") not in (None, ""):
            pk = body["id"]
            try:
                exists = WorkOrder.objects.filter(pk=uuid.UUID(str(pk))).exists()
            except ValueError:
                return _field_errors({"id": "Must be a UUID."})
            if exists:
                return _field_errors({"id": "A work order with this id exists; PUT updates it."})
        return self._write(request, pk=None, partial=False)

    def destroy(self, request, pk=None):
        work_order = self.get_queryset().filter(pk=_pk(pk)).first()
        if work_order is None:
            raise NotFound()
        services.delete_work_order(work_order=work_order, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _write(self, request, *, pk, partial):
        body = _body(request)
        record = body
        if pk is not None:
            given = body.get("id")
            if given not in (None, "") and str(given).lower() != str(pk):
                return _field_errors({"id": "Must equal the id in the URL."})
            record = {**body, "id": str(pk)}
        (result,) = services.upsert_work_orders(
            records=[record], by=request.user, partial=partial, match_by_reference=False
        )
        if result.outcome == "failed":
            if result.not_found:
                raise NotFound()
            return _field_errors(result.errors)
        (row,) = seed004_rows.work_order_rows_from(
            instances=[result.work_order], codes=result.codes
        )
        code = status.HTTP_201_CREATED if result.outcome == "created" else status.HTTP_200_OK
        return Response(row, status=code)


@extend_schema_view(
    list=extend_schema(summary="List projects", responses={200: ProjectSerializer}),
    retrieve=extend_schema(responses={200: ProjectSerializer, 404: NOT_FOUND}),
    update=extend_schema(
        summary="Create or update the project with this id",
        request=ProjectInputSerializer,
        responses={200: ProjectSerializer, 201: ProjectSerializer, 400: FIELD_ERRORS},
    ),
    partial_update=extend_schema(
        request=ProjectInputSerializer, responses={200: ProjectSerializer, 400: FIELD_ERRORS}
    ),
    create=extend_schema(
        request=ProjectInputSerializer, responses={201: ProjectSerializer, 400: FIELD_ERRORS}
    ),
    destroy=extend_schema(responses={204: None, 404: NOT_FOUND, 409: OpenApiResponse()}),
)
class ProjectViewSet(ShapedListMixin, viewsets.GenericViewSet):
    """Projects: the customers' installations work orders are for."""

    parser_classes = JSON_PARSERS
    queryset = Project.objects.all()
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter
    ordering_fields = ["id2", "name", "modified_dateutc", "date_create"]
    ordering = ["name", "id"]
    search_fields = ["name", "reference_back_office", "serial_number", "barcode"]
    output_fields = seed004_rows.PROJECT_FIELDS

    def get_queryset(self):
        return selectors.visible_projects(user=self.request.user)

    def retrieve(self, request, pk=None):
        pk = _pk(pk)
        if not self.get_queryset().filter(pk=pk).exists():
            raise NotFound()
        return Response(seed004_rows.project_rows(ids=[pk])[0])

    def update(self, request, pk=None):
        return self._write(request, pk=_pk(pk))

    def partial_update(self, request, pk=None):
        pk = _pk(pk)
        if not self.get_queryset().filter(pk=pk).exists():
            raise NotFound()
        return self._write(request, pk=pk)

    def create(self, request):
        return self._write(request, pk=None, create_only=True)

    def destroy(self, request, pk=None):
        project = self.get_queryset().filter(pk=_pk(pk)).first()
        if project is None:
            raise NotFound()
        services.delete_project(project=project, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _write(self, request, *, pk, create_only=False):
        try:
            project, created = services.upsert_project(
                data=_body(request), by=request.user, pk=pk, create_only=create_only
            )
        except Project.DoesNotExist as exc:
            raise NotFound() from exc
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(seed004_rows.project_rows(ids=[project.pk])[0], status=code)


@extend_schema_view(
    list=extend_schema(summary="List plannings", responses={200: PlanningSerializer}),
    retrieve=extend_schema(responses={200: PlanningSerializer, 404: NOT_FOUND}),
    update=extend_schema(
        request=PlanningInputSerializer, responses={200: PlanningSerializer, 400: FIELD_ERRORS}
    ),
    partial_update=extend_schema(
        request=PlanningInputSerializer, responses={200: PlanningSerializer, 400: FIELD_ERRORS}
    ),
    create=extend_schema(
        summary="Plan a work order by hand",
        request=PlanningInputSerializer,
        responses={201: PlanningSerializer, 400: FIELD_ERRORS},
    ),
    destroy=extend_schema(responses={204: None, 400: FIELD_ERRORS, 404: NOT_FOUND}),
)
class PlanningViewSet(ShapedListMixin, viewsets.GenericViewSet):
    """Technicians' plannings. Those the Suggested rule made are read-only here."""

    parser_classes = JSON_PARSERS
    queryset = JobPlanning.objects.all()
    serializer_class = PlanningSerializer
    filterset_class = PlanningFilter
    ordering_fields = ["date_start", "date_end", "modified_dateutc"]
    ordering = ["date_start", "id"]
    search_fields = []
    output_fields = seed004_rows.PLANNING_FIELDS

    def get_queryset(self):
        return selectors.visible_plannings(user=self.request.user)

    def _get(self, pk) -> JobPlanning:
        planning = self.get_queryset().filter(pk=_pk(pk)).first()
        if planning is None:
            raise NotFound()
        return planning

    def list(self, request, *args, **kwargs):
        settle_quietly()  # the warnings a set-based write left to check (pending_checks)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        settle_quietly()
        return Response(seed004_rows.planning_rows(ids=[self._get(pk).pk])[0])

    def create(self, request):
        planning = services.save_planning(data=_body(request), by=request.user)
        return Response(
            seed004_rows.planning_rows(ids=[planning.pk])[0], status=status.HTTP_201_CREATED
        )

    def update(self, request, pk=None):
        planning = services.save_planning(
            data=_body(request), by=request.user, planning=self._get(pk)
        )
        return Response(seed004_rows.planning_rows(ids=[planning.pk])[0])

    partial_update = update

    def destroy(self, request, pk=None):
        services.delete_planning(planning=self._get(pk), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
