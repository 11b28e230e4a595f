"""Background tasks (django.tasks): thin, they call the services that do the work."""

from django.tasks import task


@task
def process_workorder_bulk(api_job_id: str) -> None:
    from workorders.bulk import run_bulk_upsert

    run_bulk_upsert(api_job_id=api_job_id)


@task
def run_import_task(api_job_id: str) -> None:
    from workorders.imports import run_started_import

    run_started_import(api_job_id=api_job_id)
