"""Companies, contacts, skills (read and write) and users (read only), tenant by tenant."""

import pytest

from jobsite.models import Company, Contact, Skill

pytestmark = pytest.mark.django_db


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_companies_crud_in_the_own_sales_organization(api, sales_org):
    response = api.post("/api/v1/companies", {"code": "NEW", "name": "Newco"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sales_organization_code"] == "BE01" and body["id2"] >= 1
    url = f"/api/v1/companies/{body['id']}"
    assert api.patch(url, {"name": "Newco NV"}, format="json").json()["name"] == "Newco NV"
    assert api.put(url + "/", {"code": "NEW", "name": "Newco BV"}, format="json").status_code == 200
    assert api.get(url).json()["name"] == "Newco BV"
    assert api.delete(url).status_code == 204
    assert not Company.objects.filter(code="NEW").exists()


def test_company_with_explicit_id2_moves_the_sequence(api):
    response = api.post("/api/v1/companies", {"code": "A", "name": "A", "id2": 500}, format="json")
    assert response.json()["id2"] == 500
    assert (
        api.post("/api/v1/companies", {"code": "B", "name": "B"}, format="json").json()["id2"] > 500
    )
    taken = api.post("/api/v1/companies", {"code": "C", "name": "C", "id2": 500}, format="json")
    assert taken.status_code == 400 and "id2" in taken.json()


def test_company_code_unique_per_sales_organization(api, company):
    response = api.post("/api/v1/companies", {"code": "acme", "name": "Dup"}, format="json")
    assert response.status_code == 400
    assert "code" in response.json()


def test_company_bad_input_names_the_field(api):
    response = api.post("/api/v1/companies", {"code": "X" * 51, "name": "x"}, format="json")
    assert response.status_code == 400 and "code" in response.json()
    response = api.post("/api/v1/companies", {"name": "no code"}, format="json")
    assert response.status_code == 400 and "code" in response.json()


def test_tenancy_another_tenants_rows_are_404_and_invisible(api, other_api, company, other_company):
    assert [c["code"] for c in results(api.get("/api/v1/companies"))] == ["ACME"]
    assert [c["code"] for c in results(other_api.get("/api/v1/companies"))] == ["OTHER"]
    url = f"/api/v1/companies/{other_company.pk}"
    assert api.get(url).status_code == 404
    assert api.patch(url, {"name": "mine"}, format="json").status_code == 404
    assert api.delete(url).status_code == 404
    other_company.refresh_from_db()
    assert other_company.name == "Other"


def test_superusers_see_every_tenant(admin_api, company, other_company, sales_org):
    assert {c["code"] for c in results(admin_api.get("/api/v1/companies"))} == {"ACME", "OTHER"}
    response = admin_api.post("/api/v1/companies", {"code": "S", "name": "S"}, format="json")
    assert response.status_code == 400 and "sales_organization_id" in response.json()
    body = {"code": "S", "name": "S", "sales_organization_id": str(sales_org.pk)}
    assert admin_api.post("/api/v1/companies", body, format="json").status_code == 201


def test_a_planner_cannot_write_into_another_sales_organization(api, other_sales_org):
    body = {"code": "S", "name": "S", "sales_organization_id": str(other_sales_org.pk)}
    response = api.post("/api/v1/companies", body, format="json")
    assert response.status_code == 400 and "sales_organization_id" in response.json()


def test_company_filters_and_ordering(api, sales_org, company):
    Company.objects.create(code="BETA", name="Beta", sales_organization=sales_org)
    assert [c["code"] for c in results(api.get("/api/v1/companies?ordering=-name"))] == [
        "BETA",
        "ACME",
    ]
    assert [c["code"] for c in results(api.get("/api/v1/companies?code=beta"))] == ["BETA"]
    assert [c["code"] for c in results(api.get(f"/api/v1/companies?id2={company.id2}"))] == ["ACME"]
    assert [c["code"] for c in results(api.get("/api/v1/companies?search=acm"))] == ["ACME"]


def test_contacts_belong_to_visible_companies(api, other_api, company, other_company):
    body = {"company_id": str(company.pk), "first_name": "Ann", "last_name": "Smith"}
    response = api.post("/api/v1/contacts", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["company_code"] == "ACME"
    contact = response.json()["id"]
    assert other_api.get(f"/api/v1/contacts/{contact}").status_code == 404
    assert results(other_api.get("/api/v1/contacts")) == []
    body["company_id"] = str(other_company.pk)
    response = api.post("/api/v1/contacts", body, format="json")
    assert response.status_code == 400 and "company_id" in response.json()
    assert [c["last_name"] for c in results(api.get("/api/v1/contacts?last_name=smi"))] == ["Smith"]
    assert results(api.get(f"/api/v1/contacts?company={other_company.pk}")) == []
    assert api.delete(f"/api/v1/contacts/{contact}").status_code == 204
    assert not Contact.objects.exists()


def test_skills_crud_and_tenancy(api, other_api, skill):
    assert [s["code"] for s in results(api.get("/api/v1/skills"))] == ["ELEC"]
    assert results(other_api.get("/api/v1/skills")) == []
    response = other_api.post(
        "/api/v1/skills", {"code": "ELEC", "name": "Elektriciteit"}, format="json"
    )
    assert response.status_code == 201, "codes are unique per sales organization only"
    dup = api.post("/api/v1/skills", {"code": "elec", "name": "dup"}, format="json")
    assert dup.status_code == 400 and "code" in dup.json()
    assert (
        other_api.patch(f"/api/v1/skills/{skill.pk}", {"name": "x"}, format="json").status_code
        == 404
    )
    assert (
        api.patch(f"/api/v1/skills/{skill.pk}", {"name": "Electricity"}, format="json").status_code
        == 200
    )
    assert Skill.objects.get(pk=skill.pk).name == "Electricity"


def test_users_are_read_only_and_scoped(api, other_api, planner, technician, other_planner):
    users = results(api.get("/api/v1/users?ordering=username"))
    assert [u["username"] for u in users] == ["planner", "tech1"]
    assert "password" not in users[0]
    assert [u["username"] for u in results(api.get("/api/v1/users?is_technician=true"))] == [
        "tech1"
    ]
    assert [u["username"] for u in results(api.get("/api/v1/users?skill=elec"))] == ["tech1"]
    tech = api.get(f"/api/v1/users/{technician.pk}").json()
    assert tech["skills"] == ["ELEC"] and tech["code"] == "T01"
    assert other_api.get(f"/api/v1/users/{technician.pk}").status_code == 404
    assert api.post("/api/v1/users", {"username": "x"}, format="json").status_code == 405
    assert (
        api.patch(f"/api/v1/users/{technician.pk}", {"code": "x"}, format="json").status_code == 405
    )
    assert api.delete(f"/api/v1/users/{technician.pk}").status_code == 405


def test_pagination(api, sales_org):
    Company.objects.bulk_create(
        [
            Company(code=f"C{i}", name=f"C{i:02}", id2=1000 + i, sales_organization=sales_org)
            for i in range(12)
        ]
    )
    page = api.get("/api/v1/companies?page_size=5&page=3").json()
    assert page["count"] == 12 and len(page["results"]) == 2 and page["next"] is None


def test_empty_back_office_references_never_collide(api, company):
    for name in ("Ann", "Bob"):
        body = {"company_id": str(company.pk), "last_name": name, "reference_back_office": ""}
        assert api.post("/api/v1/contacts", body, format="json").status_code == 201
    assert set(Contact.objects.values_list("reference_back_office", flat=True)) == {None}
