"""Background tasks (django.tasks): thin, they call the services that do the work. The services
queue them by dotted path (apijobs.recovery.enqueue_on_commit, enqueue_chunks_on_commit)."""

from django.tasks import task

from workorders.bulk import run_bulk_chunk, run_bulk_upsert
from workorders.imports import run_started_import
from workorders.scheduling.pending_checks import settle_quietly


@task
def process_workorder_bulk(api_job_id: str) -> None:
    run_bulk_upsert(api_job_id=api_job_id)


@task
def process_workorder_bulk_chunk(api_job_id: str, number: int) -> None:
    """One chunk of a bulk job: any worker claims any chunk."""
    run_bulk_chunk(api_job_id=api_job_id, number=number)


@task
def run_import_task(api_job_id: str) -> None:
    run_started_import(api_job_id=api_job_id)


@task
def settle_planning_checks() -> None:
    """The planning checks a set-based write left, run once it has committed."""
    settle_quietly()
