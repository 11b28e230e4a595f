"""Calendars in the admin: a technician's working hours and absences inline, an organization's
default working hours and time zone, public holidays by year."""

import json
from datetime import UTC, date, datetime

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from jobsite.calendars import DEFAULT_WEEKLY
from jobsite.models import Absence, Address, Holiday, SalesOrganization, WorkingHours
from tests.factories import make_holiday, make_working_hours

pytestmark = pytest.mark.django_db

PART_TIME = [{"weekday": 2, "start": "08:00", "end": "12:00"}]


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def planner_client(planner):
    planner.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="jobsite",
            content_type__model__in=[
                "user",
                "salesorganization",
                "holiday",
                "workinghours",
                "absence",
            ],
        )
    )
    return _login(planner)


def served(client, url) -> dict:
    """What a browser posts back from the change form at `url`, inlines included."""
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None or value is False or field.disabled:
                continue
            if isinstance(value, datetime):
                data[f"{form.add_prefix(name)}_0"] = f"{value:%Y-%m-%d}"
                data[f"{form.add_prefix(name)}_1"] = f"{value:%H:%M:%S}"
                continue
            data[form.add_prefix(name)] = value
    data["_save"] = "1"
    return data


def _prefix(client, url, model) -> str:
    response = client.get(url)
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.model is model:
            return inline.formset.prefix
    raise AssertionError(f"no {model.__name__} inline on {url}")


def _add_inline_row(data: dict, prefix: str, values: dict) -> dict:
    n = int(data[f"{prefix}-TOTAL_FORMS"])
    data[f"{prefix}-TOTAL_FORMS"] = str(n + 1)
    data.update({f"{prefix}-{n}-{k}": v for k, v in values.items()})
    return data


def _errors(response) -> str:
    assert response.status_code == 200, "saved although it should not have"
    return str(response.context["errors"]) + "".join(
        str(inline.formset.errors) + str(inline.formset.non_form_errors())
        for inline in response.context["inline_admin_formsets"]
    )


def test_a_technician_page_edits_working_hours_and_absences(planner_client, technician):
    url = f"/admin/jobsite/user/{technician.pk}/change/"
    page = planner_client.get(url).content.decode()
    assert "Own working hours" in page and "weekday 1 is Monday" in page
    assert "working hours apply" in page
    data = served(planner_client, url)
    hours = _prefix(planner_client, url, WorkingHours)
    absences = _prefix(planner_client, url, Absence)
    _add_inline_row(data, hours, {"weekly": json.dumps(PART_TIME), "exceptions": "[]"})
    _add_inline_row(
        data,
        absences,
        {
            "start_0": "2027-01-04",
            "start_1": "08:00:00",
            "end_0": "2027-01-08",
            "end_1": "17:00:00",
            "kind": "training",
        },
    )
    response = planner_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    own = WorkingHours.objects.get(technician=technician)
    assert own.weekly == PART_TIME and own.sales_organization_id == technician.sales_organization_id
    absence = Absence.objects.get(technician=technician)
    assert absence.kind == "training"
    assert absence.start == datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def test_the_admin_refuses_a_bad_pattern_and_a_backwards_absence(planner_client, technician):
    url = f"/admin/jobsite/user/{technician.pk}/change/"
    data = served(planner_client, url)
    hours = _prefix(planner_client, url, WorkingHours)
    overlapping = [*PART_TIME, {"weekday": 2, "start": "11:00", "end": "13:00"}]
    _add_inline_row(data, hours, {"weekly": json.dumps(overlapping), "exceptions": "[]"})
    errors = _errors(planner_client.post(url, data))
    assert "weekly[1]" in errors and "Overlaps" in errors
    data = served(planner_client, url)
    _add_inline_row(
        data,
        _prefix(planner_client, url, Absence),
        {"start_0": "2027-01-04", "start_1": "08:00", "end_0": "2027-01-03", "end_1": "08:00"},
    )
    errors = _errors(planner_client.post(url, data))
    assert "The end must be after the start." in errors
    assert not WorkingHours.objects.exists() and not Absence.objects.exists()


def test_deleting_the_own_pattern_inherits_again(planner_client, technician):
    make_working_hours(technician=technician, weekly=PART_TIME)
    url = f"/admin/jobsite/user/{technician.pk}/change/"
    data = served(planner_client, url)
    data[f"{_prefix(planner_client, url, WorkingHours)}-0-DELETE"] = "on"
    response = planner_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    assert not WorkingHours.objects.filter(technician=technician).exists()


def test_users_who_are_no_technicians_have_no_calendar(planner_client, planner):
    response = planner_client.get(f"/admin/jobsite/user/{planner.pk}/change/")
    assert response.context["inline_admin_formsets"] == []


