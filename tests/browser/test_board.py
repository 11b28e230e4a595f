"""The planning board in a real browser, as a dispatcher uses it: a week of 20 technicians on
one 1440×900 screen, the day view, moving a block to another hour and technician, resizing it,
dragging waiting work onto a row at a time, a refused drop with its reason, a warning confirmed
with "plan anyway", undo, and the keyboard. Each move is checked in the database afterwards."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from jobsite.models import Skill, User
from tests.factories import make_absence, make_holiday, make_work_order
from workorders.models import JobPlanning, WorkOrder
from workorders.plannings import store_planning

pytestmark = [
    pytest.mark.browser,
    # Committed data for the live server's thread, every app flushed after (see the other
    # browser tests).
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = date(2031, 1, 13)  # winter: 07:00Z is 08:00 in Brussels
TUESDAY = MONDAY + timedelta(days=1)
BOARD = "/admin/workorders/workorder/board/"
NAMES = [
    ("Anke", "Peeters"), ("Bram", "Janssens"), ("Chloé", "Maes"), ("Dries", "Jacobs"),
    ("Elise", "Mertens"), ("Fien", "Willems"), ("Gert", "Claes"), ("Hanne", "Goossens"),
    ("Ilse", "Wouters"), ("Jens", "De Smet"), ("Kobe", "Dubois"), ("Lotte", "Lambert"),
    ("Mats", "Dupont"), ("Nina", "Martens"), ("Olivier", "Vermeulen"), ("Pieter", "Hermans"),
    ("Quinten", "Aerts"), ("Roos", "Pauwels"), ("Sander", "Leroy"), ("Tine", "Renard"),
]  # fmt: skip
CITIES = ["Gent", "Brugge", "Leuven", "Mechelen", "Aalst", "Kortrijk", "Hasselt", "Namur"]
FREE = 19  # the technician with nothing planned on Tuesday
JOBS = ["Boiler service", "Heat pump check", "Leak repair", "Meter swap", "Gas safety check"]


def _local(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


def _hand(wo, user, start, minutes):
    return store_planning(
        planning=JobPlanning(
            work_order=wo, user=user, date_start=start, date_end=start + timedelta(minutes=minutes)
        )
    )


@pytest.fixture
def office(planner, planners_group, sales_org, project, statuses, job_type, skill):
    """A Belgian office: 20 technicians, four or five appointments each on the week's working
    days (a few by suggestion, most by hand, two overlapping), one away on Thursday, a public
    holiday on Friday, and 30 work orders waiting."""
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save()
    planner.groups.add(planners_group)
    gas = Skill.objects.create(code="GAS", name="Gas", sales_organization=sales_org)
    technicians = []
    for n, (first, last) in enumerate(NAMES):
        tech = User.objects.create_user(
            username=f"{first.lower()}.{n}", first_name=first, last_name=last,
            sales_organization=sales_org, is_technician=True,
        )  # fmt: skip
        tech.skills.add(skill)
        if n % 3 == 0:
            tech.skills.add(gas)
        technicians.append(tech)
    slots = [(8, 0, 90), (10, 0, 60), (11, 15, 45), (13, 0, 120), (15, 30, 60)]
    number = 0
    for n, tech in enumerate(technicians):
        for d in range(4):
            day = MONDAY + timedelta(days=d)
            for s, (hour, minute, minutes) in enumerate(slots):
                if (n + d + s) % 4 == 0 or (n == FREE and d == 1):
                    continue  # some free time; FREE has Tuesday off
                number += 1
                wo = make_work_order(
                    project=project, job_type=job_type, status="Activated",
                    name=f"{JOBS[number % len(JOBS)]}", db_address_city=CITIES[number % 8],
                    estimated_time=minutes,
                )  # fmt: skip
                _hand(wo, tech, _local(day, hour, minute), minutes)
    # Two that overlap: both outlined.
    overlap = make_work_order(
        project=project, job_type=job_type, status="Activated", name="Urgent call-out"
    )
    _hand(overlap, technicians[1], _local(MONDAY, 8, 30), 60)
    make_absence(
        technician=technicians[2], start=_local(MONDAY + timedelta(days=3), 0),
        end=_local(MONDAY + timedelta(days=4), 0), kind="sick",
    )  # fmt: skip
    make_holiday(sales_organization=sales_org, date=MONDAY + timedelta(days=4), name="Local fair")
    waiting = [
        make_work_order(
            project=project,
            job_type=job_type,
            name=f"{JOBS[i % 5]} – waiting {i}",
            estimated_time=[60, 90, 120][i % 3],
            db_address_city=CITIES[i % 8],
            due_date=_local(MONDAY + timedelta(days=i % 10), 17),
            skill=gas if i == 0 else None,
        )
        for i in range(30)
    ]
    return technicians, waiting


def _sign_in(page, live_server, user):
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _open(page, live_server, view="week", day=MONDAY):
    page.goto(f"{live_server.url}{BOARD}?view={view}&date={day.isoformat()}")
    page.wait_for_selector(".bd-card")  # the pane has loaded


def _x_of(page, technician, day, hh_mm):
    """The screen x of a local time on a technician's day."""
    box = page.locator(f'.bd-row[data-technician="{technician.pk}"] .bd-day[data-day="{day}"]')
    rect = box.bounding_box()
    board = page.locator(".bd")
    low = int(board.get_attribute("data-hour-from")) * 60
    high = int(board.get_attribute("data-hour-to")) * 60
    hour, minute = map(int, hh_mm.split(":"))
    return rect["x"] + rect["width"] * (hour * 60 + minute - low) / (high - low), rect


