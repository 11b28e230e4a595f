""" "Find a slot" in a real browser: from the work order's form to its proposals, and one click
plans it (Suggested, the rule's planning stored where the proposal said)."""

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tests.browser.pages import login
from tests.factories import make_meter_job_with_two_technicians
from workorders.models import JobPlanning

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


@pytest.fixture
def office(planner, technician, sales_org, skill, project):
    group, _ = Group.objects.get_or_create(name="Planners")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["jobsite", "jobs", "workorders", "apijobs"]
        )
    )
    planner.groups.add(group)
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    return make_meter_job_with_two_technicians(
        project=project, skill=skill, technician=technician, sales_org=sales_org, start=start
    )


def test_find_a_slot_then_a_click_plans_the_work_order(page, live_server, office, technician, shot):
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/workorders/workorder/{office.pk}/change/")
    page.locator("#find-a-slot").scroll_into_view_if_needed()
    shot(page, "find-a-slot-link", full_page=False)
    with page.expect_navigation():
        page.click("#find-a-slot")
    assert page.url.endswith(f"/workorder/{office.pk}/find-a-slot/")
    rows = page.locator("#proposals tbody tr")
    assert rows.count() >= 2
    first = rows.nth(0)
    assert "Tess Tech" in first.inner_text()
    assert "has skill Electrical" in first.inner_text()
    shot(page, "find-a-slot", full_page=False)
    start = first.locator("input[name=start]").get_attribute("value")
    with page.expect_navigation():
        first.locator("input[type=submit]").click()
    assert page.url.endswith(f"/workorder/{office.pk}/change/")
    assert "Suggested Tess Tech for #" in page.inner_text("ul.messagelist")
    planning = JobPlanning.objects.get(work_order=office)
    assert planning.user == technician and planning.made_by_rule
    assert planning.date_start == datetime.fromisoformat(start)
    assert planning.date_end - planning.date_start == timedelta(minutes=90)
    assert planning.warnings == []
    office.refresh_from_db()
    assert office.job_status.code == "Suggested"
    shot(page, "find-a-slot-planned", full_page=False)
