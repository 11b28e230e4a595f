"""Locking work orders before a change, one way for every write outside the upsert.

The rows are locked first, in `id2` order (two callers locking overlapping sets never deadlock),
and their status and project read after: a join inside the locking query can lose a row a
concurrent writer moved, because PostgreSQL re-checks the join against the new version."""

from collections.abc import Iterable

from jobs.models import JobStatus
from workorders.models import Project, WorkOrder


def lock_work_orders(pks: Iterable) -> list[WorkOrder]:
    locked = list(
        WorkOrder.objects.select_for_update(of=("self",)).filter(pk__in=list(pks)).order_by("id2")
    )
    statuses = JobStatus.objects.in_bulk({wo.job_status_id for wo in locked})
    projects = Project.objects.in_bulk({wo.project_id for wo in locked})
    for wo in locked:
        wo.job_status = statuses[wo.job_status_id]
        wo.project = projects[wo.project_id]
    return locked


def lock_work_order(pk) -> WorkOrder:
    """One work order, locked; WorkOrder.DoesNotExist when it is gone."""
    found = lock_work_orders([pk])
    if not found:
        raise WorkOrder.DoesNotExist(f"No work order {pk}.")
    return found[0]
