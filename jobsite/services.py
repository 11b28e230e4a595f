"""Writes of the directory: number allocation and API tokens."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.utils import timezone

from jobsite.errors import ServiceError
from jobsite.models import REFERENCE_USED, ApiToken, User


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


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
