"""The Suggested rule at service level; every entry path's tests build on these."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobsite.errors import ServiceError
from workorders import services
from workorders.models import JobPlanning

from ..factories import make_work_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def start():
    return timezone.now().replace(microsecond=0) + timedelta(days=1)


def rule_plannings(wo):
    return list(JobPlanning.objects.filter(work_order=wo, made_by_rule=True))


def test_suggest_plans_exactly_once(project, statuses, job_type, technician, start):
    wo = make_work_order(project=project, job_type=job_type, estimated_time=90)
    services.suggest_technician(work_orders=[wo], user=technician, date_start=start)
    services.suggest_technician(work_orders=[wo], user=technician, date_start=start)
    (planning,) = rule_plannings(wo)
    assert planning.user == technician
    assert planning.date_start == start
    assert planning.date_end == start + timedelta(minutes=90)


def test_changing_user_moves_the_planning(
    project, statuses, job_type, technician, technician2, start
):
    wo = make_work_order(project=project, job_type=job_type)
    services.suggest_technician(work_orders=[wo], user=technician, date_start=start)
    services.suggest_technician(work_orders=[wo], user=technician2, date_start=start)
    (planning,) = rule_plannings(wo)
    assert planning.user == technician2
    assert planning.date_end == start + timedelta(minutes=60)


def test_moving_on_keeps_cancel_removes(project, statuses, job_type, technician, start):
    wo = make_work_order(project=project, job_type=job_type)
    services.suggest_technician(work_orders=[wo], user=technician, date_start=start)
    services.set_status(work_order=wo, status=statuses["Activated"])
    assert len(rule_plannings(wo)) == 1
    services.set_status(work_order=wo, status=statuses["Canceled"])
    assert rule_plannings(wo) == []


def test_hand_made_plannings_are_never_touched(project, statuses, job_type, technician, start):
    wo = make_work_order(project=project, job_type=job_type)
    manual = JobPlanning.objects.create(
        work_order=wo, user=technician, date_start=start, date_end=start + timedelta(hours=1)
    )
    services.suggest_technician(work_orders=[wo], user=technician, date_start=start)
    services.set_status(work_order=wo, status=statuses["Canceled"])
    assert list(JobPlanning.objects.filter(work_order=wo)) == [manual]


def test_other_statuses_add_none(project, statuses, job_type, technician, start):
    wo = make_work_order(
        project=project,
        job_type=job_type,
        status=statuses["Activated"],
        suggested_user=technician,
        suggested_date_start=start,
    )
    services.sync_suggested_plannings(work_orders=[wo])
    assert rule_plannings(wo) == []


def test_life_cycle_start_then_complete_sets_date_closed(project, statuses, job_type):
    wo = make_work_order(project=project, job_type=job_type)
    wo = services.start_progress(work_order=wo)
    assert wo.job_status.code == "InProgress"
    with pytest.raises(ServiceError) as refused:
        services.start_progress(work_order=wo)
    assert "IN PROGRESS" in refused.value.message
    wo = services.complete(work_order=wo)
    assert wo.job_status.code == "Completed"
    assert wo.date_closed is not None


def test_activate_only_pending_and_cancel_not_completed(project, statuses, job_type):
    wo = make_work_order(project=project, job_type=job_type)
    assert services.activate(work_order=wo).job_status.code == "Activated"
    wo = services.start_progress(work_order=wo)
    with pytest.raises(ServiceError, match="only pending work can be activated"):
        services.activate(work_order=wo)
    wo = services.complete(work_order=wo)
    with pytest.raises(ServiceError, match="cannot be cancelled"):
        services.cancel(work_order=wo)
    other = make_work_order(project=project, job_type=job_type)
    assert services.cancel(work_order=other).job_status.code == "Canceled"
