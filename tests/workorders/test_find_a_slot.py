""" "Find a slot" in the admin: a work order's proposals, and one click plans one through the
Suggested rule."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_planning, make_work_order
from workorders.models import JobPlanning, WorkOrder
from workorders.scheduling.proposals import proposals

pytestmark = pytest.mark.django_db


@pytest.fixture
def work_order(project, skill, technician):
    """Due in 10 days, from the next Monday on (no proposal is ever in the past)."""
    today = timezone.localdate()
    monday = today + timedelta(days=7 - today.weekday())
    start = timezone.make_aware(timezone.datetime.combine(monday, timezone.datetime.min.time()))
    return make_work_order(
        project=project,
        name="Replace the meter",
        skill=skill,
        estimated_time=90,
        earliest_date_plannable=start,
        due_date=start + timedelta(days=10),
    )


def url(work_order) -> str:
    return reverse("admin:workorders_workorder_find_a_slot", args=[work_order.pk])


def test_the_change_form_links_to_find_a_slot(planner_client, work_order):
    change = reverse("admin:workorders_workorder_change", args=[work_order.pk])
    page = planner_client.get(change).content.decode()
    assert f'href="{url(work_order)}"' in page
    assert url(work_order) == f"/admin/workorders/workorder/{work_order.pk}/find-a-slot/"


def test_find_a_slot_shows_the_proposals_and_a_click_plans_one(
    planner_client, planner, work_order, technician
):
    page = planner_client.get(url(work_order))
    assert page.status_code == 200
    shown = page.context["found"].proposals
    assert shown and shown[0].technician == technician
    assert "has skill Electrical" in page.content.decode()
    first = shown[0]
    response = planner_client.post(
        url(work_order), {"technician": str(technician.pk), "start": first.start.isoformat()}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:workorders_workorder_change", args=[work_order.pk]
    )
    work_order.refresh_from_db()
    assert work_order.job_status.code == "Suggested"
    assert (work_order.suggested_user, work_order.suggested_date_start) == (technician, first.start)
    planning = JobPlanning.objects.get(work_order=work_order)
    assert (planning.user, planning.date_start, planning.date_end) == (
        technician,
        first.start,
        first.end,
    )
    assert planning.made_by_rule and planning.warnings == []
    followed = planner_client.get(response["Location"])
    assert "Suggested Tess Tech for #" in followed.content.decode()


def test_a_slot_taken_since_is_not_planned(
    planner_client, planner, work_order, technician, project
):
    first = proposals(user=planner, work_order=work_order).proposals[0]
    make_planning(project=project, technician=technician, start=first.start)
    response = planner_client.post(
        url(work_order),
        {"technician": str(technician.pk), "start": first.start.isoformat()},
        follow=True,
    )
    assert "no longer fits" in response.content.decode()
    assert not JobPlanning.objects.filter(work_order=work_order).exists()
    assert WorkOrder.objects.get(pk=work_order.pk).job_status.code == "ToBePlanned"
    # The page shows what fits now.
    assert response.context["found"].proposals[0].start != first.start


def test_nothing_fits_says_why(planner_client, project):
    wo = make_work_order(project=project, due_date=timezone.now() - timedelta(days=1))
    page = planner_client.get(url(wo)).content.decode()
    assert "has passed" in page


def test_another_organizations_work_order_is_not_found(client, other_planner, work_order):
    other_planner.is_superuser = False
    client.force_login(other_planner)
    assert client.get(url(work_order)).status_code in (403, 404)
    assert client.post(url(work_order), {}).status_code in (403, 404)
