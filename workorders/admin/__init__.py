"""The planner admin, one module per responsibility.

Importing this package registers every admin of the app (Django's autodiscover imports
`workorders.admin`), and keeps the names other code imports from `workorders.admin`."""

from workorders.admin.equipment import (
    EquipmentBrandAdmin,
    EquipmentFamilyAdmin,
    EquipmentModelAdmin,
)
from workorders.admin.paging import MAX_ACTION_ROWS, PlannerPaginator, PlannerPaging
from workorders.admin.plannings import JobPlanningAdmin, JobPlanningInline
from workorders.admin.projects import ProjectAdmin, ProjectStatusAdmin
from workorders.admin.work_orders import WorkOrderAdmin

__all__ = [
    "MAX_ACTION_ROWS",
    "EquipmentBrandAdmin",
    "EquipmentFamilyAdmin",
    "EquipmentModelAdmin",
    "JobPlanningAdmin",
    "JobPlanningInline",
    "PlannerPaginator",
    "PlannerPaging",
    "ProjectAdmin",
    "ProjectStatusAdmin",
    "WorkOrderAdmin",
]
