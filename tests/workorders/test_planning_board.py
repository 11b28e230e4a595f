"""The planning board's reads (workorders/planning_board.py), directly: the week a day falls
in, who and what a planner's week shows, where an appointment lands in local time, the
warnings, the work waiting for a planner, and where a dropped work order starts."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings
from django.utils import timezone

from jobsite.models import Skill, User
from workorders.models import JobPlanning
from workorders.planning_board import (
    MAX_UNPLANNED,
    WORKDAY_START,
    board_week,
    first_free_start,
    week_start_of,
)
from workorders.scheduling.warnings import refresh_warnings, windows_of

from ..factories import make_work_order

pytestmark = pytest.mark.django_db

MONDAY = date(2030, 3, 4)
BRUSSELS = ZoneInfo("Europe/Brussels")


@pytest.mark.parametrize("offset", range(7))
def test_every_day_of_a_week_starts_on_its_monday(offset):
    assert week_start_of(MONDAY + timedelta(days=offset)) == MONDAY


def test_sunday_belongs_to_the_week_before_and_monday_starts_one():
    assert week_start_of(date(2030, 3, 3)) == date(2030, 2, 25)
    assert week_start_of(date(2030, 3, 11)) == date(2030, 3, 11)


def _plan(wo, user, start, minutes=60):
    planning = JobPlanning.objects.create(
        work_order=wo, user=user, date_start=start, date_end=start + timedelta(minutes=minutes)
    )
    refresh_warnings(windows=windows_of([planning]), written=[planning.pk])
    return planning


def _at(day, hour, minute=0, tz=BRUSSELS):
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def test_a_planner_sees_own_technicians_and_plannings_only(
    planner, project, other_project, technician, other_sales_org
):
    theirs = User.objects.create_user(
        username="their_tech", sales_organization=other_sales_org, is_technician=True
    )
    _plan(make_work_order(project=project), technician, _at(MONDAY, 9))
    _plan(make_work_order(project=other_project), theirs, _at(MONDAY, 9))
    board = board_week(user=planner, week_start=MONDAY)
    assert [row.technician for row in board.rows] == [technician]
    assert sum(len(cell) for cell in board.rows[0].cells) == 1
    assert board.days == [MONDAY + timedelta(days=i) for i in range(7)]


@override_settings(TIME_ZONE="Europe/Brussels")
def test_an_appointment_lands_on_its_local_day(planner, project, technician):
    # 00:30 on Tuesday in Brussels is still Monday in UTC: the board shows it on Tuesday.
    tuesday_early = _at(MONDAY + timedelta(days=1), 0, 30)
    _plan(make_work_order(project=project), technician, tuesday_early)
    with timezone.override("Europe/Brussels"):
        board = board_week(user=planner, week_start=MONDAY)
    (row,) = board.rows
    assert [len(cell) for cell in row.cells] == [0, 1, 0, 0, 0, 0, 0]


def test_overlaps_and_a_missing_skill_are_warned(planner, project, technician, sales_org):
    gas = Skill.objects.create(code="GAS", name="Gas", sales_organization=sales_org)
    first = make_work_order(project=project, name="First")
    second = make_work_order(project=project, name="Second", skill=gas)
    _plan(first, technician, _at(MONDAY, 9), minutes=120)
    _plan(second, technician, _at(MONDAY, 10))
    board = board_week(user=planner, week_start=MONDAY)
    blocks = board.rows[0].cells[0]
    assert [b.planning.work_order for b in blocks] == [first, second]
    assert [w for w in blocks[0].warnings if "already planned" in w] == [
        f"{technician} is already planned then: #{second.id2}."
    ]
    assert f"{technician} is already planned then: #{first.id2}." in blocks[1].warnings
    assert any("lacks the skill Gas" in w for w in blocks[1].warnings)
    assert board.warnings_count == 2


def test_someone_planned_who_is_no_technician_still_has_a_row(planner, project, sales_org):
    clerk = User.objects.create_user(username="clerk", sales_organization=sales_org)
    _plan(make_work_order(project=project), clerk, _at(MONDAY, 9))
    board = board_week(user=planner, week_start=MONDAY)
    (row,) = board.rows
    assert row.technician == clerk and not row.is_technician


def test_waiting_work_is_listed_by_due_date_and_bounded(planner, project):
    soon = make_work_order(project=project, name="Soon", due_date=_at(MONDAY, 12))
    later = make_work_order(project=project, name="Later", status="Waiting", due_date=None)
    make_work_order(project=project, name="Done", status="Completed")
    board = board_week(user=planner, week_start=MONDAY)
    assert board.unplanned == [soon, later] and not board.unplanned_more
    for i in range(MAX_UNPLANNED):
        make_work_order(project=project, name=f"More {i}")
    board = board_week(user=planner, week_start=MONDAY)
    assert len(board.unplanned) == MAX_UNPLANNED and board.unplanned_more


def test_filters_by_skill_keep_the_technicians_who_have_it(
    planner, project, technician, technician2, skill
):
    board = board_week(user=planner, week_start=MONDAY, skill_id=skill.pk)
    assert [row.technician for row in board.rows] == [technician]


def test_a_dropped_work_order_starts_after_the_days_last_appointment(project, technician):
    tz = timezone.get_current_timezone()
    assert first_free_start(user_id=technician.pk, day=MONDAY) == datetime.combine(
        MONDAY, WORKDAY_START, tzinfo=tz
    )
    _plan(make_work_order(project=project), technician, _at(MONDAY, 9, tz=tz), minutes=90)
    assert first_free_start(user_id=technician.pk, day=MONDAY) == _at(MONDAY, 10, 30, tz=tz)
