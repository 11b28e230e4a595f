from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from jobs.models import Job, StatusNumber
from jobsite.calendars import DEFAULT_WEEKLY, calendars
from jobsite.models import Absence, Company, Holiday, SalesOrganization, User, WorkingHours
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


def test_demo_calendars_and_appointments_that_respect_them():
    call_command("load_demo_data", "--work-orders", "400", "--projects", "20", "--companies", "4")
    orgs = list(SalesOrganization.objects.all())
    assert {org.time_zone for org in orgs} == {"Europe/Brussels"}
    for org in orgs:
        default = WorkingHours.objects.get(sales_organization=org, technician=None)
        assert default.weekly == DEFAULT_WEEKLY
    part_timer = WorkingHours.objects.get(technician__isnull=False)
    assert {item["weekday"] for item in part_timer.weekly} < {1, 2, 3, 4, 5}
    now = timezone.now()
    absences = list(Absence.objects.all())
    assert len(absences) >= 3 and all(a.start > now for a in absences)
    year = now.year
    be = SalesOrganization.objects.get(code="BE01")
    for national_day in (date(year, 7, 21), date(year + 1, 7, 21)):
        assert Holiday.objects.filter(sales_organization=be, date=national_day).exists()
    assert Holiday.objects.filter(sales_organization__code="NL01", date__year=year + 1).exists()
    # Every appointment lies in its technician's working hours (their own part-time week
    # included), off holidays and outside absences.
    technicians = list(User.objects.filter(is_technician=True))
    plannings = list(JobPlanning.objects.all())
    assert plannings
    found = calendars(
        technicians,
        start=min(p.date_start for p in plannings),
        end=max(p.date_end for p in plannings),
    )
    for planning in plannings:
        calendar = found[planning.user_id]
        assert calendar.covers(planning.date_start, planning.date_end), planning
        assert calendar.holiday_on(planning.date_start, planning.date_end) is None
    for absence in absences:
        assert not JobPlanning.objects.filter(
            user=absence.technician, date_start__lt=absence.end, date_end__gt=absence.start
        ).exists()
    # Loading again keeps one pattern each and adds no holiday or absence twice.
    counts = (WorkingHours.objects.count(), Holiday.objects.count(), Absence.objects.count())
    call_command("load_demo_data", "--work-orders", "0", "--projects", "1", "--companies", "1")
    assert counts == (
        WorkingHours.objects.count(),
        Holiday.objects.count(),
        Absence.objects.count(),
    )
