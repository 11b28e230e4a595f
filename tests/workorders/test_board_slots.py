""" "Find a slot" on the planning board (issue 14, item 6): a card's best slots for the period
shown, from the proposals service (the API's and the Find-a-slot page's ranking), as numbered
ghost slots with the strip that names them; one click plans through the board's plan (the
Suggested rule), a slot taken since is refused with its reason; a planner reaches only their
organization's work orders."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from jobsite.models import Skill
from tests.factories import make_meter_job_with_two_technicians, make_planning, make_work_order
from workorders import board_slots
from workorders.models import JobPlanning, WorkOrder
from workorders.planning_board import WEEK, Period
from workorders.scheduling.checks import Appointment, findings_for
from workorders.scheduling.proposals import proposals

pytestmark = pytest.mark.django_db

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)  # the organization plans in UTC (TIME_ZONE)
BOARD = "/admin/workorders/workorder/board/"
SLOTS = BOARD + "slots/"
PLAN = BOARD + "plan/"


@pytest.fixture
def client(planner_client):
    return planner_client


@pytest.fixture
def work_order(project, skill, technician, sales_org):
    """90 minutes in Gent, from Monday 3 March 2031 to Thursday 13 March; two technicians
    with the skill, the nearer one busy on Monday morning."""
    return make_meter_job_with_two_technicians(
        project=project, skill=skill, technician=technician, sales_org=sales_org, start=MONDAY
    )


def ask(client, work_order, **params):
    query = {"work_order": str(work_order.pk), "view": "week", "date": "2031-03-03", **params}
    return client.get(SLOTS, query)


def test_the_slots_are_the_proposals_of_the_week_shown_numbered_best_first(
    client, planner, work_order
):
    answer = ask(client, work_order, hour_from="7", hour_to="19")
    assert answer.status_code == 200
    found = answer.json()
    assert found["searched"] == "period"
    assert found["work_order"] == {
        "id": str(work_order.pk),
        "number": work_order.id2,
        "name": "Replace the meter – Gent",
        "minutes": 90,
    }
    # The proposals service's ranking, for the week shown: not a second one.
    expected = proposals(
        user=planner,
        work_order=WorkOrder.objects.get(pk=work_order.pk),
        start=MONDAY,
        end=MONDAY + timedelta(days=7),
        limit=board_slots.SHOWN,
    ).proposals
    slots = found["slots"]
    assert len(slots) == len(expected) == board_slots.SHOWN
    assert [s["rank"] for s in slots] == list(range(1, len(slots) + 1))
    assert [(s["technician_id"], s["start"]) for s in slots] == [
        (str(p.technician.pk), f"{p.start:%Y-%m-%dT%H:%M}") for p in expected
    ]
    assert [s["reasons"] for s in slots] == [list(p.reasons) for p in expected]
    first = slots[0]
    assert first["in_period"] and first["day"] == first["start"][:10]
    assert "has skill Electrical" in first["reasons"]
    # Placed on the page's axis (07:00–19:00): 08:00 is 1/12 of the day in.
    start = datetime.fromisoformat(first["start"])
    assert first["left"] == pytest.approx((start.hour * 60 + start.minute - 420) / 7.2, abs=0.01)
    assert first["width"] == pytest.approx(90 / 7.2, abs=0.01)
    strip = found["strip"]
    assert f"Slots for #{work_order.id2} Replace the meter – Gent" in strip
    assert "numbered best first" in strip
    # Every slot is listed in the strip, hidden while the rows show it.
    assert len(re.findall(r'<li data-rank="\d+" hidden', strip)) == len(slots)
    assert f'href="/admin/workorders/workorder/{work_order.pk}/find-a-slot/"' in strip


def test_when_nothing_fits_the_week_shown_the_next_slots_link_to_their_week(client, work_order):
    # The week before the earliest date: nothing fits; the work order's own window does.
    answer = ask(client, work_order, date="2031-02-24", skill=str(work_order.skill_id))
    found = answer.json()
    assert found["searched"] == "window" and found["slots"]
    assert not any(s["in_period"] for s in found["slots"])
    first = found["slots"][0]
    query = parse_qs(urlsplit(first["link"]).query)
    assert urlsplit(first["link"]).path == BOARD
    # Its week, with every row (a skill filter could hide the technician), the slots shown.
    assert query == {"view": ["week"], "date": [first["day"]], "slots": [str(work_order.pk)]}
    strip = found["strip"]
    assert "Nothing fits this week" in strip and "The best elsewhere:" in strip
    assert "hidden" not in re.findall(r'<li data-rank="1"[^>]*>', strip)[0]
    week = datetime.fromisoformat(first["start"]).isocalendar().week
    assert f"week {week} ›</a>" in strip


def test_nothing_fits_at_all_says_why(client, planner, project, sales_org):
    rare = Skill.objects.create(code="GAS", name="Gas", sales_organization=sales_org)
    lonely = make_work_order(project=project, skill=rare, earliest_date_plannable=MONDAY)
    found = ask(client, lonely).json()
    assert found["slots"] == []
    assert found["unplannable"] == ["No active technician of BE01 has the skill Gas."]
    assert "Nothing fits: No active technician of BE01 has the skill Gas." in found["strip"]


def test_another_organizations_work_order_is_not_found(
    client, other_planner, planners_group, work_order, other_project
):
    theirs = make_work_order(project=other_project, earliest_date_plannable=MONDAY)
    assert ask(client, theirs).status_code == 404
    assert client.get(SLOTS, {"work_order": "not-a-uuid"}).status_code == 404
    other_planner.groups.add(planners_group)
    other = Client()
    other.force_login(other_planner)
    answer = ask(other, work_order)
    assert answer.status_code == 404
    assert answer.json() == {"message": "No such work order."}


def test_a_click_on_a_slot_plans_it_through_the_suggested_rule_and_redraws_its_row(
    client, planner, work_order
):
    slot = ask(client, work_order).json()["slots"][0]
    # What board_slots.js posts: the board's plan, as a card dropped there.
    answer = client.post(
        PLAN,
        {
            "work_order": str(work_order.pk),
            "technician": slot["technician_id"],
            "start": slot["start"],
            "view": "week",
            "date": "2031-03-03",
            "hour_from": "7",
            "hour_to": "19",
        },
    )
    assert answer.status_code == 200, answer.json()
    done = answer.json()
    assert done["ok"] and list(done["rows"]) == [slot["technician_id"]]
    assert f"#{work_order.id2}" in done["rows"][slot["technician_id"]]
    assert done["message"].startswith(f"Planned #{work_order.id2} Replace the meter – Gent for")
    work_order.refresh_from_db()
    assert work_order.job_status.code == "Suggested"
    planning = JobPlanning.objects.get(work_order=work_order)
    start = datetime.fromisoformat(slot["start"]).replace(tzinfo=UTC)
    assert (str(planning.user_id), planning.date_start) == (slot["technician_id"], start)
    assert planning.date_end - planning.date_start == timedelta(minutes=90)
    assert planning.made_by_rule and planning.warnings == []
    # The stored planning passes the planning check as it stands now.
    stored = Appointment(
        user_id=planning.user_id,
        work_order=WorkOrder.objects.select_related("job_status").get(pk=work_order.pk),
        date_start=planning.date_start,
        date_end=planning.date_end,
        pk=planning.pk,
    )
    assert findings_for([stored]) == [[]]


def test_a_slot_taken_since_is_refused_with_its_reason(client, project, work_order, technician):
    slots = ask(client, work_order).json()["slots"]
    slot = next(s for s in slots if s["technician_id"] == str(technician.pk))
    taken = datetime.fromisoformat(slot["start"]).replace(tzinfo=UTC)
    make_planning(project=project, technician=technician, start=taken)
    answer = client.post(
        PLAN,
        {
            "work_order": str(work_order.pk),
            "technician": slot["technician_id"],
            "start": slot["start"],
            "view": "week",
            "date": "2031-03-03",
        },
    )
    refused = answer.json()
    assert answer.status_code == 409 and not refused["ok"]
    assert any(w["code"] == "overlap" for w in refused["warnings"]), refused["warnings"]
    assert not JobPlanning.objects.filter(work_order=work_order).exists()
    # Asked again, the board no longer offers it.
    again = ask(client, work_order).json()["slots"]
    assert (slot["technician_id"], slot["start"]) not in [
        (s["technician_id"], s["start"]) for s in again
    ]


def test_the_board_keeps_the_link_to_the_find_a_slot_page_and_knows_where_to_ask(
    client, work_order
):
    page = client.get(BOARD, {"view": "week", "date": "2031-03-03"}).content.decode()
    assert f'data-slots-url="{SLOTS}"' in page and "board_slots.js" in page
    pane = client.get(BOARD + "unplanned/", {"filters": "1"}).content.decode()
    # Without JavaScript, "Find a slot" is the Find-a-slot page.
    assert f'class="bd-find" href="/admin/workorders/workorder/{work_order.pk}/find-a-slot/"' in (
        pane
    )


def test_slots_sit_on_the_days_of_a_period_in_its_local_time(planner, work_order):
    period = Period.of(view=WEEK, day=MONDAY.date())
    found = board_slots.slots(
        user=planner,
        work_order=board_slots.work_order(user=planner, pk=work_order.pk),
        period=period,
        now=MONDAY - timedelta(days=30),
    )
    assert found.searched == board_slots.PERIOD
    for slot in found.slots:
        assert slot.in_period and slot.day in period.days
        assert 0 <= slot.left < 100 and slot.width > 0
