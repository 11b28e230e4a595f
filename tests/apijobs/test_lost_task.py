"""A task whose run lost the database connection is handed back by its worker at once: the job
is queued again to resume after its last committed chunk, unless it ended or another of its
tasks is already queued."""

import pytest
from django_tasks_db.models import DBTaskResult

from apijobs.recovery import lost_tasks, requeue_lost_task
from workorders.tasks import process_workorder_bulk, run_import_task


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def _claimed(task, job) -> DBTaskResult:
    """The task result of `task` for the job, as a worker holds it while running it."""
    result = DBTaskResult.objects.get(pk=task.enqueue(str(job.pk)).id)
    result.claim("worker-1")
    return result


@pytest.mark.django_db
def test_the_lost_task_is_failed_and_the_job_queued_again(
    processing_bulk_job, database_tasks, django_capture_on_commit_callbacks
):
    job = processing_bulk_job(total=3, done=1)
    lost = _claimed(process_workorder_bulk, job)
    with django_capture_on_commit_callbacks(execute=True):
        stale = requeue_lost_task(task_result_id=lost.pk)
    assert (stale.api_job_id, stale.action) == (job.pk, "requeued")
    lost.refresh_from_db()
    assert lost.status == "FAILED" and lost.exception_class_path.endswith("DatabaseLost")
    job.refresh_from_db()
    assert (job.status, job.processed_records, job.options["resumes"]) == ("processing", 1, 1)
    assert DBTaskResult.objects.filter(status="READY").count() == 1
    # Handed back once: the queued task is the job's run now.
    assert requeue_lost_task(task_result_id=lost.pk) is None
    assert DBTaskResult.objects.filter(status="READY").count() == 1


@pytest.mark.django_db
def test_an_ended_job_or_an_import_is_not_handed_back(processing_bulk_job, database_tasks):
    ended = processing_bulk_job(total=3, done=1)
    ended.status = "completed"
    ended.save(update_fields=["status"])
    finished = _claimed(process_workorder_bulk, ended)
    assert requeue_lost_task(task_result_id=finished.pk) is None
    # Its work was committed; only recording that was lost: no longer shown running.
    finished.refresh_from_db()
    assert finished.status == "SUCCESSFUL"
    # An import reads its file from the top: `requeue_stale_api_jobs` fails it, in time.
    running = processing_bulk_job(total=3, done=1)
    lost_import = _claimed(run_import_task, running)
    assert requeue_lost_task(task_result_id=lost_import.pk) is None
    lost_import.refresh_from_db()
    assert lost_import.status == "FAILED"
    assert DBTaskResult.objects.filter(status="READY").count() == 0


@pytest.mark.django_db
def test_a_worker_finds_the_tasks_it_claimed_and_runs_no_more(processing_bulk_job, database_tasks):
    job = processing_bulk_job(total=3, done=1)
    mine = _claimed(process_workorder_bulk, job)
    other = DBTaskResult.objects.get(pk=process_workorder_bulk.enqueue(str(job.pk)).id)
    other.claim("worker-2")
    assert lost_tasks(worker_id="worker-1") == [mine.pk]
    assert lost_tasks(worker_id="worker-3") == []
