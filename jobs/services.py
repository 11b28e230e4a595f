"""The job life cycle, once, for fulfillment jobs and work orders alike.

start_progress takes a PENDING job to an IN_PROGRESS status; complete takes an IN_PROGRESS job to
a COMPLETED status. The target is the status asked for, else the job type's default."""

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Literal

from django.db import models, transaction
from django.db.models.functions import Length
from django.utils import timezone

from jobs.models import (
    Job,
    JobDetail,
    JobPriority,
    JobStatus,
    JobType,
    LifeCycleState,
    StatusNumber,
)
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.numbers import next_numbers, observe_number
from jobsite.services import save_record
from jobsite.tenancy import organization_for_new_record

Action = Literal["start_progress", "complete"]

# action -> (state the job must be in, state the target status must have, job type default field)
_MOVES: dict[str, tuple[str, str, str]] = {
    "start_progress": (
        LifeCycleState.PENDING,
        LifeCycleState.IN_PROGRESS,
        "default_start_status",
    ),
    "complete": (
        LifeCycleState.IN_PROGRESS,
        LifeCycleState.COMPLETED,
        "default_complete_status",
    ),
}


def life_cycle_label(state: str) -> str:
    """How the seeds write a state: `IN PROGRESS`, not `IN_PROGRESS`."""
    return state.replace("_", " ")


def plan_transition(
    *, current: JobStatus, job_type: JobType, action: Action, status: JobStatus | None = None
) -> JobStatus:
    """The status `action` moves a job to, or a ServiceError naming the current state."""
    required_state, target_state, default_field = _MOVES[action]
    if current.life_cycle_state != required_state:
        verb = "started" if action == "start_progress" else "completed"
        raise ServiceError(
            f"The job is {life_cycle_label(current.life_cycle_state)} ({current.code}); only "
            f"{life_cycle_label(required_state)} jobs can be {verb}.",
            field="life_cycle_state",
            code="invalid_state",
        )
    target = status or getattr(job_type, default_field)
    if target is None:
        raise ServiceError(
            f"Job type {job_type.code} has no {default_field.replace('_', ' ')}; "
            "give status_identifier.",
            field="status_identifier",
        )
    if target.life_cycle_state != target_state:
        raise ServiceError(
            f"Status {target.code} is {life_cycle_label(target.life_cycle_state)}, not "
            f"{life_cycle_label(target_state)}.",
            field="status_identifier",
        )
    return target


def transition[M: models.Model](
    *,
    instance: M,
    action: Action,
    status: JobStatus | None = None,
    save: Callable[[M, JobStatus], None],
) -> M:
    """Lock the job's row, check the move, and let `save` persist the new status.

    The row lock makes two simultaneous moves of one job serialize: the second sees the first's
    result and is refused."""
    model = type(instance)
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=instance.pk)
        # The status and type are read after the lock, not joined into the locking query:
        # PostgreSQL rechecks a join against the old snapshot when the row was moved meanwhile,
        # and the waiting call would find no row at all instead of being refused.
        locked.job_status = JobStatus.objects.get(pk=locked.job_status_id)
        locked.job_type = JobType.objects.select_related(
            "default_start_status", "default_complete_status"
        ).get(pk=locked.job_type_id)
        target = plan_transition(
            current=locked.job_status, job_type=locked.job_type, action=action, status=status
        )
        save(locked, target)
    return locked


def default_job_status() -> JobStatus:
    return JobStatus.objects.get(is_default=True)


def default_job_type() -> JobType:
    return JobType.objects.filter(is_default=True, sales_organization__isnull=True).first()


# --- fulfillment jobs (seeds 000-002) -------------------------------------------------------

FULFILLMENT_JOB_SEQUENCE = "fulfillment_job"

# What a client may write on a fulfillment job (model field names).
FULFILLMENT_JOB_FIELDS = frozenset(
    {
        "job_identifier",
        "description",
        "job_type",
        "job_status",
        "client",
        "requesting_user",
        "assigned_to",
        "start_date",
        "end_date",
        "percent_complete",
        "total_records",
        "successful_records",
        "error_records",
        "notes",
        "rating_state",
        "expiration_date",
        "scheduled_date",
    }
)

DETAIL_FIELDS = ("object_name", "object_id", "modified_datetime", "execution_time", "tx_id")


def elapsed_ms(started: float) -> int:
    return max(0, round((time.perf_counter() - started) * 1000))


