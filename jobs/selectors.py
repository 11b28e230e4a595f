"""Reads of the job vocabulary and of fulfillment jobs, tenancy included."""

import uuid

from django.db.models import QuerySet

from jobs.models import Job, JobPriority, JobStatus, JobType, JobTypeNumber
from jobsite.codes import choose_by_code
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.tenancy import restrict_to_tenant


def status_by_number(number: int) -> JobStatus:
    return JobStatus.objects.get(number=number)


def as_uuid(value) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def as_int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    digits = value.strip().removeprefix("-") if isinstance(value, str) else ""
    if digits.isascii() and digits.isdigit() and len(digits) <= 18:
        return int(value.strip())
    return None


def visible_vocabulary[Q_: QuerySet](queryset: Q_, *, user: User) -> Q_:
    """Global rows (no sales organization) are everyone's; the others only their tenant's."""
    return restrict_to_tenant(queryset, user=user, shared_when_empty=True)


def fulfillment_jobs(*, user: User) -> QuerySet[Job]:
    """The jobs `user` may see, with their type, status and client; callers that render users
    join those they show."""
    return restrict_to_tenant(
        Job.objects.select_related("job_type", "job_status", "client"), user=user
    )


def job_type_by_reference(reference, *, user: User, field: str) -> JobType:
    """A job type by its id (UUID), code, or TJobType number (JSON integer; `JobTypeNumber`),
    which names the code. A code several visible types share names the caller's own, else the
    global one; otherwise it is ambiguous (a 400 asking for the id), as everywhere codes are
    read."""
    if isinstance(reference, int) and not isinstance(reference, bool):
        if reference not in JobTypeNumber.values:
            known = ", ".join(f"{number} = {code}" for number, code in JobTypeNumber.choices)
            raise ServiceError(
                f"Unknown job type {reference}; the TJobType numbers are {known}.", field=field
            )
        reference = JobTypeNumber(reference).label
    types = visible_vocabulary(JobType.objects.all(), user=user).select_related(
        "default_start_status", "default_complete_status"
    )
    key = as_uuid(reference)
    if key is not None:
        found = types.filter(pk=key).first()
    else:
        candidates = list(types.by_code(str(reference))) if str(reference).strip() else []
        found, ambiguous = choose_by_code(
            candidates,
            organization_of=lambda t: t.sales_organization_id,
            context_org=user.sales_organization_id,
        )
        if ambiguous:
            raise ServiceError(f"{reference!r} names several job types; give the id.", field=field)
    if found is None:
        raise ServiceError(f"Unknown job type {reference!r}.", field=field)
    return found


def job_status_by_reference(
    reference, *, field: str, by: tuple[str, ...] = ("number", "id", "code")
) -> JobStatus:
    """A status by its number (0–9 …), id (UUID), code or name, as `by` allows."""
    found = None
    if "number" in by and (number := as_int(reference)) is not None:
        found = JobStatus.objects.filter(number=number).first()
    elif "id" in by and (key := as_uuid(reference)) is not None:
        found = JobStatus.objects.filter(pk=key).first()
    elif "code" in by and isinstance(reference, str):
        found = JobStatus.objects.by_code(reference).first()
    if found is None and "name" in by and isinstance(reference, str):
        found = JobStatus.objects.filter(name__iexact=reference).first()
    if found is None:
        raise ServiceError(f"Unknown job status {reference!r}.", field=field)
    return found


def job_priorities(*, user: User) -> QuerySet[JobPriority]:
    return visible_vocabulary(JobPriority.objects.select_related("sales_organization"), user=user)


def job_types(*, user: User) -> QuerySet[JobType]:
    return visible_vocabulary(
        JobType.objects.select_related(
            "sales_organization", "default_start_status", "default_complete_status"
        ),
        user=user,
    )


def fulfillment_job_by_identifier(*, user: User, how: str, value: str, field: str) -> Job | None:
    """A visible job by `number`, or by `id`: its integer id or its job identifier (UUID)."""
    jobs = fulfillment_jobs(user=user)
    value = value.strip()
    if how == "number":
        return jobs.filter(number__iexact=value).first()
    if (key := as_uuid(value)) is not None:
        return jobs.filter(job_identifier=key).first()
    if (pk := as_int(value)) is not None:
        return jobs.filter(pk=pk).first() if 0 < pk < 2**31 else None
    raise ServiceError("Give the job's id (an integer) or its jobIdentifier (a UUID).", field=field)
