"""List filters every resource shares: dates read like the bodies read them."""

import django_filters
from django import forms
from rest_framework import filters
from rest_framework.exceptions import ValidationError

from jobsite.dates import parse_datetime


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
