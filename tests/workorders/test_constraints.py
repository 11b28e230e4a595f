import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from workorders.models import JobPlanning, WorkOrder

from ..factories import make_work_order

pytestmark = pytest.mark.django_db


def test_reference_back_office_unique_when_given(project, statuses, job_type):
    make_work_order(project=project, job_type=job_type, reference_back_office="ERP-1")
    make_work_order(project=project, job_type=job_type, reference_back_office=None)
    make_work_order(project=project, job_type=job_type, reference_back_office=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_work_order(project=project, job_type=job_type, reference_back_office="ERP-1")


def test_one_rule_planning_per_work_order(project, statuses, job_type, technician):
    wo = make_work_order(project=project, job_type=job_type)
    start = timezone.now()
    JobPlanning.objects.create(
        work_order=wo, user=technician, date_start=start, date_end=start, made_by_rule=True
    )
    # Hand-made plannings are free.
    JobPlanning.objects.create(work_order=wo, user=technician, date_start=start, date_end=start)
    JobPlanning.objects.create(work_order=wo, user=technician, date_start=start, date_end=start)
    with pytest.raises(IntegrityError), transaction.atomic():
        JobPlanning.objects.create(
            work_order=wo, user=technician, date_start=start, date_end=start, made_by_rule=True
        )


def test_planning_cannot_end_before_it_starts(project, statuses, job_type, technician):
    wo = make_work_order(project=project, job_type=job_type)
    start = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        JobPlanning.objects.create(
            work_order=wo,
            user=technician,
            date_start=start,
            date_end=start - timezone.timedelta(minutes=1),
        )


def test_work_order_gets_an_id2(project, statuses, job_type):
    first = make_work_order(project=project, job_type=job_type)
    second = make_work_order(project=project, job_type=job_type)
    assert second.id2 == first.id2 + 1


def test_reference_back_office_is_unique_per_sales_organization(
    project, other_project, statuses, job_type
):
    make_work_order(project=project, job_type=job_type, reference_back_office="ERP-1")
    make_work_order(project=other_project, job_type=job_type, reference_back_office="ERP-1")
    other_project.reference_back_office = project.reference_back_office
    other_project.save()
    assert WorkOrder.objects.filter(reference_back_office="ERP-1").count() == 2