def _drag_to(page, source, technician, day, hh_mm, grab=3):
    """Drag `source` so that what it plans starts at `hh_mm`: a block keeps where it was
    grabbed (`grab` px from its start), a card starts where it is dropped."""
    source.scroll_into_view_if_needed()
    box = source.bounding_box()
    x, rect = _x_of(page, technician, day, hh_mm)
    if "bd-card" in source.get_attribute("class"):
        grab, x = 60, x - 60
    page.mouse.move(box["x"] + grab, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + grab + 20, box["y"] + box["height"] / 2, steps=3)
    page.mouse.move(x + grab, rect["y"] + rect["height"] / 2, steps=10)
    page.mouse.up()


def _block(page, planning):
    return page.locator(f'.bd-block[data-planning="{planning.pk}"]')


def _answered(page):
    """The status line once the server answered a move."""
    page.wait_for_selector("#board-status.bd-ok, #board-status.bd-warn, #board-status.bd-error")
    page.wait_for_function("!document.querySelector('.bd').classList.contains('bd-busy')")
    return page.inner_text("#board-status")


def test_a_week_of_twenty_technicians_fits_one_screen(page, live_server, office, planner, shot):
    technicians, _ = office
    _sign_in(page, live_server, planner)
    _open(page, live_server)
    rows = page.locator(".bd-row")
    assert rows.count() == 20
    # Every row is on screen at 1440×900, with the day headers and the pane beside them.
    for n in range(20):
        box = rows.nth(n).bounding_box()
        assert box["y"] + box["height"] <= 900, f"row {n} ends at {box['y'] + box['height']}"
    # Local time: a block stored at 07:00Z sits at 08:00.
    first = JobPlanning.objects.filter(user=technicians[1]).order_by("date_start").first()
    assert first.date_start == datetime(2031, 1, 13, 7, 0, tzinfo=UTC)
    block = _block(page, first)
    assert block.get_attribute("data-start") == timezone.localtime(
        first.date_start, BRUSSELS
    ).strftime("%Y-%m-%dT%H:%M")
    assert block.get_attribute("data-start") == "2031-01-13T08:00"
    x, _ = _x_of(page, technicians[1], MONDAY, "08:00")
    assert abs(block.bounding_box()["x"] - x) < 2
    # The calendars: the holiday's reason on hover, the absence, the warnings.
    holiday = page.locator(f'.bd-row[data-technician="{technicians[0].pk}"] .bd-shade-holiday')
    assert holiday.get_attribute("title") == "Local fair (public holiday)"
    away = page.locator(f'.bd-row[data-technician="{technicians[2].pk}"] .bd-shade-away')
    assert away.first.get_attribute("title").startswith("Away (sick)")
    # The overlapping two, and the four of the technician away on Thursday.
    assert page.locator(".bd-block.bd-warned").count() == 6
    assert "6 plannings with a warning" in page.inner_text("#board-warnings")
    page.click("#board-warnings")
    listed = page.inner_text("#board-warning-list")
    assert listed.count("already planned then") == 2
    page.click("#board-warnings")
    assert "h of" in page.inner_text("#board-totals")
    shot(page, "board-week-20-technicians", full_page=False)


def test_day_view_shows_quarter_hours_in_local_time(page, live_server, office, planner, shot):
    technicians, _ = office
    _sign_in(page, live_server, planner)
    _open(page, live_server, view="day", day=TUESDAY)
    assert page.locator(".bd-day-head").count() == 1
    assert "08:00" in page.inner_text(".bd-hours")
    planning = JobPlanning.objects.filter(user=technicians[0], date_start__date=TUESDAY).first()
    block = _block(page, planning)
    local = timezone.localtime(planning.date_start, BRUSSELS).strftime("%H:%M")
    assert local in block.inner_text()
    shot(page, "board-day", full_page=False)


