"""Writes of work orders, projects and plannings. Every entry path (API, bulk, import, admin,
planning board) goes through these functions, so each rule holds everywhere."""

import contextlib
import copy
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone

from jobs import services as life_cycle
from jobs.models import JobStatus, LifeCycleState, StatusNumber
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.services import next_numbers, observe_number
from jobsite.tenancy import visible_sales_organization_ids
from workorders.models import Project, WorkOrder
from workorders.plannings import (
    DEFAULT_PLANNING_MINUTES,
    UNPLANNED_STATUSES,
    Technicians,
    delete_planning,
    planning_end,
    save_planning,
    sync_suggested_plannings,
)
from workorders.records import (
    MOBILE_ADDRESS_REQUIRED,
    WORK_ORDER_SCALARS,
    clean_uuid,
    clean_work_order_fields,
)
from workorders.references import (
    KINDS,
    WORK_ORDER_GROUPS,
    ReferenceResolver,
    UnresolvedReference,
    assign,
)

# The planning service's functions are re-exported: callers of the work order writes find them here.
__all__ = [
    "DEFAULT_PLANNING_MINUTES",
    "UNPLANNED_STATUSES",
    "RecordResult",
    "clean_work_order_fields",
    "delete_planning",
    "planning_end",
    "save_planning",
    "sync_suggested_plannings",
    "upsert_work_orders",
]

# Work in these states is under way or finished: suggesting a technician would re-plan it.
_NOT_SUGGESTIBLE = {
    LifeCycleState.IN_PROGRESS,
    LifeCycleState.COMPLETED,
    LifeCycleState.CANCELLED,
}


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


def activate(*, work_order: WorkOrder, by: User | None = None) -> WorkOrder:
    """Activate pending work (the appointment is confirmed); other states are refused."""
    activated = JobStatus.objects.get(number=StatusNumber.ACTIVATED)
    with transaction.atomic():
        locked = _lock(work_order)
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
        locked = _lock(work_order)
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


