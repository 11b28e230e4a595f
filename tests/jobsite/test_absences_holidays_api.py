"""Absences and public holidays over the API, and the `load_holidays` command."""

from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from jobsite.models import Absence, Country, Holiday, SalesOrganization
from tests.factories import make_absence, make_holiday

pytestmark = pytest.mark.django_db

MONDAY = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- absences -----------------------------------------------------------------------------------


def test_absence_crud_by_id_and_by_code(api, technician, technician2):
    body = {
        "technician_id": str(technician.pk),
        "start": "2027-01-04T08:00:00+01:00",
        "end": "2027-01-06T17:00:00+01:00",
        "kind": "training",
        "note": "Heat pumps",
    }
    response = api.post("/api/v1/absences", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["technician_id"] == str(technician.pk)
    assert created["technician_code"] == "T01"
    assert created["start"] == "2027-01-04T07:00:00Z"  # answered in UTC
    assert created["kind"] == "training"
    url = f"/api/v1/absences/{created['id']}"
    response = api.patch(url, {"technician_code": "t02", "kind": "sick"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["technician_id"] == str(technician2.pk)
    assert api.get(url + "/").json()["kind"] == "sick"
    assert api.delete(url).status_code == 204
    assert not Absence.objects.exists()


def test_absence_filters_by_technician_and_overlap(api, technician, technician2):
    make_absence(technician=technician, start=MONDAY, end=datetime(2027, 1, 5, tzinfo=UTC))
    later = make_absence(
        technician=technician2,
        start=datetime(2027, 2, 1, tzinfo=UTC),
        end=datetime(2027, 2, 3, tzinfo=UTC),
        kind="sick",
    )
    assert len(results(api.get("/api/v1/absences"))) == 2
    rows = results(api.get("/api/v1/absences", {"technician_id": str(technician2.pk)}))
    assert [r["id"] for r in rows] == [str(later.pk)]
    assert len(results(api.get("/api/v1/absences", {"technician_code": "t01"}))) == 1
    # Overlapping the range: ends after `from`, starts before `to`.
    window = {"from": "2027-02-02T00:00:00+00:00", "to": "2027-03-01"}
    assert [r["id"] for r in results(api.get("/api/v1/absences", window))] == [str(later.pk)]
    assert results(api.get("/api/v1/absences", {"from": "2027-02-03T00:00:00Z"})) == []
    assert len(results(api.get("/api/v1/absences", {"to": "2027-01-04T08:00:01Z"}))) == 1
    assert results(api.get("/api/v1/absences", {"kind": "sick"}))[0]["id"] == str(later.pk)
    response = api.get("/api/v1/absences", {"from": "yesterday"})
    assert response.status_code == 400 and "from" in response.json()


@pytest.mark.parametrize(
    "change,field",
    [
        ({"end": "2027-01-04T07:00:00+00:00"}, "end"),
        ({"end": "2027-01-04T08:00:00+00:00"}, "end"),
        ({"kind": "holiday"}, "kind"),
        ({"start": "2027-02-30T08:00:00+00:00"}, "start"),
        ({"technician_id": None}, "technician_id"),
        ({"technician_code": "NOPE"}, "technician_code"),
        ({"note": "x" * 256}, "note"),
    ],
)
def test_bad_absences_are_a_400_naming_the_field(api, technician, change, field):
    body = {
        "technician_id": str(technician.pk),
        "start": "2027-01-04T08:00:00+00:00",
        "end": "2027-01-04T17:00:00+00:00",
        **change,
    }
    body = {k: v for k, v in body.items() if v is not None}
    response = api.post("/api/v1/absences", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not Absence.objects.exists()


def test_a_patch_ending_before_the_stored_start_is_refused(api, technician):
    absence = make_absence(
        technician=technician, start=MONDAY, end=datetime(2027, 1, 5, tzinfo=UTC)
    )
    url = f"/api/v1/absences/{absence.pk}"
    response = api.patch(url, {"end": "2027-01-03T00:00:00Z"}, format="json")
    assert response.status_code == 400 and "end" in response.json()
    absence.refresh_from_db()
    assert absence.end == datetime(2027, 1, 5, tzinfo=UTC)


def test_id_and_code_must_name_the_same_technician(api, technician, technician2):
    body = {
        "technician_id": str(technician.pk),
        "technician_code": "T02",
        "start": "2027-01-04T08:00:00Z",
        "end": "2027-01-04T09:00:00Z",
    }
    response = api.post("/api/v1/absences", body, format="json")
    assert response.status_code == 400 and "technician_code" in response.json()


def test_only_technicians_of_the_own_organization(api, other_technician, planner, technician):
    base = {"start": "2027-01-04T08:00:00Z", "end": "2027-01-04T09:00:00Z"}
    for key, value in (
        ("technician_id", str(other_technician.pk)),
        ("technician_id", str(planner.pk)),  # not a technician
        ("technician_code", "OT1"),
    ):
        response = api.post("/api/v1/absences", {**base, key: value}, format="json")
        assert response.status_code == 400 and key in response.json(), (key, response.content)
    theirs = make_absence(
        technician=other_technician, start=MONDAY, end=datetime(2027, 1, 5, tzinfo=UTC)
    )
    assert results(api.get("/api/v1/absences")) == []
    url = f"/api/v1/absences/{theirs.pk}"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"note": "mine"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    # Moving one's own absence onto their technician is refused as well.
    mine = make_absence(technician=technician, start=MONDAY, end=datetime(2027, 1, 5, tzinfo=UTC))
    response = api.patch(
        f"/api/v1/absences/{mine.pk}", {"technician_id": str(other_technician.pk)}, format="json"
    )
    assert response.status_code == 400
    assert Absence.objects.get(pk=mine.pk).technician_id == technician.pk


def test_superusers_write_any_organizations_absences(admin_api, other_technician):
    body = {
        "technician_id": str(other_technician.pk),
        "start": "2027-01-04T08:00:00Z",
        "end": "2027-01-04T09:00:00Z",
    }
    assert admin_api.post("/api/v1/absences", body, format="json").status_code == 201


# --- holidays -----------------------------------------------------------------------------------


def test_holiday_crud_in_the_own_organization(api, sales_org):
    response = api.post(
        "/api/v1/holidays", {"date": "2027-11-15", "name": "King's Feast"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sales_organization_id"] == str(sales_org.pk) and body["date"] == "2027-11-15"
    url = f"/api/v1/holidays/{body['id']}"
    assert api.patch(url, {"name": "Koningsdag"}, format="json").json()["name"] == "Koningsdag"
    duplicate = api.post("/api/v1/holidays", {"date": "2027-11-15", "name": "Twice"})
    assert duplicate.status_code == 400 and "date" in duplicate.json()
    assert api.delete(url).status_code == 204
    assert not Holiday.objects.exists()


def test_holidays_of_another_organization(api, admin_api, other_sales_org, sales_org):
    theirs = make_holiday(sales_organization=other_sales_org, date=date(2027, 4, 27))
    assert results(api.get("/api/v1/holidays")) == []
    url = f"/api/v1/holidays/{theirs.pk}"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"name": "x"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    body = {"date": "2027-05-05", "name": "x", "sales_organization_id": str(other_sales_org.pk)}
    response = api.post("/api/v1/holidays", body, format="json")
    assert response.status_code == 400 and "sales_organization_id" in response.json()
    response = admin_api.post("/api/v1/holidays", {"date": "2027-05-05", "name": "x"})
    assert response.status_code == 400 and "sales_organization_id" in response.json()
    assert admin_api.post("/api/v1/holidays", body, format="json").status_code == 201


def test_loading_belgian_holidays_then_editing_them(api, sales_org):
    response = api.post("/api/v1/holidays/load", {"year": 2027}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["year"] == 2027 and body["added"] == len(body["holidays"]) >= 10
    dates = {h["date"]: h for h in body["holidays"]}
    assert "2027-07-21" in dates  # Belgian National Day
    assert {"2027-01-01", "2027-03-29", "2027-11-11", "2027-12-25"} <= set(dates)
    national = dates["2027-07-21"]
    api.patch(f"/api/v1/holidays/{national['id']}", {"name": "Nationale feestdag"}, format="json")
    again = api.post("/api/v1/holidays/load/", {"year": 2027}, format="json").json()
    assert again["added"] == 0
    assert Holiday.objects.get(date=date(2027, 7, 21)).name == "Nationale feestdag"
    rows = results(api.get("/api/v1/holidays", {"year": 2027, "page_size": 100}))
    assert len(rows) == body["added"]
    rows = results(api.get("/api/v1/holidays", {"from": "2027-07-01", "to": "2027-07-31"}))
    assert [r["date"] for r in rows] == ["2027-07-21"]


def test_holidays_are_named_in_the_organizations_language(api, sales_org):
    sales_org.language = "fr"
    sales_org.save()
    api.post("/api/v1/holidays/load", {"year": 2027}, format="json")
    assert Holiday.objects.get(date=date(2027, 7, 21)).name == "Fête nationale"


def test_loading_holidays_refuses_what_it_cannot_do(api, admin_api, sales_org, other_sales_org):
    response = api.post("/api/v1/holidays/load", {"year": 1066}, format="json")
    assert response.status_code == 400 and "year" in response.json()
    body = {"year": 2027, "sales_organization_id": str(other_sales_org.pk)}
    response = api.post("/api/v1/holidays/load", body, format="json")
    assert response.status_code == 400 and "sales_organization_id" in response.json()
    response = admin_api.post("/api/v1/holidays/load", {"year": 2027}, format="json")
    assert response.status_code == 400 and "sales_organization_id" in response.json()
    sales_org.country = None
    sales_org.save()
    response = api.post("/api/v1/holidays/load", {"year": 2027}, format="json")
    assert response.status_code == 400 and "sales_organization" in response.json()
    sales_org.country = Country.objects.create(code="XX", name="Nowhere")
    sales_org.save()
    response = api.post("/api/v1/holidays/load", {"year": 2027}, format="json")
    assert response.status_code == 400 and "sales_organization" in response.json()
    assert not Holiday.objects.exists()


def test_superuser_loads_for_the_organization_named(admin_api, other_sales_org):
    body = {"year": 2028, "sales_organization_id": str(other_sales_org.pk)}
    response = admin_api.post("/api/v1/holidays/load", body, format="json")
    assert response.status_code == 200 and response.json()["added"] > 0
    assert set(Holiday.objects.values_list("sales_organization", flat=True)) == {other_sales_org.pk}


# --- the command --------------------------------------------------------------------------------


def test_load_holidays_command(sales_org, other_sales_org, capsys):
    call_command("load_holidays", "--year", "2027", "--sales-organization", "be01")
    assert "BE01:" in capsys.readouterr().out
    assert Holiday.objects.filter(sales_organization=sales_org, date=date(2027, 7, 21)).exists()
    assert not Holiday.objects.filter(sales_organization=other_sales_org).exists()
    call_command("load_holidays", "--year", "2027")
    out = capsys.readouterr().out
    assert "BE01: 0 public holidays added" in out and "NL01:" in out
    with pytest.raises(CommandError, match="No sales organization"):
        call_command("load_holidays", "--sales-organization", "NOPE")
    with pytest.raises(CommandError, match="year"):
        call_command("load_holidays", "--year", "3000", "--sales-organization", "BE01")


def test_load_holidays_command_skips_an_organization_without_country(sales_org, capsys):
    SalesOrganization.objects.create(code="ZZ01", name="Nowhere")
    call_command("load_holidays", "--year", "2027")
    captured = capsys.readouterr()
    assert "ZZ01" in captured.err and "BE01:" in captured.out
