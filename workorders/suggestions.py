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

    Work that is under way, done or cancelled is not re-planned, nor given to a technician the
    rule refuses: the whole call is refused (nothing written) with a ServiceError naming the
    work orders and why (`mark_suggested`'s check)."""
    with transaction.atomic():
        changed = list(lock_work_orders(w.pk for w in work_orders))
        mark_suggested(
            work_orders=changed, placements={wo.pk: (user, date_start) for wo in changed}
        )
    return changed


def refusal(
    *, work_order: WorkOrder, technician_id, technicians: Technicians
) -> ServiceError | None:
    """Why `work_order` may not be suggested to `technician_id`, or None: the one check of the
    admin's action, the board and an accepted auto-plan (`mark_suggested` makes it). Work under
    way, done or cancelled is not re-planned; the technician rule, for the organization the
    work order belongs to."""
    if work_order.job_status.life_cycle_state in _NOT_SUGGESTIBLE:
        return ServiceError(
            _not_started([work_order]), field="life_cycle_state", code="invalid_state"
        )
    problem = technicians.problem(
        user_id=technician_id, sales_organization_id=organization_of(work_order)
    )
    if problem is not None:
        return ServiceError(
            f"#{work_order.id2}: {problem[1]}", field="suggested_user", code=problem[0]
        )
    return None


def _not_started(work_orders: list[WorkOrder]) -> str:
    return (
        "Only work that has not started can get a technician suggested; "
        + ", ".join(
            f"#{wo.id2} is {life_cycle.life_cycle_label(wo.job_status.life_cycle_state)}"
            f" ({wo.job_status.code})"
            for wo in work_orders[:10]
        )
        + (f" and {len(work_orders) - 10} more" if len(work_orders) > 10 else "")
        + "."
    )


def _pk(technician):
    return technician.pk if isinstance(technician, User) else technician


def mark_suggested(*, work_orders: list[WorkOrder], placements: dict) -> None:
    """Suggested with each work order's technician and start (`placements`: work order pk ->
    (a User or its pk, start)), system fields kept, then the Suggested rule writes the plannings:
    the one write of a suggestion, for the admin's action, the board and an accepted auto-plan.
    Call it in a transaction, the work orders locked. Refused as a whole (nothing written) when
    `refusal` refuses one of them (all the work under way, done or cancelled named at once)."""
    if not work_orders:
        return
    technicians = Technicians({_pk(technician) for technician, _ in placements.values()})
    refused = [
        (wo, found)
        for wo in work_orders
        if (
            found := refusal(
                work_order=wo, technician_id=_pk(placements[wo.pk][0]), technicians=technicians
            )
        )
    ]
    started = [wo for wo, found in refused if found.field == "life_cycle_state"]
    if started:
        raise ServiceError(_not_started(started), field="life_cycle_state", code="invalid_state")
    if refused:
        raise refused[0][1]
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
