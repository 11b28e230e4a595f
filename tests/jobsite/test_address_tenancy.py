"""Addresses belong to a sales organization: filled from what refers to them, shown and
referred to only within it."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from jobsite.migration_helpers import claim_addresses
from jobsite.models import Address, Company

pytestmark = pytest.mark.django_db


def test_claim_gives_each_address_its_referrers_organization_and_copies_a_shared_one(
    sales_org, other_sales_org
):
    shared = Address.objects.create(street="Shared street", city="Gent")
    own = Address.objects.create(street="Own street", city="Gent")
    mine = Company.objects.create(code="A", name="A", sales_organization=sales_org, address=shared)
    also_mine = Company.objects.create(
        code="A2", name="A2", sales_organization=sales_org, address=own
    )
    theirs = Company.objects.create(
        code="B", name="B", sales_organization=other_sales_org, address=shared
    )
    unreferenced = Address.objects.create(street="Nobody's")

    claim_addresses(
        Address=Address, referrer=Company, address_field="address", org_field="sales_organization"
    )

    for company in (mine, also_mine, theirs):
        company.refresh_from_db()
        assert company.address.sales_organization_id == company.sales_organization_id
    assert mine.address_id != theirs.address_id  # one copy each
    assert mine.address.street == theirs.address.street == "Shared street"
    assert also_mine.address_id == own.pk
    unreferenced.refresh_from_db()
    assert unreferenced.sales_organization_id is None  # superusers only


@pytest.fixture
def planner_client(planner):
    planner.user_permissions.set(Permission.objects.filter(content_type__model="address"))
    client = Client()
    client.force_login(planner)
    return client


def test_a_planners_new_address_is_their_organizations(planner_client, planner):
    response = planner_client.post(
        "/admin/jobsite/address/add/", {"street": "Kouter", "city": "Gent", "_save": "1"}
    )
    assert response.status_code == 302, response.content[:500]
    assert Address.objects.get(street="Kouter").sales_organization == planner.sales_organization


def test_a_planner_cannot_file_an_address_under_another_organization(
    planner_client, other_sales_org
):
    response = planner_client.post(
        "/admin/jobsite/address/add/",
        {"street": "Kouter", "sales_organization": str(other_sales_org.pk), "_save": "1"},
    )
    assert response.status_code == 200  # the form again, with the choice refused
    assert not Address.objects.filter(street="Kouter").exists()


def test_a_company_refers_to_an_address_of_its_own_organization(api, sales_org, other_sales_org):
    own = Address.objects.create(street="Own", sales_organization=sales_org)
    theirs = Address.objects.create(street="Theirs", sales_organization=other_sales_org)
    ok = api.post(
        "/api/v1/companies", {"code": "X1", "name": "X", "address_id": str(own.pk)}, format="json"
    )
    assert ok.status_code == 201, ok.json()
    refused = api.post(
        "/api/v1/companies",
        {"code": "X2", "name": "X", "address_id": str(theirs.pk)},
        format="json",
    )
    assert refused.status_code == 400
    assert "address_id" in refused.json()


def test_a_superuser_cannot_file_a_company_at_another_organizations_address(
    admin_api, superuser, sales_org, other_sales_org
):
    theirs = Address.objects.create(street="Theirs", sales_organization=other_sales_org)
    unclaimed = Address.objects.create(street="Nobody's")
    body = {"code": "X1", "name": "X", "sales_organization_id": str(sales_org.pk)}
    refused = admin_api.post(
        "/api/v1/companies", {**body, "address_id": str(theirs.pk)}, format="json"
    )
    assert refused.status_code == 400
    assert "another sales organization" in refused.json()["address_id"][0]
    assert not Company.objects.filter(code="X1").exists()
    ok = admin_api.post(
        "/api/v1/companies", {**body, "address_id": str(unclaimed.pk)}, format="json"
    )
    assert ok.status_code == 201, ok.json()

    company = Company.objects.get(code="X1")
    client = Client()
    client.force_login(superuser)
    response = client.post(
        f"/admin/jobsite/company/{company.pk}/change/",
        {
            "code": "X1",
            "name": "X",
            "sales_organization": str(sales_org.pk),
            "address": str(theirs.pk),
            "_save": "1",
        },
    )
    assert response.status_code == 200
    assert "belongs to another sales organization" in response.text
    company.refresh_from_db()
    assert company.address_id == unclaimed.pk


def test_an_address_in_use_cannot_move_to_another_organization(
    superuser, sales_org, other_sales_org
):
    used = Address.objects.create(street="Used", sales_organization=sales_org)
    Company.objects.create(code="A", name="A", sales_organization=sales_org, address=used)
    free = Address.objects.create(street="Free", sales_organization=sales_org)
    client = Client()
    client.force_login(superuser)
    for address, moved in ((used, False), (free, True)):
        response = client.post(
            f"/admin/jobsite/address/{address.pk}/change/",
            {"street": address.street, "sales_organization": str(other_sales_org.pk)},
        )
        address.refresh_from_db()
        assert (address.sales_organization_id == other_sales_org.pk) is moved
        if not moved:
            assert "Companies of another sales organization refer to this address." in (
                response.text
            )
