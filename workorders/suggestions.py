"""Suggesting a technician for many work orders at once (the admin's action): one status
change, the planning check for every work order, then the Suggested rule."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from jobs import services as life_cycle
from jobs.models import JobStatus, LifeCycleState, StatusNumber
from jobsite.errors import ServiceError
from jobsite.models import User
from workorders.locks import lock_work_orders
from workorders.models import WorkOrder
from workorders.plannings import (
    Technicians,
    sync_suggested_plannings,
)
from workorders.system_fields import apply_system_fields, organization_of

# Work in these states is under way or finished: suggesting a technician would re-plan it.
_NOT_SUGGESTIBLE = {
    LifeCycleState.IN_PROGRESS,
    LifeCycleState.COMPLETED,
    LifeCycleState.CANCELLED,
}


def suggest_technician(
    *, work_orders: Iterable[WorkOrder], user: User, date_start: datetime, by: User | None = None
) -> list[WorkOrder]:
    """Set Suggested with a technician and a start; the Suggested rule plans it.

    Work that is under way, done or cancelled is not re-planned: the whole call is refused
    (nothing written) with a ServiceError naming the work orders and their state."""
    with transaction.atomic():
        locked = lock_work_orders(w.pk for w in work_orders)
        refused = [wo for wo in locked if wo.job_status.life_cycle_state in _NOT_SUGGESTIBLE]
        if refused:
            raise ServiceError(
                "Only work that has not started can get a technician suggested; "
                + ", ".join(
                    f"#{wo.id2} is {life_cycle.life_cycle_label(wo.job_status.life_cycle_state)}"
                    f" ({wo.job_status.code})"
                    for wo in refused[:10]
                )
                + (f" and {len(refused) - 10} more" if len(refused) > 10 else "")
                + ".",
                field="life_cycle_state",
                code="invalid_state",
            )
        technicians = Technicians([user.pk])
        for wo in locked:
            problem = technicians.problem(
                user_id=user.pk, sales_organization_id=organization_of(wo)
            )
            if problem is not None:
                raise ServiceError(
                    f"#{wo.id2}: {problem[1]}", field="suggested_user", code=problem[0]
                )
        changed = list(locked)
        mark_suggested(
            work_orders=changed, placements={wo.pk: (user, date_start) for wo in changed}
        )
    return changed


def mark_suggested(*, work_orders: list[WorkOrder], placements: dict) -> None:
    """Suggested with each work order's technician and start (`placements`: work order pk ->
    (a User or its pk, start)), system fields kept, then the Suggested rule writes the plannings:
    the one write of a suggestion, for the admin's action, the board and an accepted auto-plan.
    Call it in a transaction, the work orders locked."""
    if not work_orders:
        return
    suggested = JobStatus.objects.get(number=StatusNumber.SUGGESTED)
    now = timezone.now()
    for wo in work_orders:
        technician, start = placements[wo.pk]
        previous_state = wo.job_status.life_cycle_state
        wo.job_status = suggested
        if isinstance(technician, User):
            wo.suggested_user = technician
        else:
            wo.suggested_user_id = technician
        wo.suggested_date_start = start
        apply_system_fields(work_order=wo, previous_state=previous_state, now=now)
    WorkOrder.objects.bulk_update(
        work_orders,
        [
            "job_status",
            "suggested_user",
            "suggested_date_start",
            "date_update",
            "modified_dateutc",
            "date_closed",
        ],
    )
    sync_suggested_plannings(work_orders=work_orders)
