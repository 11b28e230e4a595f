from django.apps import AppConfig


class WorkOrdersConfig(AppConfig):
    name = "workorders"
    verbose_name = "Work orders"
    default_auto_field = "django.db.models.BigAutoField"