def test_the_organization_page_keeps_the_default_pattern(planner_client, sales_org, technician):
    make_working_hours(technician=technician, weekly=PART_TIME)  # not the default: not shown
    url = f"/admin/jobsite/salesorganization/{sales_org.pk}/change/"
    response = planner_client.get(url)
    inline = response.context["inline_admin_formsets"][0]
    assert inline.formset.queryset.count() == 0
    assert "time_zone" not in response.context["adminform"].form.fields  # read only here
    data = served(planner_client, url)
    christmas_eve = [{"date": "2027-12-24", "intervals": [{"start": "08:00", "end": "12:00"}]}]
    _add_inline_row(
        data,
        inline.formset.prefix,
        {"weekly": json.dumps(DEFAULT_WEEKLY), "exceptions": json.dumps(christmas_eve)},
    )
    response = planner_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    default = WorkingHours.objects.get(sales_organization=sales_org, technician=None)
    assert default.exceptions[0]["date"] == "2027-12-24"
    assert WorkingHours.objects.get(technician=technician).weekly == PART_TIME


def test_superusers_change_the_time_zone_in_the_admin(superuser, sales_org):
    client = _login(superuser)
    url = f"/admin/jobsite/salesorganization/{sales_org.pk}/change/"
    data = served(client, url)
    data["time_zone"] = "Mars/Olympus"
    assert "time_zone" in str(_errors(client.post(url, data)))
    data["time_zone"] = "Europe/Brussels"
    assert client.post(url, data).status_code == 302
    sales_org.refresh_from_db()
    assert sales_org.time_zone == "Europe/Brussels"
    listing = client.get("/admin/jobsite/salesorganization/").content.decode()
    assert "Europe/Brussels" in listing


def test_holidays_listed_by_year_and_loaded_by_an_action(planner_client, sales_org):
    make_holiday(sales_organization=sales_org, date=date(2026, 12, 25), name="Kerstmis 2026")
    response = planner_client.post(
        "/admin/jobsite/salesorganization/",
        {"action": "load_public_holidays", "_selected_action": [str(sales_org.pk)]},
        follow=True,
    )
    assert "public holidays added" in response.content.decode()
    assert Holiday.objects.filter(sales_organization=sales_org).count() > 20
    assert Holiday.objects.get(date=date(2026, 12, 25)).name == "Kerstmis 2026"  # kept
    listing = planner_client.get("/admin/jobsite/holiday/", {"year": "2026"})
    assert listing.status_code == 200
    shown = {h.date.year for h in listing.context["cl"].result_list}
    assert shown == {2026}
    assert "?year=2026" in listing.content.decode()


def test_a_holiday_added_in_the_admin_is_the_planners_organizations(planner_client, sales_org):
    response = planner_client.get("/admin/jobsite/holiday/add/")
    assert response.context["adminform"].form.initial["sales_organization"] == sales_org.pk
    data = {
        "sales_organization": str(sales_org.pk),
        "date": "2027-06-01",
        "name": "Company day",
        "_save": "1",
    }
    assert planner_client.post("/admin/jobsite/holiday/add/", data).status_code == 302
    again = planner_client.post("/admin/jobsite/holiday/add/", data)
    assert again.status_code == 200  # one holiday a date
    assert Holiday.objects.filter(date=date(2027, 6, 1)).count() == 1


def test_absences_have_a_list_of_their_own(planner_client, planner, technician, other_technician):
    response = planner_client.get("/admin/jobsite/absence/add/")
    choices = {str(pk) for pk, _ in response.context["adminform"].form.fields["technician"].choices}
    assert str(technician.pk) in choices
    assert str(planner.pk) not in choices and str(other_technician.pk) not in choices
    data = {
        "technician": str(technician.pk),
        "start_0": "2027-03-01",
        "start_1": "08:00:00",
        "end_0": "2027-03-01",
        "end_1": "07:00:00",
        "kind": "sick",
        "_save": "1",
    }
    response = planner_client.post("/admin/jobsite/absence/add/", data)
    assert "The end must be after the start." in _errors(response)
    data["end_1"] = "17:00:00"
    assert planner_client.post("/admin/jobsite/absence/add/", data).status_code == 302
    listing = planner_client.get("/admin/jobsite/absence/")
    assert [a.technician_id for a in listing.context["cl"].result_list] == [technician.pk]
    data["technician"] = str(other_technician.pk)
    refused = planner_client.post("/admin/jobsite/absence/add/", data)
    assert "technician" in str(refused.context["errors"])
    assert Absence.objects.count() == 1


def test_a_technicians_base_address_stays_in_their_organization(superuser, technician, address):
    elsewhere = SalesOrganization.objects.create(code="NL09", name="NL")
    other = Address.objects.create(street="Far", city="Utrecht", sales_organization=elsewhere)
    client = _login(superuser)
    url = f"/admin/jobsite/user/{technician.pk}/change/"
    data = served(client, url)
    data["base_address"] = str(address.pk)
    assert client.post(url, data).status_code == 302
    technician.refresh_from_db()
    assert technician.base_address_id == address.pk
    data["base_address"] = str(other.pk)
    assert "another sales organization" in _errors(client.post(url, data))
