"""A planner's day in the admin, in a real browser: log in, find and filter work orders, suggest
a technician, plan on the board (form and drag-and-drop), see an overlap warned, import a file
and watch its API job."""

from datetime import datetime, time, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from jobsite.models import Skill
from tests.browser.pages import login, next_monday
from tests.factories import make_work_order
from workorders.models import JobPlanning, WorkOrder

pytestmark = [
    pytest.mark.browser,
    # The live server's thread must see the data: committed, flushed after each test. Naming
    # every app keeps that flush from re-creating content types behind the back of a later
    # test that restores a serialized database (serialized_rollback).
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


@pytest.fixture
def office(planner, technician, technician2, project, statuses, job_type, priority, sales_org):
    group, _ = Group.objects.get_or_create(name="Planners")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["jobsite", "jobs", "workorders", "apijobs"]
        )
    )
    planner.groups.add(group)
    planner.first_name, planner.last_name = "Pia", "Planner"
    planner.save()
    gas = Skill.objects.create(code="GAS", name="Gas appliances", sales_organization=sales_org)
    now = timezone.now()
    made = {}
    for i, (name, status, extra) in enumerate(
        [
            ("Boiler repair – Gent", "ToBePlanned", {"estimated_time": 120}),
            ("Leak inspection – Gent", "ToBePlanned", {"estimated_time": 60}),
            ("Gas safety check – Brugge", "Waiting", {"skill": gas}),
            # Overdue (the list's filter finds it); the others are due after the weeks planned.
            ("Install heat pump – Leuven", "InProgress", {"due_date": now - timedelta(days=1)}),
            ("Replace thermostat – Mechelen", "Completed", {}),
        ]
    ):
        made[name.split(" –")[0]] = make_work_order(
            project=project,
            job_type=job_type,
            priority=priority,
            status=status,
            name=name,
            **{"due_date": now + timedelta(days=20 + i), **extra},
        )
    return made


def test_planner_finds_suggests_and_sees_it_on_the_board(
    page, live_server, office, technician, shot
):
    login(page, live_server)
    shot(page, "01-index")

    with page.expect_navigation():
        page.click('#planner-home [data-figure="to_plan"] a')
    assert page.locator("#result_list tbody tr").count() == 3  # ToBePlanned ×2 + Waiting
    with page.expect_navigation():
        page.click("#changelist-filter >> text=Overdue")
    assert page.locator("#result_list tbody tr").count() >= 1
    shot(page, "02-list-filtered")

    boiler = office["Boiler repair"]
    page.goto(f"{live_server.url}/admin/workorders/workorder/")
    page.fill("#searchbar", str(boiler.id2))
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Boiler repair" in rows.first.inner_text()
    shot(page, "03-list-search-id2")

    rows.first.locator("input.action-select").check()
    page.select_option("select[name=action]", "suggest_technician")
    page.click("button[name=index]")
    page.wait_for_selector("#id_technician")
    start = datetime.combine(next_monday() + timedelta(days=1), time(9, 0))
    page.select_option("#id_technician", str(technician.pk))
    page.fill("#id_date_start", start.strftime("%Y-%m-%dT%H:%M"))
    shot(page, "04-suggest-form")
    page.click("input[name=apply]")
    page.wait_for_selector("ul.messagelist")
    assert "Suggested Tess Tech for 1 work order(s)" in page.inner_text("ul.messagelist")
    shot(page, "05-suggested")

    planning = JobPlanning.objects.get(work_order=boiler)
    assert planning.user == technician

    # The board, in the week of the appointment: in Tess's row, on Tuesday at 09:00.
    page.click("ul.messagelist >> text=See them on the planning board")
    page.wait_for_selector("#board-grid .bd-row")
    block = page.locator(
        f'.bd-row[data-technician="{technician.pk}"] .bd-day[data-day="{start.date()}"] '
        f'.bd-block[data-number="{boiler.id2}"]'
    )
    assert block.get_attribute("data-start") == start.strftime("%Y-%m-%dT%H:%M")
    assert block.get_attribute("data-minutes") == "120"
    assert page.locator(".bd-block.bd-warned").count() == 0
    shot(page, "06-board", full_page=False)

    # A second work order on the same hours, dragged from the pane: the planning check speaks
    # before anything is saved, and the planner plans anyway.
    leak = office["Leak inspection"]
    drag_card_to(page, leak, technician, start.date(), "10:00")
    page.wait_for_selector("#board-plan-anyway")
    asked = page.inner_text("#board-status")
    assert f"#{boiler.id2}" in asked and "already planned" in asked
    page.click("#board-plan-anyway")
    page.wait_for_selector("#board-status.bd-warn >> text=With warnings")
    assert f"Planned #{leak.id2}" in page.inner_text("#board-status")
    assert page.locator(".bd-block.bd-warned").count() == 2
    assert page.locator("#board-warnings").is_visible()
    page.click("#board-warnings")
    assert "already planned then" in page.inner_text("#board-warning-list")
    shot(page, "07-board-overlap-warning", full_page=False)
    # The admin's dark theme: the board and the list use its colors.
    page.emulate_media(color_scheme="dark")
    shot(page, "07b-board-dark", full_page=False)
    page.goto(f"{live_server.url}/admin/workorders/workorder/")
    shot(page, "07c-list-dark")


