import logging
import re
import uuid

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import JsonResponse

from jobsite.api.throttling import address_caller, count_request

logger = logging.getLogger(__name__)

_TX_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class TxIdMiddleware:
    """Every response carries `X-Tx-ID`: the request's when it sent a sane one, else a new UUID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sent = request.headers.get("X-Tx-ID", "")
        request.tx_id = sent if _TX_ID.match(sent) else str(uuid.uuid4())
        response = self.get_response(request)
        response["X-Tx-ID"] = request.tx_id
        return response


class RateLimitHeadersMiddleware:
    """Every API answer says the caller's window of API_RATE_LIMIT: X-RateLimit-Limit,
    X-RateLimit-Remaining and X-RateLimit-Reset (Unix time). The throttle counted the request
    (by token); one that never reached it (a bad token, an unknown path, a body too large)
    counts here, for its client address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/"):
            return response
        if not hasattr(request, "rate_limit"):
            count_request(request, address_caller(request))
        window = request.rate_limit
        if window is not None:
            response["X-RateLimit-Limit"] = str(window.limit)
            response["X-RateLimit-Remaining"] = str(window.remaining)
            response["X-RateLimit-Reset"] = str(window.reset)
        return response


class RequestSizeLimitMiddleware:
    """An API body over the upload limit is a 413 with a JSON body (Django would answer 400)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit is not None and length > limit and request.path.startswith("/api/"):
            return JsonResponse(
                {
                    "detail": f"The request body is {length} bytes; the limit is {limit}.",
                    "code": "request_too_large",
                },
                status=413,
            )
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """A database that cannot be reached is a 503 with a JSON body, not a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError | InterfaceError) or (
            isinstance(exception, DatabaseError) and "connection" in str(exception).lower()
        ):
            logger.warning("database unavailable: %s", exception)
            return JsonResponse(
                {
                    "detail": "The database is unavailable; try again shortly.",
                    "code": "unavailable",
                },
                status=503,
                headers={"Retry-After": "5"},
            )
        return None
