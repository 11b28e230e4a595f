"""`manage.py load_holidays [--year Y] [--sales-organization CODE]`: the public holidays of each
sales organization's country, from the `holidays` package; dates already there are kept."""

from django.core.management.base import BaseCommand, CommandError

from jobsite import calendar_selectors, calendar_services
from jobsite.errors import ServiceError
from jobsite.models import SalesOrganization


class Command(BaseCommand):
    help = "Load the public holidays of a year for every sales organization (or one)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--year", type=int, help="Default: the current year in each organization's zone."
        )
        parser.add_argument(
            "--sales-organization", metavar="CODE", help="Only this sales organization."
        )

    def handle(self, *args, **options):
        organizations = SalesOrganization.objects.select_related("country").order_by("code")
        code = options["sales_organization"]
        if code:
            organizations = organizations.filter(code__iexact=code)
            if not organizations.exists():
                raise CommandError(f"No sales organization with code {code}.")
        failed = []
        for organization in organizations:
            year = options["year"] or calendar_selectors.this_year(sales_organization=organization)
            try:
                added = calendar_services.load_holidays(sales_organization=organization, year=year)
            except ServiceError as exc:
                failed.append(f"{organization.code}: {exc.message}")
                self.stderr.write(failed[-1])
                continue
            self.stdout.write(
                f"{organization.code}: {len(added)} public holidays added for {year}."
            )
        # One organization asked for by name and refused is an error; with several, the others
        # are loaded and the refused ones named.
        if failed and (code or len(failed) == len(organizations)):
            raise CommandError(f"No public holidays loaded. {' '.join(failed)}")
