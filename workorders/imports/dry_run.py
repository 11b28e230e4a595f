"""A dry run, told apart from an import everywhere it shows: what it would have created and
updated is counted apart (ApiJob.options["would"]), never as effected records, and its API job's
message starts with "Dry run" (the API, the admin and the command line read it)."""

from collections.abc import Sequence

from django.db import transaction

from apijobs import services as api_jobs
from apijobs.models import ApiJob
from workorders.imports.staging import RESOLVED

WOULD_CREATE, WOULD_UPDATE = "would_create", "would_update"
_WOULD = {api_jobs.CREATED: WOULD_CREATE, api_jobs.UPDATED: WOULD_UPDATE}


def as_would_be(outcomes: Sequence[api_jobs.RecordOutcome]) -> list[api_jobs.RecordOutcome]:
    """The outcomes of a rolled-back chunk: created and updated become would-be, so the job's
    counts take them as processed, not effected."""
    for outcome in outcomes:
        outcome.outcome = _WOULD.get(outcome.outcome, outcome.outcome)
    return list(outcomes)


def count_would_be(*, api_job: ApiJob, created: int, updated: int) -> None:
    """Add to the would-be counts. Called inside the chunk's transaction, which holds the job's
    row locked (apijobs.services._run_chunk), or once at the end of a set-based run."""
    with transaction.atomic():
        options = (
            ApiJob.objects.select_for_update()
            .filter(pk=api_job.pk)
            .values_list("options", flat=True)
        ).first() or {}
        would = options.get("would") or {"created": 0, "updated": 0}
        would = {"created": would["created"] + created, "updated": would["updated"] + updated}
        ApiJob.objects.filter(pk=api_job.pk).update(options={**options, "would": would})


def count_outcomes(*, api_job: ApiJob, outcomes: Sequence[api_jobs.RecordOutcome]) -> None:
    count_would_be(
        api_job=api_job,
        created=sum(1 for o in outcomes if o.outcome == WOULD_CREATE),
        updated=sum(1 for o in outcomes if o.outcome == WOULD_UPDATE),
    )


def count_new_rows(cursor) -> int:
    """The set-based import's rows that will be inserted (no stored work order matched them):
    every row left in RESOLVED is written, so the rest of what is written is updates."""
    cursor.execute(f"SELECT count(*) FROM {RESOLVED} WHERE existing_id IS NULL")
    return cursor.fetchone()[0]


def is_dry_run(job: ApiJob) -> bool:
    return bool((job.options or {}).get("dry_run"))


def would_be(job: ApiJob) -> dict:
    return (job.options or {}).get("would") or {"created": 0, "updated": 0}


def summary(job: ApiJob) -> str:
    """'Dry run — nothing was written: would create 3, would update 1, 2 unchanged, 1 with
    errors (of 7 rows).'"""
    would = would_be(job)
    unchanged = max(
        job.processed_records - would["created"] - would["updated"] - job.error_records, 0
    )
    return (
        f"Dry run — nothing was written: would create {would['created']}, would update "
        f"{would['updated']}, {unchanged} unchanged, {job.error_records} with errors "
        f"(of {job.total_records} rows)."
    )


PENDING_MESSAGE = "Dry run — nothing will be written: it counts what the import would do."


def label_pending(job: ApiJob) -> None:
    """A queued or running dry run says so before its counts are in."""
    ApiJob.objects.filter(pk=job.pk).update(message=PENDING_MESSAGE)
    job.message = PENDING_MESSAGE


def label_message(job: ApiJob) -> None:
    """Put the dry run's summary first in its finished job's message."""
    api_jobs.refresh(job)
    message = summary(job)
    if job.message:
        message = f"{message}\n{job.message}"
    ApiJob.objects.filter(pk=job.pk).update(message=message)
    job.message = message
