"""Reads of the directory: tokens, users by identifier."""

import uuid

from django.utils import timezone

from jobsite.errors import ServiceError
from jobsite.models import ApiToken, User
from jobsite.tenancy import restrict_to_tenant


def active_token(*, key_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


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
