"""Proposals for one work order (DESIGN "Scheduling"): technicians and moments that fit, best
first, never breaking the planning check, leaving room for travel; the reasons when nothing
fits; over the API."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobsite.calendars import calendars
from jobsite.models import Absence, Address, Holiday, User
from tests.factories import (
    make_absence,
    make_holiday,
    make_planning,
    make_work_order,
    make_working_hours,
)
from workorders import services
from workorders.models import JobPlanning
from workorders.scheduling.checks import Appointment, findings_for
from workorders.scheduling.proposal_search import Fit
from workorders.scheduling.proposals import NO_COORDINATES, _checked, proposals

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
MONDAY = datetime(2031, 3, 3, tzinfo=BRUSSELS)  # winter time, UTC+1
BEFORE = MONDAY - timedelta(days=1)  # "now" for most tests: the Sunday before
GENT = (51.05, 3.72)
KM_PER_DEGREE = 111.195  # of latitude, on the mean Earth radius


def at(day: int, clock: str) -> datetime:
    """`clock` (HH:MM, Brussels) on the `day`-th day after MONDAY."""
    hours, minutes = map(int, clock.split(":"))
    return MONDAY + timedelta(days=day, hours=hours, minutes=minutes)


def north_of_gent(km: float) -> dict:
    return {"latitude": round(GENT[0] + km / KM_PER_DEGREE, 7), "longitude": GENT[1]}


@pytest.fixture(autouse=True)
def brussels(sales_org):
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save(update_fields=["time_zone"])


@pytest.fixture
def work_order(project, skill):
    """Two hours of electrical work at Gent, from Monday noon, due Thursday noon."""
    return make_work_order(
        project=project,
        name="Rewire the boiler room",
        skill=skill,
        estimated_time=120,
        earliest_date_plannable=at(0, "12:00"),
        due_date=at(3, "12:00"),
        db_address_latitude=GENT[0],
        db_address_longitude=GENT[1],
    )


def technician_with(username, sales_org, skill, **fields) -> User:
    user = User.objects.create_user(
        username=username,
        code=username.upper(),
        sales_organization=sales_org,
        is_technician=True,
        **fields,
    )
    if skill is not None:
        user.skills.add(skill)
    return user


@pytest.fixture
def traps(sales_org, other_sales_org, skill, technician, technician2, project):
    """One technician of each kind the proposals must never offer, or offer only around what
    makes them a trap. Tuesday is a public holiday."""
    made = {
        "fine": technician,
        "no_skill": technician2,
        "other_org": technician_with("elsewhere", other_sales_org, skill),
        "inactive": technician_with("gone", sales_org, skill, is_active=False),
        "not_technician": User.objects.create_user(
            username="clerk", code="CLERK", sales_organization=sales_org
        ),
        "absent": technician_with("away", sales_org, skill),
        "afternoons": technician_with("late", sales_org, skill),
        "busy": technician_with("busy", sales_org, skill),
    }
    made["not_technician"].skills.add(skill)
    make_holiday(sales_organization=sales_org, date=at(1, "00:00").date(), name="Feast")
    make_absence(technician=made["absent"], start=at(0, "00:00"), end=at(2, "15:00"))
    make_working_hours(
        technician=made["afternoons"],
        weekly=[{"weekday": d, "start": "13:00", "end": "17:00"} for d in range(1, 6)],
    )
    for day in (0, 2, 3):  # booked all day but 16:00-17:00 (too short for two hours)
        make_planning(project=project, technician=made["busy"], start=at(day, "08:00"), minutes=240)
        make_planning(project=project, technician=made["busy"], start=at(day, "12:30"), minutes=210)
    return made


def assert_passes_every_rule(proposal, work_order, technicians):
    """Checked here rule by rule, from the data, not through the code under test."""
    tech = proposal.technician
    assert tech.is_technician and tech.is_active
    assert tech.sales_organization_id == work_order.sales_organization_id
    assert tech.skills.filter(pk=work_order.skill_id).exists()
    start, end = proposal.start, proposal.end
    assert end - start == timedelta(minutes=work_order.estimated_time)
    assert start >= work_order.earliest_date_plannable
    assert end <= work_order.due_date
    calendar = calendars([tech], start=start, end=end)[tech.pk]
    assert calendar.covers(start, end), proposal
    assert calendar.holiday_on(start, end) is None
    assert not Holiday.objects.filter(
        sales_organization=tech.sales_organization_id, date=start.astimezone(BRUSSELS).date()
    ).exists()
    assert not Absence.objects.filter(technician=tech, start__lt=end, end__gt=start).exists()
    assert not JobPlanning.objects.filter(
        user=tech, date_start__lt=end, date_end__gt=start
    ).exists()
    assert start.astimezone(BRUSSELS).minute % 5 == 0


def test_proposals_never_break_a_rule_of_the_planning_check(planner, work_order, traps):
    found = proposals(user=planner, work_order=work_order, limit=50, now=BEFORE)
    assert found.proposals and found.unplannable == []
    assert found.refused == 0  # the check had nothing to drop: the search kept every rule
    for p in found.proposals:
        assert_passes_every_rule(p, work_order, traps)
    (placed,) = [
        findings_for(
            [
                Appointment(
                    user_id=p.technician.pk,
                    work_order=work_order,
                    date_start=p.start,
                    date_end=p.end,
                )
                for p in found.proposals
            ]
        )
    ]
    assert placed == [[] for _ in found.proposals]
    offered = {p.technician.username for p in found.proposals}
    assert offered == {"tech1", "away", "late"}
    # The traps, each offered only where it is no trap.
    by_name = {}
    for p in found.proposals:
        by_name.setdefault(p.technician.username, []).append(p)
    assert [p.start for p in by_name["tech1"]] == [at(0, "12:30"), at(2, "08:00"), at(3, "08:00")]
    assert [p.start for p in by_name["away"]] == [at(2, "15:00"), at(3, "08:00")]
    assert [p.start for p in by_name["late"]] == [at(0, "13:00"), at(2, "13:00")]
    # Best first: the earliest, with nothing planned that day.
    assert found.proposals[0].start == at(0, "12:30")
    assert [p.score for p in found.proposals] == sorted(
        (p.score for p in found.proposals), reverse=True
    )


def test_no_proposal_starts_before_now(planner, work_order, technician):
    now = at(2, "08:07")
    found = proposals(user=planner, work_order=work_order, limit=50, now=now)
    assert found.proposals[0].start == at(2, "08:10")
    assert all(p.start >= now for p in found.proposals)


def test_a_start_leaves_room_for_travel_from_the_appointment_before_and_to_the_one_after(
    planner, work_order, technician, project, sales_org
):
    # Monday: 08:00-12:00 at a site 24 km away (29 min at 50 km/h), so 12:30 after lunch is
    # fine; Wednesday: 09:00-10:00 at 24 km, then 13:00 at 48 km (58 min back).
    far = Address.objects.create(city="Aalter", sales_organization=sales_org, **north_of_gent(24))
    farther = Address.objects.create(
        city="Brugge", sales_organization=sales_org, **north_of_gent(48)
    )
    for day, clock, minutes, where in [
        (0, "08:00", 240, far),
        (2, "09:00", 60, far),
        (2, "13:00", 60, farther),
    ]:
        planned = make_planning(
            project=project, technician=technician, start=at(day, clock), minutes=minutes
        )
        planned.work_order.db_address = where
        planned.work_order.save(update_fields=["db_address"])
    found = proposals(user=planner, work_order=work_order, limit=50, now=BEFORE)
    starts = {p.start.astimezone(BRUSSELS).date(): p for p in found.proposals}
    monday, wednesday = starts[at(0, "0:00").date()], starts[at(2, "0:00").date()]
    assert monday.start == at(0, "12:30")
    assert monday.travel_km == pytest.approx(24, abs=0.1)
    assert not any("for the travel" in r for r in monday.reasons)
    # Wednesday 10:00 + 30 min of travel from Aalter would end at 12:30, after the morning's
    # hours; after 13:00-14:00 at Brugge, 58 min away: 15:00-17:00, on the five-minute mark.
    assert wednesday.start == at(2, "15:00")
    assert wednesday.travel_km == pytest.approx(48, abs=0.1)
    assert any("48 km from the previous visit" in r for r in wednesday.reasons)
    assert any("for the travel" in r for r in wednesday.reasons)


def test_the_nearest_technician_comes_first_and_weights_come_from_settings(
    planner, work_order, technician, sales_org, skill, settings
):
    near = technician_with("near", sales_org, skill)
    near.base_address = Address.objects.create(
        city="Gent", sales_organization=sales_org, **north_of_gent(2)
    )
    near.save()
    technician.base_address = Address.objects.create(
        city="Kortrijk", sales_organization=sales_org, **north_of_gent(40)
    )
    technician.save()

    def first_two():  # each one's first proposal, best first
        found = proposals(user=planner, work_order=work_order, limit=50, now=BEFORE).proposals
        firsts = {}
        for p in found:
            firsts.setdefault(p.technician, p)
        return list(firsts.values())

    best, other = first_two()
    assert (best.technician, other.technician) == (near, technician)
    assert best.start == other.start == at(0, "12:30")
    assert best.travel_km == pytest.approx(2, abs=0.1)
    assert "2 km from the base" in best.reasons
    # Out and back: 4 km for the near one, 80 for the other.
    assert best.score - other.score == pytest.approx(76, abs=0.2)
    settings.SCHEDULING_PROPOSAL_WEIGHTS = {**settings.SCHEDULING_PROPOSAL_WEIGHTS, "travel_km": 0}
    best, other = first_two()
    assert best.score == other.score


def test_a_site_without_coordinates_ignores_distance_and_says_so(planner, project, technician):
    wo = make_work_order(project=project, estimated_time=60, due_date=at(0, "09:00"))
    found = proposals(user=planner, work_order=wo, now=BEFORE)
    assert [p.start for p in found.proposals] == [at(0, "08:00")]
    assert "distance unknown (the site has no coordinates)" in found.proposals[0].reasons
    assert found.proposals[0].travel_km is None
    early = make_work_order(project=project, estimated_time=90, due_date=at(0, "09:00"))
    found = proposals(user=planner, work_order=early, now=BEFORE)
    assert found.proposals == []
    assert found.unplannable == [
        "No free window of 90 min before the due date Mon 03 Mar 2031 09:00.",
        NO_COORDINATES,
    ]


def test_nothing_fits_says_why(planner, project, skill, work_order, technician2, statuses):
    # Only technician2 (without the skill) is there.
    assert proposals(user=planner, work_order=work_order, now=BEFORE).unplannable == [
        "No active technician of BE01 has the skill Electrical."
    ]
    overdue = proposals(user=planner, work_order=work_order, now=at(4, "00:00"))
    assert overdue.unplannable == ["The due date Thu 06 Mar 2031 12:00 has passed."]
    work_order.job_status = statuses["Completed"]
    assert proposals(user=planner, work_order=work_order, now=BEFORE).unplannable == [
        f"#{work_order.id2} is Completed: only work that has not started can be planned."
    ]


def test_queries_do_not_grow_with_the_technicians(planner, work_order, sales_org, skill, project):
    counts, made = {}, 0
    for n in (1, 10):
        while made < n:
            tech = technician_with(f"t{made}", sales_org, skill)
            make_planning(project=project, technician=tech, start=at(made % 3, "13:00"))
            made += 1
        proposals(user=planner, work_order=work_order, now=BEFORE)  # caches warm
        with CaptureQueriesContext(connection) as queries:
            found = proposals(user=planner, work_order=work_order, now=BEFORE)
        assert found.proposals
        counts[n] = len(queries)
    assert counts[1] == counts[10] <= 12, counts


# --- the API ---------------------------------------------------------------------------------


def url(work_order) -> str:
    return f"/api/v1/workorders/{work_order.pk}/proposals"


def test_proposals_over_the_api(api, work_order, technician, traps):
    params = {"from": "2031-03-03T00:00:00+01:00", "to": "2031-03-08T00:00:00+01:00"}
    for path in (url(work_order), url(work_order) + "/"):
        response = api.get(path, params)
        assert response.status_code == 200, response.content
    body = response.json()
    assert body["unplannable"] == []
    assert body["from"] == "2031-03-02T23:00:00+00:00"
    assert len(body["proposals"]) == 5
    first = body["proposals"][0]
    assert first == {
        "technician_id": str(technician.pk),
        "technician_code": "T01",
        "start": "2031-03-03T11:30:00+00:00",
        "end": "2031-03-03T13:30:00+00:00",
        "travel_km": None,
        "score": first["score"],
        "reasons": [
            "has skill Electrical",
            "free 12:30–17:00",
            "distance unknown (no base address)",
            "nothing else planned that day",
            "2 day(s) before the due date",
        ],
    }
    assert (
        api.get(url(work_order), {**params, "limit": 2}).json()["proposals"]
        == (body["proposals"][:2])
    )


def test_the_api_defaults_to_the_earliest_date_until_the_due_date(api, work_order, technician):
    body = api.get(url(work_order)).json()
    assert (body["from"], body["to"]) == ("2031-03-03T11:00:00+00:00", "2031-03-06T11:00:00+00:00")
    assert [p["start"] for p in body["proposals"]] == [
        "2031-03-03T11:30:00+00:00",
        "2031-03-04T07:00:00+00:00",
        "2031-03-05T07:00:00+00:00",
        "2031-03-06T07:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "monday"}, "from"),
        ({"to": "2031-13-01T00:00:00Z"}, "to"),
        ({"from": "2031-03-03T00:00:00Z", "to": "2031-03-02T00:00:00Z"}, "to"),
        ({"from": "2031-03-03T00:00:00Z", "to": "2031-05-02T00:00:00Z"}, "to"),
        ({"limit": "many"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
    ],
)
def test_bad_parameters_are_a_400_naming_them(api, work_order, params, field):
    response = api.get(url(work_order), params)
    assert response.status_code == 400, response.content
    assert field in response.json()


def test_an_earliest_date_at_the_end_of_time_is_a_400_not_a_500(api, project):
    wo = make_work_order(
        project=project, earliest_date_plannable=datetime(9999, 12, 30, tzinfo=BRUSSELS)
    )
    response = api.get(url(wo))
    assert response.status_code == 400 and "to" in response.json()


def test_another_organizations_work_order_is_a_404(other_api, admin_api, work_order):
    assert other_api.get(url(work_order)).status_code == 404
    assert other_api.get("/api/v1/workorders/nope/proposals").status_code == 404
    assert admin_api.get(url(work_order)).status_code == 200


def test_the_search_that_stops_early_finds_what_the_whole_search_finds(
    planner, project, sales_org, skill
):
    """The top few, found by trying days from the best they could reach down, are the first few
    of every day tried (fewer days here than the limit of 50)."""
    rng = random.Random(7)
    for i in range(4):
        tech = technician_with(f"r{i}", sales_org, skill)
        tech.base_address = Address.objects.create(
            city="Base", sales_organization=sales_org, **north_of_gent(rng.uniform(-30, 30))
        )
        tech.save()
        for day in range(4):
            for clock in rng.sample(["08:00", "09:30", "11:00", "13:00", "14:30", "16:00"], 3):
                planned = make_planning(
                    project=project, technician=tech, start=at(day, clock), minutes=60
                )
                planned.work_order.db_address_latitude = north_of_gent(rng.uniform(-30, 30))[
                    "latitude"
                ]
                planned.work_order.db_address_longitude = GENT[1]
                planned.work_order.save()
    wo = make_work_order(
        project=project,
        skill=skill,
        estimated_time=45,
        due_date=at(4, "00:00"),
        db_address_latitude=GENT[0],
        db_address_longitude=GENT[1],
    )
    every = proposals(user=planner, work_order=wo, limit=50, now=BEFORE).proposals
    assert len(every) == 16  # each technician's four days
    for limit in (1, 3, 5):
        assert (
            proposals(user=planner, work_order=wo, limit=limit, now=BEFORE).proposals
            == (every[:limit])
        )


def test_a_suggested_work_orders_own_time_is_free_to_propose(planner, work_order, technician):
    """Re-planning: its own planning moves where it is proposed, so its time is offered."""
    services.suggest_technician(
        work_orders=[work_order], user=technician, date_start=at(0, "12:30")
    )
    work_order.refresh_from_db()
    found = proposals(user=planner, work_order=work_order, now=BEFORE)
    assert found.proposals[0].start == at(0, "12:30") and found.refused == 0


def test_the_planning_check_runs_once_however_many_candidates(
    work_order, technician, django_assert_max_num_queries
):
    """All candidates go through one planning check: its plannings, absences and calendars
    are read once, not once for every candidate it refuses (here: all of them, at night)."""

    def night(n):
        start = at(n % 4, "22:00") + timedelta(days=7 * (n // 4))
        return Fit(
            technician, start, start + timedelta(hours=2), 0.0, (), None, None, None, False, 0
        )

    counts = {}
    for n in (1, 12):
        candidates = [night(i) for i in range(n)]
        _checked(work_order=work_order, candidates=candidates, limit=5)  # caches warm
        with CaptureQueriesContext(connection) as queries:
            chosen, checked, refused = _checked(
                work_order=work_order, candidates=candidates, limit=5
            )
        assert (chosen, checked, refused) == ([], n, n)
        counts[n] = len(queries)
    assert counts[1] == counts[12], counts
    with django_assert_max_num_queries(counts[1]):
        _checked(work_order=work_order, candidates=[night(i) for i in range(40)], limit=5)
