"""What the planning board reads: technicians as rows and a day or a week as a time axis in the
organization's local time, each row with its plannings placed by start and length, its
calendar (non-working time, absences, holidays) shaded, and its booked versus available time.

A fixed number of queries whatever the number of technicians and plannings: technicians,
their skills, the plannings, working hours, holidays, absences (jobsite.calendars and the
availability arithmetic of workorders.scheduling, called, not copied). The work waiting for a
planner is read by workorders/board_unplanned.py."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import F, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from jobs.models import LifeCycleState, StatusNumber
from jobsite.calendars import calendars
from jobsite.models import Absence, AbsenceKind, User
from jobsite.tenancy import restrict_to_tenant
from workorders.models import JobPlanning
from workorders.scheduling.availability import merged, minus, minutes
from workorders.scheduling.pending_checks import settle_quietly

DAY, WEEK = "day", "week"
VIEWS = (DAY, WEEK)
# The hours a period shows by default; widened to the technicians' working hours and to any
# planning in the period, so nothing planned falls off the axis.
DEFAULT_FROM, DEFAULT_TO = 7, 19
SLOT_MINUTES = 15
# Work that happened stays where it happened: its blocks are not dragged.
FIXED_STATES = {LifeCycleState.COMPLETED, LifeCycleState.CANCELLED}

PLANNING_COLUMNS = (
    "id",
    "user_id",
    "date_start",
    "date_end",
    "made_by_rule",
    "warnings",
    "work_order_id",
    "work_order__id2",
    "work_order__name",
    "city",
    "work_order__skill_id",
    "work_order__job_status__number",
    "work_order__job_status__name",
    "work_order__job_status__life_cycle_state",
)


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".removesuffix(".0")


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class Period:
    view: str
    days: list[date]
    hour_from: int = DEFAULT_FROM
    hour_to: int = DEFAULT_TO
    fixed: bool = False  # the hours were given (a redrawn row keeps its page's axis)
    zone: object = field(default_factory=timezone.get_current_timezone)

    @classmethod
    def of(cls, *, view: str, day: date) -> "Period":
        if view == DAY:
            return cls(view, [day])
        first = week_start_of(day)
        return cls(WEEK, [first + timedelta(days=i) for i in range(7)])

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def after(self) -> date:
        return self.days[-1] + timedelta(days=1)

    @property
    def step(self) -> timedelta:
        return timedelta(days=len(self.days))

    @property
    def window_minutes(self) -> int:
        return (self.hour_to - self.hour_from) * 60

    @property
    def hours(self) -> list[int]:
        return list(range(self.hour_from, self.hour_to))

    def percent(self, day: date, moment: datetime) -> float:
        """Where a local moment sits on `day`'s axis, 0..100 (clipped)."""
        local = moment.astimezone(self.zone)
        offset = (local.date() - day).days * 1440 + local.hour * 60 + local.minute
        offset -= self.hour_from * 60
        return max(0.0, min(100.0, offset * 100 / self.window_minutes))

    def span(self, day: date, start: datetime, end: datetime) -> tuple[float, float]:
        """Left and width (%) of [start, end) on `day`'s axis; a short one stays clickable."""
        left = self.percent(day, start)
        return left, max(self.percent(day, end) - left, MIN_WIDTH)


# The narrowest a block is drawn (% of a day's axis): a 15-minute visit in week view.
MIN_WIDTH = 0.8


def site_city(prefix: str = ""):
    """A work order's city (its own site's, else its address's, else its project's), for labels;
    `prefix` reaches the work order from another model ("work_order__")."""
    return Coalesce(
        NullIf(F(f"{prefix}db_address_city"), Value("")),
        f"{prefix}db_address__city",
        f"{prefix}project__db_address__city",
        Value(""),
    )


@dataclass
class Block:
    pk: object
    work_order_pk: object
    number: int
    name: str
    city: str
    status_number: int
    status_name: str
    state: str
    start: datetime
    end: datetime
    made_by_rule: bool
    skill_id: object
    warnings: list[dict]
    left: float = 0.0
    width: float = 0.0
    lane: int = 0

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def movable(self) -> bool:
        return self.state not in FIXED_STATES

    @property
    def resizable(self) -> bool:
        # A suggestion's planning lasts the work order's estimated time (the Suggested rule).
        return self.movable and not (
            self.made_by_rule and self.status_number == StatusNumber.SUGGESTED
        )

    @property
    def warning_text(self) -> str:
        return " ".join(w["message"] for w in self.warnings)


