"""The planner's everyday screens at 1440×900, in a real browser, on the demo data: the home's
figures and the lists they open, search by company, technician and city, the work order form in
two columns, bulk edit, and an import checked before it runs. Screenshots go to artifacts/."""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from jobsite.models import Company, User
from workorders.management.commands.load_demo_data import PLANNER_PASSWORD
from workorders.models import JobPlanning, WorkOrder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


@pytest.fixture
def demo(db):
    call_command("load_demo_data", work_orders=400, projects=60, companies=20, stdout=StringIO())
    planner = User.objects.get(username="planner")
    return planner


def login(page, live_server):
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "planner")
    page.fill("#id_password", PLANNER_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#planner-home")


def _count(page):
    text = page.inner_text(".wo-result-count, .paginator")
    return int(re.search(r"(\d[\d,]*)", text).group(1).replace(",", ""))


def test_home_search_form_and_bulk_edit(page, live_server, demo, shot):
    login(page, live_server)
    assert page.locator("#planner-home .planner-figure").count() == 5
    assert "BE01" in page.inner_text(".planner-home-context")
    shot(page, "20-home")
    # Every figure opens the list it counts.
    figure = page.locator('[data-figure="to_plan"] .planner-figure-count')
    shown = int(figure.get_attribute("data-count"))
    with page.expect_navigation():
        page.click('[data-figure="to_plan"] a')
    assert _count(page) == shown
    page.goto(f"{live_server.url}/admin/")
    overdue = int(
        page.locator('[data-figure="overdue"] .planner-figure-count').get_attribute("data-count")
    )
    with page.expect_navigation():
        page.click('[data-figure="overdue"] a')
    assert _count(page) == overdue

    # Search by a company's name, a technician's name and a city.
    company = Company.objects.filter(sales_organization=demo.sales_organization).first()
    word = company.name.split()[0]
    technician = User.objects.filter(
        is_technician=True, sales_organization=demo.sales_organization
    ).first()
    for term, name in [
        (word, "21-search-company"),
        (technician.first_name, "22-search-technician"),
        ("Gent", "23-search-city"),
    ]:
        page.goto(f"{live_server.url}/admin/workorders/workorder/")
        page.fill("#searchbar", term)
        with page.expect_navigation():
            page.press("#searchbar", "Enter")
        assert page.locator("#result_list tbody tr").count() > 0, term
        shot(page, name, full_page=False)

    # The form of a planned work order: two columns, the plannings with their warnings.
    planned = (
        WorkOrder.objects.filter(
            sales_organization=demo.sales_organization, plannings__isnull=False
        )
        .order_by("id2")
        .first()
    )
    planned.db_address_street, planned.db_address_city = "Veldstraat", "Gent"
    planned.save(update_fields=["db_address_street", "db_address_city"])
    page.goto(f"{live_server.url}/admin/workorders/workorder/{planned.pk}/change/")
    page.wait_for_selector("#wo-plannings")
    shot(page, "24-change-form", full_page=False)
    shot(page, "25-change-form-full")
    geometry = page.evaluate(
        """() => {
            const box = (s) => document.querySelector(s).getBoundingClientRect();
            const cols = [...document.querySelectorAll('.wo-form-top > .wo-form-col')]
                .map(c => c.getBoundingClientRect());
            return {
                page: document.documentElement.scrollWidth,
                left: cols[0].left, right: cols[1].left, top0: cols[0].top, top1: cols[1].top,
                name: box('#id_name').width,
                street: box('#id_db_address_street').width,
                plannings: box('#wo-plannings').top,
                height: document.documentElement.scrollHeight,
            };
        }"""
    )
    assert geometry["page"] <= 1440, geometry
    assert geometry["right"] > geometry["left"] + 300 and geometry["top0"] == geometry["top1"]
    assert geometry["name"] >= 300 and geometry["street"] >= 120, geometry
    assert geometry["plannings"] < 900, geometry  # the plannings are on the first screen
    site = page.locator("fieldset.wo-site, details:has(#id_db_address_street)").first
    assert site.is_visible() and page.locator("#id_db_address_street").is_visible()
    assert "Street" in page.inner_text(".wo-site")
    assert "Db address" not in page.inner_text("#content-main")

    # Bulk edit: three work orders still to plan get a priority.
    page.goto(f"{live_server.url}/admin/workorders/workorder/?due=unplanned")
    boxes = page.locator("#result_list input.action-select")
    for i in range(3):
        boxes.nth(i).check()
    page.select_option("select[name=action]", "bulk_edit")
    with page.expect_navigation():
        page.click("button[name=index]")
    page.wait_for_selector("#bulk-edit-form")
    page.select_option("#id_job_priority", label="High")
    shot(page, "26-bulk-edit-form")
    with page.expect_navigation():
        page.click("#bulk-edit-form input[name=apply]")
    messages = page.locator("ul.messagelist li")
    assert messages.count() == 1
    said = messages.first.inner_text()
    changed = re.search(r"Set priority → High on (\d+) work order", said)
    unchanged = re.search(r"(\d+) already had it", said)
    assert changed and int(changed.group(1)) + int(unchanged.group(1) if unchanged else 0) == 3
    shot(page, "27-bulk-edited", full_page=False)
    assert JobPlanning.objects.exists()


def test_import_checked_before_it_runs_then_dry_run(page, live_server, demo, tmp_path, shot):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    login(page, live_server)
    page.goto(f"{live_server.url}/admin/workorders/workorder/import/")
    page.wait_for_selector("#import-form")
    assert page.locator("a[href$='template/workorders.xlsx']").count() == 1
    assert page.locator("#import-columns-workorders").is_visible()
    shot(page, "28-import-page")
    csv = tmp_path / "work-orders.csv"
    csv.write_text(
        "reference_back_office,name,project_reference_back_office,job_type_code,"
        "job_status_code,due_date,suggested_user_code\n"
        "NEW-1,Boiler service,PRJ-000001,Unknown,ToBePlanned,2030-01-31,\n"
        "NEW-2,Leak check,PRJ-000002,Unknown,ToBePlanned,31/01/2030,\n"
        "NEW-3,Heat pump,PRJ-NOPE,Unknown,ToBePlanned,,NOBODY\n"
    )
    page.set_input_files("#id_file", str(csv))
    with page.expect_navigation():
        page.click("#import-form input[type=submit]")
    page.wait_for_selector("#import-preview")
    text = page.inner_text("#import-preview")
    assert "nothing has been written yet" in text
    assert "PRJ-NOPE" in text and "NOBODY" in text
    assert "would create" in text
    shot(page, "29-import-preview")
    with page.expect_navigation():
        page.click("button[value=dry_run]")
    page.wait_for_selector(".aj-status-completed, .aj-status-failed", timeout=30_000)
    text = page.inner_text("#content-main")
    assert "Dry run" in text and "would create 1" in text
    assert " effected" not in text
    shot(page, "30-dry-run-job")
    assert not WorkOrder.objects.filter(reference_back_office__startswith="NEW-").exists()
