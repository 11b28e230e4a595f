"""Proposals for one work order (DESIGN "Scheduling"; after Dynamics 365's schedule assistant):
which technician could do it when, best first.

A proposal never breaks the planning check. The candidates are the active technicians of the
work order's sales organization with its skill; their free time (`availability`: working hours
less holidays, absences and plannings) is searched inside the work order's window (earliest
date to due date, never before now); a start leaves room for travel from the appointment before
it that day, and its end for travel to the one after, at SCHEDULING_AVERAGE_SPEED_KMH; and the
best few are then run through the check itself (`findings_for`), any it flags being dropped, so
what is proposed is what the check passes rather than what this module believes.

Score: 100 less points (SCHEDULING_PROPOSAL_WEIGHTS) per km of detour (great-circle: from the
previous appointment that day, else the base, to the site and on to the next, else the base),
per day after the first moment searched, and per hour already planned for the technician that
day. A distance that is unknown (no coordinates) counts nothing and says so. The search over
the free windows is in proposal_search.py; here the range, the candidates, the check and the
reasons when nothing fits."""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from jobs.models import LifeCycleState
from jobsite import calendar_selectors
from jobsite.calendars import zone_of
from jobsite.errors import ServiceError
from jobsite.models import User
from workorders.models import JobPlanning, WorkOrder
from workorders.plannings import planning_end
from workorders.scheduling import geo
from workorders.scheduling.availability import LATEST, MAX_RANGE, availability, check_range
from workorders.scheduling.checks import Appointment, findings_for
from workorders.scheduling.proposal_search import Fit, Proposal, Search, on_step, read_visits
from workorders.selectors import visible_work_orders
from workorders.system_fields import organization_of

DEFAULT_LIMIT, MAX_LIMIT = 5, 50
# Without a `to` or a due date, two weeks are searched.
DEFAULT_RANGE = timedelta(days=14)
# Work under way, done or cancelled gets no new appointment (suggest_technician refuses it).
CLOSED_STATES = {
    LifeCycleState.IN_PROGRESS,
    LifeCycleState.COMPLETED,
    LifeCycleState.CANCELLED,
}


@dataclass(frozen=True)
class Proposals:
    start: datetime  # the range searched
    end: datetime
    proposals: list[Proposal]
    unplannable: list[str]  # why there is none, when there is none
    checked: int = 0  # candidates run through the planning check
    refused: int = 0  # of those, flagged by it (each one a bug in the search above)


def work_order_for_proposals(*, user: User, pk) -> WorkOrder | None:
    """The work order `user` sees, with what proposals read of it, or None."""
    return (
        visible_work_orders(user=user)
        .filter(pk=pk)
        .select_related("skill", "job_status", "sales_organization")
        .first()
    )


