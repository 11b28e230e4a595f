"""The shape every CRUD endpoint shares: a tenant-scoped queryset, an input serializer that
validates writes, an output serializer that answers, and a service that writes."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from jobsite.tenancy import restrict_to_tenant


def tenant_scope(field: str):
    """A `scope` for ScopedPrimaryKeyRelatedField: rows of the user's sales organization."""

    def scope(queryset, *, user):
        return restrict_to_tenant(queryset, user=user, field=field)

    return scope


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id to a row the caller may see; another tenant's id is a 400 naming the
    field, exactly like an unknown one."""

    def __init__(self, *, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        queryset = super().get_queryset()
        if request is None or request.user is None:
            return queryset.none()
        return self.scope(queryset, user=request.user)


class TenantScopedViewSet(viewsets.GenericViewSet):
    """Rows come from `scoped_queryset(user=)`; `queryset` (Model.objects.none()) only tells
    the OpenAPI generator the model."""

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.scoped_queryset(user=self.request.user)

    def scoped_queryset(self, *, user):
        raise NotImplementedError


class CrudViewSet(TenantScopedViewSet, viewsets.ModelViewSet):
    """`input_serializer_class` validates the body, `write` persists it through the app's
    service, `serializer_class` renders the stored row (re-read through `get_queryset`)."""

    input_serializer_class: type[serializers.Serializer]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return self.input_serializer_class
        return self.serializer_class

    def write(self, *, instance, data: dict):
        raise NotImplementedError

    def remove(self, *, instance) -> None:
        instance.delete()

    def _answer(self, instance, status_code=status.HTTP_200_OK):
        stored = self.get_queryset().get(pk=instance.pk)
        body = self.serializer_class(stored, context=self.get_serializer_context()).data
        return Response(body, status=status_code)

    def _write(self, *, instance, body):
        try:
            return self.write(instance=instance, data=body.validated_data)
        except DjangoValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            # The model names its field (`address`); the caller sent the body's (`address_id`).
            names = {field.source: name for name, field in body.fields.items()}
            raise serializers.ValidationError(
                {names.get(key, key): value for key, value in exc.message_dict.items()}
            ) from exc

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        instance = self._write(instance=None, body=body)
        return self._answer(instance, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        body = self.get_serializer(instance, data=request.data, partial=kwargs.get("partial"))
        body.is_valid(raise_exception=True)
        instance = self._write(instance=instance, body=body)
        return self._answer(instance)

    def destroy(self, request, *args, **kwargs):
        self.remove(instance=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def crud_schema(*, input_serializer, output_serializer, tag: str):
    """OpenAPI for a CrudViewSet: the input serializer as request, the output as response."""
    write = {"request": input_serializer, "responses": {200: output_serializer}, "tags": [tag]}
    return extend_schema_view(
        list=extend_schema(tags=[tag]),
        retrieve=extend_schema(tags=[tag]),
        create=extend_schema(
            request=input_serializer, responses={201: output_serializer}, tags=[tag]
        ),
        update=extend_schema(**write),
        partial_update=extend_schema(**write),
        destroy=extend_schema(tags=[tag]),
    )
