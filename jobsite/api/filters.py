"""List filters every resource shares: dates read like the bodies read them."""

import re

import django_filters
from django import forms
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from jobsite.dates import parse_datetime

# What both of django-filter's boolean widgets read; anything else they take for "no filter".
BOOLEANS = ("true", "false", "True", "False")
_INTEGER = re.compile(r"^[+-]?\d+$")


class IsoDateTimeField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return parse_datetime(value)
        except ValueError as exc:
            raise forms.ValidationError(
                "Enter an ISO 8601 date, e.g. 2025-10-08T18:26:51.3485589+00:00."
            ) from exc


class IsoDateTimeFilter(django_filters.Filter):
    """Seven fractional digits and any offset, compared in UTC (PostgreSQL refuses offsets
    beyond 15:59 that ISO 8601 and Python allow)."""

    field_class = IsoDateTimeField


class SearchFilter(filters.SearchFilter):
    """DRF's, with a refused search term (a NUL) named by its parameter like any filter's."""

    def get_search_terms(self, request):
        try:
            return super().get_search_terms(request)
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc


def declare_filters(filterset: type, **filters) -> type:
    """Add filters whose names Python keeps for itself (`from`, `to`) to a FilterSet class."""
    for name, each in filters.items():
        filterset.declared_filters[name] = each
        filterset.base_filters[name] = each
    return filterset


def refuse_unreadable_values(filterset) -> None:
    """django-filter treats a boolean it cannot read (`is_global=yes`) as no filter and takes
    `id2=1.5` for a number: the list would answer rows the client did not ask for. Such a value
    is a 400 naming the parameter instead."""
    errors = {}
    for name, each in filterset.filters.items():
        value = filterset.data.get(name)
        if value in (None, ""):
            continue
        if isinstance(each, django_filters.BooleanFilter) and value not in BOOLEANS:
            errors[name] = ["Give true or false."]
        elif isinstance(each, django_filters.NumberFilter) and not _INTEGER.match(value):
            target = get_model_field(filterset.queryset.model, each.field_name)
            if isinstance(target, models.IntegerField):
                errors[name] = ["Give a whole number."]
    if errors:
        raise ValidationError(errors)


class FilterBackend(DjangoFilterBackend):
    """django-filter, refusing values its filters cannot read (refuse_unreadable_values). An
    empty value (`?status=`, as an HTML form sends a field left blank) is no filter, for every
    filter alike (django-filter skips it for most, but a choice filter refused it)."""

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = kwargs["data"].copy()
        for name in [name for name, values in data.lists() if not any(values)]:
            del data[name]
        kwargs["data"] = data
        return kwargs

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            refuse_unreadable_values(filterset)
        return filterset
