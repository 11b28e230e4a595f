"""Serializer fields for the seeds' conventions."""

from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(OpenApiTypes.DATETIME)
class SeedDateTimeField(serializers.DateTimeField):
    """Reads ISO 8601 with any number of fractional digits (the seeds send 7) or a bare date
    (midnight); writes the seeds' style: 7 fractional digits and an explicit `+00:00` offset,
    e.g. `2025-08-14T01:25:46.9871240+00:00`."""

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value.strip()) == 10:
            try:
                day = parse_date(value)
            except ValueError:  # well formed, but no such day (2024-02-30)
                raise serializers.ValidationError(
                    f"{value} is not a day of the calendar."
                ) from None
            if day:
                return timezone.make_aware(datetime.combine(day, time.min))
        return super().to_internal_value(value)

    def to_representation(self, value):
        if not value:
            return None
        iso = self.enforce_timezone(value).isoformat(timespec="microseconds")
        return f"{iso[:26]}0{iso[26:]}"


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class NumberOrTextField(serializers.Field):
    """A reference that may be a number or a text (a status number or code, an id or a code)."""

    default_error_messages = {"invalid": "Give a number or a text."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid")
        if isinstance(data, str):
            data = data.strip()
            if not data:
                self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


@extend_schema_field(OpenApiTypes.STR)
class FieldsSetField(serializers.Field):
    """`fields_set`: a comma-separated list (or a JSON list) of the response fields to return."""

    def __init__(self, *, allowed, **kwargs):
        self.allowed = tuple(allowed)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str):
            names = [n.strip() for n in data.split(",")]
        elif isinstance(data, list) and all(isinstance(n, str) for n in data):
            names = [n.strip() for n in data]
        else:
            raise serializers.ValidationError("Give a comma-separated list of field names.")
        names = [n for n in names if n]
        unknown = [n for n in names if n not in self.allowed]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown field(s): {', '.join(unknown)}. Allowed: {', '.join(self.allowed)}."
            )
        return names or None

    def to_representation(self, value):
        return ",".join(value or [])
