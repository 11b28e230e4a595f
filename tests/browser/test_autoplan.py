"""Plan the unplanned, in a real browser: start the auto-plan for a week, wait for its plan,
accept the ticked rows, then the rest; the plannings are in the database."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission

from tests.browser.pages import login, next_monday
from tests.factories import make_services_around_gent
from workorders.models import JobPlanning

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


@pytest.fixture
def unplanned(planner, technician, technician2, project, sales_org, settings):
    settings.AUTOPLAN_TIME_LIMIT_SECONDS = 1.0
    group, _ = Group.objects.get_or_create(name="Planners")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["jobsite", "jobs", "workorders", "apijobs"]
        )
    )
    planner.groups.add(group)
    return make_services_around_gent(
        project=project, technicians=(technician, technician2), sales_org=sales_org, count=4
    )


def test_plan_the_unplanned_then_accept_the_ticked_and_the_rest(page, live_server, unplanned, shot):
    login(page, live_server)
    monday = next_monday()
    page.goto(
        f"{live_server.url}/admin/workorders/workorder/autoplan/"
        f"?from={monday.isoformat()}&to={(monday + timedelta(days=4)).isoformat()}"
    )
    page.click("#autoplan-start")
    # The page refreshes itself while the solver runs, then shows the plan.
    page.wait_for_selector("#autoplan-kpis", timeout=60_000)
    shot(page, "autoplan-proposed")
    boxes = page.locator("input[name=work_order_ids]")
    assert boxes.count() == 4
    assert JobPlanning.objects.count() == 0
    first = boxes.nth(0).get_attribute("value")
    boxes.nth(0).check()
    page.click("#autoplan-accept-ticked")
    page.wait_for_selector("text=1 plannings written")
    assert [str(pk) for pk in JobPlanning.objects.values_list("work_order_id", flat=True)] == [
        first
    ]
    assert page.locator("input[name=work_order_ids]").count() == 3
    page.click("#autoplan-accept-all")
    page.wait_for_selector("text=3 plannings written")
    shot(page, "autoplan-accepted")
    plannings = JobPlanning.objects.all()
    assert sorted(str(p.work_order_id) for p in plannings) == sorted(str(wo.pk) for wo in unplanned)
    assert all(p.warnings == [] for p in plannings)
