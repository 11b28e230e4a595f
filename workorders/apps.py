from django.apps import AppConfig


class WorkOrdersConfig(AppConfig):
    name = "workorders"
    verbose_name = "Work orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apijobs.recovery import register_resumable
        from workorders.bulk import BULK_TASK, BULK_TYPE

        # A bulk job re-queued after its worker died goes on after its last committed chunk;
        # an import reads its file from the top, so it is not resumed (it is failed instead).
        register_resumable(job_type=BULK_TYPE, task=BULK_TASK)
