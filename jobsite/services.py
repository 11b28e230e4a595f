"""Writes of the directory: number allocation, logins and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone

from jobsite import ratelimit
from jobsite.errors import ServiceError, TooManyAttempts
from jobsite.models import REFERENCE_USED, ApiToken, User
from jobsite.selectors import forget_token

FAILED_LOGINS_PER_ACCOUNT = "login-account"
FAILED_LOGINS_PER_ADDRESS = "login-address"
LOGGED_IN_FROM = "login-known"
# An integration that logged in from an address within this time is not locked out there by
# other users' failures (a proxy or NAT that many share); about the life of its token.
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def log_in(*, request, username: str, password: str, address: str) -> User | None:
    """The active user these credentials are for, else None: a failed attempt, counted for the
    account (LOGIN_ACCOUNT_LIMIT) and for the client address (LOGIN_ADDRESS_LIMIT).

    While the account's or the address's failures are used up, attempts are refused untried
    (TooManyAttempts), right password or not: guessing gets no faster. Correct logins count for
    nothing, and an account that logged in from the address before is not refused for what
    others did from there."""
    account = username.casefold()
    pair = f"{account} {address}"
    mine = ratelimit.peek(FAILED_LOGINS_PER_ACCOUNT, account, settings.LOGIN_ACCOUNT_LIMIT)
    if mine and not mine.remaining:
        raise TooManyAttempts("Too many failed logins for this account.", wait=mine.retry_after)
    shared = ratelimit.peek(FAILED_LOGINS_PER_ADDRESS, address, settings.LOGIN_ADDRESS_LIMIT)
    if shared and not shared.remaining and not ratelimit.remembered(LOGGED_IN_FROM, pair):
        raise TooManyAttempts("Too many failed logins from this address.", wait=shared.retry_after)
    user = authenticate(request, username=username, password=password)
    if user is None or user.disabled:
        ratelimit.hit(FAILED_LOGINS_PER_ACCOUNT, account, settings.LOGIN_ACCOUNT_LIMIT)
        ratelimit.hit(FAILED_LOGINS_PER_ADDRESS, address, settings.LOGIN_ADDRESS_LIMIT)
        return None
    ratelimit.remember(LOGGED_IN_FROM, pair, KNOWN_ADDRESS_SECONDS)
    return user


def issue_api_token(*, user: User) -> tuple[str, ApiToken]:
    """A new bearer token for `user`; the raw value is returned once and never stored."""
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        key_hash=hash_token(raw),
        prefix=raw[:8],
        expires_at=timezone.now() + timedelta(hours=settings.API_TOKEN_TTL_HOURS),
    )
    return raw, token


def revoke_api_token(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    forget_token(key_hash=token.key_hash)


def save_record[M: models.Model](*, instance: M, values: dict) -> M:
    """Set `values` on a row, validate it (lengths, choices, unique codes and references) and
    save it.

    A taken reference back office is reported on `reference_back_office`, a broken unique-code
    constraint on `code`: the fields the caller can change."""
    for name, value in values.items():
        setattr(instance, name, value)
    # System fields filled on save (e.g. id2 auto numbers) are not the caller's to give.
    unset = [
        f.name
        for f in instance._meta.concrete_fields
        if not f.editable and getattr(instance, f.attname) is None
    ]
    try:
        instance.full_clean(exclude=unset)
    except ValidationError as exc:
        errors = exc.message_dict
        taken = [e for e in exc.error_dict.get(NON_FIELD_ERRORS, []) if e.code == REFERENCE_USED]
        if taken:
            raise ServiceError(taken[0].messages[0], field="reference_back_office") from exc
        if set(errors) == {NON_FIELD_ERRORS} and hasattr(instance, "code"):
            raise ServiceError(
                f"{type(instance)._meta.verbose_name.capitalize()} with code "
                f"{instance.code!r} already exists here.",
                field="code",
            ) from exc
        raise
    instance.save()
    return instance
