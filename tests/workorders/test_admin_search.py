"""The work order and project lists' search finds people and places: a company's name, a
technician's name, the site's city, a reference by its start (on SQLite and PostgreSQL)."""

import pytest

from jobsite.models import Address, Company
from workorders.admin.paging import PlannerPaginator
from workorders.models import Project

from ..factories import make_project

LIST = "/admin/workorders/workorder/"
PROJECTS = "/admin/workorders/project/"


@pytest.fixture
def found(planner_client):
    def found(term, url=LIST):
        response = planner_client.get(url, {"q": term})
        assert response.status_code == 200
        return {row.pk for row in response.context["cl"].result_list}

    return found


@pytest.fixture
def scene(sales_org, project, make_wo, technician):
    janssens = Company.objects.create(code="JNS", name="Janssens NV", sales_organization=sales_org)
    leuven = Address.objects.create(
        street="Naamsestraat", city="Leuven", zip="3000", sales_organization=sales_org
    )
    their_project = make_project(
        company=janssens, name="Heat pump", reference_back_office="PRJ-77", db_address=leuven
    )
    technician.first_name, technician.last_name = "Kobe", "Peeters"
    technician.save()
    return {
        "company": make_wo(their_project, name="Yearly visit", reference_back_office="NC-IMP-1"),
        "technician": make_wo(
            project, name="Descaling", suggested_user=technician, customer_reference="PO-4711"
        ),
        "site": make_wo(project, name="Repair", db_address_city="Mechelen"),
        "plain": make_wo(project, name="Leak", reference_back_office="XNC-IMP"),
    }


def test_a_company_name_finds_its_work_orders(scene, found):
    assert found("Janssens") == {scene["company"].pk}
    assert found("janss") == {scene["company"].pk}


def test_a_technicians_name_finds_the_work_orders_suggested_to_them(scene, found):
    assert found("Kobe") == {scene["technician"].pk}
    assert found("kobe peeters") == {scene["technician"].pk}
    assert found("T01") == {scene["technician"].pk}  # the technician's code


def test_the_sites_city_finds_work_orders_at_it(scene, found):
    assert found("Mechelen") == {scene["site"].pk}  # the work order's own site address
    assert found("leuven") == {scene["company"].pk}  # its project's address


def test_references_match_from_their_start(scene, found):
    assert found("NC-IMP") == {scene["company"].pk}  # not XNC-IMP: a prefix, not a substring
    assert found("nc-imp-1") == {scene["company"].pk}
    assert found("PO-47") == {scene["technician"].pk}
    assert found("PRJ-77") == {scene["company"].pk}  # the project's reference


def test_words_must_all_match_and_numbers_stay_numbers(scene, found):
    assert found("Janssens Leuven") == {scene["company"].pk}
    assert found("Janssens Mechelen") == set()
    assert found(str(scene["plain"].id2)) == {scene["plain"].pk}


def test_search_never_reaches_another_organization(scene, found, other_company, make_wo):
    other_company.name = "Janssens BV"
    other_company.save()
    their = make_project(company=other_company, name="Their boiler")
    make_wo(their, name="Theirs", reference_back_office="NC-IMP-2")
    assert found("Janssens") == {scene["company"].pk}
    assert found("NC-IMP") == {scene["company"].pk}


def test_projects_search_company_city_and_reference_prefix(scene, found, project):
    their_project = Project.objects.get(reference_back_office="PRJ-77")
    assert found("Janssens", PROJECTS) == {their_project.pk}
    assert found("Leuven", PROJECTS) == {their_project.pk}
    assert found("prj-7", PROJECTS) == {their_project.pk}
    assert found("Boiler", PROJECTS) == {project.pk}


def test_a_search_counts_no_further_than_its_cap(planner_client, project, make_wo):
    for i in range(4):
        make_wo(project, name=f"Visit {i}")
    cap, PlannerPaginator.SEARCH_CAP = PlannerPaginator.SEARCH_CAP, 2
    try:
        response = planner_client.get(LIST, {"q": "Visit"})
    finally:
        PlannerPaginator.SEARCH_CAP = cap
    assert "more than 2 work orders" in response.content.decode()


@pytest.mark.parametrize("cap", [5_000, 2])
def test_a_superusers_city_search_finds_the_same_rows_in_every_organization(
    client,
    superuser,
    planner_client,
    sales_org,
    other_sales_org,
    project,
    other_project,
    make_wo,
    monkeypatch,
    cap,
):
    # The sites a word finds are handed to the projects' lookup as ids; past the cap (here 2
    # sites) the lookup reads them itself: the same rows either way.
    monkeypatch.setattr("workorders.search.MAX_RELATED_IDS", cap)
    here = Address.objects.create(street="A", city="Leuven", sales_organization=sales_org)
    there = Address.objects.create(street="B", city="Leuven", sales_organization=other_sales_org)
    ours = make_project(company=project.company, name="Heat pump", db_address=here)
    theirs = make_project(company=other_project.company, name="Chiller", db_address=there)
    at_ours = make_wo(ours, name="Yearly visit")
    expected = {
        at_ours.pk,
        make_wo(theirs, name="Yearly visit").pk,
        make_wo(other_project, name="Repair", db_address_city="Leuven").pk,
    }
    make_wo(project, name="Leak")
    client.force_login(superuser)
    response = client.get(LIST, {"q": "leuven"})
    assert {row.pk for row in response.context["cl"].result_list} == expected
    mine = planner_client.get(LIST, {"q": "leuven"}).context["cl"].result_list
    assert {row.pk for row in mine} == {at_ours.pk}


def test_a_found_rows_link_brings_the_search_back(scene, planner_client):
    response = planner_client.get(LIST, {"q": "Mechelen", "o": "1"})
    site = scene["site"]
    link = f'href="/admin/workorders/workorder/{site.pk}/change/?_changelist_filters='
    html = response.content.decode()
    assert link in html
    start = html.index(link) + len(link)
    assert html[start : html.index('"', start)] == "q%3DMechelen%26o%3D1"
