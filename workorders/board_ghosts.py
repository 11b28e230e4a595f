"""An auto-plan's proposal on the planning board: each proposed planning not accepted yet as a
ghost block in its technician's row at its start and length, with the plan's KPIs and what it
left unplanned. Read only: the job is read through `services.proposed_plan` (as the API answers
it) and accepting goes through workorders.scheduling.autoplan.accepting.

A planner sees only an auto-plan of their own organization (`services.visible_jobs`, the
tenancy the API applies): someone else's job id reads as no proposal at all."""

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from apijobs.models import ApiJob, ApiJobStatus
from jobsite.dates import parse_datetime
from jobsite.models import User
from workorders.models import WorkOrder
from workorders.planning_board import Board, DayCell, site_city
from workorders.scheduling.autoplan import services

RUNNING = (ApiJobStatus.PENDING, ApiJobStatus.PROCESSING)


@dataclass
class Ghost:
    work_order_pk: str
    number: str  # "#123", as the plan names it
    name: str
    city: str
    start: datetime  # local time of the board
    end: datetime
    travel_km: float
    left: float = 0.0
    width: float = 0.0
    lane: int = 0

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass
class Proposal:
    job: ApiJob
    plan: dict
    # technician pk (str) -> day -> the ghosts of that row's day cell
    ghosts: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    shown: int = 0
    elsewhere: int = 0  # proposed for a technician or a day the board does not show

    @property
    def running(self) -> bool:
        return self.job.status in RUNNING

    @property
    def completed(self) -> bool:
        return self.job.status == ApiJobStatus.COMPLETED

    @property
    def percent(self) -> int:
        total = self.job.total_records
        return int(100 * self.job.processed_records / total) if total else 0

    @property
    def kpis(self) -> dict:
        return self.plan.get("kpis", {})

    @property
    def unplanned(self) -> list[dict]:
        return self.plan.get("unplanned", [])

    @property
    def accepted(self) -> int:
        return len(self.plan.get("accepted_work_order_ids", []))

    @property
    def remaining(self) -> int:
        return self.shown + self.elsewhere

    @property
    def work_order_ids(self) -> str:
        """The work orders still proposed, for the unplanned pane to mark (space-separated)."""
        return " ".join(
            g.work_order_pk for days in self.ghosts.values() for gs in days.values() for g in gs
        )


def visible_job(*, user: User, job_id) -> ApiJob | None:
    """The auto-plan `job_id` if `user`'s organization owns it (else None, as for no job)."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        return None
    return services.visible_jobs(user=user).filter(pk=pk).first()


def proposal(*, user: User, job_id, board: Board) -> Proposal | None:
    """The proposal of auto-plan `job_id` placed on `board`'s rows (None: no such job for
    `user`). While the job runs, or when it failed, there are no ghosts, only its state."""
    job = visible_job(user=user, job_id=job_id)
    if job is None:
        return None
    plan = services.proposed_plan(api_job=job)
    found = Proposal(job=job, plan=plan)
    if not found.completed:
        return found
    accepted = set(plan.get("accepted_work_order_ids", []))
    proposed = [p for p in plan.get("plannings", []) if p["work_order_id"] not in accepted]
    named = _work_orders([p["work_order_id"] for p in proposed])
    period, cells = board.period, _cells(board)
    for p in proposed:
        start = parse_datetime(p["start"]).astimezone(period.zone)
        end = parse_datetime(p["end"]).astimezone(period.zone)
        cell = cells.get((p["technician_id"], start.date()))
        if cell is None:
            found.elsewhere += 1
            continue
        name, city = named.get(p["work_order_id"], ("", ""))
        ghost = Ghost(
            p["work_order_id"], p["work_order_number"], name, city, start, end, p["travel_km"]
        )
        ghost.left, ghost.width = period.span(cell.day, start, end)
        found.ghosts[p["technician_id"]][cell.day].append(ghost)
        found.shown += 1
    for technician, days in found.ghosts.items():
        for day, ghosts in days.items():
            _lanes(cells[(technician, day)], ghosts)
    return found


def _cells(board: Board) -> dict[tuple[str, date], DayCell]:
    return {(str(r.technician.pk), c.day): c for r in board.rows for c in r.cells}


def _work_orders(ids: list[str]) -> dict[str, tuple[str, str]]:
    """Name and city of the proposed work orders, for the ghosts' labels (one query)."""
    rows = (
        WorkOrder.objects.filter(pk__in=ids)
        .annotate(city=site_city())
        .values_list("pk", "name", "city")
    )
    return {str(pk): (name, city) for pk, name, city in rows}


def _lanes(cell: DayCell, ghosts: list[Ghost]) -> None:
    """Each ghost in the first lane where neither a planning nor another ghost is at that time:
    a plan never overlaps what was planned when it was made, but a planning made since may."""
    taken = [(b.start, b.end, b.lane) for b in cell.blocks]
    for ghost in sorted(ghosts, key=lambda g: g.start):
        lane = 0
        while any(a < ghost.end and ghost.start < b and n == lane for a, b, n in taken):
            lane += 1
        ghost.lane = lane
        taken.append((ghost.start, ghost.end, lane))
