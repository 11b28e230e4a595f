"""The work order upsert: PUT, POST, PATCH, bulk and the batched import all write through
`upsert_work_orders`, so every rule holds on each of them."""

import contextlib
import copy
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, router, transaction
from django.utils import timezone

from jobsite.codes import choose_stored_record
from jobsite.models import User
from jobsite.numbers import next_numbers, observe_number
from jobsite.tenancy import sees, visible_sales_organization_ids
from workorders.models import WorkOrder
from workorders.plannings import PLANNING_INPUTS, Technicians, sync_suggested_plannings
from workorders.records import (
    MOBILE_ADDRESS_REQUIRED,
    WORK_ORDER_SCALARS,
    clean_work_order_fields,
)
from workorders.reference_kinds import KINDS, WORK_ORDER_GROUPS, ambiguous_message, assign
from workorders.references import ReferenceResolver
from workorders.stored_work_orders import locked_work_orders, update_row, write_rows
from workorders.system_fields import apply_system_fields

_SUGGESTED_USER = next(g for g in WORK_ORDER_GROUPS if g.field == "suggested_user")
_PROJECT = next(g for g in WORK_ORDER_GROUPS if g.field == "project")


NOT_FOUND = "Not found."
ALREADY_USED = "Already used by another work order."

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
    `match_by_reference`) by `reference_back_office` within the organization its project names.

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
    planning_moved: set = set()  # pks of the written work orders the rule and check must see
    existing_by_id, holders = _existing(cleaned.values(), by=by)
    stored = [*existing_by_id.values(), *(wo for held in holders.values() for wo in held)]
    # The stored work orders' own project and status are read with what the records name.
    resolver = ReferenceResolver(
        records=[records[i] for i in cleaned],
        by=by,
        extra_ids={
            "project": {wo.project_id for wo in stored},
            "job_status": {wo.job_status_id for wo in stored},
        },
    )
    # The organization each record matched by reference names (its project's), if known.
    organizations: dict[int, object] = {}
    targets: dict[int, WorkOrder | None] = {}
    for index, values in cleaned.items():
        ref, wo = values.get("reference_back_office"), None
        if values.get("id"):
            wo = existing_by_id.get(values["id"])
            if wo is not None and not sees(wo.sales_organization_id, visible=visible):
                results[index] = RecordResult(index, None, "failed", {"id": NOT_FOUND}, True)
                continue
        elif match_by_reference and ref:
            organizations[index] = resolver.named_organization(records[index], _PROJECT)
            wo, problem = _by_reference(holders.get(ref, []), ref, organizations[index])
            if problem:
                results[index] = RecordResult(index, None, "failed", problem)
                continue
        targets[index] = wo
    # The users referred to come with the references; embedded ones are read here.
    technicians = Technicians(resolver.loaded_ids("user"), known=resolver.technician_rows())
    to_create = sum(1 for i, wo in targets.items() if wo is None and cleaned[i].get("id2") is None)
    numbers = iter(next_numbers(name=WorkOrder.number_sequence, count=to_create))
    # (sales organization, reference) -> the work order holding it: unique per organization.
    refs_in_batch = {
        (wo.sales_organization_id, ref): wo.pk for ref, held in holders.items() for wo in held
    }
    explicit_numbers = []
    created_by_ref: dict[str, list[WorkOrder]] = defaultdict(list)
    latest: dict = {}  # pk -> the work order as the batch has written it so far
    # Batched: what is left to write, by pk (a work order named twice is written once, as the
    # batch leaves it: the same row as writing each record in turn).
    new_rows: dict = {}
    changed_rows: dict = {}  # pk -> (work order, fields to update)
    for index, wo in targets.items():
        record, values = records[index], cleaned[index]
        ref = values.get("reference_back_office")
        if wo is None and index in organizations:
            # The batch names it twice: the later one updates.
            wo, problem = _by_reference(created_by_ref[ref], ref, organizations[index])
            if problem:
                results[index] = RecordResult(index, None, "failed", problem)
                continue
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
            refs_in_batch[(wo.sales_organization_id, wo.reference_back_office)] = wo.pk
        if outcome == "created" and wo.reference_back_office:
            created_by_ref[wo.reference_back_office].append(wo)
        if outcome != "unchanged":
            written.append(wo)
            if outcome == "created" or PLANNING_INPUTS & update_fields:
                planning_moved.add(wo.pk)
            if creating and values.get("id2") is not None:
                explicit_numbers.append(values["id2"])
        results[index] = RecordResult(index, wo, outcome)
    if batched:
        try:
            with transaction.atomic():
                write_rows(new_rows=list(new_rows.values()), changed_rows=changed_rows)
        except IntegrityError as exc:
            raise _BatchConflict from exc
        alias = router.db_for_write(WorkOrder)
        for result in results:  # each record's view of its work order is now a stored one
            if result is not None and result.work_order is not None:
                result.work_order._state.adding, result.work_order._state.db = False, alias
    if explicit_numbers:
        observe_number(name=WorkOrder.number_sequence, value=max(explicit_numbers))
    once = list({wo.pk: wo for wo in written if wo.pk in planning_moved}.values())
    if once:
        sync_suggested_plannings(work_orders=once, statuses=resolver.statuses())
    codes = resolver.known_codes()
    for result in results:
        if result is not None and result.work_order is not None:
            result.codes = codes
    return results


def _existing(values_list, *, by: User) -> tuple[dict, dict[str, list[WorkOrder]]]:
    """The stored work orders the batch names by id, and those holding the references back
    office it uses, by reference (what it may match, and the unique check): one query, rows
    locked. Holders are only the caller's organizations' (references are unique per
    organization: another's tells nothing)."""
    ids = {v["id"] for v in values_list if v.get("id")}
    refs = {v["reference_back_office"] for v in values_list if v.get("reference_back_office")}
    if not ids and not refs:
        return {}, {}
    seen = visible_sales_organization_ids(user=by)
    rows = locked_work_orders(ids=ids, refs=refs, organizations=seen)
    holders = defaultdict(list)
    for wo in rows:
        if wo.reference_back_office in refs and sees(wo.sales_organization_id, visible=seen):
            holders[wo.reference_back_office].append(wo)
    return {wo.pk: wo for wo in rows if wo.pk in ids}, holders


def _by_reference(held: list[WorkOrder], ref: str, organization):
    """(the work order, None) a record without an id names by its reference, within the
    organization it names (jobsite.codes.choose_stored_record), or (None, errors)."""
    wo, ambiguous = choose_stored_record(
        held, organization_of=lambda w: w.sales_organization_id, organization=organization
    )
    if ambiguous:
        return None, {"reference_back_office": ambiguous_message(KINDS["work_order"], ref)}
    return wo, None


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
    if ref and refs_in_batch.get((project.sales_organization_id, ref), wo.pk) != wo.pk:
        errors["reference_back_office"] = ALREADY_USED
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
        update_row(wo, update_fields, prepared=True)
    return "updated", wo, update_fields


def _integrity_errors(exc: IntegrityError) -> dict[str, str]:
    """A write lost a race with another one: name the unique field it collided on."""
    text = str(exc).lower()
    for name in ("reference_back_office", "id2"):
        if name in text:
            return {name: ALREADY_USED}
    if "pkey" in text or ".id" in text or "primary" in text:
        return {"id": "A work order with this id was created meanwhile; retry."}
    return {"non_field_errors": "The record conflicts with stored data."}


def delete_work_order(*, work_order: WorkOrder, by: User | None = None) -> None:
    """Its plannings go with it; a multi job with children is refused (ProtectedError, a 409)."""
    work_order.delete()