def next_job_number() -> str:
    number = f"J-{next_numbers(name=FULFILLMENT_JOB_SEQUENCE, count=1)[0]:06d}"
    if Job.objects.filter(number=number).exists():
        # Jobs numbered outside the sequence (demo data, imports): continue after the highest.
        highest = (
            Job.objects.filter(number__regex=r"^J-[0-9]+$")
            .order_by(Length("number").desc(), "-number")
            .values_list("number", flat=True)
            .first()
        )
        observe_number(name=FULFILLMENT_JOB_SEQUENCE, value=int(highest[2:]))
        number = f"J-{next_numbers(name=FULFILLMENT_JOB_SEQUENCE, count=1)[0]:06d}"
    return number


def record_job_detail(*, job: Job, operation: str, tx_id: str, started: float) -> JobDetail:
    """The trace every API write leaves on its job: which call, when, how long, which TxID."""
    return JobDetail.objects.create(
        job=job,
        object_name=operation[:100],
        object_id=job.pk,
        modified_datetime=timezone.now(),
        execution_time=elapsed_ms(started),
        tx_id=(tx_id or "")[:100],
    )


# A field a body leaves out (or sends as null) is stored as this, so matching by content
# compares with it too.
_DETAIL_DEFAULTS = {"object_name": "", "object_id": None, "execution_time": 0, "tx_id": ""}


def _detail_values(values: dict) -> dict:
    """The detail fields `values` sets, as stored. A null time sets nothing: a resend without
    one must not move a stored detail's time to now."""
    stored = {}
    for name in DETAIL_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if value is None and name == "modified_datetime":
            continue
        stored[name] = _DETAIL_DEFAULTS.get(name) if value is None else value
    return stored


def _holds(detail: JobDetail, values: dict) -> bool:
    return all(getattr(detail, name) == value for name, value in values.items())


def _upsert_details(*, job: Job, details: Iterable[dict]) -> bool:
    """Upsert `details` among the job's own; True when a detail was added or changed.

    An id that is one of this job's details updates it. Any other entry — no id, an unknown id
    or another job's (never taken from that job) — is matched by content with one of the job's
    details not already matched in this call (its time only when given), else added with an id
    of ours: an ERP that resends a body after a timeout adds nothing. Entries repeating an id
    in one request are one detail (last wins)."""
    entries: dict[object, dict] = {}
    for position, values in enumerate(details):
        given_id = values.get("id")
        entries[("id", given_id) if given_id is not None else position] = values
    own = {d.pk: d for d in JobDetail.objects.filter(job=job)}
    by_id = {key: own[key[1]] for key in entries if isinstance(key, tuple) and key[1] in own}
    matched = {detail.pk for detail in by_id.values()}
    unmatched = [detail for pk, detail in own.items() if pk not in matched]
    now = timezone.now()
    new, changed = [], []
    for key, values in entries.items():
        stored = _detail_values(values)
        detail = by_id.get(key)
        if detail is not None:
            if not _holds(detail, stored):
                for name, value in stored.items():
                    setattr(detail, name, value)
                changed.append(detail)
            continue
        wanted = {**_DETAIL_DEFAULTS, **stored}
        match = next((d for d in unmatched if _holds(d, wanted)), None)
        if match is not None:
            unmatched.remove(match)
        else:
            new.append(JobDetail(job=job, **{"modified_datetime": now, **wanted}))
    if new:
        JobDetail.objects.bulk_create(new)
    if changed:
        JobDetail.objects.bulk_update(changed, list(DETAIL_FIELDS))
    return bool(new or changed)


def _stored_state(job: Job) -> dict:
    return {field.attname: getattr(job, field.attname) for field in Job._meta.concrete_fields}


def save_fulfillment_job(
    *,
    job: Job | None,
    values: dict,
    by: User | None,
    operation: str,
    details: Iterable[dict] | None = None,
    tx_id: str = "",
    started: float | None = None,
) -> Job:
    """Create (`job` None) or update a fulfillment job from resolved `values` (model field ->
    value), upsert `details` among the job's own, and record the write as a JobDetail.

    A write that changes neither the job nor its details writes nothing, not even its trace:
    a retried call leaves the job as the first left it.

    The job belongs to its client's sales organization; without a client, to the requesting
    user's, else to the writer's. A new job gets the next readable number (J-000042)."""
    started = started or time.perf_counter()
    unknown = set(values) - FULFILLMENT_JOB_FIELDS
    if unknown:
        raise ServiceError(f"Not writable: {', '.join(sorted(unknown))}.", field=min(unknown))
    with transaction.atomic():
        if job is None:
            job = Job(number=next_job_number(), created_by=by)
            before = None
        else:
            job = Job.objects.select_for_update(of=("self",)).get(pk=job.pk)
            before = _stored_state(job)
        for name, value in values.items():
            if name == "job_identifier" and value is None:
                continue
            setattr(job, name, value)
        if job.job_type_id is None:
            job.job_type = default_job_type()
        if job.job_status_id is None:
            job.job_status = default_job_status()
        if job.client_id is not None:
            job.sales_organization_id = job.client.sales_organization_id
        elif job.sales_organization_id is None:
            job.sales_organization_id = organization_for_new_record(
                by=by,
                context=job.requesting_user.sales_organization_id if job.requesting_user else None,
            )
        job_changed = before != _stored_state(job)
        if job_changed:
            job.updated_by = by
            job.save()
        details_changed = bool(details) and _upsert_details(job=job, details=details)
        if details_changed and not job_changed:
            job.updated_by = by
            job.save(update_fields=["updated_by", "updated_at"])
        if job_changed or details_changed:
            record_job_detail(job=job, operation=operation, tx_id=tx_id, started=started)
    return job


