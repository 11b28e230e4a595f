"""Moves of a work order's status outside the upsert (activate, cancel, start, complete, any
status from the admin), and the save of a work order built by a form. Each applies the system
fields and then the Suggested rule."""

from django.db import transaction

from jobs import services as life_cycle
from jobs.models import JobStatus, LifeCycleState, StatusNumber
from jobsite.errors import ServiceError
from jobsite.models import User
from workorders.locks import lock_work_order, lock_work_orders
from workorders.models import WorkOrder
from workorders.plannings import (
    sync_suggested_plannings,
)
from workorders.system_fields import apply_system_fields


def _save_status(work_order: WorkOrder, status: JobStatus, *, by: User | None = None) -> None:
    previous_state = work_order.job_status.life_cycle_state
    work_order.job_status = status
    apply_system_fields(work_order=work_order, previous_state=previous_state)
    work_order.save(update_fields=["job_status", "date_update", "modified_dateutc", "date_closed"])
    sync_suggested_plannings(work_orders=[work_order])


def set_status(*, work_order: WorkOrder, status: JobStatus, by: User | None = None) -> WorkOrder:
    """Move a work order to any status outside the start/complete life cycle moves (activate,
    cancel, back to be planned). The Suggested rule follows."""
    with transaction.atomic():
        locked = lock_work_order(work_order.pk)
        if locked.job_status_id != status.pk:
            _save_status(locked, status, by=by)
    return locked


def activate(*, work_order: WorkOrder, by: User | None = None) -> WorkOrder:
    """Activate pending work (the appointment is confirmed); other states are refused."""
    activated = JobStatus.objects.get(number=StatusNumber.ACTIVATED)
    with transaction.atomic():
        locked = lock_work_order(work_order.pk)
        if locked.job_status_id == activated.pk:
            return locked
        if locked.job_status.life_cycle_state != LifeCycleState.PENDING:
            raise ServiceError(
                f"it is {locked.job_status.name}; only pending work can be activated.",
                field="life_cycle_state",
                code="invalid_state",
            )
        _save_status(locked, activated, by=by)
    return locked


def cancel(*, work_order: WorkOrder, by: User | None = None) -> WorkOrder:
    """Cancel work that is not finished; the Suggested rule removes its rule planning."""
    canceled = JobStatus.objects.get(number=StatusNumber.CANCELED)
    with transaction.atomic():
        locked = lock_work_order(work_order.pk)
        if locked.job_status_id == canceled.pk:
            return locked
        if locked.job_status.life_cycle_state == LifeCycleState.COMPLETED:
            raise ServiceError(
                "it is completed; finished work cannot be cancelled.",
                field="life_cycle_state",
                code="invalid_state",
            )
        _save_status(locked, canceled, by=by)
    return locked


def start_progress(
    *, work_order: WorkOrder, status: JobStatus | None = None, by: User | None = None
) -> WorkOrder:
    return life_cycle.transition(
        instance=work_order,
        action="start_progress",
        status=status,
        save=lambda wo, target: _save_status(wo, target, by=by),
    )


def complete(
    *, work_order: WorkOrder, status: JobStatus | None = None, by: User | None = None
) -> WorkOrder:
    return life_cycle.transition(
        instance=work_order,
        action="complete",
        status=status,
        save=lambda wo, target: _save_status(wo, target, by=by),
    )


_FROM_DATABASE = object()


def save_work_order(
    *, work_order: WorkOrder, previous_state=_FROM_DATABASE, by: User | None = None
) -> WorkOrder:
    """Save a work order built elsewhere (the admin form): system fields, then the rule.

    The previous life-cycle state is read from the stored row (locked), not from what a form
    believed it was: a status changed meanwhile by the API still sets date_closed right."""
    with transaction.atomic():
        if previous_state is _FROM_DATABASE:
            stored = (
                lock_work_orders([work_order.pk])
                if work_order.pk and not work_order._state.adding
                else []
            )
            previous_state = stored[0].job_status.life_cycle_state if stored else None
            if stored and work_order.date_closed is None:
                # Completed meanwhile (API, import): keep when it was closed.
                work_order.date_closed = stored[0].date_closed
        apply_system_fields(work_order=work_order, previous_state=previous_state)
        work_order.save()
        sync_suggested_plannings(work_orders=[work_order])
    return work_order
