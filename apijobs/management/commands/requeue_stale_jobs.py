"""Queue again (or fail) the API jobs whose worker died. Run it before starting workers and
every few minutes (cron, or `--every`)."""

import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections

from apijobs.recovery import requeue_stale_api_jobs


class Command(BaseCommand):
    help = (
        "Find API jobs whose worker stopped (processing, no chunk committed for "
        "--older-than seconds; or pending with no queued task) and queue them again: a bulk "
        "job resumes after its last committed chunk. Past API_JOB_MAX_RESUMES, or for "
        "imports, the job is failed with a message saying where it stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--older-than",
            type=float,
            default=None,
            metavar="SECONDS",
            help="No heartbeat for this long means the worker is gone "
            f"(default API_JOB_STALE_SECONDS, now {settings.API_JOB_STALE_SECONDS}). "
            "0 when no worker runs, e.g. just before starting them.",
        )
        parser.add_argument(
            "--every",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Keep running, checking this often (instead of cron).",
        )

    def handle(self, *, older_than, every, verbosity, **options):
        if older_than is not None and older_than < 0:
            raise CommandError("--older-than must be 0 or more seconds.")
        if every is not None and every <= 0:
            raise CommandError("--every must be more than 0 seconds.")
        threshold = None if older_than is None else timedelta(seconds=older_than)
        while True:
            close_old_connections()
            try:
                done = requeue_stale_api_jobs(older_than=threshold)
            except DatabaseError as exc:
                if every is None:
                    raise CommandError(f"The database is not reachable: {exc}") from exc
                self.stderr.write(f"The database is not reachable ({exc}); trying again.")
                time.sleep(every)
                continue
            for stale in done:
                self.stdout.write(f"{stale.api_job_id}: {stale.action}: {stale.message}")
            if verbosity and every is None:
                self.stdout.write(f"{len(done)} stale API job(s).")
            if every is None:
                return
            time.sleep(every)