def drag_card_to(page, wo, technician, day, hh_mm):
    """Drag the pane's card of `wo` onto the technician's row at a local time."""
    card = page.locator(f'.bd-card[data-number="{wo.id2}"]')
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    cell = page.locator(f'.bd-row[data-technician="{technician.pk}"] .bd-day[data-day="{day}"]')
    rect = cell.bounding_box()
    board = page.locator(".bd")
    low = int(board.get_attribute("data-hour-from")) * 60
    high = int(board.get_attribute("data-hour-to")) * 60
    hour, minute = map(int, hh_mm.split(":"))
    x = rect["x"] + rect["width"] * (hour * 60 + minute - low) / (high - low)
    page.mouse.move(box["x"] + 60, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + 80, box["y"] + box["height"] / 2, steps=3)
    page.mouse.move(x, rect["y"] + rect["height"] / 2, steps=10)
    page.mouse.up()


def test_drag_a_work_order_onto_a_technicians_day(page, live_server, office, technician2, shot):
    login(page, live_server)
    monday = next_monday()
    page.goto(f"{live_server.url}/admin/workorders/workorder/board/?date={monday.isoformat()}")
    page.wait_for_selector(".bd-card")
    gas = office["Gas safety check"]
    day = monday + timedelta(days=2)
    # technician2 lacks the Gas skill: the board asks before it plans, and is told to go on.
    drag_card_to(page, gas, technician2, day, "08:00")
    page.wait_for_selector("#board-plan-anyway")
    assert "lacks the skill Gas appliances" in page.inner_text("#board-status")
    page.click("#board-plan-anyway")
    page.wait_for_selector("#board-status >> text=Planned")
    planning = JobPlanning.objects.get(work_order=gas)
    assert planning.user == technician2
    assert timezone.localtime(planning.date_start).strftime("%H:%M") == "08:00"
    block = page.locator(f'.bd-block[data-number="{gas.id2}"]')
    # technician2 has no Gas skill: the block says so.
    assert "lacks the skill" in block.get_attribute("data-warnings")
    block.hover()
    assert "lacks the skill" in block.get_attribute("title")
    shot(page, "08-board-drag-skill-warning", full_page=False)


def test_change_form_and_refused_action(page, live_server, office, shot):
    login(page, live_server)
    busy = office["Install heat pump"]
    page.goto(f"{live_server.url}/admin/workorders/workorder/?q={busy.id2}")
    page.locator("#result_list input.action-select").first.check()
    page.select_option("select[name=action]", "complete")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    assert "Completed 1 work order(s)" in page.inner_text("ul.messagelist")
    page.goto(f"{live_server.url}/admin/workorders/workorder/?q={busy.id2}")
    page.locator("#result_list input.action-select").first.check()
    page.select_option("select[name=action]", "start_progress")
    page.click("button[name=index]")
    page.wait_for_selector("ul.messagelist")
    assert f"Refused #{busy.id2}" in page.inner_text("ul.messagelist")
    shot(page, "09-refused-action")

    page.goto(f"{live_server.url}/admin/workorders/workorder/{office['Boiler repair'].pk}/change/")
    page.wait_for_selector("#workorder_form")
    assert page.locator("text=Project at a glance").is_visible()
    shot(page, "10-change-form")


