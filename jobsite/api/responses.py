"""Responses every app's OpenAPI documents alike."""

from drf_spectacular.utils import OpenApiResponse

FIELD_ERRORS = OpenApiResponse(
    response={
        "type": "object",
        "additionalProperties": {
            "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]
        },
        "example": {"job_type_code": ["Unknown job type code 'NOPE'."]},
    },
    description="Bad input: each key names the field (a path such as "
    "`project.equipment_model.code` for embedded objects), each value lists the problems.",
)
NOT_FOUND = OpenApiResponse(description="No such record in your sales organization.")
