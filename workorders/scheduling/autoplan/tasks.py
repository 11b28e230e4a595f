"""The auto-plan's background task (django.tasks, run by `db_worker`): thin, it calls the service.
Queued by dotted path (services.AUTOPLAN_TASK)."""

from django.tasks import task

from workorders.scheduling.autoplan.services import run_autoplan


@task
def run_autoplan_task(api_job_id: str) -> None:
    run_autoplan(api_job_id=api_job_id)
