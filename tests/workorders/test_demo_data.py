from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from jobs.models import Job, StatusNumber
from jobsite.models import Company, SalesOrganization, User
from workorders.models import JobPlanning, Project, WorkOrder

pytestmark = pytest.mark.django_db


def test_demo_data_covers_every_status_and_plans_the_suggested(capsys):
    call_command("load_demo_data", "--work-orders", "600", "--projects", "40", "--companies", "10")
    out = capsys.readouterr().out
    assert "planner" in out and "Planner login" in out
    assert SalesOrganization.objects.count() == 2
    assert User.objects.filter(is_technician=True).count() == 10
    assert Company.objects.count() == 10
    assert Project.objects.count() == 40
    assert WorkOrder.objects.count() == 600
    assert set(WorkOrder.objects.values_list("job_status__number", flat=True)) == set(range(10))
    suggested = WorkOrder.objects.filter(job_status__number=StatusNumber.SUGGESTED)
    assert suggested.exists()
    for wo in suggested:
        planning = JobPlanning.objects.get(work_order=wo, made_by_rule=True)
        assert planning.user_id == wo.suggested_user_id
        assert planning.date_start == wo.suggested_date_start
    # Appointments fall on working days, never on a weekend.
    starts = JobPlanning.objects.values_list("date_start", flat=True)
    assert starts and all(start.weekday() < 5 for start in starts)
    # Statuses follow the appointment's time: nothing completed ahead, nothing suggested behind.
    now = timezone.now()
    planned = WorkOrder.objects.exclude(suggested_date_start=None)
    ahead = planned.filter(suggested_date_start__gt=now)
    assert not ahead.filter(job_status__number=StatusNumber.COMPLETED).exists()
    assert not ahead.filter(job_status__number=StatusNumber.IN_PROGRESS).exists()
    behind = planned.filter(suggested_date_start__lt=now - timedelta(days=1))
    assert not behind.filter(job_status__number__lte=StatusNumber.OPEN).exists()
    assert Job.objects.exists()
    planner = User.objects.get(username="planner")
    assert planner.check_password("planner-demo-2026")
    assert planner.is_staff and not planner.is_superuser
    # Work orders belong to their project's company and its sales organization.
    for wo in WorkOrder.objects.select_related("project")[:50]:
        assert wo.company_id == wo.project.company_id
        assert wo.sales_organization_id == wo.project.sales_organization_id


def test_if_empty_loads_once(capsys):
    call_command("load_demo_data", "--work-orders", "20", "--projects", "5", "--companies", "2")
    call_command("load_demo_data", "--work-orders", "20", "--if-empty")
    assert WorkOrder.objects.count() == 20
    assert "already loaded" in capsys.readouterr().out
