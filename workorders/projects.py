"""Writes of projects: the upsert the API and an embedded `project` share, and delete."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from jobsite.models import User
from jobsite.tenancy import sees, visible_sales_organization_ids
from workorders.models import Project
from workorders.records import (
    clean_uuid,
)
from workorders.reference_kinds import KINDS, UnresolvedReference
from workorders.references import ReferenceResolver

ALREADY_USED = "Already used by another project."


def upsert_project(
    *, data: dict, by: User, pk=None, create_only: bool = False
) -> tuple[Project, bool]:
    """Create or update a seed-004 project (the same upsert an embedded `project` gets).
    Returns (project, created). Raises ValidationError by field path, or Project.DoesNotExist
    when `pk` names a project of another sales organization. With `create_only` (POST), an
    existing id or reference back office is an error instead of an update."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": "The body must be a JSON object."})
    record = dict(data)
    if pk is not None:
        if record.get("id") not in (None, "") and str(record["id"]).lower() != str(pk).lower():
            raise ValidationError({"id": "Must equal the id in the URL."})
        record["id"] = str(pk)
    try:
        clean_uuid(record.get("id"))
    except ValueError as exc:
        raise ValidationError({"id": str(exc)}) from exc
    if record.get("id"):
        visible = visible_sales_organization_ids(user=by)
        stored = Project.objects.filter(pk=record["id"]).values_list("sales_organization_id")
        org = stored.first()
        if org is not None and not sees(org[0], visible=visible):
            raise Project.DoesNotExist
    if create_only and record.get("id") and Project.objects.filter(pk=record["id"]).exists():
        raise ValidationError({"id": "A project with this id exists; PUT updates it."})
    resolver = ReferenceResolver(records=[record], by=by, root_kind="project")
    try:
        with transaction.atomic():
            project = resolver.upsert(kind=KINDS["project"], data=record, path="", own=True)
            created = any(obj is project for _, obj in resolver.created)
            if create_only and not created:
                # Matched by its reference within its organization: POST creates, PUT updates.
                raise UnresolvedReference({"reference_back_office": ALREADY_USED})
    except UnresolvedReference as exc:
        raise ValidationError(exc.errors) from exc
    except IntegrityError as exc:
        raise ValidationError(
            {"reference_back_office": ALREADY_USED}
            if "reference_back_office" in str(exc).lower()
            else {"non_field_errors": "The project conflicts with stored data."}
        ) from exc
    return project, created


def delete_project(*, project: Project, by: User | None = None) -> None:
    """Refused (ProtectedError, a 409) while work orders refer to it."""
    project.delete()
