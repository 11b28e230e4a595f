"""Editing a few fields of many work orders at once (the list's "Edit priority, due date, skill,
job type…" action): priority, due date, skill and job type.

The same rules as any other write: a reference must be of the work order's sales organization or
shared (the rule of the forms, the API and the imports: `references_of_other_organizations`);
the system fields are stamped; the Suggested rule runs and the planning check re-checks every
planning of the changed work orders (a new skill the technician lacks, a due date before the
appointment), in one batch for all of them."""

from dataclasses import dataclass, field

from django.db import transaction

from jobsite.models import User
from workorders.locks import lock_work_orders
from workorders.models import JobPlanning, WorkOrder
from workorders.plannings import sync_suggested_plannings
from workorders.reference_kinds import WORK_ORDER_GROUPS, references_of_other_organizations
from workorders.scheduling.pending_checks import settle_quietly
from workorders.system_fields import apply_system_fields

EDITABLE = ("job_priority", "due_date", "skill", "job_type")
LABELS = {
    "job_priority": "priority",
    "due_date": "due date",
    "skill": "skill",
    "job_type": "job type",
}
REQUIRED = {"job_type"}
_GROUPS = tuple(g for g in WORK_ORDER_GROUPS if g.field in EDITABLE)


@dataclass
class EditResult:
    changed: list[WorkOrder] = field(default_factory=list)
    unchanged: list[WorkOrder] = field(default_factory=list)
    refused: list[tuple[WorkOrder, str]] = field(default_factory=list)
    # The changed work orders whose plannings the planning check now warns about.
    warned: list[tuple[WorkOrder, list[str]]] = field(default_factory=list)


def _value_id(value):
    return getattr(value, "pk", value)


def edit_work_orders(*, work_orders, changes: dict, by: User | None = None) -> EditResult:
    """Set `changes` ({field: value}, fields of EDITABLE; None clears an optional one) on each
    of `work_orders` (ids or work orders). Each work order is changed or refused on its own;
    all that change are written in one transaction."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValueError(f"Not editable in bulk: {', '.join(sorted(unknown))}")
    result = EditResult()
    pks = [getattr(wo, "pk", wo) for wo in work_orders]
    with transaction.atomic():
        for wo in lock_work_orders(pks):
            if any(changes.get(name) is None for name in REQUIRED if name in changes):
                result.refused.append((wo, "a job type is required."))
                continue
            before = {name: getattr(wo, _attname(name)) for name in changes}
            for name, value in changes.items():
                setattr(wo, _attname(name), _value_id(value))
            after = {name: getattr(wo, _attname(name)) for name in changes}
            if after == before:
                result.unchanged.append(wo)
                continue
            errors = references_of_other_organizations(
                instance=wo, groups=_GROUPS, sales_organization_id=wo.sales_organization_id
            )
            if errors:
                result.refused.append(
                    (wo, " ".join(f"{LABELS[f]}: {m}" for f, m in errors.items()))
                )
                continue
            state = wo.job_status.life_cycle_state
            apply_system_fields(work_order=wo, previous_state=state)
            result.changed.append(wo)
        if result.changed:
            WorkOrder.objects.bulk_update(
                result.changed,
                [*(_attname(n) for n in changes), "date_update", "modified_dateutc", "date_closed"],
            )
            # The Suggested rule and the planning check, once for the whole batch.
            sync_suggested_plannings(work_orders=result.changed)
            result.warned = _warned(result.changed)
    return result


def _attname(name: str) -> str:
    return WorkOrder._meta.get_field(name).attname


def _warned(work_orders: list[WorkOrder]) -> list[tuple[WorkOrder, list[str]]]:
    by_pk = {wo.pk: wo for wo in work_orders}
    settle_quietly()  # the warnings a set-based write left to check
    messages: dict = {}
    for work_order_id, warnings in (
        JobPlanning.objects.filter(work_order_id__in=list(by_pk))
        .exclude(warning_codes="")
        .values_list("work_order_id", "warnings")
    ):
        messages.setdefault(work_order_id, []).extend(w["message"] for w in warnings)
    return [(by_pk[pk], found) for pk, found in messages.items()]
