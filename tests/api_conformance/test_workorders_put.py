"""PUT /api/v1/workorders/{id} with the body of seed 004."""

import json
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from workorders.models import JobPlanning, WorkOrder

from ..factories import seed_sample
from ..factories import work_order_url as url

pytestmark = pytest.mark.django_db

SEED_TOP_LEVEL = [k for k in seed_sample() if not isinstance(seed_sample()[k], dict)]


def put(api, pk, body, **extra):
    return api.put(url(pk), body, format="json", **extra)


def test_seed_body_creates_then_second_put_changes_nothing(api, seed, planner, project):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    created = put(api, pk, body)
    assert created.status_code == 201, created.json()
    data = created.json()
    # Every top-level field of the seed, flat x_id / x_code pairs, system fields filled.
    assert set(SEED_TOP_LEVEL) <= set(data)
    assert data["id"] == pk
    assert data["id2"] > 0
    assert data["company_id"] == str(project.company_id)
    assert data["company_code"] == "ACME"
    assert data["job_status_code"] == "Suggested"  # returned as stored
    assert data["job_type_code"] == "Unknown"
    assert data["date_create"] and data["date_update"] and data["modified_dateutc"]
    assert data["date_closed"] is None
    assert data["due_date"] == "2025-10-08T18:26:51.348558+00:00"
    assert data["db_address_latitude_decimal"] == 49.0
    assert created["X-Tx-ID"]
    assert JobPlanning.objects.filter(work_order_id=pk, made_by_rule=True).count() == 1
    assert api.get(url(pk)).json() == data, "the answer is what a read returns"

    with CaptureQueriesContext(connection) as queries:
        again = put(api, pk, body)
    assert again.status_code == 200
    assert again.json()["modified_dateutc"] == data["modified_dateutc"]
    writes = [q for q in queries if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
    assert writes == []
    assert JobPlanning.objects.filter(work_order_id=pk).count() == 1


def test_changed_suggested_user_or_start_moves_the_planning(api, seed, technician2):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    assert put(api, pk, body).status_code == 201
    moved = {**body, "suggested_user_code": "t02", "suggested_user_id": str(technician2.pk)}
    moved["suggested_user"] = {"id": str(technician2.pk), "code": "T02", "username": "tech2"}
    response = put(api, pk, moved)
    assert response.status_code == 200, response.json()
    (planning,) = JobPlanning.objects.filter(work_order_id=pk)
    assert planning.user == technician2
    later = {**moved, "suggested_date_start": "2026-01-05T08:00:00.1234567+01:00"}
    assert put(api, pk, later).status_code == 200
    (planning,) = JobPlanning.objects.filter(work_order_id=pk)
    assert planning.date_start.isoformat() == "2026-01-05T07:00:00.123456+00:00"
    assert planning.date_end - planning.date_start == timedelta(minutes=22)  # estimated_time


def test_completion_fills_date_closed_and_system_fields_are_ignored(api, seed, statuses):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    put(api, pk, body)
    done = {**body, "job_status_code": "Completed", "job_status_id": str(statuses["Completed"].pk)}
    done.update(
        company_id=str(uuid.uuid4()),
        company_code="NOT-MINE",
        id2=999999,
        modified_dateutc="2000-01-01T00:00:00+00:00",
        date_create="2000-01-01",
        not_a_seed_field={"anything": 1},
    )
    response = put(api, pk, done)
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["date_closed"] is not None
    assert data["company_code"] == "ACME"
    assert data["id2"] != 999999
    assert not data["date_create"].startswith("2000")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "x" * 256}, "name"),
        ({"name": ""}, "name"),
        ({"description": "x" * 4001}, "description"),
        ({"reference_back_office": "x" * 51}, "reference_back_office"),
        ({"customer_reference": "x" * 51}, "customer_reference"),
        ({"db_address_street": "x" * 51}, "db_address_street"),
        ({"db_address_email": "x" * 251}, "db_address_email"),
        ({"estimated_time": "soon"}, "estimated_time"),
        ({"estimated_time": True}, "estimated_time"),
        ({"working_sequence": 1.5}, "working_sequence"),
        ({"name": 12}, "name"),
        ({"due_date": "tomorrow"}, "due_date"),
        ({"due_date": "2025-13-45T00:00:00+00:00"}, "due_date"),
        ({"suggested_date_start": 20251008}, "suggested_date_start"),
        ({"db_address_latitude_decimal": 91}, "db_address_latitude_decimal"),
        ({"job_type_code": "NOPE", "job_type": None, "job_type_id": None}, "job_type_code"),
        ({"job_type_id": str(uuid.uuid4())}, "job_type_id"),
        ({"job_type_id": "not-a-uuid"}, "job_type_id"),
        ({"job_status_code": "Nope", "job_status_id": None}, "job_status_code"),
        ({"skill_code": "NOPE"}, "skill_code"),
        ({"suggested_user_code": "NOPE"}, "suggested_user_code"),
        ({"project_reference_back_office": "PRJ-NOPE"}, "project_reference_back_office"),
        ({"project": "PRJ-1"}, "project"),
        ({"job_priority": {"id": "bad"}}, "job_priority.id"),
        ({"db_address_id": str(uuid.uuid4())}, "db_address_id"),
        ({"db_address_db_country_code": "ZZ"}, "db_address_db_country_code"),
        ({"_parent_id": str(uuid.uuid4())}, "_parent_id"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(api, seed, change, field):
    pk = str(uuid.uuid4())
    response = put(api, pk, {**seed(id=pk), **change})
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert not WorkOrder.objects.exists()
    assert not JobPlanning.objects.exists()


def test_disagreeing_identifiers_name_the_field(api, seed, statuses, job_type):
    pk = str(uuid.uuid4())
    body = seed(id=pk, job_status_code="Canceled")
    response = put(api, pk, body)
    assert response.status_code == 400
    assert "job_status_code" in response.json()
    body = seed(id=pk)
    body["job_type"] = {**body["job_type"], "id": str(uuid.uuid4()), "code": "OTHER"}
    response = put(api, pk, body)
    assert "job_type_id" in response.json()


def test_malformed_json_and_non_object_bodies_are_400(api):
    pk = str(uuid.uuid4())
    response = api.put(url(pk), data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    response = api.put(url(pk), data=json.dumps([1, 2]), content_type="application/json")
    assert response.status_code == 400
    assert "non_field_errors" in response.json()


def test_body_id_must_equal_url_id(api, seed):
    response = put(api, uuid.uuid4(), seed(id=str(uuid.uuid4())))
    assert response.status_code == 400
    assert list(response.json()) == ["id"]


def test_required_groups_on_create(api, seed):
    pk = str(uuid.uuid4())
    body = seed(id=pk)
    for key in (
        "project",
        "project_id",
        "project_reference_back_office",
        "job_status_id",
        "job_status_code",
    ):
        body.pop(key)
    response = put(api, pk, body)
    assert response.status_code == 400
    assert {"project_id", "job_status_id"} <= set(response.json())


def test_minimal_body_by_codes_only(api, project):
    pk = str(uuid.uuid4())
    response = put(
        api,
        pk,
        {
            "name": "Fix",
            "project_reference_back_office": "PRJ-1",
            "job_type_code": "unknown",
            "job_status_code": "TOBEPLANNED",
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["job_status_code"] == "ToBePlanned"


def test_reference_back_office_is_unique(api, seed):
    first = seed(reference_back_office="ERP-1")
    assert put(api, uuid.uuid4(), first).status_code == 201
    response = put(api, uuid.uuid4(), seed(reference_back_office="ERP-1"))
    assert response.status_code == 400
    assert "reference_back_office" in response.json()


def test_mobile_installation_needs_street_city_zip(api, seed, project):
    project.is_mobile_installation = True
    project.save()
    pk = uuid.uuid4()
    body = seed(db_address_street="", db_address_city=None)
    body.pop("db_address_zip")
    response = put(api, pk, body)
    assert response.status_code == 400
    assert {"db_address_street", "db_address_city", "db_address_zip"} <= set(response.json())
    ok = seed(db_address_street="Main", db_address_city="Gent", db_address_zip="9000")
    assert put(api, pk, ok).status_code == 201


def test_db_address_must_be_the_projects(api, seed, project, address):
    response = put(api, uuid.uuid4(), seed(db_address_id=str(address.pk)))
    assert response.status_code == 201, response.json()
    assert response.json()["db_address_id"] == str(address.pk)


def test_seven_fractional_digits_and_offsets_parse(api, seed):
    pk = uuid.uuid4()
    body = seed(
        due_date="2025-10-08T18:26:51.3485589+02:00",
        earliest_date_plannable="2025-10-08T00:00:00+00:00",
    )
    response = put(api, pk, body)
    assert response.status_code == 201
    assert response.json()["due_date"] == "2025-10-08T16:26:51.348558+00:00"


def test_embedded_project_upserts_nested_references(api, seed, company, planner):
    from workorders.models import EquipmentBrand, EquipmentModel, Project

    body = seed()
    for key in ("project_id", "project_reference_back_office"):
        body.pop(key)
    body["project"] = {
        "name": "New heat pump",
        "reference_back_office": "PRJ-NEW",
        "company_code": "acme",
        "equipment_model": {
            "code": "HP-9",
            "name": "Heat pump 9",
            "equipment_brand": {
                "code": "DAIKIN",
                "name": "Daikin",
                "sales_organization_code": "be01",
            },
        },
    }
    response = put(api, uuid.uuid4(), body)
    assert response.status_code == 201, response.json()
    project = Project.objects.get(reference_back_office="PRJ-NEW")
    assert project.company == company
    assert project.sales_organization_id == planner.sales_organization_id
    model = EquipmentModel.objects.get(code="HP-9")
    assert project.equipment_model == model
    assert model.equipment_brand == EquipmentBrand.objects.get(code="DAIKIN")
    # Same again: matched, nothing new.
    again = put(api, uuid.uuid4(), {**body, "reference_back_office": "ERP-OTHER"})
    assert again.status_code == 201
    assert Project.objects.filter(reference_back_office="PRJ-NEW").count() == 1
    assert EquipmentModel.objects.count() == 1
    # A code beside the embedded object must name the same record.
    body["project"]["equipment_model"]["equipment_brand_code"] = "BOSCH"
    bad = put(api, uuid.uuid4(), {**body, "reference_back_office": "ERP-3"})
    assert bad.status_code == 400
    assert "project.equipment_model.equipment_brand_code" in bad.json()
    body["project"]["equipment_model"] = {"code": "x" * 51, "name": "Too long"}
    bad = put(api, uuid.uuid4(), {**body, "reference_back_office": "ERP-4"})
    assert "project.equipment_model.code" in bad.json()


def test_patch_changes_only_what_it_names(api, seed):
    pk = str(uuid.uuid4())
    put(api, pk, seed(id=pk, customer_reference="C-1"))
    response = api.patch(url(pk), {"name": "Renamed"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "Renamed"
    assert response.json()["customer_reference"] == "C-1"
    assert api.patch(url(uuid.uuid4()), {"name": "x"}, format="json").status_code == 404


def test_post_creates_and_delete_removes(api, seed):
    response = api.post("/api/v1/workorders", seed(), format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    again = api.post("/api/v1/workorders", {**seed(), "id": pk}, format="json")
    assert again.status_code == 400
    assert "id" in again.json()
    assert api.delete(url(pk)).status_code == 204
    assert api.get(url(pk)).status_code == 404


def test_unauthenticated_is_401_json(client, seed):
    for method in ("get", "put", "patch", "delete"):
        response = getattr(client, method)(url(uuid.uuid4()), content_type="application/json")
        assert response.status_code == 401
        assert response.json()["detail"]
    assert client.get("/api/v1/workorders").status_code == 401


def test_paths_answer_with_and_without_trailing_slash(api, seed):
    pk = str(uuid.uuid4())
    assert api.put(url(pk) + "/", seed(id=pk), format="json").status_code == 201
    assert api.get(url(pk) + "/").status_code == 200


def test_text_json_is_accepted_and_forms_are_not(api, seed):
    pk = str(uuid.uuid4())
    response = api.put(url(pk), data=json.dumps(seed(id=pk)), content_type="text/json")
    assert response.status_code == 201, response.content
    response = api.put(url(pk), data="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_batch_of_one_failing_on_a_race_writes_nothing(api, seed, planner, monkeypatch):
    """An IntegrityError from a concurrent writer is a 400 naming the field, not a 500."""
    from django.db import IntegrityError

    from workorders import upsert

    def collide(*args, **kwargs):
        raise IntegrityError('duplicate key value violates "reference_back_office"')

    monkeypatch.setattr(upsert.WorkOrder.objects, "bulk_create", collide)
    response = put(api, uuid.uuid4(), seed())
    assert response.status_code == 400
    assert "reference_back_office" in response.json()
    assert not JobPlanning.objects.exists()


def test_every_kind_of_reference_in_one_body(api, seed, country, address, company):
    """Kinds with and without a sales organization are read together in one query."""
    from jobsite.models import Contact

    contact = Contact.objects.create(company=company, last_name="Doe", reference_back_office="C1")
    pk = str(uuid.uuid4())
    body = seed(
        id=pk,
        db_address_db_country_code="be",
        db_address_id=str(address.pk),
        contact_id=str(contact.pk),
        requested_by_company_id=str(company.pk),
        requested_by_contact_id=str(contact.pk),
    )
    response = put(api, pk, body)
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["db_address_db_country_code"] == "BE"
    assert data["contact_id"] == str(contact.pk)
    assert api.get(url(pk)).json() == data
