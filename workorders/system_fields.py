"""The fields the system writes and a caller never does, for every path: a work order's company
and sales organization come from its project, its dates from the clock, date_closed from
entering COMPLETED; a project's sales organization from its company. The set-based import
writes the same in SQL (workorders/imports/write.py), and tests/workorders/test_import_paths.py
holds the two paths' rows equal."""

from datetime import datetime

from django.utils import timezone

from jobs.models import LifeCycleState
from jobsite.models import User
from workorders.models import Project, WorkOrder


def organization_of(work_order: WorkOrder):
    """The sales organization a work order belongs to: its project's (the stored column is a
    copy for lists and indexes, written by `apply_system_fields`, and lags when the project
    moves to another organization until the work order's next write)."""
    return work_order.project.sales_organization_id


def apply_system_fields(
    *, work_order: WorkOrder, previous_state: str | None, now: datetime | None = None
) -> None:
    """What the system derives on every write: company and sales organization from the project,
    the dates, and date_closed when the status enters COMPLETED."""
    now = now or timezone.now()
    project = work_order.project
    work_order.company_id = project.company_id
    work_order.sales_organization_id = organization_of(work_order)
    if work_order.date_create is None:
        work_order.date_create = now
    work_order.date_update = now
    work_order.modified_dateutc = now
    state = work_order.job_status.life_cycle_state
    if state == LifeCycleState.COMPLETED and previous_state != LifeCycleState.COMPLETED:
        work_order.date_closed = now
    elif state != LifeCycleState.COMPLETED:
        work_order.date_closed = None


def apply_project_system_fields(*, project: Project) -> None:
    """A project belongs to the sales organization of its company."""
    project.sales_organization_id = project.company.sales_organization_id


def save_project(*, project: Project, by: User | None = None) -> Project:
    apply_project_system_fields(project=project)
    if by is not None:
        project.updated_by_user = by
    project.save()
    return project
