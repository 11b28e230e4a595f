from django.apps import AppConfig


class WorkOrdersConfig(AppConfig):
    name = "workorders"
    verbose_name = "Work orders"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from apijobs.recovery import register_resumable
        from jobsite.signals import calendar_changed, technician_changed
        from workorders.bulk import BULK_CHUNK_TASK, BULK_TASK, BULK_TYPE
        from workorders.scheduling.autoplan.services import AUTOPLAN_TASK, AUTOPLAN_TYPE
        from workorders.scheduling.calendar_changes import (
            refresh_after_calendar_change,
            refresh_after_technician_change,
        )

        # A bulk job re-queued after its worker died goes on after its last committed chunk;
        # an import reads its file from the top, so it is not resumed (it is failed instead).
        register_resumable(job_type=BULK_TYPE, task=BULK_TASK, chunk_task=BULK_CHUNK_TASK)
        # An auto-plan writes nothing until accepted: a dead worker's solve is simply run again.
        register_resumable(job_type=AUTOPLAN_TYPE, task=AUTOPLAN_TASK)
        calendar_changed.connect(refresh_after_calendar_change, dispatch_uid="planning-warnings")
        technician_changed.connect(
            refresh_after_technician_change, dispatch_uid="planning-warnings-technician"
        )
