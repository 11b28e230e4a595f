"""Responses every app's OpenAPI documents alike. Their bodies are the family's error shape,
which jobsite.api.schema fills in (`FieldErrors` for a 400, `Error` otherwise)."""

from drf_spectacular.utils import OpenApiResponse

FIELD_ERRORS = OpenApiResponse(
    description="Bad input: each key names the field (a path such as "
    "`project.equipment_model.code` for embedded objects), each value lists the problems."
)
NOT_FOUND = OpenApiResponse(description="No such record in your sales organization.")
