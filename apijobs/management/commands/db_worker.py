"""django-tasks-db's `db_worker`, kept alive through a database outage.

Upstream's loop lets an OperationalError out of a fetch, or out of recording a task's result,
and the process exits: queued work then waits for someone to restart it. Here the worker logs,
drops the broken connection, waits (doubling up to RECONNECT_MAX_SECONDS) and goes on. A bulk
job whose run lost the connection stays processing with its committed chunks; once the
database answers, the worker queues it again (`requeue_lost_task`) and it resumes after its
last committed chunk."""

import contextlib
import logging
import time

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker as upstream

from apijobs.recovery import lost_tasks, requeue_lost_task

logger = logging.getLogger(__name__)

RECONNECT_FIRST_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 10.0
# An error this long after the previous one is a new outage: the pauses start over.
NEW_OUTAGE_SECONDS = 60.0
# What a task's result records when the task itself met the connection error.
_DATABASE_ERRORS = {
    f"{cls.__module__}.{cls.__qualname__}" for cls in (OperationalError, InterfaceError)
}


class Worker(upstream.Worker):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # The task result of a run that a database error ended, until handed back.
        self.lost_task = None

    def run(self) -> None:
        pause, last_error = RECONNECT_FIRST_SECONDS, float("-inf")
        while True:
            try:
                if last_error > float("-inf"):
                    self.hand_back_lost_tasks()
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                if not self.running:  # asked to stop: no reason to wait for the database
                    return
                if time.monotonic() - last_error > NEW_OUTAGE_SECONDS:
                    pause = RECONNECT_FIRST_SECONDS
                last_error = time.monotonic()
                logger.warning(
                    "Database unavailable (%s: %s); worker %s tries again in %.0f s",
                    type(exc).__name__,
                    str(exc).strip(),
                    self.worker_id,
                    pause,
                )
                # A broken connection goes back to the pool, which replaces it.
                with contextlib.suppress(DatabaseError):
                    connection.close()
                time.sleep(pause)
                pause = min(pause * 2, RECONNECT_MAX_SECONDS)
                self.startup_delay = False

    def run_task(self, db_task_result) -> None:
        # Set first: should recording the result fail too, the error leaves from here and
        # `run` hands the task back once it has reconnected.
        self.lost_task = db_task_result.pk
        super().run_task(db_task_result)
        if (
            db_task_result.status == TaskResultStatus.FAILED
            and db_task_result.exception_class_path in _DATABASE_ERRORS
        ):
            self.hand_back_lost_tasks()  # the database answered again: the result is stored
        self.lost_task = None

    def hand_back_lost_tasks(self) -> None:
        """Hand back the task whose run met the outage and any other this worker claimed but
        is not running (a claim can commit while its answer is lost on the way)."""
        lost = {*lost_tasks(worker_id=self.worker_id)}
        if self.lost_task is not None:
            lost.add(self.lost_task)
        for pk in sorted(lost, key=str):
            requeue_lost_task(task_result_id=pk)
        self.lost_task = None


class Command(upstream.Command):
    help = (
        "Run a database background worker that outlives a database outage: it waits, "
        "reconnects and goes on; a bulk job cut off by the outage resumes after its last "
        "committed chunk."
    )

    def handle(self, *args, **options):
        # Upstream's handle builds its worker by the module's name `Worker`: ours, for this run.
        original, upstream.Worker = upstream.Worker, Worker
        try:
            super().handle(*args, **options)
        finally:
            upstream.Worker = original
