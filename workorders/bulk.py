"""Bulk upsert of work orders: the envelope checks of a request, and the chunk handler the API
job machinery runs. Each record goes through `services.upsert_work_orders`, so validation and
the Suggested rule are the API's."""

from collections.abc import Sequence
from functools import partial

from django.conf import settings
from django.db import transaction

from apijobs import services as api_jobs
from apijobs.models import ApiJob
from apijobs.recovery import enqueue_on_commit
from jobsite.errors import ServiceError
from jobsite.models import User
from jobsite.text import NUL_MESSAGE, find_unstorable
from workorders import services
from workorders.records import record_name

BULK_TYPE = "workorder_bulk_upsert"
BULK_TASK = "workorders.tasks.process_workorder_bulk"
RECORD_LABEL = "Work order ID"


def check_envelope(records) -> None:
    """What is checked at once, before anything is stored: a non-empty array of objects, no
    longer than BULK_MAX_RECORDS."""
    if not isinstance(records, list):
        raise ServiceError("The body must be a JSON array of work orders.", code="not_a_list")
    if not records:
        raise ServiceError("The array is empty: send at least one work order.", code="empty")
    if len(records) > settings.BULK_MAX_RECORDS:
        raise ServiceError(
            f"{len(records)} records is more than the {settings.BULK_MAX_RECORDS} "
            "one request may carry; split it.",
            code="too_many",
        )
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            raise ServiceError(
                f"Record {index} is a {type(record).__name__}, not an object (a work order).",
                field=f"[{index}]",
                code="not_an_object",
            )
    # The payload is stored as is: no NUL (PostgreSQL cannot store one), no lone surrogate.
    found = find_unstorable(records)
    if found is not None:
        where, problem = found
        code = "nul_character" if problem == NUL_MESSAGE else "invalid_text"
        raise ServiceError(problem, field=where, code=code)


def accept_bulk_upsert(*, records: list, by: User, partial: bool = False) -> ApiJob:
    """Store the request as a pending API job; its task is queued once the job is committed."""
    check_envelope(records)
    with transaction.atomic():
        job = api_jobs.create_api_job(
            type=BULK_TYPE,
            by=by,
            payload=records,
            total_records=len(records),
            options={"record_label": RECORD_LABEL, "partial": partial},
        )
        enqueue_on_commit(task=BULK_TASK, api_job=job)
    return job


def upsert_chunk(
    records: Sequence[dict], offset: int, *, by: User, partial: bool = False
) -> list[api_jobs.RecordOutcome]:
    results = services.upsert_work_orders(records=records, by=by, partial=partial)
    return [
        api_jobs.RecordOutcome(
            index=offset + result.index,
            outcome=result.outcome,
            errors=result.errors,
            record_id=record_name(records[result.index], offset + result.index),
        )
        for result in results
    ]


def run_bulk_upsert(*, api_job_id) -> ApiJob | None:
    job = api_jobs.jobs().select_related("requested_by").filter(pk=api_job_id).first()
    if job is None:
        return None
    if job.requested_by is None:
        api_jobs.fail_api_job(
            api_job_id=job.pk, reason="The user who sent the request no longer exists."
        )
        return api_jobs.jobs().get(pk=job.pk)
    handler = partial(upsert_chunk, by=job.requested_by, partial=job.options.get("partial", False))
    return api_jobs.run_records(api_job_id=job.pk, handler=handler)
