"""The planner's home: every figure is a link to a list, and the list it opens counts the same."""

import re
from datetime import datetime, time, timedelta

from django.utils import timezone

from apijobs.models import ApiJob, ApiJobStatus
from jobsite.models import User
from workorders.models import JobPlanning

from ..factories import make_planning

HOME = "/admin/"
FIGURE = re.compile(r'<a href="([^"]+)"><span class="planner-figure-count" data-count="(\d+)"')
TODAY = re.compile(r'<a href="([^"]+)" data-count="(\d+)"')


def _list_count(client, url):
    response = client.get(url.replace("&amp;", "&"))
    assert response.status_code == 200, url
    return response.context["cl"].result_count


def test_every_count_on_the_home_equals_the_list_its_link_opens(
    planner_client, planner, project, make_wo, technician, technician2, other_project, statuses
):
    now = timezone.now()
    today = timezone.localdate()
    make_wo(project, name="To plan")
    make_wo(project, name="Waiting", status="Waiting")
    make_wo(project, name="Overdue", due_date=now - timedelta(days=2))
    make_wo(project, name="Due soon", due_date=now + timedelta(hours=1))
    make_wo(other_project, name="Not ours", due_date=now - timedelta(days=2))
    noon = timezone.make_aware(datetime.combine(today, time(12, 0)))
    make_planning(project=project, technician=technician, start=noon)
    # Overlapping: both plannings warn.
    make_planning(project=project, technician=technician, start=noon + timedelta(minutes=30))
    make_planning(project=project, technician=technician2, start=noon - timedelta(hours=2))
    make_planning(project=project, technician=technician2, start=noon + timedelta(days=3))
    failed = ApiJob.objects.create(
        type="workorder_import",
        status=ApiJobStatus.FAILED,
        sales_organization=planner.sales_organization,
    )
    ApiJob.objects.create(type="workorder_import", status=ApiJobStatus.FAILED)  # a superuser's
    old = ApiJob.objects.create(
        type="workorder_import",
        status=ApiJobStatus.FAILED,
        sales_organization=planner.sales_organization,
    )
    ApiJob.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=2))

    text = planner_client.get(HOME).content.decode()
    figures = FIGURE.findall(text)
    assert len(figures) == 5
    for url, count in figures:
        assert _list_count(planner_client, url) == int(count), url
    by_key = dict(
        re.findall(
            r'data-figure="(\w+)">\s*<a href="[^"]+">'
            r'<span class="planner-figure-count" data-count="(\d+)"',
            text,
        )
    )
    assert by_key == {
        "to_plan": "4",  # ToBePlanned (3 made by make_wo) and Waiting
        "overdue": "1",
        "due_this_week": by_key["due_this_week"],  # depends on the weekday: checked via its list
        "warned_plannings": by_key["warned_plannings"],  # the overlap and what else the check says
        "failed_api_jobs": "1",
    }
    assert int(by_key["warned_plannings"]) >= 2
    assert failed.pk

    today_section = text[text.index('id="planner-today"') :]
    rows = TODAY.findall(today_section)
    # Two technicians today (Tess 2, tech2 1) and the total.
    assert sorted(int(c) for _, c in rows) == [1, 2, 3]
    for url, count in rows:
        assert _list_count(planner_client, url) == int(count), url
    assert JobPlanning.objects.count() == 4
    assert User.objects.filter(is_technician=True).count() >= 2


def test_the_home_says_which_organization_and_local_time(planner_client, sales_org):
    text = planner_client.get(HOME).content.decode()
    assert "BE01 – Belgium" in text
    assert timezone.get_current_timezone_name() in text or "UTC" in text
