"""Sales organizations (time zone), technicians and working hours over the API, tenant by
tenant."""

import pytest

from jobsite.calendars import DEFAULT_WEEKLY
from jobsite.models import SalesOrganization, User, WorkingHours
from tests.factories import make_working_hours

pytestmark = pytest.mark.django_db

PART_TIME = [
    {"weekday": 1, "start": "08:00", "end": "12:00"},
    {"weekday": 3, "start": "13:00", "end": "17:00"},
]
CHRISTMAS_EVE = [{"date": "2026-12-24", "intervals": [{"start": "08:00", "end": "12:00"}]}]


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- sales organizations ------------------------------------------------------------------------


def test_a_planner_sees_their_organization_with_its_time_zone(api, sales_org, other_sales_org):
    rows = results(api.get("/api/v1/sales-organizations"))
    assert [(r["code"], r["time_zone"], r["country_code"]) for r in rows] == [("BE01", "UTC", "BE")]
    assert api.get(f"/api/v1/sales-organizations/{sales_org.pk}/").status_code == 200
    assert api.get(f"/api/v1/sales-organizations/{other_sales_org.pk}").status_code == 404
    response = api.patch(
        f"/api/v1/sales-organizations/{other_sales_org.pk}", {"name": "Mine"}, format="json"
    )
    assert response.status_code == 404


def test_superusers_see_every_organization(admin_api, sales_org, other_sales_org):
    codes = {r["code"] for r in results(admin_api.get("/api/v1/sales-organizations"))}
    assert codes == {"BE01", "NL01"}


