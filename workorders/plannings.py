"""The planning service: every path that creates or moves a planning (the Suggested rule on
work order writes, bulk and imports; the plannings API; the admin's form and actions; the board)
goes through here, so who may be planned is decided once.

`technician_problem` is the rule in Python; `technician_problem_sql` is the same rule for the
set-based import, and a test holds them equal."""

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from jobs.models import JobStatus, StatusNumber
from jobsite.models import User
from workorders.models import JobPlanning, WorkOrder
from workorders.records import Scalar, clean_scalar
from workorders.reference_kinds import Group, assign
from workorders.references import ReferenceResolver
from workorders.scheduling.checks import Appointment, Finding, findings_for
from workorders.scheduling.warnings import PLANNING_COLUMNS, refresh_warnings, windows_of
from workorders.system_fields import organization_of

DEFAULT_PLANNING_MINUTES = 60

# Finding codes (DESIGN "Scheduling"): these two refuse the write on every path.
NOT_A_TECHNICIAN = "not_a_technician"
OTHER_ORGANIZATION = "other_organization"
_SQL_CODES = {1: NOT_A_TECHNICIAN, 2: OTHER_ORGANIZATION}


def technician_message(*, code: str, name: str) -> str:
    if code == NOT_A_TECHNICIAN:
        return f"{name} is not an active technician: only technicians can be planned."
    return f"{name} works for another sales organization than the work order."


def technician_problem(
    *, is_technician: bool, is_active: bool, user_organization_id, sales_organization_id
) -> str | None:
    """The code refusing this user for work of `sales_organization_id`, or None."""
    if not (is_technician and is_active):
        return NOT_A_TECHNICIAN
    if user_organization_id is None or user_organization_id != sales_organization_id:
        return OTHER_ORGANIZATION
    return None


def technician_problem_sql(*, user: str, sales_organization_id: str) -> str:
    """`technician_problem` as an SQL expression over the user table's row alias `user` (NULL:
    no user): 1 not a technician, 2 another organization, NULL fine. Decode with
    `code_of_sql`."""
    return (
        f"CASE WHEN {user}.id IS NULL THEN NULL "
        f"WHEN NOT ({user}.is_technician AND {user}.is_active) THEN 1 "
        f"WHEN {user}.sales_organization_id IS NULL "
        f"OR {user}.sales_organization_id <> {sales_organization_id} THEN 2 END"
    )


def code_of_sql(value) -> str | None:
    return _SQL_CODES.get(value)


class Technicians:
    """Who may be planned, read once for a batch (one query for the users it names, then one
    per user it had not seen). `known`: rows already read ({pk, username, is_technician,
    is_active, sales_organization_id}), e.g. with the batch's references."""

    def __init__(self, user_ids: Iterable = (), *, known: Iterable[dict] = ()):
        self._users: dict = {row["pk"]: row for row in known}
        self._load(user_ids)

    def _load(self, user_ids: Iterable) -> None:
        wanted = {pk for pk in user_ids if pk is not None} - self._users.keys()
        if wanted:
            for row in User.objects.filter(pk__in=wanted).values(
                "pk", "username", "is_technician", "is_active", "sales_organization_id"
            ):
                self._users[row["pk"]] = row

    def problem(self, *, user_id, sales_organization_id) -> tuple[str, str] | None:
        """(code, message) when this user may not be planned for that organization's work."""
        if user_id is None:
            return None
        self._load([user_id])
        row = self._users.get(user_id)
        if row is None:
            return NOT_A_TECHNICIAN, "No such user."
        code = technician_problem(
            is_technician=row["is_technician"],
            is_active=row["is_active"],
            user_organization_id=row["sales_organization_id"],
            sales_organization_id=sales_organization_id,
        )
        if code is None:
            return None
        return code, technician_message(code=code, name=row["username"])


def check_technician(*, user_id, sales_organization_id, field: str) -> None:
    """Refuse, with a ValidationError naming `field`, a user who may not be planned."""
    problem = Technicians().problem(user_id=user_id, sales_organization_id=sales_organization_id)
    if problem is not None:
        raise ValidationError({field: problem[1]}, code=problem[0])


# A work order that goes back to one of these no longer has an appointment.
UNPLANNED_STATUSES = {
    StatusNumber.TO_BE_PLANNED,
    StatusNumber.WAITING,
    StatusNumber.POOLING,
    StatusNumber.DRAFT,
    StatusNumber.CANCELED,
}


def statuses_by_id() -> dict:
    return {s.pk: s for s in JobStatus.objects.all()}


def planning_end(*, date_start: datetime, estimated_time: int | None) -> datetime:
    return date_start + timedelta(minutes=estimated_time or DEFAULT_PLANNING_MINUTES)


# What the Suggested rule (status, technician, start, length) and the planning check
# (scheduling.warnings.PLANNING_COLUMNS) read of a work order. A write that changes none of
# them leaves the rule nothing to do and every warning as it was: the upsert skips the rule.
PLANNING_INPUTS = frozenset(
    {"job_status", "suggested_user", "suggested_date_start", "estimated_time"}
    | {
        column.split("__")[1].removesuffix("_id")
        for column in PLANNING_COLUMNS
        if column.startswith("work_order__")
    }
)


