"""Availability (DESIGN "Scheduling"): working hours minus plannings, absences and holidays, per
technician, in a fixed number of queries; over the API for one technician and for a search."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from jobsite.calendars import DEFAULT_WEEKLY, calendars
from jobsite.models import Skill, User
from tests.factories import make_absence, make_holiday, make_planning, make_working_hours
from workorders.scheduling.availability import Availability, availability

pytestmark = pytest.mark.django_db

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)  # the organization plans in UTC (TIME_ZONE)


def at(day: int, clock: str) -> datetime:
    """`clock` (HH:MM) on the `day`-th day after MONDAY, UTC."""
    hours, minutes = map(int, clock.split(":"))
    return MONDAY + timedelta(days=day, hours=hours, minutes=minutes)


def spans(found: Availability) -> list[tuple[datetime, datetime]]:
    return [(i.start, i.end) for i in found.free]


def free_minutes(found: Availability) -> int:
    return sum(int((i.end - i.start).total_seconds()) for i in found.free) // 60


@pytest.fixture
def busy_week(technician, project, sales_org):
    """Tuesday two plannings that overlap (09:00-10:30, 10:00-11:00), one on Saturday (outside
    working hours); away Wednesday 13:00 to Thursday 10:00; Friday a public holiday."""
    make_planning(project=project, technician=technician, start=at(1, "09:00"), minutes=90)
    make_planning(project=project, technician=technician, start=at(1, "10:00"), minutes=60)
    make_planning(project=project, technician=technician, start=at(5, "10:00"), minutes=60)
    make_absence(technician=technician, start=at(2, "13:00"), end=at(3, "10:00"))
    make_holiday(sales_organization=sales_org, date=at(4, "00:00").date(), name="Feast")
    return technician


def test_free_time_is_working_time_less_plannings_absences_and_holidays(busy_week):
    (found,) = availability(technicians=[busy_week], start=MONDAY, end=at(7, "00:00"))
    assert spans(found) == [
        (at(0, "08:00"), at(0, "12:00")),
        (at(0, "12:30"), at(0, "17:00")),
        (at(1, "08:00"), at(1, "09:00")),
        (at(1, "11:00"), at(1, "12:00")),
        (at(1, "12:30"), at(1, "17:00")),
        (at(2, "08:00"), at(2, "12:00")),
        (at(2, "12:30"), at(2, "13:00")),
        (at(3, "10:00"), at(3, "12:00")),
        (at(3, "12:30"), at(3, "17:00")),
    ]
    # Monday and Tuesday 510 minutes each, Wednesday until the absence 270, Thursday after it
    # 390; the overlapping plannings book their union (120), Saturday's books nothing.
    assert found.available_minutes == 510 + 510 + 270 + 390
    assert found.booked_minutes == 120
    assert found.booked_minutes + free_minutes(found) == found.available_minutes


def test_never_offers_time_outside_hours_away_on_a_holiday_or_planned(busy_week, technician2):
    start, end = MONDAY - timedelta(hours=5), at(9, "13:15")
    found = availability(technicians=[busy_week, technician2], start=start, end=end)
    assert [f.technician for f in found] == [busy_week, technician2]
    working = calendars([busy_week], start=start, end=end)[busy_week.pk]
    taken = [(p.date_start, p.date_end) for p in busy_week.plannings.all()]
    taken += [(a.start, a.end) for a in busy_week.absences.all()]
    for f in found:
        assert f.booked_minutes + free_minutes(f) == f.available_minutes
    for free in found[0].free:
        assert start <= free.start < free.end <= end
        assert working.covers(free.start, free.end)
        assert working.holiday_on(free.start, free.end) is None
        assert not [t for t in taken if t[0] < free.end and t[1] > free.start]
    # Nothing planned for the second technician: everything available is free.
    assert found[1].booked_minutes == 0 and found[1].available_minutes > 0


def test_the_range_clips_and_a_planning_across_its_edge_books_only_the_inside(technician, project):
    make_planning(project=project, technician=technician, start=at(0, "09:00"), minutes=120)
    (found,) = availability(technicians=[technician], start=at(0, "10:00"), end=at(0, "15:00"))
    assert spans(found) == [(at(0, "11:00"), at(0, "12:00")), (at(0, "12:30"), at(0, "15:00"))]
    assert (found.booked_minutes, found.available_minutes) == (60, 60 + 60 + 150)


def test_a_dst_week_in_brussels_keeps_wall_clock_hours(technician, sales_org):
    """Summer time starts on Sunday 28 March 2027 at 02:00 (01:00 UTC): 08:00 is 07:00 UTC
    before and 06:00 UTC after; a Sunday shift of 01:00-04:00 lasts two hours."""
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save()
    make_working_hours(
        technician=technician,
        weekly=DEFAULT_WEEKLY,
        exceptions=[{"date": "2027-03-28", "intervals": [{"start": "01:00", "end": "04:00"}]}],
    )
    technician.refresh_from_db()
    start = datetime(2027, 3, 26, tzinfo=UTC) - timedelta(hours=1)  # Friday 00:00 local
    end = datetime(2027, 3, 30, tzinfo=UTC) - timedelta(hours=2)  # Tuesday 00:00 local
    (found,) = availability(technicians=[technician], start=start, end=end)

    assert [(f"{a:%d %H:%M}", f"{b:%H:%M}") for a, b in spans(found)] == [
        ("26 07:00", "11:00"),  # Friday, UTC+1
        ("26 11:30", "16:00"),
        ("28 00:00", "02:00"),  # Sunday 01:00-04:00 local, across the change
        ("29 06:00", "10:00"),  # Monday, UTC+2
        ("29 10:30", "15:00"),
    ]
    assert found.available_minutes == 510 + 120 + 510


def busy_technicians(n: int, *, sales_org, project, prefix: str) -> list[User]:
    """`n` technicians, every other one on hours of their own, each with a planning (09:00 to
    10:00) and an absence (13:00 to 15:00) on one of Monday to Thursday."""
    made = []
    for i in range(n):
        tech = User.objects.create_user(
            username=f"{prefix}.{i}",
            code=f"{prefix}{i}",
            sales_organization=sales_org,
            is_technician=True,
        )
        if i % 2:
            make_working_hours(technician=tech)
        day = i % 4
        make_planning(project=project, technician=tech, start=at(day, "09:00"))
        make_absence(technician=tech, start=at(day, "13:00"), end=at(day, "15:00"))
        made.append(tech)
    return made


def test_the_number_of_queries_does_not_grow_with_the_technicians(sales_org, project):
    make_holiday(sales_organization=sales_org, date=date(2031, 3, 7))
    counts = {}
    for n in (1, 8):
        made = busy_technicians(n, sales_org=sales_org, project=project, prefix=f"Q{n}")
        ids = [t.pk for t in made]
        with CaptureQueriesContext(connection) as queries:
            found = availability(
                technicians=User.objects.filter(pk__in=ids), start=MONDAY, end=at(7, "00:00")
            )
        assert [f.booked_minutes for f in found] == [60] * n
        counts[n] = len(queries)
    assert counts[1] == counts[8] <= 6, counts


# --- the API ---------------------------------------------------------------------------------

WEEK = {"from": "2031-03-03T00:00:00+00:00", "to": "2031-03-10T00:00:00Z"}


def test_a_technicians_free_time_over_the_api(api, busy_week, other_technician):
    url = f"/api/v1/technicians/{busy_week.pk}/availability"
    for path in (url, url + "/"):
        response = api.get(path, WEEK)
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["technician_id"] == str(busy_week.pk)
        assert body["free"][:3] == [
            {"start": "2031-03-03T08:00:00+00:00", "end": "2031-03-03T12:00:00+00:00"},
            {"start": "2031-03-03T12:30:00+00:00", "end": "2031-03-03T17:00:00+00:00"},
            {"start": "2031-03-04T08:00:00+00:00", "end": "2031-03-04T09:00:00+00:00"},
        ]
    # Times with an offset are read in UTC: the same instants, the same answer.
    local = {"from": "2031-03-03T01:00:00+01:00", "to": "2031-03-10T02:00:00+02:00"}
    assert api.get(url, local).json() == api.get(url, WEEK).json()
    for pk in (other_technician.pk, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert api.get(f"/api/v1/technicians/{pk}/availability", WEEK).status_code == 404


BAD_RANGES = [
    ({"to": WEEK["to"]}, "from"),
    ({"from": WEEK["from"]}, "to"),
    ({"from": "monday", "to": WEEK["to"]}, "from"),
    ({"from": WEEK["from"], "to": "2031-13-01T00:00:00Z"}, "to"),
    ({"from": WEEK["to"], "to": WEEK["from"]}, "to"),
    ({"from": WEEK["from"], "to": WEEK["from"]}, "to"),
    ({"from": WEEK["from"], "to": "2031-04-03T00:00:01Z"}, "to"),  # 31 days and a second
    ({"from": "0001-01-01T00:00:00Z", "to": "0001-01-05T00:00:00Z"}, "from"),
    ({"from": "9999-12-30T00:00:00Z", "to": "9999-12-31T00:00:00Z"}, "to"),
]
BAD_SEARCHES = [
    ({**WEEK, "skill_code": "a\x00b"}, "skill_code"),
    ({**WEEK, "skill_code": "NOPE"}, "skill_code"),
    ({**WEEK, "skill_id": "12"}, "skill_id"),
    ({**WEEK, "sales_organization_id": "x"}, "sales_organization_id"),
]


@pytest.mark.parametrize(("params", "field"), BAD_RANGES + BAD_SEARCHES)
def test_bad_parameters_are_a_400_naming_them(api, technician, params, field):
    urls = ["/api/v1/availability"]
    if (params, field) in BAD_RANGES:
        urls.append(f"/api/v1/technicians/{technician.pk}/availability/")
    for url in urls:
        response = api.get(url, params)
        assert response.status_code == 400, (url, params, response.content)
        assert field in response.json(), response.json()


def test_31_days_is_the_longest_range(api, technician):
    response = api.get("/api/v1/availability", {"from": WEEK["from"], "to": "2031-04-03T00:00:00Z"})
    assert response.status_code == 200, response.content


def test_the_search_by_skill_with_booked_and_available_minutes(
    api, busy_week, technician2, other_technician, skill
):
    for path in ("/api/v1/availability", "/api/v1/availability/"):
        rows = api.get(path, WEEK).json()["results"]
        assert [r["technician_code"] for r in rows] == ["T01", "T02"]  # never OT1
    first, second = rows
    assert (first["booked_minutes"], first["available_minutes"]) == (120, 1680)
    assert (second["booked_minutes"], second["available_minutes"]) == (
        0,
        4 * 510,
    )  # Friday's holiday is everyone's
    for row in rows:
        free = sum(
            (datetime.fromisoformat(f["end"]) - datetime.fromisoformat(f["start"])).seconds // 60
            for f in row["free"]
        )
        assert row["booked_minutes"] + free == row["available_minutes"]
    for params in ({"skill_code": "elec"}, {"skill_id": str(skill.pk)}):
        rows = api.get("/api/v1/availability", {**WEEK, **params}).json()["results"]
        assert [r["technician_id"] for r in rows] == [str(busy_week.pk)]


def test_the_search_stays_in_the_callers_organization(
    api, admin_api, technician, other_technician, other_sales_org
):
    theirs = Skill.objects.create(code="GAS", name="Gas", sales_organization=other_sales_org)
    other_technician.skills.add(theirs)
    for params in (
        {"sales_organization_id": str(other_sales_org.pk)},
        {"skill_id": str(theirs.pk)},
        {"skill_code": "gas"},
    ):
        response = api.get("/api/v1/availability", {**WEEK, **params})
        assert response.status_code == 400, params
        assert next(iter(params)) in response.json()
        rows = admin_api.get("/api/v1/availability", {**WEEK, **params}).json()["results"]
        assert [r["technician_code"] for r in rows] == ["OT1"]
    rows = admin_api.get("/api/v1/availability", WEEK).json()["results"]
    assert {r["technician_code"] for r in rows} == {"T01", "OT1"}


def test_the_search_reads_a_fixed_number_of_queries(api, sales_org, project):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/api/v1/availability", WEEK).status_code == 200
        return len(queries)

    busy_technicians(1, sales_org=sales_org, project=project, prefix="S1")
    count()  # the token is read once, then remembered (API_TOKEN_CACHE_SECONDS)
    one = count()
    busy_technicians(9, sales_org=sales_org, project=project, prefix="S9")
    assert count() == one
