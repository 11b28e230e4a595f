"""The auto-plan as an API job (`type: "autoplan"`): the request checked and queued, the solve run
by `db_worker` with its progress on the job, and the proposed plan kept on the job (its
payload) until a planner accepts all or part of it (accepting.py). Nothing is written to the
plannings here."""

import logging
import time
import uuid
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from apijobs.models import ApiJob, ApiJobStatus
from apijobs.recovery import enqueue_on_commit
from apijobs.services import create_api_job, fail_api_job, finish_api_job, jobs, start_api_job
from jobs.models import StatusNumber
from jobsite import calendar_selectors
from jobsite.dates import parse_datetime
from jobsite.errors import ServiceError
from jobsite.models import SalesOrganization, User
from jobsite.tenancy import restrict_to_tenant
from workorders.models import WorkOrder
from workorders.records import format_datetime
from workorders.scheduling.autoplan import checker, result, solver
from workorders.scheduling.autoplan.building import build, minute
from workorders.scheduling.availability import check_range

logger = logging.getLogger(__name__)

AUTOPLAN_TYPE = "autoplan"
AUTOPLAN_TASK = "workorders.scheduling.autoplan.tasks.run_autoplan_task"
# Progress is written to the job at most this often while the solver searches.
PROGRESS_SECONDS = 2.0


def visible_jobs(*, user: User):
    return restrict_to_tenant(jobs().filter(type=AUTOPLAN_TYPE), user=user)


def _uuid_list(raw, field: str) -> list[str] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise ServiceError("Give a list of ids.", field=field)
    try:
        return list(dict.fromkeys(str(uuid.UUID(x)) for x in raw))
    except ValueError:
        raise ServiceError("Every id must be a UUID.", field=field) from None


def _moment(data: dict, field: str) -> datetime:
    raw = data.get(field)
    if not isinstance(raw, str) or not raw:
        raise ServiceError("This field is required (ISO 8601).", field=field)
    try:
        return parse_datetime(raw)
    except ValueError:
        raise ServiceError(
            "Enter an ISO 8601 date, e.g. 2027-03-29T08:00:00+02:00.", field=field
        ) from None


def clean_request(*, data, by: User) -> dict:
    """The request as the job keeps it (its options), every id resolved and checked: the
    organization `by` sees, the range (at most a month), the work orders (by default its
    ToBePlanned ones with an estimated time whose window meets the range) and the technicians
    (by default its active ones)."""
    if not isinstance(data, dict):
        raise ServiceError("The body must be a JSON object.", field="non_field_errors")
    organizations = calendar_selectors.sales_organizations(user=by)
    raw_org = data.get("sales_organization_id") or by.sales_organization_id
    if raw_org is None:
        raise ServiceError("Give the sales organization.", field="sales_organization_id")
    try:
        organization = organizations.filter(pk=uuid.UUID(str(raw_org))).first()
    except ValueError:
        organization = None
    if organization is None:
        raise ServiceError("No such sales organization.", field="sales_organization_id")
    start, end = _moment(data, "from"), _moment(data, "to")
    check_range(start=start, end=end)
    limit = settings.AUTOPLAN_MAX_WORK_ORDERS
    work_orders = WorkOrder.objects.filter(sales_organization=organization)
    wanted = _uuid_list(data.get("work_order_ids"), "work_order_ids")
    if wanted is None:
        ids = [
            str(pk)
            for pk in work_orders.filter(
                Q(earliest_date_plannable__isnull=True) | Q(earliest_date_plannable__lt=end),
                Q(due_date__isnull=True) | Q(due_date__gt=start),
                job_status__number=StatusNumber.TO_BE_PLANNED,
                estimated_time__gt=0,
            )
            .order_by("due_date", "id2")
            .values_list("pk", flat=True)[:limit]
        ]
    else:
        if len(wanted) > limit:
            raise ServiceError(f"At most {limit} work orders at once.", field="work_order_ids")
        found = {str(pk) for pk in work_orders.filter(pk__in=wanted).values_list("pk", flat=True)}
        _refuse_unknown(wanted, found, "work_order_ids", "work orders of the organization")
        ids = wanted
    technicians = User.objects.filter(
        sales_organization=organization, is_technician=True, is_active=True
    )
    chosen = _uuid_list(data.get("technician_ids"), "technician_ids")
    if chosen is None:
        technician_ids = [str(pk) for pk in technicians.values_list("pk", flat=True)]
    else:
        found = {str(pk) for pk in technicians.filter(pk__in=chosen).values_list("pk", flat=True)}
        _refuse_unknown(chosen, found, "technician_ids", "active technicians of the organization")
        technician_ids = chosen
    return {
        "sales_organization_id": str(organization.pk),
        "from": format_datetime(start),
        "to": format_datetime(end),
        "work_order_ids": ids,
        "technician_ids": technician_ids,
        "record_label": "Work order",
    }


def _refuse_unknown(wanted: Sequence[str], found: set, field: str, what: str) -> None:
    unknown = [x for x in wanted if x not in found]
    if unknown:
        raise ServiceError(
            f"Not {what}: {', '.join(unknown[:5])}" + (" …" if len(unknown) > 5 else "") + ".",
            field=field,
        )


def start_autoplan(*, data, by: User) -> ApiJob:
    """Check the request and queue its solve (202 and the job, on the API)."""
    options = clean_request(data=data, by=by)
    job = create_api_job(
        type=AUTOPLAN_TYPE,
        by=by,
        sales_organization=SalesOrganization(pk=uuid.UUID(options["sales_organization_id"])),
        total_records=len(options["work_order_ids"]),
        options=options,
    )
    enqueue_on_commit(task=AUTOPLAN_TASK, api_job=job)
    return job


