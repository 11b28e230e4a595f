"""What a planner does on the planning board: move a planning to another time or technician,
change its length, plan a waiting work order at a time, and undo the last of these.

Every move runs the planning check first (workorders/scheduling): an error refuses it with
its reason and nothing is written; warnings come back as a question unless the planner said
"plan anyway". The writes go through the planning service (workorders/plannings.py), or, for
a suggestion, through the Suggested rule (workorders/suggestions.py), which moves its planning."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from jobs.models import JobStatus, StatusNumber
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.tenancy import restrict_to_tenant
from workorders import plannings
from workorders.models import JobPlanning, WorkOrder
from workorders.planning_board import FIXED_STATES, SLOT_MINUTES
from workorders.scheduling.checks import Appointment, findings_for
from workorders.selectors import AWAITING_PLANNING_STATUSES
from workorders.status_changes import set_status
from workorders.suggestions import suggest_technician
from workorders.system_fields import organization_of


@dataclass
class Outcome:
    """What the board shows after a move: done, refused (message), or a question (confirm)."""

    ok: bool
    message: str
    confirm: bool = False
    warnings: list = field(default_factory=list)
    technician_ids: set = field(default_factory=set)  # the rows that changed
    undo: dict | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "confirm": self.confirm,
            "message": self.message,
            "warnings": self.warnings,
            "undo": self.undo,
        }


def _refused(message: str) -> Outcome:
    return Outcome(ok=False, message=message)


def _local(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _label(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%a %d %b %H:%M")


def _technician(*, user: User, pk) -> User | None:
    # Only users `user` sees; whether they may be planned is the planning service's to say.
    return restrict_to_tenant(User.objects.all(), user=user).filter(pk=pk).first()


def _question(*, findings, what: str) -> Outcome:
    listed = " ".join(f.message for f in findings)
    return Outcome(
        ok=False,
        confirm=True,
        message=f"{what} anyway? {listed}",
        warnings=[f.as_dict() for f in findings],
    )


def _technician_problem(*, technician: User, work_order: WorkOrder) -> str | None:
    problem = plannings.Technicians([technician.pk]).problem(
        user_id=technician.pk, sales_organization_id=organization_of(work_order)
    )
    return problem[1] if problem else None


def move_planning(
    *,
    user: User,
    planning_id,
    technician_id,
    start: datetime,
    end: datetime | None = None,
    plan_anyway: bool = False,
) -> Outcome:
    """Move a planning to `technician_id` at `start`, keeping its length, or (with `end`)
    change its length."""
    planning = (
        restrict_to_tenant(
            JobPlanning.objects.select_related("work_order__job_status"),
            user=user,
            field="work_order__sales_organization",
        )
        .filter(pk=planning_id)
        .first()
    )
    if planning is None:
        return _refused("Not moved — no such planning.")
    technician = _technician(user=user, pk=technician_id)
    if technician is None:
        return _refused("Not moved — no such technician.")
    wo = planning.work_order
    if wo.job_status.life_cycle_state in FIXED_STATES:
        return _refused(f"Not moved — #{wo.id2} is {wo.job_status.name}: it stays where it was.")
    by_rule = planning.made_by_rule and wo.job_status.number == StatusNumber.SUGGESTED
    if end is None:
        end = start + (planning.date_end - planning.date_start)
    elif by_rule:
        return _refused(
            f"Not changed — #{wo.id2} is a suggestion: it lasts the work order's estimated "
            f"time ({wo.estimated_time or plannings.DEFAULT_PLANNING_MINUTES} min). "
            "Change that on the work order."
        )
    if by_rule:
        end = plannings.planning_end(date_start=start, estimated_time=wo.estimated_time)
    if end - start < timedelta(minutes=SLOT_MINUTES):
        return _refused(f"Not changed — a planning lasts at least {SLOT_MINUTES} minutes.")
    problem = _technician_problem(technician=technician, work_order=wo)
    if problem:
        return _refused(f"Not moved — {problem}")
    before = {
        "kind": "move",
        "planning": str(planning.pk),
        "technician": str(planning.user_id),
        "start": _local(planning.date_start),
        "end": _local(planning.date_end),
    }
    # Told to plan anyway, the planner has seen the warnings: the write checks it again and
    # stores what it finds.
    findings = []
    if not plan_anyway:
        (findings,) = findings_for(
            [
                Appointment(
                    user_id=technician.pk,
                    work_order=wo,
                    date_start=start,
                    date_end=end,
                    pk=planning.pk,
                    moving=True,
                )
            ]
        )
    if findings:
        return _question(findings=findings, what=f"Move #{wo.id2} {wo.name} to {technician}")
    rows = {planning.user_id, technician.pk}
    try:
        with transaction.atomic():
            if by_rule:
                suggest_technician(work_orders=[wo], user=technician, date_start=start, by=user)
            else:
                planning.user = technician
                planning.date_start, planning.date_end = start, end
                plannings.store_planning(planning=planning)
    except ServiceError as exc:
        return _refused(f"Not moved — {exc.message}")
    message = f"#{wo.id2} {wo.name}: {technician}, {_label(start)}–{timezone.localtime(end):%H:%M}."
    if not by_rule:
        findings = [w["message"] for w in planning.warnings]  # as the write stored them
        if findings:
            message += " With warnings: " + " ".join(findings)
    return Outcome(
        ok=True,
        message=message,
        warnings=planning.warnings if not by_rule else [],
        technician_ids=rows,
        undo=before,
    )


def plan_work_order(
    *, user: User, work_order_id, technician_id, start: datetime, plan_anyway: bool = False
) -> Outcome:
    """Plan waiting work for a technician at `start`: it becomes their suggestion, which the
    Suggested rule plans for the work order's estimated time."""
    wo = (
        restrict_to_tenant(WorkOrder.objects.select_related("job_status"), user=user)
        .filter(pk=work_order_id)
        .first()
    )
    if wo is None:
        return _refused("Not planned — no such work order.")
    technician = _technician(user=user, pk=technician_id)
    if technician is None:
        return _refused("Not planned — no such technician.")
    problem = _technician_problem(technician=technician, work_order=wo)
    if problem:
        return _refused(f"Not planned — {problem}")
    (findings,) = plannings.preview_suggestions(placements=[(wo, technician.pk, start)])
    if findings and not plan_anyway:
        return _question(findings=findings, what=f"Plan #{wo.id2} {wo.name} for {technician}")
    previous = wo.job_status_id
    try:
        suggest_technician(work_orders=[wo], user=technician, date_start=start, by=user)
    except ServiceError as exc:
        return _refused(f"Not planned — {exc.message}")
    message = f"Planned #{wo.id2} {wo.name} for {technician} on {_label(start)}."
    if findings:
        message += " With warnings: " + " ".join(f.message for f in findings)
    return Outcome(
        ok=True,
        message=message,
        warnings=[f.as_dict() for f in findings],
        technician_ids={technician.pk},
        undo={"kind": "unplan", "work_order": str(wo.pk), "status": str(previous)},
    )


def unplan_work_order(*, user: User, work_order_id, status_id) -> Outcome:
    """The undo of `plan_work_order`: the work order goes back to the waiting status it had,
    and the Suggested rule takes its planning away."""
    wo = (
        restrict_to_tenant(WorkOrder.objects.select_related("job_status"), user=user)
        .filter(pk=work_order_id)
        .first()
    )
    status = JobStatus.objects.filter(pk=status_id, number__in=AWAITING_PLANNING_STATUSES).first()
    if wo is None or status is None:
        return _refused("Not undone — no such work order or status.")
    if wo.job_status.number != StatusNumber.SUGGESTED:
        return _refused(f"Not undone — #{wo.id2} is {wo.job_status.name} now.")
    rows = set(
        JobPlanning.objects.filter(work_order=wo, made_by_rule=True).values_list(
            "user_id", flat=True
        )
    )
    set_status(work_order=wo, status=status, by=user)
    return Outcome(
        ok=True,
        message=f"Undone: #{wo.id2} {wo.name} is {status.name} again.",
        technician_ids=rows,
    )
