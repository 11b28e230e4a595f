"""Local time (issue #13): a planner reads and enters every time of the admin and the board in
their sales organization's zone, DST-correct; the API keeps answering in UTC. A superuser
without an organization gets the TIME_ZONE setting's zone, or the one they pick."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.db import OperationalError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jobsite.local_time import SESSION_KEY, UserWithOrganizationBackend
from jobsite.models import User
from workorders.models import JobPlanning

from ..admin_forms import change_form_data
from ..factories import make_absence

BRUSSELS = ZoneInfo("Europe/Brussels")
LIST = "/admin/workorders/workorder/"
BOARD = "/admin/workorders/workorder/board/"
PLANNINGS = "/admin/workorders/jobplanning/"
TIME_ZONE_PAGE = "/admin/time-zone/"
# Tuesdays, far ahead (no "in the past" warning): CET (+01:00) in January, CEST (+02:00) in July.
WINTER = datetime(2031, 1, 14, 7, 0, tzinfo=UTC)
SUMMER = datetime(2031, 7, 15, 7, 0, tzinfo=UTC)


@pytest.fixture
def brussels(sales_org):
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save()
    return sales_org


@pytest.fixture
def appointments(brussels, project, make_wo, technician):
    """Two Suggested work orders, planned by the rule at 07:00Z: one in winter, one in summer."""
    return {
        when: make_wo(
            project,
            name=f"Boiler {when}",
            status="Suggested",
            suggested_user=technician,
            suggested_date_start=start,
        )
        for when, start in (("winter", WINTER), ("summer", SUMMER))
    }


def _texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _split_value(html: str, name: str) -> str:
    """The value a SplitDateTimeWidget's input `name` was served with."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
    assert tag, name
    return re.search(r'value="([^"]*)"', tag.group(0)).group(1)


# --- reading ----------------------------------------------------------------------------------


def test_the_list_shows_starts_in_the_organizations_zone(planner_client, appointments):
    text = planner_client.get(LIST).text
    assert "Tue 14 Jan 08:00" in text  # 07:00Z in winter (+01:00)
    assert "Tue 15 Jul 09:00" in text  # 07:00Z in summer (+02:00)
    assert "Tue 14 Jan 07:00" not in text and "Tue 15 Jul 07:00" not in text
    assert "times in Europe/Brussels" in text


def test_the_change_form_shows_the_start_and_the_plannings_in_local_time(
    planner_client, appointments
):
    for wo, clock in ((appointments["winter"], "08:00:00"), (appointments["summer"], "09:00:00")):
        html = planner_client.get(f"{LIST}{wo.pk}/change/").text
        assert _split_value(html, "suggested_date_start_1") == clock
        assert _split_value(html, "plannings-0-date_start_1") == clock
        assert 'id="time-zone"' in html and ">Time zone: Europe/Brussels</a>" in html


def test_the_board_shows_days_and_blocks_in_local_time(planner_client, appointments):
    for week, day, block in (
        ("2031-01-13", "2031-01-14", "08:00–09:00"),
        ("2031-07-14", "2031-07-15", "09:00–10:00"),
    ):
        response = planner_client.get(BOARD, {"date": week})
        assert 'id="board-zone" title="The board shows times in this zone">Europe/Brussels' in (
            response.text
        )
        cells = [row.cells for row in response.context["board"].rows if row.is_technician]
        (planned,) = [c for row in cells for c in row if c.blocks]
        assert planned.day.isoformat() == day
        start = block.split("–")[0]
        assert f'data-start="{day}T{start}"' in response.text


def test_a_late_evening_in_utc_is_the_next_day_on_the_board(
    planner_client, brussels, project, make_wo, technician
):
    # Monday 23:30Z is Tuesday 00:30 in Brussels: Tuesday's cell.
    make_wo(
        project,
        status="Suggested",
        suggested_user=technician,
        suggested_date_start=datetime(2031, 1, 13, 23, 30, tzinfo=UTC),
    )
    board = planner_client.get(BOARD, {"date": "2031-01-13"}).context["board"]
    (row,) = [r for r in board.rows if r.technician == technician]
    assert [len(cell.blocks) for cell in row.cells] == [0, 1, 0, 0, 0, 0, 0]


def test_the_plannings_list_shows_local_time(planner_client, appointments):
    text = planner_client.get(PLANNINGS).text
    assert "Jan. 14, 2031, 8 a.m." in text
    assert "July 15, 2031, 9 a.m." in text


# --- entering ---------------------------------------------------------------------------------


