"""What import_workorders and import_projects share: options, output, exit status."""

import sys

from django.core.management.base import BaseCommand, CommandError

from jobsite.models import SalesOrganization, User
from workorders import imports
from workorders.imports import dry_run as dry_runs


class ImportCommand(BaseCommand):
    kind = "workorders"

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8, BOM allowed), JSON array or XLSX")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and count, write nothing"
        )
        parser.add_argument(
            "--sales-organization",
            metavar="CODE",
            help="import into this sales organization only (codes resolve there)",
        )
        parser.add_argument(
            "--user", metavar="USERNAME", help="import as this user (their tenancy applies)"
        )
        parser.add_argument(
            "--method",
            choices=["auto", "batched", "set"],
            default="auto",
            help="auto: set-based for CSV/XLSX (PostgreSQL, SQLite), batched for JSON",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        org = None
        if options["sales_organization"]:
            org = SalesOrganization.objects.filter(
                code__iexact=options["sales_organization"]
            ).first()
            if org is None:
                raise CommandError(f"Unknown sales organization {options['sales_organization']!r}.")
        by = None
        if options["user"]:
            by = User.objects.filter(username=options["user"]).first()
            if by is None:
                raise CommandError(f"Unknown user {options['user']!r}.")
        try:
            job = imports.run_import(
                path=options["file"],
                kind=self.kind,
                by=by,
                sales_organization=org,
                dry_run=options["dry_run"],
                method=options["method"],
                progress_stream=None if options["no_progress"] else sys.stderr,
            )
        except imports.ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        ignored = job.options.get("ignored_columns")
        if ignored:
            self.stderr.write(
                f"Ignored column(s) an import of {self.kind} does not know: {', '.join(ignored)}."
            )
        imports.print_errors(job, stream=self.stderr)
        unchanged = job.processed_records - job.effected_records - job.error_records
        summary = (
            f"{dry_runs.summary(job)} (API job {job.pk}, {job.status})"
            if options["dry_run"]
            else f"{job.total_records} rows, {job.effected_records} effected, {unchanged} "
            f"unchanged, {job.error_records} failed (API job {job.pk}, {job.status})."
        )
        self.stdout.write(summary)
        if job.status == "failed":
            raise CommandError(job.message.splitlines()[0] if job.message else "Import failed.")
        if job.error_records:
            raise CommandError(f"{job.error_records} row(s) failed; the others were imported.")
