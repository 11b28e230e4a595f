"""The planning board's reads and moves (workorders/planning_board.py, board_unplanned.py,
board_moves.py and their admin views): rows in local time, blocks placed by start and length,
calendars shaded, booked versus available, the unplanned pane's search, and moves that run the
planning check before they write, each checked in the database afterwards."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from jobs.models import JobPriority, JobStatus
from jobsite.models import Address, Skill, User
from workorders.board_unplanned import PAGE_SIZE, Search, unplanned
from workorders.models import JobPlanning, WorkOrder
from workorders.planning_board import DAY, WEEK, Period, board, week_start_of
from workorders.plannings import store_planning

from ..factories import (
    make_absence,
    make_holiday,
    make_planning,
    make_work_order,
)

pytestmark = pytest.mark.django_db

MONDAY = date(2031, 1, 13)  # winter: Brussels is UTC+1
BRUSSELS = ZoneInfo("Europe/Brussels")
BOARD = "/admin/workorders/workorder/board/"


@pytest.fixture(autouse=True)
def brussels(sales_org):
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save()
    with timezone.override(BRUSSELS):
        yield


@pytest.fixture
def staff(planner, planners_group, client):
    planner.groups.add(planners_group)
    client.force_login(planner)
    return client


def _at(day, hour, minute=0):
    return datetime.combine(day, time(hour, minute), tzinfo=BRUSSELS)


def _hand_planning(wo, user, start, minutes=60):
    return store_planning(
        planning=JobPlanning(
            work_order=wo, user=user, date_start=start, date_end=start + timedelta(minutes=minutes)
        )
    )


@pytest.mark.parametrize("offset", range(7))
def test_every_day_of_a_week_starts_on_its_monday(offset):
    assert week_start_of(MONDAY + timedelta(days=offset)) == MONDAY


def test_a_week_and_a_day_period():
    assert Period.of(view=WEEK, day=MONDAY + timedelta(days=3)).days[0] == MONDAY
    assert Period.of(view=DAY, day=MONDAY).days == [MONDAY]


def test_a_block_sits_at_its_local_hour_and_lasts_its_length(planner, project, technician):
    # 07:00Z on a winter day is 08:00 in Brussels: 1 hour into a 07:00-19:00 axis.
    utc_seven = datetime(2031, 1, 14, 7, 0, tzinfo=ZoneInfo("UTC"))
    make_planning(project=project, technician=technician, start=utc_seven, minutes=90)
    found = board(user=planner, period=Period.of(view=WEEK, day=MONDAY))
    (row,) = found.rows
    (block,) = row.cells[1].blocks
    assert block.start.strftime("%H:%M") == "08:00"
    assert found.period.hour_from == 7 and found.period.hour_to == 19
    assert block.left == pytest.approx(100 / 12)
    assert block.width == pytest.approx(1.5 * 100 / 12)


def test_a_planner_sees_own_technicians_and_plannings_only(
    planner, project, other_project, technician, other_technician
):
    make_planning(project=project, technician=technician, start=_at(MONDAY, 9))
    make_planning(project=other_project, technician=other_technician, start=_at(MONDAY, 9))
    found = board(user=planner, period=Period.of(view=WEEK, day=MONDAY))
    assert [r.technician for r in found.rows] == [technician]
    assert sum(len(c.blocks) for c in found.rows[0].cells) == 1


def test_calendars_are_shaded_with_their_reason_and_capacity_counted(
    planner, project, technician, sales_org
):
    make_holiday(sales_organization=sales_org, date=MONDAY + timedelta(days=2), name="Saint X")
    make_absence(
        technician=technician, start=_at(MONDAY + timedelta(days=3), 8),
        end=_at(MONDAY + timedelta(days=3), 12), kind="training",
    )  # fmt: skip
    make_planning(project=project, technician=technician, start=_at(MONDAY, 8), minutes=120)
    (row,) = board(user=planner, period=Period.of(view=WEEK, day=MONDAY)).rows
    monday, _, wednesday, thursday, _, saturday, _ = row.cells
    # The default week: 08:00-12:00 and 12:30-17:00, 8.5 hours.
    assert (monday.booked, monday.available) == (120, 510)
    assert [s.reason for s in monday.shades] == ["Not working"] * 3  # before, lunch, after
    assert [(s.kind, s.reason) for s in wednesday.shades] == [
        ("holiday", "Saint X (public holiday)")
    ]
    assert wednesday.available == 0
    assert ("away", "Away (training) 08:00–12:00") in [(s.kind, s.reason) for s in thursday.shades]
    assert thursday.available == 270
    assert saturday.available == 0 and saturday.shades[0].width == 100
    assert row.booked == 120 and row.available == 510 * 3 + 270


def test_overlapping_blocks_take_two_lanes_and_carry_their_warnings(planner, project, technician):
    first = make_planning(project=project, technician=technician, start=_at(MONDAY, 9), minutes=120)
    second = make_planning(project=project, technician=technician, start=_at(MONDAY, 10))
    (row,) = board(user=planner, period=Period.of(view=DAY, day=MONDAY)).rows
    blocks = row.cells[0].blocks
    assert [b.lane for b in blocks] == [0, 1] and row.lanes == 2
    messages = [w["message"] for b in blocks for w in b.warnings]
    assert f"{technician} is already planned then: #{second.work_order.id2}." in messages
    assert f"{technician} is already planned then: #{first.work_order.id2}." in messages


def test_the_axis_widens_to_a_planning_outside_the_default_hours(planner, project, technician):
    make_planning(project=project, technician=technician, start=_at(MONDAY, 5, 30))
    found = board(user=planner, period=Period.of(view=DAY, day=MONDAY))
    assert found.period.hour_from == 5


def test_the_page_shows_the_rows_in_local_time(staff, project, technician):
    make_planning(project=project, technician=technician, start=_at(MONDAY, 8))
    response = staff.get(BOARD, {"view": "day", "date": MONDAY.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-technician="{technician.pk}"' in html
    assert 'data-start="2031-01-13T08:00"' in html
    assert "Europe/Brussels" in html


# --- the unplanned pane --------------------------------------------------------------------


def test_every_waiting_work_order_is_reachable_page_by_page(planner, project):
    for i in range(PAGE_SIZE + 5):
        make_work_order(project=project, name=f"Job {i}")
    make_work_order(project=project, name="Done", status="Completed")
    first = unplanned(user=planner, search=Search())
    second = unplanned(user=planner, search=Search(page=2))
    assert len(first.items) == PAGE_SIZE and first.has_more
    assert len(second.items) == 5 and not second.has_more
    names = {i["name"] for i in first.items + second.items}
    assert len(names) == PAGE_SIZE + 5 and "Done" not in names


def test_the_pane_searches_number_name_city_and_project(planner, project, address):
    boiler = make_work_order(project=project, name="Boiler service")
    other = make_work_order(project=project, name="Gutter", db_address_city="Namur")
    assert [i["pk"] for i in unplanned(user=planner, search=Search(q="service")).items] == [
        boiler.pk
    ]
    assert [i["pk"] for i in unplanned(user=planner, search=Search(q="namur")).items] == [other.pk]
    found = unplanned(user=planner, search=Search(q=f"#{boiler.id2}")).items
    assert boiler.pk in [i["pk"] for i in found]
    by_project = unplanned(user=planner, search=Search(q=project.name[:5])).items
    assert {boiler.pk, other.pk} <= {i["pk"] for i in by_project}


def test_the_pane_finds_the_city_its_card_shows(planner, project, sales_org):
    leuven = Address.objects.create(
        street="Naamsestraat", city="Leuven", sales_organization=sales_org
    )
    booked = make_work_order(project=project, name="Gutter", db_address=leuven)
    (card,) = unplanned(user=planner, search=Search(q="leuven")).items
    assert (card["pk"], card["city"]) == (booked.pk, "Leuven")


def test_the_pane_filters_and_sorts(planner, project, sales_org):
    gas = Skill.objects.create(code="GAS", name="Gas", sales_organization=sales_org)
    high = JobPriority.objects.create(code="HI", name="High", sequence=9)
    low = JobPriority.objects.create(code="LO", name="Low", sequence=1)
    soon = make_work_order(
        project=project, name="Soon", due_date=timezone.now() + timedelta(days=2)
    )
    later = make_work_order(
        project=project, name="Later", priority=high, skill=gas,
        due_date=timezone.now() + timedelta(days=20), status="Waiting",
    )  # fmt: skip
    none = make_work_order(project=project, name="Whenever", priority=low)
    pks = lambda **kw: [i["pk"] for i in unplanned(user=planner, search=Search(**kw)).items]  # noqa: E731
    assert pks() == [soon.pk, later.pk, none.pk]
    assert pks(sort="priority") == [later.pk, none.pk, soon.pk]
    assert pks(skill=str(gas.pk)) == [later.pk]
    assert pks(priority=str(low.pk)) == [none.pk]
    assert pks(due="week") == [soon.pk]
    assert pks(due="none") == [none.pk]
    assert pks(status="1") == [later.pk]


def test_the_pane_view_answers_cards(staff, project):
    wo = make_work_order(project=project, name="Boiler", estimated_time=90)
    response = staff.get(BOARD + "unplanned/", {"filters": "1"})
    html = response.content.decode()
    assert response.status_code == 200 and 'id="board-search"' in html
    assert f'data-number="{wo.id2}"' in html and "90 min" in html


# --- moves ---------------------------------------------------------------------------------


def _post(client, path, **fields):
    fields.update(view="week", date=MONDAY.isoformat(), hour_from="7", hour_to="19")
    return client.post(BOARD + path, fields, HTTP_ACCEPT="application/json")


def test_a_move_to_another_hour_and_technician_is_stored_and_its_rows_redrawn(
    staff, project, technician, technician2
):
    wo = make_work_order(project=project, name="Hand")
    planning = _hand_planning(wo, technician, _at(MONDAY, 9), minutes=90)
    response = _post(
        staff, "move/", planning=planning.pk, technician=technician2.pk,
        start=f"{MONDAY}T14:15",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    answer = response.json()
    planning.refresh_from_db()
    assert planning.user == technician2
    assert timezone.localtime(planning.date_start) == _at(MONDAY, 14, 15)
    assert planning.date_end - planning.date_start == timedelta(minutes=90)
    assert set(answer["rows"]) == {str(technician.pk), str(technician2.pk)}
    assert answer["undo"] == {
        "kind": "move",
        "planning": str(planning.pk),
        "technician": str(technician.pk),
        "start": f"{MONDAY}T09:00",
        "end": f"{MONDAY}T10:30",
    }


def test_a_suggestion_moves_through_the_suggested_rule(staff, project, technician, technician2):
    planning = make_planning(project=project, technician=technician, start=_at(MONDAY, 9))
    response = _post(
        staff, "move/", planning=planning.pk, technician=technician2.pk, start=f"{MONDAY}T10:00"
    )
    assert response.status_code == 200, response.json()
    wo = WorkOrder.objects.get(pk=planning.work_order_id)
    assert wo.suggested_user == technician2
    assert timezone.localtime(wo.suggested_date_start) == _at(MONDAY, 10)
    assert JobPlanning.objects.get(work_order=wo).user == technician2


def test_a_resize_changes_the_end_only(staff, project, technician):
    planning = _hand_planning(make_work_order(project=project), technician, _at(MONDAY, 9))
    response = _post(
        staff, "move/", planning=planning.pk, technician=technician.pk,
        start=f"{MONDAY}T09:00", end=f"{MONDAY}T11:30",
    )  # fmt: skip
    assert response.status_code == 200, response.json()
    planning.refresh_from_db()
    assert timezone.localtime(planning.date_end) == _at(MONDAY, 11, 30)


def test_a_warning_asks_first_and_plan_anyway_writes(staff, project, technician, technician2):
    planning = _hand_planning(make_work_order(project=project), technician, _at(MONDAY, 9))
    # 06:00 is outside the working hours: a question, nothing written.
    response = _post(
        staff, "move/", planning=planning.pk, technician=technician.pk, start=f"{MONDAY}T06:00"
    )
    assert response.status_code == 409 and response.json()["confirm"]
    assert "outside" in response.json()["message"]
    planning.refresh_from_db()
    assert timezone.localtime(planning.date_start) == _at(MONDAY, 9)
    response = _post(
        staff, "move/", planning=planning.pk, technician=technician.pk,
        start=f"{MONDAY}T06:00", plan_anyway="1",
    )  # fmt: skip
    assert response.status_code == 200
    planning.refresh_from_db()
    assert timezone.localtime(planning.date_start) == _at(MONDAY, 6)
    assert planning.warning_codes == ",outside_working_hours,"


def test_another_organizations_technician_is_refused_with_its_reason(
    superuser, client, project, technician, other_technician
):
    client.force_login(superuser)
    planning = _hand_planning(make_work_order(project=project), technician, _at(MONDAY, 9))
    response = _post(
        client, "move/", planning=planning.pk, technician=other_technician.pk,
        start=f"{MONDAY}T10:00", plan_anyway="1",
    )  # fmt: skip
    assert response.status_code == 400
    assert "another sales organization" in response.json()["message"]
    planning.refresh_from_db()
    assert planning.user == technician


def test_a_planner_cannot_reach_another_organizations_planning(
    staff, other_project, other_technician, technician
):
    theirs = _hand_planning(
        make_work_order(project=other_project), other_technician, _at(MONDAY, 9)
    )
    response = _post(
        staff, "move/", planning=theirs.pk, technician=technician.pk, start=f"{MONDAY}T10:00"
    )
    assert response.status_code == 400 and "no such planning" in response.json()["message"]


def test_a_drop_from_the_pane_plans_and_its_undo_puts_it_back(staff, project, technician):
    wo = make_work_order(project=project, name="Waiting", estimated_time=120)
    response = _post(
        staff, "plan/", work_order=wo.pk, technician=technician.pk, start=f"{MONDAY}T13:00"
    )
    assert response.status_code == 200, response.json()
    planning = JobPlanning.objects.get(work_order=wo)
    assert planning.user == technician
    assert timezone.localtime(planning.date_start) == _at(MONDAY, 13)
    assert planning.date_end - planning.date_start == timedelta(hours=2)
    undo = response.json()["undo"]
    response = _post(staff, "unplan/", work_order=undo["work_order"], status=undo["status"])
    assert response.status_code == 200, response.json()
    wo.refresh_from_db()
    assert wo.job_status == JobStatus.objects.get(code="ToBePlanned")
    assert not JobPlanning.objects.filter(work_order=wo).exists()


def test_bad_input_is_a_400_naming_the_field(staff, technician):
    response = _post(staff, "move/", planning="nope", technician=technician.pk, start="soon")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"planning", "start"}


@override_settings(TIME_ZONE="UTC")
def test_a_planner_without_change_permission_cannot_move(client, project, technician, sales_org):
    viewer = User.objects.create_user(
        username="viewer", sales_organization=sales_org, is_staff=True
    )
    client.force_login(viewer)
    planning = _hand_planning(make_work_order(project=project), technician, _at(MONDAY, 9))
    response = _post(
        client, "move/", planning=planning.pk, technician=technician.pk, start=f"{MONDAY}T10:00"
    )
    assert response.status_code == 403


def test_the_skill_filter_keeps_the_technicians_who_have_it_and_lists_their_skills(
    planner, technician, technician2, skill
):
    period = Period.of(view=WEEK, day=MONDAY)
    everyone = board(user=planner, period=period)
    assert {r.technician for r in everyone.rows} == {technician, technician2}
    assert everyone.skills == [(skill.pk, skill.name)]
    found = board(user=planner, period=Period.of(view=WEEK, day=MONDAY), skill_id=skill.pk)
    assert [r.technician for r in found.rows] == [technician]


def test_paging_by_priority_reaches_every_work_order_in_order(planner, project):
    high = JobPriority.objects.create(code="HI", name="High", sequence=9)
    low = JobPriority.objects.create(code="LO", name="Low", sequence=1)
    now = timezone.now()
    made = [
        make_work_order(
            project=project,
            name=f"Job {i}",
            priority=[high, low, None][i % 3],
            due_date=now + timedelta(days=i % 7) if i % 5 else None,
        )
        for i in range(PAGE_SIZE + 15)
    ]
    pages = [unplanned(user=planner, search=Search(sort="priority", page=n)) for n in (1, 2)]
    assert pages[0].has_more and not pages[1].has_more
    got = [i["pk"] for p in pages for i in p.items]
    rank = {high.pk: 0, low.pk: 1, None: 2}
    expected = sorted(
        made,
        key=lambda w: (
            rank[w.job_priority_id],
            w.due_date is None,
            w.due_date or now,
            -w.id2,
        ),
    )
    assert got == [w.pk for w in expected]
