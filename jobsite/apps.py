from django.apps import AppConfig
from django.core import checks
from django.core.management import call_command
from django.db.models.signals import post_migrate

from jobsite.ratelimit import check_rates


def create_cache_tables(*, using, verbosity=1, **kwargs):
    """The database cache (the default: it holds the rate limits) needs its table. `migrate`
    makes it on every database it migrates, whether fresh (`make run`, the test databases) or
    given another CACHES since; a table already there is left alone."""
    call_command("createcachetable", database=using, verbosity=verbosity)


class JobsiteConfig(AppConfig):
    name = "jobsite"
    verbose_name = "Directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from jobsite import technician_changes

        checks.register(check_rates)
        technician_changes.connect()
        post_migrate.connect(create_cache_tables, sender=self)
