"""Tenancy, in one place.

A user sees the rows of their own sales organization; a superuser sees every organization's.
Some rows with no sales organization (vocabulary: job types, statuses, priorities) are shared
by every organization. A new record with no organization given gets its context's (the record
it belongs to), else its writer's. A record refers only to rows of its own organization or
shared ones; that binds superusers too: they see everything, but cannot wire one
organization's work to another's technician, skill or project.

Each rule has a Python form (querysets, loaded rows) and, beside it, the SQL form the set-based
import uses; tests/jobsite/test_tenancy.py holds the two equal."""

import uuid

from django.db import connection
from django.db.models import Q, QuerySet

from jobsite.errors import ServiceError
from jobsite.models import User

# -- who sees what ---------------------------------------------------------------------------


def visible_sales_organization_ids(*, user: User) -> list | None:
    """None means every sales organization (superusers); otherwise the user's own, if any."""
    if user.is_superuser:
        return None
    return [user.sales_organization_id] if user.sales_organization_id else []


def restrict_to_tenant[Q_: QuerySet](
    queryset: Q_,
    *,
    user: User,
    field: str = "sales_organization",
    shared_when_empty: bool = False,
) -> Q_:
    """Limit `queryset` to what `user` sees through `field` (a lookup path to the sales
    organization); with `shared_when_empty`, rows without one are everyone's."""
    condition = tenant_condition(user=user, field=field, shared_when_empty=shared_when_empty)
    return queryset if condition is None else queryset.filter(condition)


def tenant_condition(
    *, user: User, field: str = "sales_organization", shared_when_empty: bool = False
) -> Q | None:
    """The condition of `restrict_to_tenant`, to combine with others (None: every row)."""
    ids = visible_sales_organization_ids(user=user)
    if ids is None:
        return None
    return organizations_condition(ids, field=field, shared_when_empty=shared_when_empty)


def organizations_condition(
    ids: list, *, field: str = "sales_organization", shared_when_empty: bool = False
) -> Q:
    """Rows of these sales organizations (with `shared_when_empty`, and rows of none)."""
    condition = Q(**{f"{field}__in": ids})
    if shared_when_empty:
        condition |= Q(**{f"{field}__isnull": True})
    return condition


def sees(organization_id, *, visible: list | None, shared_when_empty: bool = False) -> bool:
    """The Python form of `restrict_to_tenant`, for a row already loaded."""
    if visible is None:
        return True
    if organization_id is None:
        return shared_when_empty
    return organization_id in visible


def sees_sql(organization: str, *, visible: list | None, shared_when_empty: bool = False) -> str:
    """The SQL form: a condition on the expression `organization`. The ids are spelled out as
    constants (they come from the database, never from a request): hex text is a uuid to
    PostgreSQL and the stored form on SQLite."""
    if visible is None:
        return "1=1"
    listed = ", ".join(f"'{uuid.UUID(str(pk)).hex}'" for pk in visible)
    condition = f"{organization} IN ({listed})" if listed else "1=0"
    if shared_when_empty:
        condition = f"({condition} OR {organization} IS NULL)"
    return condition


def organization_sql(model, path: str | None, alias: str) -> str:
    """SQL for the sales organization of row `alias` of `model`, `path` being the lookup
    (`pk` for an organization itself, a field, or one hop such as company__sales_organization)."""
    quote = connection.ops.quote_name
    meta = model._meta
    if path is None:
        return "NULL"
    if path == "pk":
        return f"{alias}.{quote(meta.pk.column)}"
    head, _, rest = path.partition("__")
    field = meta.get_field(head)
    if not rest:
        return f"{alias}.{quote(field.column)}"
    target = field.remote_field.model._meta
    hop = f"{alias}_{head}"
    return (
        f"(SELECT {hop}.{quote(target.get_field(rest).column)} FROM {quote(target.db_table)} "
        f"{hop} WHERE {hop}.{quote(target.pk.column)} = {alias}.{quote(field.column)})"
    )


# -- what a write may do ---------------------------------------------------------------------


def organization_for_new_record(*, by: User | None, context=None, required: str | None = None):
    """The sales organization a new record without one gets: its context's (the client, the
    project, the record it is embedded in), else its writer's. With `required` (the field to
    name), having none is a ServiceError: a superuser must say which."""
    organization = context or (by.sales_organization_id if by is not None else None)
    if organization is None and required:
        raise ServiceError("Give the sales organization.", field=required)
    return organization


def may_refer(*, record_organization, organization, shared_when_empty: bool = False) -> bool:
    """May a record of `record_organization` refer to a row of `organization`? Its own
    organization's rows, and shared ones; a record with no organization yet takes what it
    refers to."""
    if record_organization is None:
        return True
    if organization is None:
        return shared_when_empty
    return organization == record_organization


def may_refer_sql(record_organization: str, organization: str, shared_when_empty=False) -> str:
    """The SQL form of `may_refer`, on two expressions; never NULL, so it may be negated."""
    shared = f" OR {organization} IS NULL" if shared_when_empty else ""
    return (
        f"({record_organization} IS NULL OR ({organization} IS NOT NULL "
        f"AND {organization} = {record_organization}){shared})"
    )