@dataclass
class Shade:
    left: float
    width: float
    kind: str  # "off", "away", "holiday"
    reason: str


@dataclass
class DayCell:
    day: date
    blocks: list[Block] = field(default_factory=list)
    shades: list[Shade] = field(default_factory=list)
    booked: int = 0
    available: int = 0
    away: bool = False

    @property
    def load_title(self) -> str:
        return f"Booked {_hours(self.booked)} h of {_hours(self.available)} h available"

    @property
    def over(self) -> bool:
        return self.booked > self.available

    @property
    def load(self) -> int:
        """Booked as a percent of available (capped for the bar's width)."""
        if not self.available:
            return 100 if self.booked else 0
        return min(100, round(self.booked * 100 / self.available))


@dataclass
class Row:
    technician: User
    skills: set
    cells: list[DayCell]
    is_technician: bool = True

    @property
    def load_label(self) -> str:
        return f"{_hours(self.booked)}/{_hours(self.available)} h"

    @property
    def lanes(self) -> int:
        return max([1] + [b.lane + 1 for c in self.cells for b in c.blocks])

    @property
    def booked(self) -> int:
        return sum(c.booked for c in self.cells)

    @property
    def available(self) -> int:
        return sum(c.available for c in self.cells)


@dataclass
class Board:
    period: Period
    rows: list[Row]
    skills: list = field(default_factory=list)  # (id, name) the technicians have

    @property
    def warned(self) -> list[Block]:
        return [b for r in self.rows for c in r.cells for b in c.blocks if b.warnings]

    @property
    def booked(self) -> int:
        return sum(r.booked for r in self.rows)

    @property
    def available(self) -> int:
        return sum(r.available for r in self.rows)


def _local_midnight(day: date, zone=None) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone or timezone.get_current_timezone())


def technicians_of(*, user: User, sales_organization_id=None, ids=None):
    found = restrict_to_tenant(User.objects.filter(is_technician=True, is_active=True), user=user)
    if sales_organization_id:
        found = found.filter(sales_organization_id=sales_organization_id)
    if ids is not None:
        found = found.filter(pk__in=ids)
    return found.select_related("sales_organization").order_by(
        "first_name", "last_name", "username"
    )


def _plannings(*, user, technician_ids, start, end):
    """The plannings of these technicians touching [start, end), as tuples."""
    city = site_city("work_order__")
    return (
        restrict_to_tenant(
            JobPlanning.objects.filter(
                user_id__in=technician_ids, date_start__lt=end, date_end__gt=start
            ),
            user=user,
            field="work_order__sales_organization",
        )
        .annotate(city=city)
        .order_by("user_id", "date_start", "pk")
        .values_list(*PLANNING_COLUMNS)
    )


def board(
    *,
    user: User,
    period: Period,
    sales_organization_id=None,
    skill_id=None,
    technician_ids=None,
) -> Board:
    """The rows of the technicians `user` sees (all, or `technician_ids`: the rows a move
    changed) over `period`."""
    zone = period.zone
    start, end = _local_midnight(period.first, zone), _local_midnight(period.after, zone)
    settle_quietly()  # the warnings a set-based write left to check
    technicians = list(
        technicians_of(user=user, sales_organization_id=sales_organization_id, ids=technician_ids)
    )
    # Their skills, named: the rows' skills and the skill filter's choices in one query; the
    # filter then keeps the technicians who have the skill.
    skills, named = defaultdict(set), {}
    for user_id, skill, name in User.skills.through.objects.filter(
        user_id__in=[t.pk for t in technicians]
    ).values_list("user_id", "skill_id", "skill__name"):
        skills[user_id].add(str(skill))
        named[skill] = name
    if skill_id:
        technicians = [t for t in technicians if str(skill_id) in skills[t.pk]]
    ids = [t.pk for t in technicians]
    blocks = defaultdict(list)
    for values in _plannings(user=user, technician_ids=ids, start=start, end=end):
        pk, user_id, date_start, date_end, rule, warnings, wo_pk, number, name, city = values[:10]
        skill, status_number, status_name, state = values[10:]
        blocks[user_id].append(
            Block(
                pk=pk,
                work_order_pk=wo_pk,
                number=number,
                name=name,
                city=city,
                status_number=status_number,
                status_name=status_name,
                state=state,
                start=date_start.astimezone(zone),
                end=date_end.astimezone(zone),
                made_by_rule=rule,
                skill_id=skill,
                warnings=warnings,
            )
        )
    by_technician = calendars(technicians, start=start, end=end)
    away = defaultdict(list)
    for user_id, a, b, kind in Absence.objects.filter(
        technician__in=ids, start__lt=end, end__gt=start
    ).values_list("technician_id", "start", "end", "kind"):
        away[user_id].append((a, b, kind))
    if not period.fixed:
        _fit_hours(period, by_technician.values(), blocks.values())
    rows = [
        _row(t, period, skills[t.pk], blocks[t.pk], by_technician[t.pk], away[t.pk])
        for t in technicians
    ]
    return Board(
        period=period,
        rows=rows,
        skills=sorted(named.items(), key=lambda item: item[1].lower()),
    )


