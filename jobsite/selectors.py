"""Reads of the directory, and tenancy: which sales organizations a user may see."""

from django.db.models import QuerySet
from django.utils import timezone

from jobsite.models import ApiToken, User


def visible_sales_organization_ids(*, user: User) -> list | None:
    """None means every sales organization (superusers); otherwise the user's own, if any."""
    if user.is_superuser:
        return None
    return [user.sales_organization_id] if user.sales_organization_id else []


def restrict_to_tenant(queryset: QuerySet, *, user: User, field: str = "sales_organization"):
    """Limit `queryset` to the user's sales organization through `field` (a lookup path)."""
    ids = visible_sales_organization_ids(user=user)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})


def active_token(*, key_hash: str) -> ApiToken | None:
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash, revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
