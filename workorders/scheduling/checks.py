"""The planning check: what is wrong with a technician's appointment, computed for a whole set
of plannings at once (a fixed number of queries however many there are).

Errors refuse the write on every path (`other_organization`, `not_a_technician`: the planning
service's technician rule). Warnings are stored with the planning and shown wherever it is:
`overlap` (naming every planning it overlaps), `outside_working_hours`, `absence`, `holiday`,
`missing_skill`, `in_the_past`, `before_earliest_date`, `after_due_date`."""

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.utils import timezone

from jobs.models import LifeCycleState
from jobsite.calendars import Calendar, calendars
from jobsite.models import AbsenceKind, Skill
from workorders.models import WorkOrder
from workorders.scheduling.check_reads import Booked, read_around, technicians

# A planning in the past is warned about only for work that has not started.
PENDING_STATES = {LifeCycleState.PENDING}

OVERLAP = "overlap"
OUTSIDE_WORKING_HOURS = "outside_working_hours"
ABSENCE = "absence"
HOLIDAY = "holiday"
MISSING_SKILL = "missing_skill"
IN_THE_PAST = "in_the_past"
BEFORE_EARLIEST_DATE = "before_earliest_date"
AFTER_DUE_DATE = "after_due_date"
WARNING_CODES = (
    OVERLAP,
    OUTSIDE_WORKING_HOURS,
    ABSENCE,
    HOLIDAY,
    MISSING_SKILL,
    IN_THE_PAST,
    BEFORE_EARLIEST_DATE,
    AFTER_DUE_DATE,
)


# An overlap names every planning it overlaps, up to these: a technician booked 1,000 times at
# 08:00 (an ERP's mistake) must not store a million ids; past them the warning stays as it is.
NAMED_IN_MESSAGE = 5
MAX_PLANNING_IDS = 50


class Finding(NamedTuple):  # a tuple, not a frozen dataclass: an import makes thousands
    code: str
    message: str
    planning_ids: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, "planning_ids": list(self.planning_ids)}


@dataclass(frozen=True)
class WorkOrderFacts:
    """What the check reads of a work order, when the caller has no model instance."""

    id2: int
    skill_id: object
    due_date: datetime | None
    earliest_date_plannable: datetime | None
    life_cycle_state: str


@dataclass
class Appointment:
    """A planning as the check reads it: stored where it is (pk set), about to be written (pk
    None), or a stored one about to move (`moving`: checked where it would go, not where it is)."""

    user_id: object
    work_order: WorkOrder
    date_start: datetime
    date_end: datetime
    pk: object = None
    moving: bool = False

    @property
    def new_place(self) -> bool:
        return self.pk is None or self.moving


def warning_codes(findings: Iterable[dict]) -> str:
    codes = sorted({f["code"] for f in findings})
    return f",{','.join(codes)}," if codes else ""


def _local(moment: datetime, calendar: Calendar | None) -> str:
    zone = calendar.zone if calendar else timezone.get_current_timezone()
    return f"{timezone.localtime(moment, zone):%a %d %b %H:%M}"


class _Timeline:
    """Each technician's appointments by start, to find what overlaps one without scanning
    them all (`_overlapping`): only those starting within the technician's longest appointment
    before it."""

    def __init__(self, items):
        self.by_user: dict = defaultdict(list)
        for item in items:
            self.by_user[item.user_id].append(item)
        self.starts: dict = {}
        self.longest: dict = {}
        for user_id, entries in self.by_user.items():
            entries.sort(key=lambda e: (e.date_start, str(e.pk)))
            self.starts[user_id] = [e.date_start for e in entries]
            self.longest[user_id] = max(e.date_end - e.date_start for e in entries)


def _number(item) -> int:
    return item.number if isinstance(item, Booked) else item.work_order.id2


def _life_cycle_state(work_order) -> str:
    if isinstance(work_order, WorkOrderFacts):
        return work_order.life_cycle_state
    return work_order.job_status.life_cycle_state  # callers load it with the work order


