"""A user reads and writes only their sales organization's records; superusers see all."""

import uuid

import pytest

from jobsite.models import Address
from workorders.models import WorkOrder

from ..factories import work_order_url as url

pytestmark = pytest.mark.django_db


@pytest.fixture
def mine(api, seed):
    pk = str(uuid.uuid4())
    assert api.put(url(pk), seed(id=pk), format="json").status_code == 201
    return pk


def test_another_tenants_work_order_is_404_for_every_method(other_api, mine, seed):
    assert other_api.get(url(mine)).status_code == 404
    assert other_api.patch(url(mine), {"name": "x"}, format="json").status_code == 404
    assert other_api.delete(url(mine)).status_code == 404
    response = other_api.put(url(mine), {**seed(id=mine), "name": "Hijack"}, format="json")
    assert response.status_code == 404
    assert WorkOrder.objects.get(pk=mine).name != "Hijack"
    assert other_api.get("/api/v1/workorders").json()["count"] == 0


def test_referencing_another_tenants_project_is_a_400_naming_it(api, seed, other_project):
    body = seed()
    body.pop("project")
    body["project_id"] = str(other_project.pk)
    body["project_reference_back_office"] = other_project.reference_back_office
    response = api.put(url(uuid.uuid4()), body, format="json")
    assert response.status_code == 400
    assert "project_id" in response.json()
    assert not WorkOrder.objects.exists()


def test_referencing_another_tenants_user_is_a_400(api, seed, other_planner):
    body = seed()
    body.pop("suggested_user")
    body.pop("suggested_user_code")
    body["suggested_user_id"] = str(other_planner.pk)
    response = api.put(url(uuid.uuid4()), body, format="json")
    assert response.status_code == 400
    assert "suggested_user_id" in response.json()


def test_superuser_sees_and_writes_all(admin_api, mine):
    assert admin_api.get(url(mine)).status_code == 200
    response = admin_api.patch(url(mine), {"name": "By admin"}, format="json")
    assert response.status_code == 200
    assert admin_api.get("/api/v1/workorders").json()["count"] == 1


def test_db_address_other_than_the_projects_is_a_400(api, seed):
    other = Address.objects.create(street="Elsewhere", city="Brugge", zip="8000")
    response = api.put(url(uuid.uuid4()), seed(db_address_id=str(other.pk)), format="json")
    assert response.status_code == 400
    assert "db_address_id" in response.json()
