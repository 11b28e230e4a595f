"""The API rate limit: API_RATE_LIMIT requests per token (per user for a browser session, else
per client address), shared through the cache by every worker."""

from django.conf import settings
from django.http import HttpRequest
from rest_framework.throttling import BaseThrottle

from jobsite import ratelimit
from jobsite.models import ApiToken

SCOPE = "api"


def client_address(request) -> str:
    """REMOTE_ADDR, or behind NUM_PROXIES proxies the address they say they served ("" when a
    WSGI server gives none)."""
    return BaseThrottle().get_ident(request) or ""


def count_request(request: HttpRequest, caller: str) -> ratelimit.Window | None:
    """Count the request for `caller`; the window is kept on the request for its answer's
    X-RateLimit headers (None: the cache is down, nothing counted)."""
    request.rate_limit = ratelimit.hit(SCOPE, caller, settings.API_RATE_LIMIT)
    return request.rate_limit


def address_caller(request) -> str:
    return f"address:{client_address(request)}"


class ApiRateThrottle(BaseThrottle):
    """Runs after authentication, so a token sent in the body (seeds 001/002) counts as the
    token it is; a refusal is raised in the view, so each API family answers 429 in its own
    error shape."""

    def allow_request(self, request, view):
        if isinstance(request.auth, ApiToken):
            caller = f"token:{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            caller = f"user:{request.user.pk}"
        else:
            caller = address_caller(request)
        self.window = count_request(request._request, caller)
        return self.window is None or not self.window.over

    def wait(self):
        return self.window.retry_after
