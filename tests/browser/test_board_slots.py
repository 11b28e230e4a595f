""" "Find a slot" on the planning board in a real browser (issue 14, item 6): a card's best slots
come up as numbered ghosts in the technicians' rows, Escape takes them away, a slot taken since
is refused with its reason and goes, and one click plans the work order there — stored in the
database as the Suggested rule plans it, drawn in its row, gone from the pane, no reload."""

from datetime import timedelta

import pytest
from django.conf import settings

from tests.browser.test_board import (
    BOARD,
    MONDAY,
    _answered,
    _hand,
    _local,
    _open,
    _sign_in,
    office,  # noqa: F401 (a fixture)
)
from tests.factories import make_work_order
from workorders.models import JobPlanning, WorkOrder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]


def _find(page, work_order):
    card = page.locator(f'#board-pane .bd-card[data-work-order="{work_order.pk}"]')
    card.scroll_into_view_if_needed()
    card.locator(".bd-find").click()
    page.wait_for_selector("#board-slots")


def test_find_a_slot_shows_ghost_slots_and_a_click_plans_the_work_order_there(
    page,
    live_server,
    office,  # noqa: F811
    planner,
    project,
    job_type,
    shot,
):
    technicians, waiting = office
    wanted = waiting[4]  # 90 minutes, due Friday
    _sign_in(page, live_server, planner)
    _open(page, live_server)
    page.evaluate("window.sameDocument = true")  # gone if the page reloads

    _find(page, wanted)
    assert page.url.endswith(f"{BOARD}?view=week&date={MONDAY}")  # not the Find-a-slot page
    ghosts = page.locator(".bd-row .bd-slot")
    assert ghosts.count() == 5
    assert [g.locator(".bd-slot-rank").inner_text() for g in ghosts.all()] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert page.inner_text("#board-slots .bd-proposal-title") == (
        f"Slots for #{wanted.id2} {wanted.name}"
    )
    first = page.locator('.bd-slot[data-rank="1"]')
    assert "Score" in first.get_attribute("title")
    assert page.locator(f'.bd-card.bd-card-slots[data-work-order="{wanted.pk}"]').count() == 1
    shot(page, "board-slots", full_page=False)

    # Escape takes them away; the link asks again.
    page.keyboard.press("Escape")
    assert page.locator("#board-slots").count() == 0
    assert page.locator(".bd-slot").count() == 0
    _find(page, wanted)
    assert page.locator(".bd-row .bd-slot").count() == 5

    # Slot 2 is taken meanwhile: refused with the reason, and it goes.
    second = page.locator('.bd-slot[data-rank="2"]')
    taken_by = technicians[
        [str(t.pk) for t in technicians].index(second.get_attribute("data-technician"))
    ]
    taken_at = second.get_attribute("data-start")
    other = make_work_order(project=project, job_type=job_type, status="Activated", name="Rush")
    day, hh_mm = taken_at.split("T")
    hour, minute = map(int, hh_mm.split(":"))
    _hand(other, taken_by, _local(MONDAY.fromisoformat(day), hour, minute), 90)
    second.click()
    said = _answered(page)
    assert "no longer fits" in said and "already planned then" in said, said
    assert page.locator('.bd-slot[data-rank="2"]').count() == 0
    assert not JobPlanning.objects.filter(work_order=wanted).exists()

    # One click on slot 1 plans it there.
    first = page.locator('.bd-slot[data-rank="1"]')
    technician = first.get_attribute("data-technician")
    start = first.get_attribute("data-start")
    first.click()
    said = _answered(page)
    assert said.startswith(f"Planned #{wanted.id2} {wanted.name} for"), said
    planning = JobPlanning.objects.get(work_order=wanted)
    day, hh_mm = start.split("T")
    hour, minute = map(int, hh_mm.split(":"))
    assert str(planning.user_id) == technician
    assert planning.date_start == _local(MONDAY.fromisoformat(day), hour, minute)
    assert planning.date_end - planning.date_start == timedelta(minutes=90)
    assert planning.made_by_rule and planning.warnings == []
    assert WorkOrder.objects.get(pk=wanted.pk).job_status.code == "Suggested"
    # Drawn in its row, the slots and the card gone, the same page.
    block = page.locator(f'.bd-row[data-technician="{technician}"] .bd-block')
    assert block.filter(has=page.locator(f"text=#{wanted.id2}")).count() == 1
    assert (
        page.locator(f'.bd-block[data-work-order="{wanted.pk}"]').get_attribute("data-start")
        == start
    )
    assert page.locator("#board-slots").count() == 0 and page.locator(".bd-slot").count() == 0
    assert page.locator(f'#board-pane .bd-card[data-work-order="{wanted.pk}"]').count() == 0
    assert page.evaluate("window.sameDocument") is True
    assert not page.locator("#board-undo").is_disabled()
    shot(page, "board-slots-planned", full_page=False)


def test_a_slot_on_another_day_is_listed_with_a_link_to_its_week(
    page,
    live_server,
    office,  # noqa: F811
    planner,
    shot,
):
    _, waiting = office
    wanted = waiting[4]
    _sign_in(page, live_server, planner)
    # The day view: Monday's slots in the rows, wide enough to read.
    _open(page, live_server, view="day", day=MONDAY)
    _find(page, wanted)
    assert page.locator(".bd-row .bd-slot").count() >= 1
    shot(page, "board-slots-day", full_page=False)
    # The Friday is a public holiday: nothing fits the day shown, the next slots are listed.
    friday = MONDAY + timedelta(days=4)
    _open(page, live_server, view="day", day=friday)
    _find(page, wanted)
    assert page.locator(".bd-row .bd-slot").count() == 0
    listed = page.locator("#board-slots-list li:not([hidden])")
    assert listed.count() >= 1
    assert "Nothing fits this day" in page.inner_text("#board-slots-note")
    shot(page, "board-slots-elsewhere", full_page=False)
    with page.expect_navigation():
        listed.nth(0).locator("a").click()
    assert "slots=" in page.url and "view=week" in page.url
    page.wait_for_selector("#board-slots")
    assert page.locator(".bd-row .bd-slot").count() >= 1
