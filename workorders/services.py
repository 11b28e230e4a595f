"""The writes of work orders, projects and plannings, in one import for their callers (API,
bulk, import, admin, board). Each rule lives in the module named below; every entry path goes
through these functions, so each rule holds everywhere:

- system_fields: what the system writes (company, organization, dates, date_closed)
- upsert: the work order upsert (PUT, POST, PATCH, bulk, batched import)
- status_changes: activate, cancel, start, complete, a status from the admin, a form's save
- suggestions: suggesting a technician for many work orders
- plannings: the planning check, the Suggested rule, hand-made plannings
- projects: the project upsert and delete
- bulk_edit: priority, due date, skill and job type of many work orders at once"""

from workorders.bulk_edit import edit_work_orders
from workorders.plannings import (
    DEFAULT_PLANNING_MINUTES,
    UNPLANNED_STATUSES,
    delete_planning,
    planning_end,
    save_planning,
    sync_suggested_plannings,
)
from workorders.projects import delete_project, upsert_project
from workorders.records import clean_work_order_fields
from workorders.status_changes import (
    activate,
    cancel,
    complete,
    save_work_order,
    set_status,
    start_progress,
)
from workorders.suggestions import suggest_technician
from workorders.system_fields import apply_system_fields, save_project
from workorders.upsert import (
    ALREADY_USED,
    NOT_FOUND,
    RecordResult,
    delete_work_order,
    upsert_work_orders,
)

__all__ = [
    "ALREADY_USED",
    "DEFAULT_PLANNING_MINUTES",
    "NOT_FOUND",
    "UNPLANNED_STATUSES",
    "RecordResult",
    "activate",
    "apply_system_fields",
    "cancel",
    "clean_work_order_fields",
    "complete",
    "delete_planning",
    "delete_project",
    "delete_work_order",
    "edit_work_orders",
    "planning_end",
    "save_planning",
    "save_project",
    "save_work_order",
    "set_status",
    "start_progress",
    "suggest_technician",
    "sync_suggested_plannings",
    "upsert_project",
    "upsert_work_orders",
]
