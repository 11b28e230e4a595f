from django.apps import AppConfig


class JobsiteConfig(AppConfig):
    name = "jobsite"
    verbose_name = "Directory"
    default_auto_field = "django.db.models.BigAutoField"
