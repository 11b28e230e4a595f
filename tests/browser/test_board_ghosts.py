"""Plan the unplanned from the planning board, in a real browser (issue 18's acceptance): the
week shown is planned by the solver, its proposal comes back as ghosts in the technicians'
rows with the KPIs, a ticked ghost is accepted, then the rest; each time the database holds
exactly those plannings and the board shows them as real blocks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from apijobs.models import ApiJob
from jobsite.models import Address, User
from tests.browser.pages import login, next_monday
from tests.browser.test_autoplan import unplanned  # noqa: F401 (a fixture)
from tests.browser.test_board import _answered, _drag_to
from tests.factories import make_work_order
from workorders.models import JobPlanning
from workorders.scheduling.autoplan import services

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
    login(page, live_server)
    monday = next_monday()
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
    technician_of_first = page.locator(
        f'.bd-row:has(.bd-proposed[data-work-order="{chosen}"])'
    ).get_attribute("data-technician")
    ghosts_before = (
        page.locator(f'.bd-row[data-technician="{technician_of_first}"] .bd-proposed').count() - 1
    )
    page.click("#board-accept-ticked")
    page.wait_for_selector("text=1 plannings written")
    assert [str(pk) for pk in JobPlanning.objects.values_list("work_order_id", flat=True)] == [
        chosen
    ]
    assert page.locator(f'.bd-block[data-work-order="{chosen}"]').count() == 1
    assert page.locator(".bd-row .bd-proposed").count() == 3
    assert page.locator("#board-accept-all").inner_text() == "Accept all (3)"
    # Moving the new block redraws its row; the ghosts stay in it.
    planning = JobPlanning.objects.get()
    tuesday = monday + timedelta(days=1)
    block = page.locator(f'.bd-block[data-work-order="{chosen}"]')
    _drag_to(page, block, planning.user, tuesday, "09:00")
    _answered(page)
    page.wait_for_selector(f'.bd-block[data-work-order="{chosen}"][data-start^="{tuesday}"]')
    planning.refresh_from_db()
    assert timezone.localtime(planning.date_start).date() == tuesday
    row = page.locator(f'.bd-row[data-technician="{planning.user_id}"]')
    assert page.locator(".bd-row .bd-proposed").count() == 3
    assert row.locator(".bd-proposed").count() == ghosts_before

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


TOWNS = [
    ("Gent", 51.054, 3.717),
    ("Lochristi", 51.10, 3.83),
    ("Merelbeke", 50.99, 3.75),
    ("Eeklo", 51.19, 3.56),
    ("Aalst", 50.94, 4.04),
    ("Deinze", 50.98, 3.53),
]


def test_a_team_week_while_the_solver_runs_then_its_ghosts(
    page,
    live_server,
    unplanned,  # noqa: F811
    planner,
    project,
    sales_org,
    settings,
    shot,
):
    """The board follows a job still queued (the solver runs in db_worker): it shows the
    progress, polls, and shows the ghosts once the job is done. Six technicians and 30 work
    orders: the screenshot a planner would see."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    for n in range(4):
        User.objects.create_user(
            username=f"tech{n + 3}",
            first_name=["Ann", "Bart", "Chris", "Dirk"][n],
            last_name="Peeters",
            code=f"T0{n + 3}",
            sales_organization=sales_org,
            is_technician=True,
            base_address=Address.objects.create(
                street="Base",
                city="Gent",
                latitude=51.05,
                longitude=3.72,
                sales_organization=sales_org,
            ),
        )
    for n in range(26):
        town, lat, lon = TOWNS[n % len(TOWNS)]
        make_work_order(
            project=project,
            name=["Boiler service", "Heat pump check", "Leak repair", "Annual inspection"][n % 4],
            estimated_time=[60, 90, 120, 45][n % 4],
            db_address_city=town,
            db_address_latitude=Decimal(str(lat + (n % 5) * 0.01)),
            db_address_longitude=Decimal(str(lon - (n % 3) * 0.01)),
        )
    login(page, live_server)
    monday = next_monday()
    page.goto(f"{live_server.url}/admin/workorders/workorder/board/?view=week&date={monday}")
    page.click("#board-autoplan")
    page.wait_for_selector("#board-proposal-progress")
    job = ApiJob.objects.get(type="autoplan")
    assert job.status == "pending" and job.total_records == 30
    services.run_autoplan(api_job_id=job.pk, time_limit=2.0)
    # The strip polls the job and redraws the board once with the ghosts.
    page.wait_for_selector("#board-kpis", timeout=30_000)
    plan = services.proposed_plan(api_job=ApiJob.objects.get(pk=job.pk))
    assert page.locator(".bd-row .bd-proposed").count() == len(plan["plannings"]) > 20
    assert page.locator("#board-kpi-planned").inner_text() == str(plan["kpis"]["planned"])
    for ghost in page.locator(".bd-row .bd-proposed").all()[::7]:
        ghost.click()
    shot(page, "board-ghosts-team", full_page=False)
    assert JobPlanning.objects.count() == 0