def _row_of(page, planning):
    return _block(page, planning).locator("xpath=ancestor::div[contains(@class,'bd-row')]")


def test_move_a_block_to_another_hour_and_technician_then_undo(
    page, live_server, office, planner, shot
):
    technicians, _ = office
    planning = JobPlanning.objects.filter(user=technicians[0], date_start__date=TUESDAY).first()
    before = (planning.user_id, planning.date_start, planning.date_end)
    _sign_in(page, live_server, planner)
    _open(page, live_server, view="day", day=TUESDAY)
    target = technicians[FREE]
    _drag_to(page, _block(page, planning), target, TUESDAY, "14:15")
    assert "Tine Renard" in _answered(page)
    planning.refresh_from_db()
    assert planning.user == target
    assert timezone.localtime(planning.date_start, BRUSSELS).strftime("%H:%M") == "14:15"
    assert planning.date_end - planning.date_start == before[2] - before[1]
    # Redrawn in place, without a reload: the block is in the new technician's row now.
    assert _row_of(page, planning).get_attribute("data-technician") == str(target.pk)
    shot(page, "board-after-move", full_page=False)
    page.click("#board-undo")
    _answered(page)
    page.wait_for_selector("#board-undo[disabled]")
    page.wait_for_selector(
        f'.bd-row[data-technician="{technicians[0].pk}"] .bd-block[data-planning="{planning.pk}"]'
    )
    planning.refresh_from_db()
    assert (planning.user_id, planning.date_start, planning.date_end) == before


def test_resize_a_block_by_its_end(page, live_server, office, planner):
    technicians, _ = office
    planning = JobPlanning.objects.filter(user=technicians[0], date_start__date=TUESDAY).first()
    start = timezone.localtime(planning.date_start, BRUSSELS)
    _hand_free = technicians[FREE]
    _sign_in(page, live_server, planner)
    _open(page, live_server, view="day", day=TUESDAY)
    _drag_to(page, _block(page, planning), _hand_free, TUESDAY, "09:00")
    _answered(page)
    box = _block(page, planning).bounding_box()
    x, _ = _x_of(page, _hand_free, TUESDAY, "11:30")
    page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, box["y"] + box["height"] / 2, steps=10)
    page.mouse.up()
    assert "11:30" in _answered(page)
    planning.refresh_from_db()
    assert timezone.localtime(planning.date_start, BRUSSELS).strftime("%H:%M") == "09:00"
    assert timezone.localtime(planning.date_end, BRUSSELS).strftime("%H:%M") == "11:30"
    assert start.date() == TUESDAY


def test_drag_waiting_work_onto_a_row_at_a_time_then_undo(page, live_server, office, planner):
    technicians, waiting = office
    wo = waiting[1]  # 90 minutes, no skill
    _sign_in(page, live_server, planner)
    _open(page, live_server)
    card = page.locator(f'.bd-card[data-number="{wo.id2}"]')
    _drag_to(page, card, technicians[FREE], TUESDAY, "10:30")
    assert f"Planned #{wo.id2}" in _answered(page)
    planning = JobPlanning.objects.get(work_order=wo)
    assert planning.user == technicians[FREE]
    assert timezone.localtime(planning.date_start, BRUSSELS) == datetime(
        2031, 1, 14, 10, 30, tzinfo=BRUSSELS
    )
    assert planning.date_end - planning.date_start == timedelta(minutes=90)
    assert card.count() == 0 and _block(page, planning).count() == 1
    page.click("#board-undo")
    page.wait_for_selector(f'.bd-card[data-number="{wo.id2}"]')
    assert not JobPlanning.objects.filter(work_order=wo).exists()
    assert WorkOrder.objects.get(pk=wo.pk).job_status.code == "ToBePlanned"


def test_while_dragging_rows_without_the_skill_are_dimmed(page, live_server, office, planner):
    technicians, waiting = office
    wo = waiting[0]  # needs Gas: only every third technician has it
    _sign_in(page, live_server, planner)
    _open(page, live_server)
    card = page.locator(f'.bd-card[data-number="{wo.id2}"]')
    box = card.bounding_box()
    x, rect = _x_of(page, technicians[0], TUESDAY, "10:00")
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(x, rect["y"] + rect["height"] / 2, steps=8)
    dimmed = {
        page.locator(".bd-row.bd-dim").nth(n).get_attribute("data-technician")
        for n in range(page.locator(".bd-row.bd-dim").count())
    }
    page.mouse.move(box["x"] + 30, box["y"] + 10, steps=4)  # back over the pane: no drop
    page.mouse.up()
    assert dimmed == {str(t.pk) for n, t in enumerate(technicians) if n % 3 != 0}
    assert not JobPlanning.objects.filter(work_order=wo).exists()


