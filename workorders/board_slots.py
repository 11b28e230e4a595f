""" "Find a slot" on the planning board (issue 14, item 6): the proposals for one work order over
the period the board shows, each placed on the board's axis as a numbered ghost slot. The
proposals are those of workorders/scheduling/proposals.py, called as the API and the Find-a-slot
page call it: one ranking, not a second. Read only: a click on a slot plans it through the
board's plan (board_moves.plan_work_order, the Suggested rule), as a dropped card is planned.

When nothing fits in the period shown (a week gone by, a full week, a due date before it), the
work order's own window is searched instead (from now or its earliest date to its due date, as
the Find-a-slot page searches by default): those slots lie in other weeks, and the board lists
them with a link to their week."""

from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.utils import timezone

from jobsite.errors import ServiceError
from jobsite.models import User
from workorders.models import WorkOrder
from workorders.planning_board import Period
from workorders.plannings import DEFAULT_PLANNING_MINUTES
from workorders.scheduling import proposals

# A handful of numbered ghosts reads at a glance on a week of rows; the Find-a-slot page shows
# more, and the strip links to it.
SHOWN = proposals.DEFAULT_LIMIT
PERIOD, WINDOW = "period", "window"


@dataclass(frozen=True)
class Slot:
    rank: int  # 1 is the best
    technician_id: str
    technician: str
    start: datetime  # local time of the board
    end: datetime
    score: float
    reasons: tuple[str, ...]
    travel_km: float | None
    in_period: bool  # on one of the days the board shows
    left: float = 0.0  # on its day's axis, in %
    width: float = 0.0

    @property
    def day(self) -> date:
        return self.start.date()

    def as_dict(self) -> dict:
        return {
            "rank": self.rank,
            "technician_id": self.technician_id,
            "technician": self.technician,
            "day": self.day.isoformat(),
            "start": f"{self.start:%Y-%m-%dT%H:%M}",
            "end": f"{self.end:%Y-%m-%dT%H:%M}",
            "minutes": int((self.end - self.start).total_seconds() // 60),
            "score": self.score,
            "reasons": list(self.reasons),
            "travel_km": self.travel_km,
            "in_period": self.in_period,
            "left": round(self.left, 3),
            "width": round(self.width, 3),
        }


@dataclass
class Slots:
    work_order: WorkOrder
    searched: str  # PERIOD, or WINDOW when nothing fits in the period shown
    slots: list[Slot] = field(default_factory=list)
    period_reasons: list[str] = field(default_factory=list)  # why nothing fits the period
    unplannable: list[str] = field(default_factory=list)  # why nothing fits at all

    @property
    def minutes(self) -> int:
        return self.work_order.estimated_time or DEFAULT_PLANNING_MINUTES


def work_order(*, user: User, pk) -> WorkOrder | None:
    """The work order `user` may look for slots for: the Find-a-slot page's tenancy."""
    return proposals.work_order_for_proposals(user=user, pk=pk)


def _search(**kwargs) -> proposals.Proposals | list[str]:
    """The proposals, or why there are none (a range the search refuses says why too)."""
    try:
        return proposals.proposals(limit=SHOWN, **kwargs)
    except ServiceError as exc:
        return [exc.message]


def slots(*, user: User, work_order: WorkOrder, period: Period, now: datetime | None = None):
    """The best slots for `work_order` in `period`, else in the work order's own window."""
    now = now or timezone.now()
    start = datetime.combine(period.first, time.min, tzinfo=period.zone)
    end = datetime.combine(period.after, time.min, tzinfo=period.zone)
    found = _search(user=user, work_order=work_order, start=start, end=end, now=now)
    if not isinstance(found, list) and found.proposals:
        return Slots(work_order, PERIOD, _placed(found.proposals, period))
    period_reasons = found if isinstance(found, list) else found.unplannable
    wider = _search(user=user, work_order=work_order, now=now)
    if isinstance(wider, list) or not wider.proposals:
        unplannable = wider if isinstance(wider, list) else wider.unplannable
        return Slots(work_order, WINDOW, [], period_reasons, unplannable)
    return Slots(work_order, WINDOW, _placed(wider.proposals, period), period_reasons)


def _placed(found, period: Period) -> list[Slot]:
    placed = []
    for rank, p in enumerate(found, start=1):
        start, end = p.start.astimezone(period.zone), p.end.astimezone(period.zone)
        left, width = period.span(start.date(), start, end)
        placed.append(
            Slot(
                rank=rank,
                technician_id=str(p.technician.pk),
                technician=str(p.technician),
                start=start,
                end=end,
                score=p.score,
                reasons=p.reasons,
                travel_km=p.travel_km,
                in_period=start.date() in period.days,
                left=left,
                width=width,
            )
        )
    return placed