def findings_for(
    appointments: Sequence[Appointment], *, stored: Sequence[Booked] | None = None
) -> list[list[Finding]]:
    """The warnings of each appointment, in order. `stored`: the technicians' plannings around
    them when the caller has read them already (else they are read here)."""
    if not appointments:
        return []
    now = timezone.now()
    low = min(a.date_start for a in appointments)
    high = max(a.date_end for a in appointments)
    user_ids = {a.user_id for a in appointments if a.user_id is not None}
    users = technicians(user_ids)
    organization_ids = {u.sales_organization_id for u in users.values() if u.sales_organization_id}
    around = read_around(
        appointments,
        user_ids=user_ids,
        organization_ids=organization_ids,
        skill_ids={a.work_order.skill_id for a in appointments if a.work_order.skill_id},
        plannings=stored is None,
    )
    if stored is None:
        stored = around.booked
    by_user = calendars(users.values(), start=low, end=high, holidays=around.holidays)
    skills, absences = around.skills, around.absences
    # Plannings about to be written or moved overlap each other too, where they would be.
    placed = [a for a in appointments if a.new_place]
    leaving = {a.pk for a in placed if a.pk is not None}
    timeline = _Timeline([*(s for s in stored if s.pk not in leaving), *placed])

    lacking = {
        a.work_order.skill_id
        for a in appointments
        if a.work_order.skill_id and a.work_order.skill_id not in skills[a.user_id]
    }
    skill_names = (
        {pk: s.name for pk, s in Skill.objects.in_bulk(lacking).items()} if lacking else {}
    )
    # Technician by technician: what is theirs (calendar, name, skills, absences, timeline)
    # is looked up once for all their plannings, not once a planning.
    by_technician: dict = defaultdict(list)
    for n, a in enumerate(appointments):
        by_technician[a.user_id].append(n)
    result: list = [None] * len(appointments)
    labels: dict = {}
    for user_id, indexes in by_technician.items():
        calendar = by_user.get(user_id)
        user = users.get(user_id)
        name = str(user) if user else "The technician"
        has = skills[user_id]
        theirs = absences[user_id]
        entries = timeline.by_user.get(user_id, [])
        starts = timeline.starts.get(user_id)
        longest = timeline.longest.get(user_id)
        for n in indexes:
            a = appointments[n]
            result[n] = _findings_of(
                a,
                calendar=calendar,
                name=name,
                has=has,
                theirs=theirs,
                overlapping=_overlapping(a, entries, starts, longest) if entries else [],
                skill_names=skill_names,
                now=now,
                labels=labels,
            )
    return result


def _overlapping(a, entries: list, starts: list, longest: timedelta) -> list:
    """What of a technician's timeline (sorted by start) overlaps `a`: those starting within
    their longest appointment before it."""
    first = bisect_left(starts, a.date_start - longest)
    last = bisect_left(starts, a.date_end)
    begin, finish, pk = a.date_start, a.date_end, a.pk
    return [
        e
        for e in entries[first:last]
        if e is not a
        and (pk is None or e.pk != pk)
        and e.date_end > begin
        and e.date_start < finish
    ]


def _kind_label(kind: str, labels: dict) -> str:
    """An absence kind's label, translated once a check (a lazy label is translated anew each
    time it is read: 60 µs, a thousand times)."""
    found = labels.get(kind)
    if found is None:
        found = labels[kind] = AbsenceKind(kind).label.lower()
    return found


def _findings_of(a, *, calendar, name, has, theirs, overlapping, skill_names, now, labels) -> list:
    """The warnings of one appointment, given what its technician has."""
    found: list[Finding] = []
    if overlapping:
        numbers = ", ".join(f"#{_number(o)}" for o in overlapping[:NAMED_IN_MESSAGE])
        if len(overlapping) > NAMED_IN_MESSAGE:
            numbers += " and more"
        found.append(
            Finding(
                OVERLAP,
                f"{name} is already planned then: {numbers}.",
                tuple(str(o.pk) for o in overlapping[:MAX_PLANNING_IDS] if o.pk is not None),
            )
        )
    if calendar is not None:
        holiday = calendar.holiday_on(a.date_start, a.date_end)
        if holiday:
            found.append(Finding(HOLIDAY, f"{holiday} is a public holiday."))
        elif not calendar.covers(a.date_start, a.date_end):
            found.append(
                Finding(
                    OUTSIDE_WORKING_HOURS,
                    f"{_local(a.date_start, calendar)} is outside {name}'s working hours.",
                )
            )
    away = [x for x in theirs if x.date_start < a.date_end and x.date_end > a.date_start]
    if away:
        x = away[0]
        found.append(
            Finding(
                ABSENCE,
                f"{name} is away ({_kind_label(x.kind, labels)}) from "
                f"{_local(x.date_start, calendar)} to {_local(x.date_end, calendar)}.",
            )
        )
    wo = a.work_order
    if wo.skill_id and wo.skill_id not in has:
        skill = skill_names.get(wo.skill_id, "of the work order")
        found.append(Finding(MISSING_SKILL, f"{name} lacks the skill {skill}."))
    # Work under way or done happened where it was planned: history, not a mistake.
    if a.date_start < now and _life_cycle_state(wo) in PENDING_STATES:
        found.append(Finding(IN_THE_PAST, "Starts in the past."))
    if wo.earliest_date_plannable and a.date_start < wo.earliest_date_plannable:
        found.append(
            Finding(
                BEFORE_EARLIEST_DATE,
                "Before the work order's earliest date "
                f"{_local(wo.earliest_date_plannable, calendar)}.",
            )
        )
    if wo.due_date and a.date_end > wo.due_date:
        found.append(
            Finding(
                AFTER_DUE_DATE,
                f"Ends after the work order's due date {_local(wo.due_date, calendar)}.",
            )
        )
    return found
