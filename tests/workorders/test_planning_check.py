"""The planning check's warnings (DESIGN "Scheduling"), stored with each planning by every
path that plans and kept current when a neighbour or the technician's calendar changes."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from jobsite import calendar_services
from jobsite.models import Absence, Holiday
from workorders.models import JobPlanning
from workorders.scheduling.checks import Appointment, findings_for
from workorders.scheduling.warnings import refresh_warnings, windows_of

from ..factories import make_work_order
from ..factories import work_order_url as url

pytestmark = pytest.mark.django_db

# A winter week in Brussels (UTC+1): Monday 2030-01-07 … Sunday 2030-01-13.
MONDAY_9_LOCAL = "2030-01-07T09:00:00+01:00"
SUNDAY_22_LOCAL = "2030-01-13T22:00:00+01:00"


@pytest.fixture(autouse=True)
def brussels(sales_org):
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save(update_fields=["time_zone"])


@pytest.fixture
def suggest(api, project, job_type, technician):
    """PUT a Suggested work order for the technician at `start` (ISO); its rule planning."""

    def put(start, minutes=60, **over):
        body = {
            "name": "Boiler service",
            "project_id": str(project.pk),
            "job_type_id": str(job_type.pk),
            "job_status_code": "Suggested",
            "suggested_user_id": str(technician.pk),
            "suggested_date_start": start,
            "estimated_time": minutes,
            **over,
        }
        pk = over.pop("id", None) or str(uuid.uuid4())
        response = api.put(url(pk), body, format="json")
        assert response.status_code in (200, 201), response.content
        return JobPlanning.objects.get(work_order_id=pk, made_by_rule=True)

    return put


def codes(planning) -> set[str]:
    planning.refresh_from_db()
    return {w["code"] for w in planning.warnings}


def test_a_planning_in_working_hours_has_no_warning(suggest):
    assert codes(suggest(MONDAY_9_LOCAL)) == set()


def test_sunday_evening_is_outside_working_hours(suggest):
    planning = suggest(SUNDAY_22_LOCAL)
    assert codes(planning) == {"outside_working_hours"}
    assert planning.warning_codes == ",outside_working_hours,"


def test_an_absence_and_a_holiday_are_warned(suggest, technician, sales_org):
    calendar_services.save_absence(
        absence=Absence(),
        values={
            "technician": technician,
            "start": datetime(2030, 1, 7, 7, tzinfo=UTC),
            "end": datetime(2030, 1, 7, 12, tzinfo=UTC),
            "kind": "sick",
        },
    )
    assert "absence" in codes(suggest(MONDAY_9_LOCAL))
    calendar_services.save_holiday(
        holiday=Holiday(),
        values={"sales_organization": sales_org, "date": datetime(2030, 1, 8).date(), "name": "X"},
    )
    assert codes(suggest("2030-01-08T09:00:00+01:00")) == {"holiday"}


def test_a_calendar_change_updates_stored_warnings(suggest, technician):
    planning = suggest(MONDAY_9_LOCAL)
    assert codes(planning) == set()
    absence = calendar_services.save_absence(
        absence=Absence(),
        values={
            "technician": technician,
            "start": datetime(2030, 1, 7, 6, tzinfo=UTC),
            "end": datetime(2030, 1, 7, 18, tzinfo=UTC),
        },
    )
    assert codes(planning) == {"absence"}
    calendar_services.delete_absence(absence=absence)
    assert codes(planning) == set()


def test_overlaps_name_each_other_and_clear_when_one_moves(suggest, api):
    first = suggest(MONDAY_9_LOCAL, minutes=120)
    second = suggest("2030-01-07T10:00:00+01:00")
    assert codes(second) == {"overlap"}
    assert second.warnings[0]["planning_ids"] == [str(first.pk)]
    assert codes(first) == {"overlap"}
    assert first.warnings[0]["planning_ids"] == [str(second.pk)]
    # Moving the second away clears both.
    response = api.patch(
        url(second.work_order_id),
        {"suggested_date_start": "2030-01-07T14:00:00+01:00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert codes(second) == set() and codes(first) == set()


def test_the_plannings_api_shows_and_filters_warnings(suggest, api):
    quiet = suggest(MONDAY_9_LOCAL)
    late = suggest(SUNDAY_22_LOCAL)
    listed = api.get("/api/v1/plannings", {"has_warnings": "true"}).json()["results"]
    assert [p["id"] for p in listed] == [str(late.pk)]
    assert listed[0]["warnings"][0]["code"] == "outside_working_hours"
    listed = api.get("/api/v1/plannings", {"warning": "outside_working_hours"}).json()
    assert [p["id"] for p in listed["results"]] == [str(late.pk)]
    listed = api.get("/api/v1/plannings", {"has_warnings": "false"}).json()["results"]
    assert [p["id"] for p in listed] == [str(quiet.pk)]
    assert api.get("/api/v1/plannings", {"warning": "nonsense"}).status_code == 400


def test_due_and_earliest_dates_and_the_past(suggest):
    planning = suggest(
        MONDAY_9_LOCAL,
        due_date="2030-01-07T09:30:00+01:00",
        earliest_date_plannable="2030-01-07T12:00:00+01:00",
    )
    assert codes(planning) == {"after_due_date", "before_earliest_date"}
    past = suggest((datetime.now(UTC) - timedelta(days=2)).isoformat())
    assert "in_the_past" in codes(past)


def test_a_hand_made_planning_through_the_api_is_checked(api, suggest):
    rule = suggest(MONDAY_9_LOCAL)
    response = api.post(
        "/api/v1/plannings",
        {
            "work_order_id": str(rule.work_order_id),
            "user_id": str(rule.user_id),
            "date_start": "2030-01-07T09:30:00+01:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [w["code"] for w in response.json()["warnings"]] == ["overlap"]
    assert codes(rule) == {"overlap"}


@pytest.mark.parametrize("with_skill", [False, True], ids=["no-skill", "skill"])
def test_checking_one_planning_reads_three_times(
    technician, project, job_type, statuses, skill, django_assert_num_queries, with_skill
):
    """The user with their organization, working hours, and one UNION of the neighbouring
    plannings, absences, holidays and the technician's skills the work order needs."""
    wo = make_work_order(project=project, job_type=job_type, skill=skill if with_skill else None)
    start = datetime(2030, 1, 7, 8, tzinfo=UTC)
    appointment = Appointment(
        user_id=technician.pk, work_order=wo, date_start=start, date_end=start + timedelta(hours=1)
    )
    with django_assert_num_queries(3):
        assert findings_for([appointment]) == [[]]


def test_work_already_done_is_history_not_a_planning_in_the_past(project, job_type, technician):
    start = datetime.now(UTC) - timedelta(days=2)
    done = make_work_order(project=project, job_type=job_type, status="Completed")
    waiting = make_work_order(project=project, job_type=job_type, name="Still to do")
    plannings = [
        JobPlanning.objects.create(
            work_order=wo, user=technician, date_start=at, date_end=at + timedelta(minutes=30)
        )
        for wo, at in ((done, start), (waiting, start + timedelta(hours=1)))
    ]
    refresh_warnings(windows=windows_of(plannings), written=[p.pk for p in plannings])
    assert "in_the_past" not in codes(plannings[0])
    assert "in_the_past" in codes(plannings[1])