def start_fulfillment_job(
    *,
    job: Job,
    status: JobStatus | None = None,
    by: User | None = None,
    tx_id: str = "",
    started: float | None = None,
) -> Job:
    """start_progress for a fulfillment job: PENDING -> the given or the type's start status."""
    started = started or time.perf_counter()

    def save(locked: Job, target: JobStatus) -> None:
        locked.job_status = target
        locked.updated_by = by
        if locked.start_date is None:
            locked.start_date = timezone.now()
        locked.save(update_fields=["job_status", "updated_by", "start_date", "updated_at"])
        record_job_detail(
            job=locked, operation="jobs/all_scopes/start_progress", tx_id=tx_id, started=started
        )

    return transition(instance=job, action="start_progress", status=status, save=save)


def complete_fulfillment_job(
    *,
    job: Job,
    status: JobStatus | None = None,
    by: User | None = None,
    performed_by: User | None = None,
    performed_on: datetime | None = None,
    scheduled_date: datetime | None = None,
    tx_id: str = "",
    started: float | None = None,
) -> Job:
    """complete for a fulfillment job: IN_PROGRESS -> the given or the type's complete status.
    Who performed it defaults to the caller, when to now."""
    started = started or time.perf_counter()

    def save(locked: Job, target: JobStatus) -> None:
        now = timezone.now()
        locked.job_status = target
        locked.updated_by = by
        locked.performed_by = performed_by or by
        locked.performed_on = performed_on or now
        if scheduled_date is not None:
            locked.scheduled_date = scheduled_date
        if locked.end_date is None:
            locked.end_date = now
        locked.save(
            update_fields=[
                "job_status",
                "updated_by",
                "performed_by",
                "performed_on",
                "scheduled_date",
                "end_date",
                "updated_at",
            ]
        )
        record_job_detail(
            job=locked, operation="jobs/all_scopes/complete", tx_id=tx_id, started=started
        )

    return transition(instance=job, action="complete", status=status, save=save)


# --- vocabulary writes -------------------------------------------------------------------------


def save_vocabulary[V: JobType | JobStatus | JobPriority](*, instance: V, values: dict) -> V:
    """Write a job type, status or priority. One default per scope (a sales organization, or the
    global rows): setting is_default takes it from the others. The statuses the rules refer to
    (numbers 0-9) keep their number and life cycle state."""
    if isinstance(instance, JobStatus) and instance.pk and instance.number in StatusNumber.values:
        for name in ("number", "life_cycle_state"):
            if name in values and values[name] != getattr(instance, name):
                raise ServiceError(
                    f"Status {instance.code} is one the rules refer to; its {name} is fixed.",
                    field=name,
                )
    if (
        isinstance(instance, JobStatus)
        and instance.is_default
        and values.get("is_default") is False
    ):
        raise ServiceError("Make another status the default instead.", field="is_default")
    with transaction.atomic():
        saved = save_record(instance=instance, values=values)
        if saved.is_default:
            others = type(saved).objects.filter(is_default=True).exclude(pk=saved.pk)
            if not isinstance(saved, JobStatus):
                others = others.filter(sales_organization=saved.sales_organization_id)
            others.update(is_default=False)
    return saved


def delete_vocabulary(*, instance: JobType | JobStatus | JobPriority) -> None:
    """Rows still in use are protected by their foreign keys (a 409 at the API)."""
    if isinstance(instance, JobStatus) and instance.number in StatusNumber.values:
        raise ServiceError(
            f"Status {instance.code} is one the rules refer to; it cannot be deleted.",
            field="number",
        )
    instance.delete()
