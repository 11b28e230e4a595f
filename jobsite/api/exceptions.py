"""Errors as JSON that name the field; database and validation errors never become a 500."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from jobsite.errors import ServiceError, TooManyAttempts

logger = logging.getLogger(__name__)


def exception_handler(exc, context):
    if isinstance(exc, ServiceError) and exc.code == "forbidden":
        exc = exceptions.PermissionDenied(exc.as_dict())
    elif isinstance(exc, ServiceError):
        exc = exceptions.ValidationError(exc.as_dict())
    elif isinstance(exc, TooManyAttempts):
        exc = exceptions.Throttled(wait=exc.wait, detail=exc.message)
    elif isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, IntegrityError):
        logger.info("integrity error turned into 409: %s", exc)
        return Response(
            {"detail": "The request conflicts with stored data.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, OperationalError):
        return Response(
            {"detail": "The database is unavailable; try again shortly.", "code": "unavailable"},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    elif isinstance(exc, exceptions.ValidationError) and not isinstance(exc.detail, dict):
        # Raised outside a serializer with a bare message: no field to name, so the body as a
        # whole, as for any other error without one.
        exc = exceptions.ValidationError({"non_field_errors": exc.detail})
    return drf_exception_handler(exc, context)
