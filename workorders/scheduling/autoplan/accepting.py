"""Accepting all or part of a proposed plan: each accepted work order becomes Suggested with the
plan's technician and start, so the Suggested rule writes its planning (the planning service,
as every path plans). What became invalid since the plan was made is refused, saying why, and
the rest is written: a work order planned or moved on meanwhile, a technician who may no longer
be planned, or any finding of the planning check where it would go (an overlap with a planning
made since, an absence, a holiday, working hours, skill, the work order's dates)."""

from django.db import transaction

from apijobs.models import ApiJob, ApiJobStatus
from jobsite.dates import parse_datetime
from jobsite.errors import ServiceError
from jobsite.models import User
from workorders.locks import lock_work_orders
from workorders.models import JobPlanning, WorkOrder
from workorders.plannings import Technicians, preview_suggestions
from workorders.suggestions import mark_suggested, refusal


def accept_plan(*, api_job: ApiJob, work_order_ids, by: User) -> dict:
    """{"accepted": [work order ids], "refused": [{"work_order_id", "reason"}]}; `work_order_ids`
    None accepts the whole plan (what was not accepted yet)."""
    if api_job.status != ApiJobStatus.COMPLETED:
        raise ServiceError(
            f"The auto-plan is {api_job.status}: only a completed plan can be accepted.",
            field="api_job_id",
            code="invalid_state",
        )
    plan = ApiJob.objects.filter(pk=api_job.pk).values_list("payload", flat=True).first() or {}
    proposed = {p["work_order_id"]: p for p in plan.get("plannings", [])}
    if work_order_ids is None:
        done_before = set(api_job.options.get("accepted", []))
        chosen = [pk for pk in proposed if pk not in done_before]
    else:
        if not isinstance(work_order_ids, list) or not all(
            isinstance(x, str) for x in work_order_ids
        ):
            raise ServiceError("Give a list of work order ids.", field="work_order_ids")
        chosen = list(dict.fromkeys(work_order_ids))
        unknown = [x for x in chosen if x not in proposed]
        if unknown:
            raise ServiceError(
                f"Not in the proposed plan: {', '.join(unknown[:5])}"
                + (" …" if len(unknown) > 5 else "")
                + ".",
                field="work_order_ids",
            )
    refused: dict[str, str] = {}
    accepted: list[WorkOrder] = []
    with transaction.atomic():
        locked = {str(wo.pk): wo for wo in lock_work_orders(chosen)}
        planned = {
            str(pk)
            for pk in JobPlanning.objects.filter(work_order__in=list(locked)).values_list(
                "work_order_id", flat=True
            )
        }
        technicians = Technicians([p["technician_id"] for p in proposed.values()])
        candidates = []
        for pk in chosen:
            wo = locked.get(pk)
            reason = _refusal(wo, pk in planned, technicians, proposed[pk])
            if reason:
                refused[pk] = reason
            else:
                candidates.append((wo, proposed[pk]))
        findings = preview_suggestions(
            placements=[
                (wo, _uuid(p["technician_id"]), parse_datetime(p["start"])) for wo, p in candidates
            ]
        )
        for (wo, _), found in zip(candidates, findings, strict=True):
            if found:
                refused[str(wo.pk)] = " ".join(f.message for f in found)
            else:
                accepted.append(wo)
        _suggest(accepted, proposed)
        done = [str(wo.pk) for wo in accepted]
        api_job.options = {
            **api_job.options,
            "accepted": sorted({*api_job.options.get("accepted", []), *done}),
        }
        api_job.save(update_fields=["options", "updated_at"])
    return {
        "accepted": done,
        "refused": [{"work_order_id": pk, "reason": reason} for pk, reason in refused.items()],
    }


def _refusal(wo: WorkOrder | None, planned: bool, technicians: Technicians, proposal) -> str:
    if wo is None:
        return "The work order was deleted."
    if planned:
        return f"#{wo.id2} was planned since the plan was made."
    # What the admin's action and the board refuse too, in the same words.
    found = refusal(
        work_order=wo, technician_id=_uuid(proposal["technician_id"]), technicians=technicians
    )
    return found.message if found else ""


def _uuid(value: str):
    return User._meta.pk.to_python(value)


def _suggest(work_orders: list[WorkOrder], proposed: dict) -> None:
    """Suggested with the plan's technician and start; the Suggested rule writes the plannings."""
    placements = {}
    for wo in work_orders:
        p = proposed[str(wo.pk)]
        placements[wo.pk] = (_uuid(p["technician_id"]), parse_datetime(p["start"]))
    mark_suggested(work_orders=work_orders, placements=placements)
