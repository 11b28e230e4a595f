"""Local time in a real browser: a Belgian planner reads a 07:00Z winter appointment as 08:00 on
the list, the change form and the board, and a start typed on the board is read in Brussels."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import make_work_order
from workorders.models import JobPlanning

pytestmark = [
    pytest.mark.browser,
    # Committed data for the live server's thread, every app flushed after (see the other
    # browser tests).
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]

WINTER = datetime(2031, 1, 14, 7, 0, tzinfo=UTC)  # a Tuesday: 08:00 in Brussels (+01:00)


@pytest.fixture
def belgian_office(planner, planners_group, sales_org, technician, project, statuses, job_type):
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save()
    planner.groups.add(planners_group)
    planned = make_work_order(
        project=project,
        job_type=job_type,
        status="Suggested",
        name="Boiler service – Gent",
        suggested_user=technician,
        suggested_date_start=WINTER,
    )
    to_plan = make_work_order(project=project, job_type=job_type, name="Leak check – Gent")
    return planned, to_plan


def _sign_in(page, live_server, user):
    # The session of a logged-in client, handed to the browser: the login form has its own test.
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_a_belgian_planner_reads_and_plans_in_brussels_time(
    page, live_server, belgian_office, planner, technician, shot
):
    planned, to_plan = belgian_office
    _sign_in(page, live_server, planner)

    page.goto(f"{live_server.url}/admin/workorders/workorder/")
    row = page.locator("#result_list tbody tr", has_text="Boiler service")
    assert "Tue 14 Jan 08:00" in row.inner_text()
    assert page.text_content("#time-zone") == "Time zone: Europe/Brussels"  # CSS: capitals
    assert "times in Europe/Brussels" in page.inner_text("#list-zone")

    page.goto(f"{live_server.url}/admin/workorders/workorder/{planned.pk}/change/")
    assert page.input_value("#id_suggested_date_start_1") == "08:00:00"
    assert page.input_value("#id_plannings-0-date_start_1") == "08:00:00"

    page.goto(f"{live_server.url}/admin/workorders/workorder/board/?date=2031-01-13")
    assert page.inner_text("#board-zone") == "Europe/Brussels"
    block = page.locator(
        f'.bd-row[data-technician="{technician.pk}"] .bd-day[data-day="2031-01-14"] .bd-block'
    )
    assert block.get_attribute("data-start") == "2031-01-14T08:00"
    block.hover()
    assert "08:00–09:00" in block.get_attribute("title")

    # Dropped on the board at 10:00, Brussels time.
    page.wait_for_selector(f'.bd-card[data-number="{to_plan.id2}"]')
    card = page.locator(f'.bd-card[data-number="{to_plan.id2}"]').bounding_box()
    cell = page.locator(
        f'.bd-row[data-technician="{technician.pk}"] .bd-day[data-day="2031-01-14"]'
    ).bounding_box()
    low, high = (int(page.get_attribute(".bd", f"data-hour-{e}")) * 60 for e in ("from", "to"))
    x = cell["x"] + cell["width"] * (10 * 60 - low) / (high - low)
    page.mouse.move(card["x"] + 60, card["y"] + card["height"] / 2)
    page.mouse.down()
    page.mouse.move(card["x"] + 80, card["y"] + card["height"] / 2, steps=3)
    page.mouse.move(x, cell["y"] + cell["height"] / 2, steps=10)
    page.mouse.up()
    page.wait_for_selector("#board-status.bd-ok")
    assert f"Planned #{to_plan.id2}" in page.inner_text("#board-status")
    assert "Tue 14 Jan 10:00" in page.inner_text("#board-status")
    assert JobPlanning.objects.get(work_order=to_plan).date_start == datetime(
        2031, 1, 14, 9, 0, tzinfo=UTC
    )
    shot(page, "local-time-board")


def test_a_superuser_picks_the_zone_from_the_header(
    page, live_server, belgian_office, superuser, shot
):
    _sign_in(page, live_server, superuser)
    page.goto(f"{live_server.url}/admin/workorders/workorder/")
    row = page.locator("#result_list tbody tr", has_text="Boiler service")
    assert "Tue 14 Jan 07:00" in row.inner_text()  # the TIME_ZONE setting's: UTC

    with page.expect_navigation():
        page.click("#time-zone")
    page.select_option("#id_time_zone", "Europe/Brussels")
    shot(page, "local-time-pick")
    with page.expect_navigation():
        page.click("#time-zone-form input[type=submit]")
    assert page.url.endswith("/admin/workorders/workorder/")  # back where they were
    assert "Times are shown in Europe/Brussels." in page.inner_text("ul.messagelist")
    assert "Tue 14 Jan 08:00" in row.inner_text()