def test_a_warning_asks_and_plan_anyway_plans(page, live_server, office, planner):
    technicians, waiting = office
    wo = waiting[2]
    thursday = MONDAY + timedelta(days=3)
    _sign_in(page, live_server, planner)
    _open(page, live_server)
    card = page.locator(f'.bd-card[data-number="{wo.id2}"]')
    # Technician 2 is away (sick) on Thursday: the board asks before it plans.
    _drag_to(page, card, technicians[2], thursday, "09:30")
    question = _answered(page)
    assert "anyway?" in question and "is away (sick)" in question
    assert not JobPlanning.objects.filter(work_order=wo).exists()
    page.click("#board-plan-anyway")
    page.wait_for_selector("#board-plan-anyway", state="detached")
    assert f"Planned #{wo.id2}" in _answered(page)
    planning = JobPlanning.objects.get(work_order=wo)
    assert planning.user == technicians[2]
    assert "absence" in planning.warning_codes
    assert _block(page, planning).get_attribute("class").count("bd-warned") == 1


def test_a_drop_on_another_organizations_technician_is_refused_with_its_reason(
    page, live_server, office, superuser, other_technician
):
    technicians, _ = office
    planning = JobPlanning.objects.filter(user=technicians[0], date_start__date=TUESDAY).first()
    before = (planning.user_id, planning.date_start)
    _sign_in(page, live_server, superuser)
    _open(page, live_server, view="day", day=TUESDAY)
    _drag_to(page, _block(page, planning), other_technician, TUESDAY, "10:00")
    refused = _answered(page)
    assert "works for another sales organization" in refused
    assert page.locator("#board-status.bd-error").count() == 1
    planning.refresh_from_db()
    assert (planning.user_id, planning.date_start) == before
    # The block is back where it was.
    assert _row_of(page, planning).get_attribute("data-technician") == str(technicians[0].pk)


def test_day_week_and_the_keyboard(page, live_server, office, planner):
    technicians, waiting = office
    _sign_in(page, live_server, planner)
    _open(page, live_server, view="week", day=MONDAY)
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**date=2031-01-20**")
    assert "Week 4" in page.inner_text("#board-period")
    page.keyboard.press("ArrowLeft")
    page.wait_for_url("**date=2031-01-13**")
    page.keyboard.press("d")
    page.wait_for_url("**view=day**")
    assert page.locator(".bd-day-head").count() == 1
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**date=2031-01-14**")
    planning = JobPlanning.objects.filter(user=technicians[0], date_start__date=TUESDAY).first()
    assert _block(page, planning).count() == 1  # Tuesday's planning, in the day view
    page.keyboard.press("w")
    page.wait_for_url("**view=week**")
    assert page.locator(".bd-day-head").count() == 7
    page.keyboard.press("t")
    page.wait_for_url(f"**date={timezone.localdate().isoformat()}**")
    # Enter on a card opens its work order.
    page.wait_for_selector(".bd-card")
    card = page.locator(f'.bd-card[data-number="{waiting[3].id2}"]')
    card.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/workorder/{waiting[3].pk}/change/")


def test_the_assistant_is_one_click_away(page, live_server, office, planner, settings):
    """A card's "Find a slot" shows the work order's proposals on the board, and its strip leads
    to the Find-a-slot page; "Plan the unplanned…" starts the auto-plan for the days shown and
    comes back to the board with its proposal."""
    settings.AUTOPLAN_TIME_LIMIT_SECONDS = 1.0
    _, waiting = office
    _sign_in(page, live_server, planner)
    _open(page, live_server, view="week", day=MONDAY)
    form = page.locator("#board-autoplan-form")
    assert form.locator("input[name=from]").get_attribute("value") == "2031-01-13"
    assert form.locator("input[name=to]").get_attribute("value") == "2031-01-19"
    card = page.locator(f'.bd-card[data-number="{waiting[3].id2}"]')
    card.locator(".bd-find").click()
    page.wait_for_selector("#board-slots")  # as ghost slots (tests/browser/test_board_slots.py)
    page.click("#board-slots-more")
    page.wait_for_url(f"**/workorder/{waiting[3].pk}/find-a-slot/")
    page.go_back()
    page.wait_for_selector("#board-autoplan")
    page.click("#board-autoplan")
    page.wait_for_selector("#board-proposal", timeout=60_000)
    assert "/workorder/board/" in page.url and "autoplan=" in page.url
