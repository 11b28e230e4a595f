"""Reads of the directory: tokens, users by identifier."""

import time
import uuid

from django.conf import settings
from django.utils import timezone

from jobsite.errors import ServiceError
from jobsite.models import ApiToken, User
from jobsite.tenancy import restrict_to_tenant

# Tokens (with their users) this process found active lately: key hash -> (token, until when,
# on the monotonic clock). Looking a token up was one of the three statements of a GET and
# the largest Python cost of a small request; an ERP sends the same token all day. The price:
# a token revoked, or a user disabled, by another process keeps working here for at most
# API_TOKEN_CACHE_SECONDS (a logout through this process forgets it at once).
_recent_tokens: dict[str, tuple[ApiToken, float]] = {}
_RECENT_TOKENS_MAX = 10_000


def active_token(*, key_hash: str) -> ApiToken | None:
    seconds = settings.API_TOKEN_CACHE_SECONDS
    if seconds > 0:
        recent = _recent_tokens.get(key_hash)
        if recent is not None:
            token, until = recent
            if until > time.monotonic() and token.expires_at > timezone.now():
                return token
            _recent_tokens.pop(key_hash, None)
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is not None and seconds > 0:
        if len(_recent_tokens) >= _RECENT_TOKENS_MAX:
            _recent_tokens.clear()
        _recent_tokens[key_hash] = (token, time.monotonic() + seconds)
    return token


def forget_token(*, key_hash: str) -> None:
    """This process stops trusting what it remembers of the token (after its logout)."""
    _recent_tokens.pop(key_hash, None)


def forget_all_tokens() -> None:
    _recent_tokens.clear()


def user_by_identifier(*, user: User, how: str, value: str, field: str) -> User:
    """A user of `user`'s tenant by `id` (UUID or id2), `username` or `code`; unknown or
    ambiguous is a ServiceError on `field`."""
    users = restrict_to_tenant(User.objects.all(), user=user)
    value = value.strip()
    if how == "id":
        try:
            matches = users.filter(pk=uuid.UUID(value))
        except ValueError:
            if not (value.isascii() and value.isdigit() and len(value) <= 18):
                message = "Give the user's id (UUID) or id2 (integer)."
                raise ServiceError(message, field=field) from None
            matches = users.filter(id2=int(value))
    elif how == "username":
        matches = users.filter(username__iexact=value)
    elif how == "code":
        matches = users.filter(code__iexact=value)
    else:
        raise ServiceError(f"Unknown user identifier {how}.", field=field)
    found = list(matches[:2])
    if len(found) != 1:
        problem = "No user" if not found else "More than one user"
        raise ServiceError(f"{problem} with {how} {value}.", field=field)
    return found[0]