def test_a_running_api_job_refreshes_itself(page, live_server, office, planner, shot):
    from apijobs.models import ApiJob, ApiJobError, ApiJobStatus

    job = ApiJob.objects.create(
        type="workorder_import",
        source_name="orders.csv",
        sales_organization=planner.sales_organization,
        requested_by=planner,
        status=ApiJobStatus.PROCESSING,
        total_records=200,
        processed_records=120,
        effected_records=100,
        error_records=5,
    )
    for line in (4, 9, 17, 18, 40):
        ApiJobError.objects.create(
            api_job=job, line=line, field="project_reference_back_office", message="Unknown."
        )
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/apijobs/apijob/{job.pk}/change/")
    page.wait_for_selector(".aj-live")
    shot(page, "11-api-job-running")
    ApiJob.objects.filter(pk=job.pk).update(
        status=ApiJobStatus.COMPLETED, processed_records=200, effected_records=190
    )
    # The page reloads itself and stops once the job is done.
    page.wait_for_selector(".aj-status-completed", timeout=10_000)
    assert page.locator(".aj-live").count() == 0
    page.goto(f"{live_server.url}/admin/apijobs/apijob/")
    shot(page, "11b-api-jobs")


def test_upload_an_import_and_watch_its_api_job(
    page, live_server, office, project, tmp_path, settings, shot
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/workorders/workorder/")
    page.click("text=Import…")
    page.wait_for_selector("#import-form")
    shot(page, "11-import-form")
    csv = tmp_path / "work-orders.csv"
    csv.write_text(
        "reference_back_office,name,project_reference_back_office,job_type_code,job_status_code\n"
        f"IMP-1,Imported boiler service,{project.reference_back_office},Unknown,ToBePlanned\n"
        f"IMP-2,Imported leak check,{project.reference_back_office},Unknown,ToBePlanned\n"
        "IMP-3,No project here,PRJ-DOES-NOT-EXIST,Unknown,ToBePlanned\n"
    )
    page.set_input_files("#id_file", str(csv))
    page.click("#import-form input[type=submit]")
    # Checked first: the unknown project is named before anything runs.
    page.wait_for_selector("#import-preview")
    assert "PRJ-DOES-NOT-EXIST" in page.inner_text("#import-preview")
    page.click("#import-start button[value=import]")
    page.wait_for_selector(".aj-progress")
    # ImmediateBackend in tests: the job is done by the time the page shows; live pages refresh.
    page.wait_for_selector(".aj-status-completed, .aj-status-failed", timeout=30_000)
    text = page.inner_text("#content-main")
    assert "Completed" in text
    assert "2 effected" in text
    assert "1 errors" in text
    shot(page, "12-api-job")
    assert WorkOrder.objects.filter(reference_back_office__in=["IMP-1", "IMP-2"]).count() == 2


def test_work_order_list_fits_a_1440_screen(page, live_server, shot):
    """With the demo data (long names, technicians, overdue work), the list and the filters fit
    1440×900 without scrolling sideways, neither the page nor the list's own box."""
    from io import StringIO

    from django.core.management import call_command

    from workorders.management.commands.load_demo_data import PLANNER_PASSWORD

    call_command("load_demo_data", work_orders=300, projects=60, companies=20, stdout=StringIO())
    login(page, live_server, "planner", PLANNER_PASSWORD)
    for name, query in [("13-list-1440", ""), ("14-list-1440-overdue", "?due=overdue")]:
        page.goto(f"{live_server.url}/admin/workorders/workorder/{query}")
        page.wait_for_selector("#result_list tbody tr")
        sizes = page.evaluate(
            """() => {
                const box = (selector) => document.querySelector(selector);
                const results = box('#changelist .results');
                return {
                    page: document.documentElement.scrollWidth,
                    results: results.scrollWidth - results.clientWidth,
                    table: box('#result_list').getBoundingClientRect().right,
                    filters: box('#changelist-filter').getBoundingClientRect().left,
                };
            }"""
        )
        shot(page, name, full_page=False)
        assert sizes["page"] <= 1440, sizes
        assert sizes["results"] <= 0, sizes
        assert sizes["table"] <= sizes["filters"], sizes
    assert "overdue" in page.inner_text("#result_list").lower()