def sync_suggested_plannings(
    *, work_orders: Sequence[WorkOrder], statuses: dict | None = None
) -> None:
    """The Suggested rule, for a batch of saved work orders (one query to read, one per kind of
    write).

    Suggested with a user and a start: exactly one planning made by the rule, moved when the user
    or start changes. Canceled, back to unplanned, or the suggestion cleared while Suggested: the
    rule's planning goes. Moved on (Activated, Open, InProgress, Completed): it stays, it is the
    appointment. Plannings made by hand are never touched. `statuses` ({id: JobStatus}) saves
    the read of the statuses when the caller has them."""
    if not work_orders:
        return
    # Every planning of these work orders: the rule's are moved here, and all are checked
    # again after (a work order's skill or dates may have changed what their warnings say).
    current = list(JobPlanning.objects.filter(work_order_id__in=[wo.pk for wo in work_orders]))
    existing = {p.work_order_id: p for p in current if p.made_by_rule}
    windows = windows_of(current)
    statuses = statuses or statuses_by_id()
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
        elif number in UNPLANNED_STATUSES and planning is not None:
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
    moved = to_create + to_update
    refresh_warnings(windows=windows + windows_of(moved), written=[p.pk for p in moved])


def preview_suggestions(
    *, placements: Sequence[tuple[WorkOrder, object, datetime]]
) -> list[list[Finding]]:
    """The warnings the Suggested rule's plannings of (work order, technician id, start) would
    get, before anything is written, all in one check (they overlap each other too): the admin
    and the board show them and ask to plan anyway."""
    rules = dict(
        JobPlanning.objects.filter(
            work_order__in=[wo for wo, _, _ in placements], made_by_rule=True
        ).values_list("work_order_id", "pk")
    )
    return findings_for(
        [
            Appointment(
                user_id=user_id,
                work_order=wo,
                date_start=start,
                date_end=planning_end(date_start=start, estimated_time=wo.estimated_time),
                pk=rules.get(wo.pk),  # the rule's planning moves: no overlap with where it is
                moving=True,
            )
            for wo, user_id, start in placements
        ]
    )


_PLANNING_GROUPS = (
    Group("work_order", "work_order", "work_order_id", required=True),
    Group("user", "user", "user_id", "user_code", required=True),
)
_DATE = Scalar("date", "datetime")


def save_planning(*, data: dict, by: User, planning: JobPlanning | None = None) -> JobPlanning:
    """Create (planning None) or update a planning a planner makes by hand. The Suggested rule's
    own plannings are moved through the work order's suggestion, not here."""
    if not isinstance(data, dict):
        raise ValidationError({"non_field_errors": "The body must be a JSON object."})
    if planning is not None and planning.made_by_rule:
        raise ValidationError(
            {
                "made_by_rule": "Made by the Suggested rule: change the work order's suggested "
                "user or start instead."
            }
        )
    resolver = ReferenceResolver(records=[data], by=by, groups=_PLANNING_GROUPS)
    refs, errors = resolver.resolve(record=data, groups=_PLANNING_GROUPS)
    dates = {}
    for name in ("date_start", "date_end"):
        if name in data:
            try:
                dates[name] = clean_scalar(_DATE, data[name])
            except ValueError as exc:
                errors[name] = str(exc)
    creating = planning is None
    planning = planning or JobPlanning(made_by_rule=False)
    for group in _PLANNING_GROUPS:
        if group.field in refs:
            if refs[group.field] is None:
                errors.setdefault(group.input_keys[0], "This field may not be null.")
            else:
                assign(planning, group.field, refs[group.field])
        elif creating:
            errors.setdefault(group.input_keys[0], "This field is required.")
    if "date_start" in dates:
        planning.date_start = dates["date_start"]
    if planning.date_start is None:
        errors.setdefault("date_start", "This field is required.")
    if errors:
        raise ValidationError(errors)
    if dates.get("date_end") is not None:
        planning.date_end = dates["date_end"]
    elif creating or "date_end" in dates or "date_start" in dates:
        planning.date_end = planning_end(
            date_start=planning.date_start, estimated_time=planning.work_order.estimated_time
        )
    if planning.date_end < planning.date_start:
        raise ValidationError({"date_end": "Must not be before date_start."})
    user_group = _PLANNING_GROUPS[1]
    check_technician(
        user_id=planning.user_id,
        sales_organization_id=organization_of(planning.work_order),
        field=user_group.given_key(data),
    )
    return store_planning(planning=planning)


def store_planning(*, planning: JobPlanning) -> JobPlanning:
    """Write a planning its caller has checked (`save_planning`, the admin's forms), then check
    it and the neighbours of where it was and is again."""
    before = (
        [] if planning._state.adding else windows_of(JobPlanning.objects.filter(pk=planning.pk))
    )
    planning.save()
    refresh_warnings(windows=before + windows_of([planning]), written=[planning.pk])
    planning.refresh_from_db(fields=["warnings", "warning_codes"])
    return planning


def forget_plannings(*, plannings: Iterable[JobPlanning]) -> None:
    """Delete plannings (the caller decided they may go) and check their neighbours again."""
    plannings = list(plannings)
    windows = windows_of(plannings)
    JobPlanning.objects.filter(pk__in=[p.pk for p in plannings]).delete()
    refresh_warnings(windows=windows)


def delete_planning(*, planning: JobPlanning, by: User | None = None) -> None:
    if planning.made_by_rule:
        raise ValidationError(
            {
                "made_by_rule": "Made by the Suggested rule: clear or change the work order's "
                "suggestion instead."
            }
        )
    forget_plannings(plannings=[planning])