def _lock(work_order: WorkOrder) -> WorkOrder:
    locked = WorkOrder.objects.select_for_update(of=("self",)).get(pk=work_order.pk)
    # Related rows are read after the lock: a join in the locking query can lose the row when a
    # concurrent writer moved it (PostgreSQL re-checks the join on the new version).
    locked.job_status = JobStatus.objects.get(pk=locked.job_status_id)
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
        technicians = Technicians([user.pk])
        for wo in locked:
            problem = technicians.problem(
                user_id=user.pk, sales_organization_id=wo.project.sales_organization_id
            )
            if problem is not None:
                raise ServiceError(
                    f"#{wo.id2}: {problem[1]}", field="suggested_user", code=problem[0]
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


_SUGGESTED_USER = next(g for g in WORK_ORDER_GROUPS if g.field == "suggested_user")

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


# -- The work order upsert: PUT, POST, PATCH, bulk and import all write through it. -------------

NOT_FOUND = "Not found."

# Seed-004 input name of each model field, to name the field a message is about.
_INPUT_NAME = {spec.field: name for name, spec in WORK_ORDER_SCALARS.items()}
_GROUP_BY_FIELD = {g.field: g for g in WORK_ORDER_GROUPS}


@dataclass
class RecordResult:
    index: int  # position in the input
    work_order: WorkOrder | None
    outcome: str  # "created" | "updated" | "unchanged" | "failed"
    errors: dict[str, str] = field(default_factory=dict)  # field path -> message (when failed)
    not_found: bool = False  # the id names a work order the caller may not see (a 404)
    # Its write collided with a row another transaction committed meanwhile (same id or
    # reference): run again, it finds that row.
    lost_race: bool = field(default=False, repr=False)
    # {(model, field, id): code} of the rows the record referred to, for the answer's x_code.
    codes: dict = field(default_factory=dict, repr=False)


class _RecordFailed(Exception):
    def __init__(self, errors: dict[str, str], *, not_found: bool = False):
        super().__init__(errors)
        self.errors = errors
        self.not_found = not_found


def upsert_work_orders(
    *,
    records: Sequence[dict],
    by: User,
    partial: bool = False,
    match_by_reference: bool = True,
) -> list[RecordResult]:
    """Create or update seed-004 work orders, each matched by `id`, else (when
    `match_by_reference`) by `reference_back_office`.

    Each record succeeds or fails alone; a record already up to date is "unchanged" and not
    written; an update writes only the columns that changed. References are resolved for the
    whole batch (one query per kind), and the Suggested rule runs once for every written work
    order. With `partial` (PATCH), absent fields are left as they are and `name` is not required
    on update.

    A batch is validated whole first, then written set-wise (one INSERT for the new work orders,
    one UPDATE per set of changed columns). Should that write collide with a row written
    meanwhile (a unique race), or a record fail after writing its embedded objects, the batch
    is rolled back and run again record by record, a savepoint each, so a failure fails only
    its record.

    A record whose write lost a race (another transaction committed the same id or reference
    between our read and our write) is run once more on its own: it then finds that row and
    updates it, as if it had come second, instead of failing with "retry"."""
    records = list(records)
    options = {"by": by, "partial": partial, "match_by_reference": match_by_reference}
    results = _upsert_records(records=records, **options)
    lost = [r.index for r in results if r is not None and r.lost_race]
    if lost:
        again = _upsert_records(records=[records[i] for i in lost], **options)
        for index, result in zip(lost, again, strict=True):
            result.index = index
            result.lost_race = False
            results[index] = result
    return results


def _upsert_records(
    *, records: list[dict], by: User, partial: bool, match_by_reference: bool
) -> list[RecordResult]:
    results: list[RecordResult | None] = [None] * len(records)
    cleaned: dict[int, dict] = {}
    for index, record in enumerate(records):
        values, errors = clean_work_order_fields(record, partial=partial, creating=False)
        if errors:
            results[index] = RecordResult(index, None, "failed", errors)
        else:
            cleaned[index] = values
    if not cleaned:
        return results

    args = {
        "records": records,
        "cleaned": cleaned,
        "by": by,
        "partial": partial,
        "match_by_reference": match_by_reference,
    }
    if len(cleaned) > 1:
        try:
            with transaction.atomic():
                return _upsert_cleaned(results=list(results), batched=True, **args)
        except _BatchConflict:
            pass  # rolled back: run it again record by record
    with transaction.atomic():
        return _upsert_cleaned(results=results, batched=False, **args)


class _BatchConflict(Exception):
    """The batch cannot be written set-wise: its write hit a unique constraint, or a record
    failed after its embedded objects were written. Run it again record by record."""


# Checking a record writes nothing but its embedded objects, so the batched path needs no
# savepoint per record: a record that fails after such a write sends the batch record by record.
_no_scope = contextlib.nullcontext()


def _upsert_cleaned(
    *, records, cleaned, results, by, partial, match_by_reference, batched
) -> list[RecordResult]:
    """The body of `upsert_work_orders`, in a transaction. `batched`: the work orders are
    written after the whole batch is checked, set-wise, with no savepoint per record; otherwise
    each record is written at once in its own savepoint."""
    visible = visible_sales_organization_ids(user=by)
    now = timezone.now()
    written: list[WorkOrder] = []
    existing_by_id, existing_by_ref = _existing(cleaned.values(), match_by_reference)
    targets: dict[int, WorkOrder | None] = {}
    for index, values in cleaned.items():
        wo = existing_by_id.get(values.get("id")) if values.get("id") else None
        if wo is None and not values.get("id") and match_by_reference:
            wo = existing_by_ref.get(values.get("reference_back_office"))
        if wo is not None and visible is not None and wo.sales_organization_id not in visible:
            if values.get("id"):
                errors, not_found = {"id": NOT_FOUND}, True
            else:
                errors = {"reference_back_office": "Already used by another work order."}
                not_found = False
            results[index] = RecordResult(index, None, "failed", errors, not_found)
            continue
        targets[index] = wo
    resolver = ReferenceResolver(
        records=[records[i] for i in targets],
        by=by,
        extra_ids={"project": {wo.project_id for wo in targets.values() if wo}},
    )
    technicians = Technicians(resolver.loaded_ids("user"))
    to_create = sum(1 for i, wo in targets.items() if wo is None and cleaned[i].get("id2") is None)
    numbers = iter(next_numbers(name=WorkOrder.number_sequence, count=to_create))
    refs_in_batch = {
        wo.reference_back_office: wo.pk
        for wo in existing_by_ref.values()
        if wo.reference_back_office
    }
    explicit_numbers = []
    created_by_ref: dict[str, WorkOrder] = {}
    latest: dict = {}  # pk -> the work order as the batch has written it so far
    # Batched: what is left to write, by pk (a work order named twice is written once, as the
    # batch leaves it: the same row as writing each record in turn).
    new_rows: dict = {}
    changed_rows: dict = {}  # pk -> (work order, fields to update)
    for index, wo in targets.items():
        record, values = records[index], cleaned[index]
        ref = values.get("reference_back_office")
        if wo is None and match_by_reference and not values.get("id"):
            wo = created_by_ref.get(ref)  # the batch names it twice: the later one updates
        if wo is not None:
            wo = latest.get(wo.pk, wo)
        creating = wo is None
        writes = resolver.writes
        try:
            with transaction.atomic(savepoint=len(targets) > 1) if not batched else _no_scope:
                outcome, wo, update_fields = _write_one(
                    record=record,
                    values=values,
                    existing=wo,
                    resolver=resolver,
                    technicians=technicians,
                    partial=partial,
                    refs_in_batch=refs_in_batch,
                    numbers=numbers,
                    now=now,
                    by=by,
                    write=not batched,
                )
        except _RecordFailed as failed:
            if batched and resolver.writes != writes:
                raise _BatchConflict from failed  # what its embedded objects wrote must go
            resolver.forget(resolver.created)
            results[index] = RecordResult(index, None, "failed", failed.errors, failed.not_found)
            continue
        except IntegrityError as exc:
            if batched:
                raise _BatchConflict from exc
            resolver.forget(resolver.created)
            errors = _integrity_errors(exc)
            results[index] = RecordResult(
                index,
                None,
                "failed",
                errors,
                lost_race=bool({"id", "reference_back_office"} & set(errors)),
            )
            if len(targets) == 1:
                transaction.set_rollback(True)
            continue
        finally:
            resolver.created = []
        if batched and outcome == "created":
            if wo.pk in new_rows:  # a new id named twice: its second INSERT fails, as it did
                raise _BatchConflict
            new_rows[wo.pk] = wo
        elif batched and outcome == "updated":
            if wo.pk in new_rows:
                new_rows[wo.pk] = wo
            else:
                _, before = changed_rows.get(wo.pk, (None, set()))
                changed_rows[wo.pk] = (wo, before | update_fields)
        latest[wo.pk] = wo
        if wo.reference_back_office:
            refs_in_batch[wo.reference_back_office] = wo.pk
        if outcome == "created" and wo.reference_back_office:
            created_by_ref[wo.reference_back_office] = wo
        if outcome != "unchanged":
            written.append(wo)
            if creating and values.get("id2") is not None:
                explicit_numbers.append(values["id2"])
        results[index] = RecordResult(index, wo, outcome)
    if batched:
        try:
            with transaction.atomic():
                _write_rows(new_rows=list(new_rows.values()), changed_rows=changed_rows)
        except IntegrityError as exc:
            raise _BatchConflict from exc
        alias = router.db_for_write(WorkOrder)
        for result in results:  # each record's view of its work order is now a stored one
            if result is not None and result.work_order is not None:
                result.work_order._state.adding, result.work_order._state.db = False, alias
    if explicit_numbers:
        observe_number(name=WorkOrder.number_sequence, value=max(explicit_numbers))
    if written:
        once = list({wo.pk: wo for wo in written}.values())
        sync_suggested_plannings(work_orders=once, statuses=resolver.statuses())
    codes = resolver.known_codes()
    for result in results:
        if result is not None and result.work_order is not None:
            result.codes = codes
    return results


def _write_rows(*, new_rows: list[WorkOrder], changed_rows: dict) -> None:
    """One INSERT for the new work orders, one UPDATE per set of changed columns."""
    if new_rows:
        _insert_work_orders(new_rows)
    by_fields: dict[frozenset, list[WorkOrder]] = {}
    for wo, fields in changed_rows.values():
        by_fields.setdefault(frozenset(fields), []).append(wo)
    for fields, rows in by_fields.items():
        if len(rows) == 1:
            _update_row(rows[0], fields)
        else:
            WorkOrder._base_manager.bulk_update(rows, sorted(fields))


def _insert_work_orders(rows: list[WorkOrder]) -> None:
    """bulk_create, but on SQLite one prepared single-row INSERT run for every row: building one
    statement with 40 placeholders per row costs most of the import's time in the ORM."""
    connection = connections[router.db_for_write(WorkOrder)]
    if connection.vendor != "sqlite":
        WorkOrder.objects.bulk_create(rows)
        return
    fields = WorkOrder._meta.local_concrete_fields
    qn = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        qn(WorkOrder._meta.db_table),
        ", ".join(qn(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    # Most columns of a new work order are empty: None needs no preparing.
    params = [
        [
            None if (v := f.pre_save(wo, True)) is None else f.get_db_prep_save(v, connection)
            for f in fields
        ]
        for wo in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    for wo in rows:
        wo._state.adding, wo._state.db = False, connection.alias


def _update_row(wo: WorkOrder, update_fields) -> None:
    columns = {
        WorkOrder._meta.get_field(name).attname: getattr(
            wo, WorkOrder._meta.get_field(name).attname
        )
        for name in update_fields
    }
    WorkOrder._base_manager.filter(pk=wo.pk).update(**columns)


def _existing(values_list, match_by_reference: bool) -> tuple[dict, dict]:
    """The stored work orders the batch names by id or reference back office (one query, rows
    locked), and the holders of the references it uses (for the unique check)."""
    ids = {v["id"] for v in values_list if v.get("id")}
    refs = {v["reference_back_office"] for v in values_list if v.get("reference_back_office")}
    condition = models.Q(pk__in=ids) if ids else models.Q(pk__in=[])
    if refs:
        condition |= models.Q(reference_back_office__in=refs)
    if not ids and not refs:
        return {}, {}
    # Locked in one order (by id) whatever the batch's order: two batches sharing work orders
    # then queue for them instead of deadlocking.
    rows = list(WorkOrder.objects.select_for_update(of=("self",)).filter(condition).order_by("pk"))
    return {wo.pk: wo for wo in rows}, {
        wo.reference_back_office: wo for wo in rows if wo.reference_back_office
    }


def _write_one(
    *,
    record,
    values,
    existing,
    resolver,
    technicians,
    partial,
    refs_in_batch,
    numbers,
    now,
    by,
    write=True,
) -> tuple[str, WorkOrder, set[str] | None]:
    """Check one record against the work order it names (None: a new one) and apply it to a copy;
    with `write`, write it. Returns the outcome, the work order and the fields an update writes."""
    creating = existing is None
    project_hint = resolver.get("project", existing.project_id) if existing else None
    refs, errors = resolver.resolve(
        record=record,
        groups=WORK_ORDER_GROUPS,
        context_org=project_hint.sales_organization_id if project_hint else None,
    )
    if creating and not values.get("name"):
        errors.setdefault("name", "This field is required.")
    for group in WORK_ORDER_GROUPS:
        if group.required and (
            (group.field in refs and refs[group.field] is None)
            or (creating and group.field not in refs)
        ):
            keys = " or ".join(group.input_keys)
            errors.setdefault(group.input_keys[0], f"Required: give {keys}.")
    project = refs.get("project") or project_hint
    if project is not None:
        # The project decides the work order's organization; the technician has its own rule.
        others = tuple(g for g in WORK_ORDER_GROUPS if g.field not in ("project", "suggested_user"))
        for key, message in resolver.foreign_references(
            record=record, refs=refs, groups=others, organization=project.sales_organization_id
        ).items():
            errors.setdefault(key, message)
    if errors:
        raise _RecordFailed(errors)

    # A copy: a record that fails must leave the batch's view of the work order as it was.
    wo = copy.copy(existing) if existing else WorkOrder(id=values.get("id") or uuid.uuid4())
    previous_state = None
    if not creating:
        previous_state = resolver.statuses()[wo.job_status_id].life_cycle_state
        wo.project = resolver.get("project", wo.project_id) or wo.project
        wo.job_status = resolver.statuses()[wo.job_status_id]
    changed: set[str] = set()
    for name, value in values.items():
        if name in ("id", "id2"):
            continue
        if getattr(wo, name) != value:
            setattr(wo, name, value)
            changed.add(name)
    for name, obj in refs.items():
        if getattr(wo, f"{name}_id") != (obj.pk if obj else None) or creating:
            assign(wo, name, obj)
            changed.add(name)
    project = wo.project
    errors = {}
    if wo.parent_id is not None and wo.parent_id == wo.pk:
        errors["_parent_id"] = "A work order cannot be its own parent."
    if project.is_mobile_installation:
        for name in MOBILE_ADDRESS_REQUIRED:
            if not getattr(wo, name):
                errors[name] = "Required: the project is a mobile installation."
    address_moved = "db_address" in changed or "project" in changed
    if wo.db_address_id is not None and address_moved and wo.db_address_id != project.db_address_id:
        errors["db_address_id"] = "Must be the address of the project."
    if wo.suggested_user_id is not None and {"suggested_user", "project"} & changed:
        problem = technicians.problem(
            user_id=wo.suggested_user_id, sales_organization_id=project.sales_organization_id
        )
        if problem is not None:
            errors[_SUGGESTED_USER.given_key(record)] = problem[1]
    ref = wo.reference_back_office
    if ref and refs_in_batch.get(ref, wo.pk) != wo.pk:
        errors["reference_back_office"] = "Already used by another work order."
    if errors:
        raise _RecordFailed(errors)

    before = {
        "company_id": wo.company_id,
        "sales_organization_id": wo.sales_organization_id,
        "date_closed": wo.date_closed,
    }
    if creating:
        wo.id2 = values.get("id2") or next(numbers)
    else:
        # The project's company may have changed since the last write: that is a change too.
        if (project.company_id, project.sales_organization_id) != (
            wo.company_id,
            wo.sales_organization_id,
        ):
            changed.add("company")
        if not changed:
            return "unchanged", wo, None
    apply_system_fields(work_order=wo, previous_state=previous_state, now=now)
    if creating:
        if write:
            WorkOrder.objects.bulk_create([wo])
        return "created", wo, None
    update_fields = changed | {"date_update", "modified_dateutc"}
    for name, old in before.items():
        if getattr(wo, name) != old:
            update_fields.add(name.removesuffix("_id"))
    if write:
        _update_row(wo, update_fields)
    return "updated", wo, update_fields


def _integrity_errors(exc: IntegrityError) -> dict[str, str]:
    """A write lost a race with another one: name the unique field it collided on."""
    text = str(exc).lower()
    for name in ("reference_back_office", "id2"):
        if name in text:
            return {name: "Already used by another work order."}
    if "pkey" in text or ".id" in text or "primary" in text:
        return {"id": "A work order with this id was created meanwhile; retry."}
    return {"non_field_errors": "The record conflicts with stored data."}


def delete_work_order(*, work_order: WorkOrder, by: User | None = None) -> None:
    """Its plannings go with it; a multi job with children is refused (ProtectedError, a 409)."""
    work_order.delete()


# -- Projects ----------------------------------------------------------------------------------


def upsert_project(
    *, data: dict, by: User, pk=None, create_only: bool = False
) -> tuple[Project, bool]:
    """Create or update a seed-004 project (the same upsert an embedded `project` gets).
    Returns (project, created). Raises ValidationError by field path, or Project.DoesNotExist
    when `pk` names a project of another sales organization. With `create_only` (POST), an
    existing id or reference back office is an error instead of an update."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": "The body must be a JSON object."})
    record = dict(data)
    if pk is not None:
        if record.get("id") not in (None, "") and str(record["id"]).lower() != str(pk).lower():
            raise ValidationError({"id": "Must equal the id in the URL."})
        record["id"] = str(pk)
    try:
        clean_uuid(record.get("id"))
    except ValueError as exc:
        raise ValidationError({"id": str(exc)}) from exc
    if record.get("id"):
        visible = visible_sales_organization_ids(user=by)
        stored = Project.objects.filter(pk=record["id"]).values_list("sales_organization_id")
        org = stored.first()
        if org is not None and visible is not None and org[0] not in visible:
            raise Project.DoesNotExist
    if create_only:
        if record.get("id") and Project.objects.filter(pk=record["id"]).exists():
            raise ValidationError({"id": "A project with this id exists; PUT updates it."})
        ref = record.get("reference_back_office")
        if ref and Project.objects.filter(reference_back_office=ref).exists():
            raise ValidationError({"reference_back_office": "Already used by another project."})
    resolver = ReferenceResolver(records=[record], by=by, root_kind="project")
    try:
        with transaction.atomic():
            project = resolver.upsert(kind=KINDS["project"], data=record, path="")
    except UnresolvedReference as exc:
        raise ValidationError(exc.errors) from exc
    except IntegrityError as exc:
        raise ValidationError(
            {"reference_back_office": "Already used by another project."}
            if "reference_back_office" in str(exc).lower()
            else {"non_field_errors": "The project conflicts with stored data."}
        ) from exc
    return project, any(obj is project for _, obj in resolver.created)


def delete_project(*, project: Project, by: User | None = None) -> None:
    """Refused (ProtectedError, a 409) while work orders refer to it."""
    project.delete()


# -- Hand-made plannings -----------------------------------------------------------------------