def run_autoplan(*, api_job_id, time_limit: float | None = None) -> ApiJob | None:
    """The job's solve (in `db_worker`): build the instance, solve, re-check, keep the plan.
    A failure ends the job `failed` with the reason; nothing is written but the job."""
    job = start_api_job(api_job_id=api_job_id)
    if job is None:
        return None
    try:
        plan = _solve(job, time_limit or settings.AUTOPLAN_TIME_LIMIT_SECONDS)
    except Exception as exc:
        logger.exception("Auto-plan %s failed", api_job_id)
        fail_api_job(api_job_id=api_job_id, reason=f"The solve failed: {type(exc).__name__}: {exc}")
        return jobs().get(pk=api_job_id)
    kpis = plan["kpis"]
    ApiJob.objects.filter(pk=job.pk).update(
        payload=plan,
        processed_records=job.total_records,
        effected_records=kpis["planned"],
        updated_at=timezone.now(),
    )
    return finish_api_job(
        api_job=job,
        note=(
            f"Proposed plan: {kpis['planned']} planned, {kpis['unplanned']} unplanned, "
            f"{kpis['travel_km']:,.0f} km of travel, utilization {kpis['utilization']:.0%}. "
            "Nothing is written until it is accepted."
        ),
    )


def _solve(job: ApiJob, time_limit: float) -> dict:
    options = job.options
    organization = SalesOrganization.objects.get(pk=options["sales_organization_id"])
    technicians = list(
        User.objects.filter(
            pk__in=options["technician_ids"],
            sales_organization=organization,
            is_technician=True,
            is_active=True,
        )
        .select_related("sales_organization")
        .order_by("code", "username")
    )
    built = build(
        sales_organization=organization,
        start=parse_datetime(options["from"]),
        end=parse_datetime(options["to"]),
        work_orders=options["work_order_ids"],
        technicians=technicians,
    )
    instance = built.instance
    total = max(1, job.total_records)
    _progress(
        job,
        processed=0,
        message=f"Solving: {len(instance.visits)} work orders, {len(technicians)} technicians, "
        f"{len(instance.shifts)} free stretches of working days.",
    )
    began = time.monotonic()

    def on_progress(solutions: int, seconds: float, planned: int, km: float) -> None:
        share = min(0.99, (time.monotonic() - began) / time_limit)
        _progress(
            job,
            processed=int(total * share),
            effected=planned,
            message=f"Solving: {planned} planned so far, {km:,.0f} km "
            f"({solutions} solutions, {time.monotonic() - began:.0f} s of {time_limit:.0f} s).",
        )

    outcome = solver.solve(
        instance,
        time_limit=time_limit,
        on_progress=on_progress,
        progress_every=PROGRESS_SECONDS,
    )
    plan = result.plan_of(instance, outcome.routes)
    found = checker.violations(
        instance, [(p.visit, p.technician, p.start) for p in plan.placements]
    )
    if found:
        raise RuntimeError(f"the plan breaks {len(found)} hard constraints: {found[0]}")
    return as_json(built, plan, outcome, seconds=time.monotonic() - began)


def _progress(job: ApiJob, *, processed: int, message: str, effected: int = 0) -> None:
    """Progress and the heartbeat (updated_at) that tells a live worker from a dead one."""
    ApiJob.objects.filter(pk=job.pk, status=ApiJobStatus.PROCESSING).update(
        processed_records=processed,
        effected_records=effected,
        message=message,
        updated_at=timezone.now(),
    )


def as_json(built, plan: result.Plan, outcome: solver.Outcome, *, seconds: float) -> dict:
    instance = built.instance
    visits, people = instance.visits, instance.technicians
    return {
        "from": format_datetime(built.start),
        "to": format_datetime(built.end),
        "plannings": [
            {
                "work_order_id": str(visits[p.visit].key),
                "work_order_number": visits[p.visit].label,
                "technician_id": str(people[p.technician].key),
                "technician_code": people[p.technician].label,
                "start": format_datetime(instance.moment(p.start)),
                "end": format_datetime(instance.moment(p.end)),
                "travel_km": round(p.travel_km, 1),
            }
            for p in plan.placements
        ],
        "unplanned": [
            {
                "work_order_id": str(visits[v].key),
                "work_order_number": visits[v].label,
                "reason": reason,
            }
            for v, reason in sorted(plan.unplanned.items())
        ],
        # Late: left unplanned though due before the range ends (due later, it may wait).
        "kpis": result.kpis(instance, plan, range_end=minute(built.end, instance.origin) - 1),
        "solver": {
            "warm_started": outcome.warm_started,
            "status": outcome.status,
            "solutions": outcome.solutions,
            "seconds": round(seconds, 1),
        },
    }


def proposed_plan(*, api_job: ApiJob) -> dict:
    """What GET /api/v1/autoplan/{id} answers: the job's state, and once it completed, the
    proposed plan (plannings, unplanned with the reason, KPIs) and what was accepted of it."""
    answer = {
        "api_job_id": str(api_job.pk),
        "status": api_job.status,
        "message": api_job.message,
        "total_records": api_job.total_records,
        "processed_records": api_job.processed_records,
        "sales_organization_id": api_job.options.get("sales_organization_id"),
        "from": api_job.options.get("from"),
        "to": api_job.options.get("to"),
    }
    if api_job.status == ApiJobStatus.COMPLETED:
        plan = ApiJob.objects.filter(pk=api_job.pk).values_list("payload", flat=True).first()
        answer.update(plan or {})
        answer["accepted_work_order_ids"] = api_job.options.get("accepted", [])
    return answer
