"""Plan the unplanned from the planning board, in a real browser (issue 18's acceptance): the
week shown is planned by the solver, its proposal comes back as ghosts in the technicians'
rows with the KPIs, a ticked ghost is accepted, then the rest; each time the database holds
exactly those plannings and the board shows them as real blocks."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apijobs.models import ApiJob
from tests.browser.test_autoplan import unplanned  # noqa: F401 (a fixture)
from workorders.models import JobPlanning

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


def test_plan_the_unplanned_shows_ghosts_and_accepting_them_makes_plannings(
    page,
    live_server,
    unplanned,  # noqa: F811
    shot,
):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", "pw-planner-1")
    page.click("input[type=submit]")
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    page.goto(f"{live_server.url}/admin/workorders/workorder/board/?view=week&date={monday}")
    page.click("#board-autoplan")
    # The board follows the solver, then shows its proposal as ghosts with the KPIs.
    page.wait_for_selector("#board-kpis", timeout=60_000)
    ghosts = page.locator(".bd-row .bd-proposed")
    assert ghosts.count() == 4
    assert page.locator(".bd-row .bd-block").count() == 0
    assert page.locator("#board-kpi-planned").inner_text() == "4"
    assert page.locator("#board-kpi-unplanned").inner_text() == "0"
    job = ApiJob.objects.get(type="autoplan")
    assert f"autoplan={job.pk}" in page.url and f"date={monday}" in page.url
    assert JobPlanning.objects.count() == 0
    # The unplanned pane marks the work orders of the proposal.
    page.wait_for_selector(".bd-card.bd-card-proposed")
    assert page.locator(".bd-card.bd-card-proposed").count() == 4

    # A click on a ghost ticks it; it is not dragged as a planning.
    first = ghosts.nth(0)
    chosen = first.get_attribute("data-work-order")
    first.click()
    assert first.locator("input").is_checked()
    assert page.locator("#board-ticked").inner_text() == "1"
    shot(page, "board-ghosts", full_page=False)
    # The day view keeps the proposal (and the tick); its ghosts are wide enough to read.
    page.click("#board-day")
    page.wait_for_selector("#board-kpis")
    assert "view=day" in page.url
    assert page.locator(".bd-row .bd-proposed").count() == 4
    shot(page, "board-ghosts-day", full_page=False)
    page.click("#board-week")
    page.wait_for_selector("#board-kpis")
    first = page.locator(f'.bd-proposed[data-work-order="{chosen}"]')
    if not first.locator("input").is_checked():  # a fresh page: tick it again
        first.click()
    page.click("#board-accept-ticked")
    page.wait_for_selector("text=1 plannings written")
    assert [str(pk) for pk in JobPlanning.objects.values_list("work_order_id", flat=True)] == [
        chosen
    ]
    assert page.locator(f'.bd-block[data-work-order="{chosen}"]').count() == 1
    assert page.locator(".bd-row .bd-proposed").count() == 3
    assert page.locator("#board-accept-all").inner_text() == "Accept all (3)"

    page.click("#board-accept-all")
    page.wait_for_selector("text=3 plannings written")
    assert "autoplan=" not in page.url  # nothing left to accept: the board is back to itself
    assert page.locator("#board-proposal").count() == 0
    plannings = JobPlanning.objects.all()
    assert sorted(str(p.work_order_id) for p in plannings) == sorted(str(w.pk) for w in unplanned)
    assert all(p.warnings == [] for p in plannings)
    blocks = page.locator(".bd-row .bd-block")
    assert sorted(b.get_attribute("data-work-order") for b in blocks.all()) == sorted(
        str(w.pk) for w in unplanned
    )
    shot(page, "board-ghosts-accepted", full_page=False)