def test_a_planner_changes_the_name_but_not_the_time_zone(api, sales_org):
    url = f"/api/v1/sales-organizations/{sales_org.pk}"
    response = api.patch(url, {"name": "Belgium South"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Belgium South"
    # Sending the zone it already has changes nothing and is fine (a PUT echoes every field).
    assert api.patch(url, {"time_zone": "UTC"}, format="json").status_code == 200
    response = api.patch(url, {"time_zone": "Europe/Brussels"}, format="json")
    assert response.status_code == 403
    assert "time_zone" in response.json()
    sales_org.refresh_from_db()
    assert sales_org.time_zone == "UTC"


def test_a_superuser_changes_the_time_zone_to_a_known_one(admin_api, sales_org):
    url = f"/api/v1/sales-organizations/{sales_org.pk}"
    response = admin_api.patch(url, {"time_zone": "Europe/Brussels"}, format="json")
    assert response.status_code == 200 and response.json()["time_zone"] == "Europe/Brussels"
    for bad in ("Mars/Olympus", "", "../etc/passwd", "x" * 65):
        response = admin_api.patch(url, {"time_zone": bad}, format="json")
        assert response.status_code == 400, bad
        assert "time_zone" in response.json()
    sales_org.refresh_from_db()
    assert sales_org.time_zone == "Europe/Brussels"


def test_sales_organizations_are_not_created_or_deleted_over_the_api(admin_api, sales_org):
    body = {"code": "X", "name": "X"}
    assert admin_api.post("/api/v1/sales-organizations", body, format="json").status_code == 405
    assert admin_api.delete(f"/api/v1/sales-organizations/{sales_org.pk}").status_code == 405
    assert SalesOrganization.objects.filter(pk=sales_org.pk).exists()


# --- the organization's default working hours -----------------------------------------------------


def test_organization_working_hours_default_then_stored(api, sales_org):
    url = f"/api/v1/sales-organizations/{sales_org.pk}/working-hours"
    body = api.get(url).json()
    assert body == {"time_zone": "UTC", "weekly": DEFAULT_WEEKLY, "exceptions": []}
    response = api.put(url, {"weekly": PART_TIME, "exceptions": CHRISTMAS_EVE}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["weekly"] == PART_TIME
    assert api.get(url + "/").json()["exceptions"] == CHRISTMAS_EVE
    assert WorkingHours.objects.get(technician=None, sales_organization=sales_org).weekly
    # Null: back to the built-in default.
    assert api.put(url, {"weekly": None}, format="json").json()["weekly"] == DEFAULT_WEEKLY
    assert not WorkingHours.objects.filter(sales_organization=sales_org).exists()


def test_organization_working_hours_of_another_organization_are_404(api, other_sales_org):
    url = f"/api/v1/sales-organizations/{other_sales_org.pk}/working-hours"
    assert api.get(url).status_code == 404
    assert api.put(url, {"weekly": PART_TIME}, format="json").status_code == 404
    assert not WorkingHours.objects.exists()


@pytest.mark.parametrize(
    "body,field",
    [
        ({"weekly": [{"weekday": 1, "start": "12:00", "end": "08:00"}]}, "weekly[0].end"),
        ({"weekly": [{"weekday": 2, "start": "08:00", "end": "08:00"}]}, "weekly[0].end"),
        (
            {
                "weekly": [
                    {"weekday": 1, "start": "08:00", "end": "12:00"},
                    {"weekday": 2, "start": "08:00", "end": "12:00"},
                    {"weekday": 1, "start": "11:30", "end": "13:00"},
                ]
            },
            "weekly[2]",
        ),
        ({"weekly": [{"weekday": 8, "start": "08:00", "end": "12:00"}]}, "weekly[0].weekday"),
        ({"weekly": [{"weekday": "1", "start": "08:00", "end": "12:00"}]}, "weekly[0].weekday"),
        ({"weekly": [{"weekday": 1, "start": "8h", "end": "12:00"}]}, "weekly[0].start"),
        ({"weekly": [{"weekday": 1, "start": "25:00", "end": "26:00"}]}, "weekly[0].start"),
        ({"weekly": {"weekday": 1}}, "weekly"),
        ({"weekly": [], "exceptions": [{"date": "2026-02-30", "intervals": []}]}, "exceptions"),
        ({"weekly": [], "exceptions": [{"date": 20261224, "intervals": []}]}, "exceptions"),
        (
            {
                "weekly": [],
                "exceptions": [
                    {"date": "2026-12-24", "intervals": [{"start": "10:00", "end": "09:00"}]}
                ],
            },
            "exceptions[0].intervals[0].end",
        ),
        ({"exceptions": []}, "weekly"),
    ],
)
def test_bad_working_hours_are_a_400_naming_the_field(api, sales_org, body, field):
    url = f"/api/v1/sales-organizations/{sales_org.pk}/working-hours"
    response = api.put(url, body, format="json")
    assert response.status_code == 400, response.content
    assert any(key.startswith(field) for key in response.json()), response.json()
    assert not WorkingHours.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(api, sales_org):
    url = f"/api/v1/sales-organizations/{sales_org.pk}/working-hours"
    response = api.put(url, [1, 2], format="json")
    assert response.status_code == 400


# --- technicians and their working hours ----------------------------------------------------------


def test_technicians_of_the_own_organization(
    api, admin_api, technician, technician2, planner, other_technician, skill, sales_org
):
    sales_org.time_zone = "Europe/Brussels"
    sales_org.save()
    User.objects.create_user(
        username="gone", sales_organization=sales_org, is_technician=True, is_active=False
    )
    rows = results(api.get("/api/v1/technicians"))
    assert [r["username"] for r in rows] == ["tech1", "tech2"]
    first = rows[0]
    assert first["skills"] == [{"id": str(skill.pk), "code": "ELEC"}]
    assert first["time_zone"] == "Europe/Brussels"
    assert first["sales_organization_id"] == str(sales_org.pk)
    assert set(first) == {
        "id",
        "id2",
        "code",
        "username",
        "first_name",
        "last_name",
        "email",
        "skills",
        "base_address_id",
        "sales_organization_id",
        "time_zone",
    }
    assert api.get(f"/api/v1/technicians/{technician.pk}").json()["code"] == "T01"
    assert api.get(f"/api/v1/technicians/{other_technician.pk}").status_code == 404
    assert api.get(f"/api/v1/technicians/{planner.pk}").status_code == 404  # not a technician
    assert [r["code"] for r in results(api.get("/api/v1/technicians?skill=elec"))] == ["T01"]
    every = {r["username"] for r in results(admin_api.get("/api/v1/technicians"))}
    assert every == {"tech1", "tech2", "other.tech"}


def test_technician_inherits_then_has_own_then_inherits_again(api, technician, sales_org):
    make_working_hours(sales_organization=sales_org, weekly=PART_TIME)
    url = f"/api/v1/technicians/{technician.pk}/working-hours"
    body = api.get(url).json()
    assert body == {"time_zone": "UTC", "inherited": True, "weekly": PART_TIME, "exceptions": []}
    own = [{"weekday": 5, "start": "07:00", "end": "15:00"}]
    response = api.put(url, {"weekly": own, "exceptions": CHRISTMAS_EVE}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "time_zone": "UTC",
        "inherited": False,
        "weekly": own,
        "exceptions": CHRISTMAS_EVE,
    }
    stored = WorkingHours.objects.get(technician=technician)
    assert stored.sales_organization_id == sales_org.pk
    # The organization's pattern did not move.
    assert WorkingHours.objects.get(technician=None).weekly == PART_TIME
    response = api.put(url + "/", {"weekly": None}, format="json")
    assert response.status_code == 200
    assert response.json()["inherited"] is True and response.json()["weekly"] == PART_TIME
    assert not WorkingHours.objects.filter(technician=technician).exists()


def test_technician_without_any_pattern_gets_the_default(api, technician):
    body = api.get(f"/api/v1/technicians/{technician.pk}/working-hours").json()
    assert body["inherited"] is True and body["weekly"] == DEFAULT_WEEKLY


def test_inheriting_with_exceptions_of_its_own_is_refused(api, technician):
    url = f"/api/v1/technicians/{technician.pk}/working-hours"
    response = api.put(url, {"weekly": None, "exceptions": CHRISTMAS_EVE}, format="json")
    assert response.status_code == 400 and "exceptions" in response.json()


def test_technician_bad_pattern_is_a_400(api, technician):
    url = f"/api/v1/technicians/{technician.pk}/working-hours"
    overlapping = [
        {"weekday": 1, "start": "08:00", "end": "12:00"},
        {"weekday": 1, "start": "10:00", "end": "14:00"},
    ]
    response = api.put(url, {"weekly": overlapping}, format="json")
    assert response.status_code == 400 and "weekly[1]" in response.json()
    response = api.put(url, {"weekly": [{"weekday": 0, "start": "08:00", "end": "09:00"}]})
    assert response.status_code == 400 and "weekly[0].weekday" in response.json()
    assert not WorkingHours.objects.exists()


def test_another_organizations_technician_working_hours_are_404(api, other_technician):
    url = f"/api/v1/technicians/{other_technician.pk}/working-hours"
    assert api.get(url).status_code == 404
    assert api.put(url, {"weekly": PART_TIME}, format="json").status_code == 404
    assert api.put(url, {"weekly": None}, format="json").status_code == 404
    assert not WorkingHours.objects.exists()


def test_technician_working_hours_read_in_the_organizations_zone(admin_api, other_technician):
    other_technician.sales_organization.time_zone = "Europe/Amsterdam"
    other_technician.sales_organization.save()
    body = admin_api.get(f"/api/v1/technicians/{other_technician.pk}/working-hours").json()
    assert body["time_zone"] == "Europe/Amsterdam"
