"""Writes of work orders, projects and plannings. Every entry path (API, bulk, import, admin,
planning board) goes through these functions, so each rule holds everywhere."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from jobs import services as life_cycle
from jobs.models import JobStatus, LifeCycleState, StatusNumber
from jobsite.errors import ServiceError
from jobsite.models import User
from workorders.models import JobPlanning, WorkOrder

DEFAULT_PLANNING_MINUTES = 60

# Work in these states is under way or finished: suggesting a technician would re-plan it.
_NOT_SUGGESTIBLE = {
    LifeCycleState.IN_PROGRESS,
    LifeCycleState.COMPLETED,
    LifeCycleState.CANCELLED,
}

# A work order that goes back to one of these no longer has an appointment.
_UNPLANNED_STATUSES = {
    StatusNumber.TO_BE_PLANNED,
    StatusNumber.WAITING,
    StatusNumber.POOLING,
    StatusNumber.DRAFT,
    StatusNumber.CANCELED,
}


def planning_end(*, date_start: datetime, estimated_time: int | None) -> datetime:
    return date_start + timedelta(minutes=estimated_time or DEFAULT_PLANNING_MINUTES)


def apply_system_fields(
    *, work_order: WorkOrder, previous_state: str | None, now: datetime | None = None
) -> None:
    """What the system derives on every write: company and sales organization from the project,
    the dates, and date_closed when the status enters COMPLETED."""
    now = now or timezone.now()
    project = work_order.project
    work_order.company_id = project.company_id
    work_order.sales_organization_id = project.sales_organization_id
    if work_order.date_create is None:
        work_order.date_create = now
    work_order.date_update = now
    work_order.modified_dateutc = now
    state = work_order.job_status.life_cycle_state
    if state == LifeCycleState.COMPLETED and previous_state != LifeCycleState.COMPLETED:
        work_order.date_closed = now
    elif state != LifeCycleState.COMPLETED:
        work_order.date_closed = None


def sync_suggested_plannings(*, work_orders: Sequence[WorkOrder]) -> None:
    """The Suggested rule, for a batch of saved work orders (one query to read, one per kind of
    write).

    Suggested with a user and a start: exactly one planning made by the rule, moved when the user
    or start changes. Canceled, back to unplanned, or the suggestion cleared while Suggested: the
    rule's planning goes. Moved on (Activated, Open, InProgress, Completed): it stays, it is the
    appointment. Plannings made by hand are never touched."""
    if not work_orders:
        return
    existing = {
        p.work_order_id: p
        for p in JobPlanning.objects.filter(
            made_by_rule=True, work_order_id__in=[wo.pk for wo in work_orders]
        )
    }
    statuses = _statuses_by_id()
    to_create, to_update, to_delete = [], [], []
    for wo in work_orders:
        number = statuses[wo.job_status_id].number
        planning = existing.get(wo.pk)
        if number == StatusNumber.SUGGESTED:
            if wo.suggested_user_id and wo.suggested_date_start:
                end = planning_end(
                    date_start=wo.suggested_date_start, estimated_time=wo.estimated_time
                )
                if planning is None:
                    to_create.append(
                        JobPlanning(
                            work_order=wo,
                            user_id=wo.suggested_user_id,
                            date_start=wo.suggested_date_start,
                            date_end=end,
                            made_by_rule=True,
                        )
                    )
                elif (planning.user_id, planning.date_start, planning.date_end) != (
                    wo.suggested_user_id,
                    wo.suggested_date_start,
                    end,
                ):
                    planning.user_id = wo.suggested_user_id
                    planning.date_start = wo.suggested_date_start
                    planning.date_end = end
                    to_update.append(planning)
            elif planning is not None:
                to_delete.append(planning.pk)
        elif number in _UNPLANNED_STATUSES and planning is not None:
            to_delete.append(planning.pk)
    if to_delete:
        JobPlanning.objects.filter(pk__in=to_delete).delete()
    if to_create:
        JobPlanning.objects.bulk_create(to_create)
    if to_update:
        now = timezone.now()
        for planning in to_update:
            planning.modified_dateutc = now
        JobPlanning.objects.bulk_update(
            to_update, ["user", "date_start", "date_end", "modified_dateutc"]
        )


def _statuses_by_id() -> dict:
    return {s.pk: s for s in JobStatus.objects.all()}


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
        locked = (
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("job_status", "project")
            .get(pk=work_order.pk)
        )
        if locked.job_status_id != status.pk:
            _save_status(locked, status, by=by)
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


def suggest_technician(
    *, work_orders: Iterable[WorkOrder], user: User, date_start: datetime, by: User | None = None
) -> list[WorkOrder]:
    """Set Suggested with a technician and a start; the Suggested rule plans it.

    Work that is under way, done or cancelled is not re-planned: the whole call is refused
    (nothing written) with a ServiceError naming the work orders and their state."""
    suggested = JobStatus.objects.get(number=StatusNumber.SUGGESTED)
    now = timezone.now()
    changed = []
    with transaction.atomic():
        locked = list(
            WorkOrder.objects.select_for_update(of=("self",))
            .select_related("job_status", "project")
            .filter(pk__in=[w.pk for w in work_orders])
            .order_by("id2")
        )
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
        for wo in locked:
            previous_state = wo.job_status.life_cycle_state
            wo.job_status = suggested
            wo.suggested_user = user
            wo.suggested_date_start = date_start
            apply_system_fields(work_order=wo, previous_state=previous_state, now=now)
            changed.append(wo)
        WorkOrder.objects.bulk_update(
            changed,
            [
                "job_status",
                "suggested_user",
                "suggested_date_start",
                "date_update",
                "modified_dateutc",
                "date_closed",
            ],
        )
        sync_suggested_plannings(work_orders=changed)
    return changed


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
                WorkOrder.objects.select_for_update(of=("self",))
                .filter(pk=work_order.pk)
                .values_list("job_status__life_cycle_state", "date_closed")
                .first()
                if work_order.pk and not work_order._state.adding
                else None
            )
            previous_state = stored[0] if stored else None
            if stored and work_order.date_closed is None:
                # Completed meanwhile (API, import): keep when it was closed.
                work_order.date_closed = stored[1]
        apply_system_fields(work_order=work_order, previous_state=previous_state)
        work_order.save()
        sync_suggested_plannings(work_orders=[work_order])
    return work_order


def save_project(*, project, by: User | None = None):
    """A project belongs to the sales organization of its company."""
    project.sales_organization_id = project.company.sales_organization_id
    if by is not None:
        project.updated_by_user = by
    project.save()
    return project