def search_range(
    *, work_order: WorkOrder, start: datetime | None, end: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    """[from, to) as asked, defaults filled: from now or the earliest date, to the due date or
    two weeks on (at most MAX_RANGE). A range given is checked as availability checks it."""
    if start is None:
        start = max(now, work_order.earliest_date_plannable or now)
    if end is None:
        room = max(LATEST - start, timedelta())  # an earliest date in year 9999 stays a 400
        due = work_order.due_date
        end = due if due is not None and due > start else start + min(DEFAULT_RANGE, room)
        end = min(end, start + min(MAX_RANGE, room))
    check_range(start=start, end=end)
    return start, end


def proposals(
    *,
    user: User,
    work_order: WorkOrder,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> Proposals:
    """Up to `limit` proposals for `work_order` in [start, end), best first; none, with the
    reasons, when nothing fits. ServiceError names `from`, `to` or `limit` when one is bad."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ServiceError(f"Give 1 to {MAX_LIMIT}.", field="limit")
    now = now or timezone.now()
    start, end = search_range(work_order=work_order, start=start, end=end, now=now)
    zone = zone_of(work_order.sales_organization)
    first, last = _window(work_order=work_order, start=start, end=end, now=now)
    closed = work_order.job_status.life_cycle_state in CLOSED_STATES
    if closed or first >= last:
        reason = (
            f"#{work_order.id2} is {work_order.job_status.name}: only work that has not "
            "started can be planned."
            if closed
            else _empty_window(work_order=work_order, start=start, end=end, now=now, zone=zone)
        )
        return Proposals(start, end, [], [reason])
    technicians = _technicians(user=user, work_order=work_order)
    if not technicians:
        return Proposals(start, end, [], [_nobody(work_order)])
    ends = planning_end(date_start=first, estimated_time=work_order.estimated_time)
    minutes = round((ends - first) / timedelta(minutes=1))
    site = _site(work_order)
    # The whole local days the window meets: the visit before its first free window that
    # day, and the one after its last, are where the technician comes from and goes to.
    # A Suggested work order's own planning moves where it is proposed: its time is free.
    moving = _rule_planning(work_order)
    visits = read_visits(
        technicians=technicians,
        start=_midnight(first, zone),
        end=_midnight(last, zone, 1),
        leaving=moving,
    )
    search = Search(
        work_order=work_order, minutes=minutes, site=site, zone=zone, first=first, visits=visits
    )
    booked = {
        user_id: [(v.start, v.end) for v in found if v.start < last and v.end > first]
        for user_id, found in visits.items()
    }
    free = {
        found.technician: [(i.start, i.end) for i in found.free]
        for found in availability(technicians=technicians, start=first, end=last, booked=booked)
    }
    chosen, checked, refused = _checked(
        work_order=work_order,
        candidates=search.best(free, enough=limit),
        limit=limit,
        moving=moving,
    )
    if refused and len(chosen) < limit:  # never seen: then every day is tried, and checked
        chosen, checked, refused = _checked(
            work_order=work_order,
            candidates=search.best(free, enough=None),
            limit=limit,
            moving=moving,
        )
    unplannable = []
    if not chosen:
        unplannable.append(
            _no_free_window(work_order=work_order, minutes=minutes, first=first, last=last)
        )
        if refused:
            unplannable.append(f"The planning check refused {refused} free window(s).")
        if site is None:
            unplannable.append(NO_COORDINATES)
    return Proposals(
        start, end, [search.proposal(c) for c in chosen], unplannable, checked, refused
    )


NO_COORDINATES = "The site has no coordinates: distance is unknown and ignored."


def _window(*, work_order, start, end, now) -> tuple[datetime, datetime]:
    """Where a proposal may lie: the range, from now on (a proposal never starts in the past),
    from the earliest date to the due date."""
    first = on_step(max(start, now + timedelta(seconds=1)))
    if work_order.earliest_date_plannable:
        first = max(first, on_step(work_order.earliest_date_plannable))
    last = min(end, work_order.due_date) if work_order.due_date else end
    return first, last


def _midnight(moment: datetime, zone: ZoneInfo, days: int = 0) -> datetime:
    """The start of `moment`'s local day (`days` later), in UTC."""
    day = moment.astimezone(zone).date() + timedelta(days=days)
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def _when(moment: datetime, zone: ZoneInfo) -> str:
    return f"{moment.astimezone(zone):%a %d %b %Y %H:%M}"


def _empty_window(*, work_order, start, end, now, zone) -> str:
    due, earliest = work_order.due_date, work_order.earliest_date_plannable
    if due is not None and due <= now:
        return f"The due date {_when(due, zone)} has passed."
    if due is not None and earliest is not None and due <= earliest:
        return f"The due date {_when(due, zone)} is before the earliest date."
    if due is not None and due <= start:
        return f"The due date {_when(due, zone)} is before the range."
    if earliest is not None and earliest >= end:
        return f"The earliest date {_when(earliest, zone)} is after the range."
    return "The range is over."


def _technicians(*, user, work_order) -> list[User]:
    """Who the planning check lets do it: active technicians of its organization, with its
    skill (technician_problem and missing_skill, as a query)."""
    found = calendar_selectors.technicians(user=user).filter(
        sales_organization_id=organization_of(work_order)
    )
    if work_order.skill_id:
        found = found.filter(skills=work_order.skill_id)
    return list(
        found.select_related("sales_organization", "base_address").order_by("code", "username")
    )


def _nobody(work_order) -> str:
    organization = work_order.sales_organization.code
    if work_order.skill_id:
        return f"No active technician of {organization} has the skill {work_order.skill.name}."
    return f"{organization} has no active technician."


def _no_free_window(*, work_order, minutes, first, last) -> str:
    zone = zone_of(work_order.sales_organization)
    if work_order.due_date and last == work_order.due_date:
        return f"No free window of {minutes} min before the due date {_when(last, zone)}."
    return f"No free window of {minutes} min from {_when(first, zone)} to {_when(last, zone)}."


def _site(work_order) -> geo.Point | None:
    row = WorkOrder.objects.filter(pk=work_order.pk).values(*geo.work_order_point_columns())
    return geo.work_order_point(row.first() or {})


def _rule_planning(work_order):
    """The pk of the planning the Suggested rule made for the work order, if any."""
    if not work_order.suggested_user_id:  # the rule plans only with a suggested technician
        return None
    rule = JobPlanning.objects.filter(work_order=work_order, made_by_rule=True)
    return rule.values_list("pk", flat=True).first()


def _checked(*, work_order, candidates, limit, moving=None) -> tuple[list[Fit], int, int]:
    """The first `limit` candidates the planning check passes with no finding at all, the
    candidates checked and those it flagged. All are checked at once: one check reads the
    technicians' plannings, absences and calendars once, however many candidates there are (a
    pass per refusal read them again each time). Candidates lie in disjoint free windows (one
    per technician and day), so checking them together (the check takes them as about to be
    written) finds no overlap between them. `moving`: the work order's rule planning, checked
    where each candidate would put it (as the Suggested rule would move it)."""
    candidates = list(candidates)
    findings = findings_for(
        [
            Appointment(
                user_id=p.technician.pk,
                work_order=work_order,
                date_start=p.start,
                date_end=p.end,
                pk=moving,
                moving=moving is not None,
            )
            for p in candidates
        ]
    )
    passed = [proposal for proposal, found in zip(candidates, findings, strict=True) if not found]
    return passed[:limit], len(candidates), len(candidates) - len(passed)
