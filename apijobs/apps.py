from django.apps import AppConfig


class ApiJobsConfig(AppConfig):
    name = "apijobs"
    verbose_name = "API jobs"
    default_auto_field = "django.db.models.BigAutoField"