def test_eight_oclock_entered_in_the_change_form_is_stored_as_seven_utc_in_winter(
    planner_client, brussels, project, make_wo, technician, statuses
):
    wo = make_wo(project, name="To plan")
    data = change_form_data(planner_client, wo, BRUSSELS)
    data.update(
        job_status=str(statuses["Suggested"].pk),
        suggested_user=str(technician.pk),
        suggested_date_start_0="2031-01-14",
        suggested_date_start_1="08:00:00",
    )
    response = planner_client.post(f"{LIST}{wo.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    wo.refresh_from_db()
    assert wo.suggested_date_start == WINTER
    assert JobPlanning.objects.get(work_order=wo).date_start == WINTER


def test_a_planning_entered_inline_at_eight_is_stored_as_seven_utc_in_winter(
    planner_client, appointments, technician2
):
    wo = appointments["summer"]
    data = change_form_data(planner_client, wo, BRUSSELS)
    data.update(
        {
            "plannings-TOTAL_FORMS": "2",
            "plannings-1-work_order": str(wo.pk),
            "plannings-1-user": str(technician2.pk),
            "plannings-1-date_start_0": "2031-01-14",
            "plannings-1-date_start_1": "08:00:00",
            "plannings-1-date_end_0": "2031-01-14",
            "plannings-1-date_end_1": "09:30:00",
        }
    )
    response = planner_client.post(f"{LIST}{wo.pk}/change/", data)
    assert response.status_code == 302
    by_hand = JobPlanning.objects.get(work_order=wo, user=technician2)
    assert (by_hand.date_start, by_hand.date_end) == (
        WINTER,
        datetime(2031, 1, 14, 8, 30, tzinfo=UTC),
    )
    # The rule's planning, posted back as shown (09:00 in summer), has not moved.
    assert JobPlanning.objects.get(work_order=wo, made_by_rule=True).date_start == SUMMER


def test_the_suggest_action_reads_and_reports_local_time(
    planner_client, brussels, project, make_wo, technician
):
    wo = make_wo(project, name="To plan")
    picked = {"action": "suggest_technician", "_selected_action": [str(wo.pk)]}
    form = planner_client.post(LIST, picked)
    assert "In Europe/Brussels." in form.text
    # Tomorrow at 08:00 where the planner is.
    tomorrow = timezone.localdate(timezone=BRUSSELS) + timedelta(days=1)
    assert f'value="{tomorrow.isoformat()}T08:00"' in form.text

    response = planner_client.post(
        LIST,
        {
            **picked,
            "apply": "1",
            "technician": str(technician.pk),
            "date_start": "2031-01-14T08:00",
        },
        follow=True,
    )
    assert any(
        f"Suggested Tess Tech for 1 work order(s): #{wo.id2} at Tue 14 Jan 2031 08:00" in text
        for text in _texts(response)
    )
    wo.refresh_from_db()
    assert wo.suggested_date_start == WINTER
    log = LogEntry.objects.get(object_id=str(wo.pk))
    assert log.get_change_message() == "Suggested Tess Tech at Tue 14 Jan 2031 08:00."
    # The link goes to the appointment's week on the board.
    assert "?week=2031-01-13" in " ".join(_texts(response))


def test_a_time_that_does_not_exist_locally_is_refused_not_guessed(
    planner_client, brussels, project, make_wo, technician
):
    # 30 March 2031, 02:00 → 03:00 in Brussels: 02:30 never happens.
    wo = make_wo(project, name="To plan")
    response = planner_client.post(
        LIST,
        {
            "action": "suggest_technician",
            "_selected_action": [str(wo.pk)],
            "apply": "1",
            "technician": str(technician.pk),
            "date_start": "2031-03-30T02:30",
        },
    )
    assert response.status_code == 200
    assert "couldn’t be interpreted in time zone Europe/Brussels" in response.text
    wo.refresh_from_db()
    assert wo.suggested_date_start is None


def test_the_board_plans_at_local_times(planner_client, brussels, project, make_wo, technician):
    plan = reverse("admin:workorders_workorder_board_plan")
    winter, summer = make_wo(project, name="Winter"), make_wo(project, name="Summer")
    for wo, start in ((winter, "2031-01-14T08:00"), (summer, "2031-07-15T08:00")):
        answer = planner_client.post(
            plan,
            {"work_order": wo.id2, "technician": technician.pk, "start": start},
            HTTP_ACCEPT="application/json",
        )
        assert answer.json()["ok"], answer.json()
    assert answer.json()["message"] == (
        f"Planned #{summer.id2} Summer for Tess Tech on Tue 15 Jul 08:00."
    )
    # 08:00 in Brussels: 07:00Z in winter, 06:00Z in summer.
    starts = dict(JobPlanning.objects.values_list("work_order__name", "date_start"))
    assert starts == {"Winter": WINTER, "Summer": datetime(2031, 7, 15, 6, 0, tzinfo=UTC)}


# --- the API stays in UTC ---------------------------------------------------------------------


def test_the_api_answers_in_utc_for_the_same_records(api, planner_client, appointments, technician):
    winter = appointments["winter"]
    make_absence(technician=technician, start=WINTER, end=SUMMER)
    for client in (api, planner_client):  # a token, and the planner's browser session
        body = client.get(f"/api/v1/workorders/{winter.pk}").json()
        assert body["suggested_date_start"] == "2031-01-14T07:00:00+00:00"
        starts = {
            p["date_start"]
            for p in client.get("/api/v1/plannings", {"ordering": "date_start"}).json()["results"]
        }
        assert starts == {"2031-01-14T07:00:00+00:00", "2031-07-15T07:00:00+00:00"}
        # DRF writes a datetime in the active zone: none is active for the API.
        (absence,) = client.get("/api/v1/absences").json()["results"]
        assert absence["start"] == "2031-01-14T07:00:00Z"
        assert absence["modified_dateutc"].endswith("Z")


def test_the_zone_does_not_outlive_the_request(planner_client, appointments):
    planner_client.get(LIST)
    assert timezone.get_current_timezone_name() == "UTC"


def test_a_database_away_is_still_a_503(planner_client, monkeypatch):
    def away(self, user_id):
        raise OperationalError("connection refused")

    monkeypatch.setattr(UserWithOrganizationBackend, "get_user", away)
    response = planner_client.get(LIST)
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"


# --- superusers: the setting's zone, or their pick --------------------------------------------


def test_a_superuser_reads_the_settings_zone_until_they_pick_one(admin_client, appointments):
    assert "Tue 14 Jan 07:00" in admin_client.get(LIST).text  # TIME_ZONE is UTC in the tests

    page = admin_client.get(TIME_ZONE_PAGE, {"next": LIST})
    assert "Europe/Brussels — BE01" in page.text
    response = admin_client.post(
        TIME_ZONE_PAGE, {"time_zone": "Europe/Brussels", "next": LIST}, follow=True
    )
    assert response.redirect_chain == [(LIST, 302)]
    assert "Times are shown in Europe/Brussels." in _texts(response)
    assert "Tue 14 Jan 08:00" in response.text
    assert admin_client.session[SESSION_KEY] == "Europe/Brussels"

    # Back to the default; somewhere else than this site is never a way back.
    response = admin_client.post(TIME_ZONE_PAGE, {"time_zone": "", "next": "https://evil.test/"})
    assert response.url == reverse("admin:index")
    assert SESSION_KEY not in admin_client.session
    assert "Tue 14 Jan 07:00" in admin_client.get(LIST).text


def test_an_unknown_zone_is_refused(admin_client, db):
    response = admin_client.post(TIME_ZONE_PAGE, {"time_zone": "Europe/Atlantis"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert SESSION_KEY not in admin_client.session


def test_a_planner_plans_in_the_organizations_zone_and_cannot_pick_another(
    planner_client, brussels
):
    page = planner_client.get(TIME_ZONE_PAGE)
    assert "the time zone of your sales organization BE01" in page.text
    assert 'id="time-zone-form"' not in page.text
    refused = planner_client.post(TIME_ZONE_PAGE, {"time_zone": "Asia/Tokyo"})
    assert refused.status_code == 403
    # Even a pick left in the session (say, from before they joined an organization).
    session = planner_client.session
    session[SESSION_KEY] = "Asia/Tokyo"
    session.save()
    assert ">Time zone: Europe/Brussels</a>" in planner_client.get(LIST).text


def test_staff_without_an_organization_pick_a_zone_but_see_no_organization(
    brussels, other_sales_org
):
    clerk = User.objects.create_user(username="clerk", password="pw-clerk-1", is_staff=True)
    client = Client()
    client.force_login(clerk)
    page = client.get(TIME_ZONE_PAGE)
    assert 'id="time-zone-form"' in page.text
    assert "BE01" not in page.text and "NL01" not in page.text
    client.post(TIME_ZONE_PAGE, {"time_zone": "Asia/Tokyo"})
    assert "Time zone: Asia/Tokyo" in client.get(TIME_ZONE_PAGE).text
