"""The job life cycle, once, for fulfillment jobs and work orders alike.

start_progress takes a PENDING job to an IN_PROGRESS status; complete takes an IN_PROGRESS job to
a COMPLETED status. The target is the status asked for, else the job type's default."""

from collections.abc import Callable
from typing import Literal

from django.db import models, transaction

from jobs.models import JobStatus, JobType, LifeCycleState
from jobsite.errors import ServiceError

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
        locked = (
            model.objects.select_for_update(of=("self",))
            .select_related("job_status", "job_type__default_start_status")
            .select_related("job_type__default_complete_status")
            .get(pk=instance.pk)
        )
        target = plan_transition(
            current=locked.job_status, job_type=locked.job_type, action=action, status=status
        )
        save(locked, target)
    return locked


def default_job_status() -> JobStatus:
    return JobStatus.objects.get(is_default=True)


def default_job_type() -> JobType:
    return JobType.objects.filter(is_default=True, sales_organization__isnull=True).first()