def _fit_hours(period: Period, technician_calendars, block_lists) -> None:
    """Widen the axis to the working hours and the plannings of the period."""
    low, high = period.hour_from, period.hour_to
    for calendar in technician_calendars:
        for day in period.days:
            for begin, finish in calendar.day_intervals(day):
                low = min(low, begin.hour)
                high = max(high, finish.hour + (1 if finish.minute else 0))
    for blocks in block_lists:
        for b in blocks:
            if b.start.date() >= period.first:
                low = min(low, b.start.hour)
            if b.end.date() < period.after and b.end.date() == b.start.date():
                high = max(high, b.end.hour + (1 if b.end.minute else 0))
    period.hour_from, period.hour_to = max(0, low), min(24, max(high, low + 1))


def _row(technician, period, skills, blocks, calendar, absences) -> Row:
    cells = []
    for day in period.days:
        cell = DayCell(day)
        day_start = _local_midnight(day, period.zone)
        day_end = _local_midnight(day + timedelta(days=1), period.zone)
        axis_start = day_start + timedelta(hours=period.hour_from)
        axis_end = day_start + timedelta(hours=period.hour_to)
        working = merged((i.start, i.end) for i in calendar.working(day_start, day_end))
        gone = [(max(a, day_start), min(b, day_end), k) for a, b, k in absences]
        gone = [(a, b, k) for a, b, k in gone if a < b]
        present = minus(working, [(a, b) for a, b, _ in gone])
        booked = minus(present, [(b.start, b.end) for b in blocks])
        cell.available = minutes(present)
        cell.booked = cell.available - minutes(booked)
        holiday = calendar.holidays.get(day)
        if holiday:
            cell.shades.append(Shade(0, 100, "holiday", f"{holiday} (public holiday)"))
            cell.away = True
        else:
            for a, b in minus([(axis_start, axis_end)], working):
                cell.shades.append(_shade(period, day, a, b, "off", "Not working"))
        for a, b, kind in gone:
            a, b = max(a, axis_start), min(b, axis_end)
            if a < b:
                label = AbsenceKind(kind).label
                a, b = a.astimezone(period.zone), b.astimezone(period.zone)
                reason = f"Away ({label.lower()}) {a:%H:%M}–{b:%H:%M}"
                cell.shades.append(_shade(period, day, a, b, "away", reason))
                cell.away = True
        for block in blocks:
            if (
                block.start < day_end
                and block.end > day_start
                and (block.start >= day_start or day == period.first)
            ):
                block.left, block.width = period.span(
                    day, max(block.start, day_start), min(block.end, day_end)
                )
                cell.blocks.append(block)
        _lanes(cell.blocks)
        cells.append(cell)
    return Row(
        technician=technician, skills=skills, cells=cells, is_technician=technician.is_technician
    )


def _shade(period, day, a, b, kind, reason) -> Shade:
    left = period.percent(day, a)
    return Shade(left, period.percent(day, b) - left, kind, reason)


def _lanes(blocks: list[Block]) -> None:
    """Overlapping blocks side by side: each in the first lane free at its start, so a row
    grows only when two appointments of a technician overlap."""
    ends: list[datetime] = []
    for block in sorted(blocks, key=lambda b: (b.start, b.end)):
        for lane, lane_end in enumerate(ends):
            if lane_end <= block.start:
                block.lane, ends[lane] = lane, block.end
                break
        else:
            block.lane = len(ends)
            ends.append(block.end)
