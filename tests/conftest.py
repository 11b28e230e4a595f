"""Fixtures shared by every test folder: a small directory, users, and authenticated clients."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from jobs.models import JobPriority, JobStatus, JobType
from jobsite.models import Address, Company, Country, SalesOrganization, Skill, User
from jobsite.numbers import close_side_connections
from jobsite.ratelimit import forget_unsent
from jobsite.selectors import forget_all_tokens
from jobsite.services import issue_api_token

from .factories import make_project


def pytest_collection_modifyitems(config, items):
    """`postgres` tests need PostgreSQL; on SQLite they are skipped, not failed."""
    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test database, with the `id2` side connections (jobsite.numbers) closed
    before it is dropped: PostgreSQL refuses to drop a database someone is connected to."""
    yield
    close_side_connections()


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counts (failed logins, API requests) start from zero in every test, and no
    token is remembered from another test's database."""
    cache.clear()
    forget_unsent()
    forget_all_tokens()


@pytest.fixture
def is_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def country(db):
    return Country.objects.get_or_create(code="BE", defaults={"name": "Belgium"})[0]


@pytest.fixture
def sales_org(db, country):
    return SalesOrganization.objects.create(code="BE01", name="Belgium", country=country)


@pytest.fixture
def other_sales_org(db, country):
    return SalesOrganization.objects.create(code="NL01", name="Netherlands", country=country)


@pytest.fixture
def skill(sales_org):
    return Skill.objects.create(code="ELEC", name="Electrical", sales_organization=sales_org)


@pytest.fixture
def planner(sales_org):
    return User.objects.create_user(
        username="planner", password="pw-planner-1", sales_organization=sales_org, is_staff=True
    )


@pytest.fixture
def planners_group(db):
    """What the demo's planners may do: every model of the project's apps."""
    group, _ = Group.objects.get_or_create(name="Planners")
    group.permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["jobsite", "jobs", "workorders", "apijobs"]
        )
    )
    return group


@pytest.fixture
def other_planner(other_sales_org):
    return User.objects.create_user(
        username="other", password="pw-other-1", sales_organization=other_sales_org, is_staff=True
    )


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="root", password="pw-root-1")


@pytest.fixture
def technician(sales_org, skill):
    user = User.objects.create_user(
        username="tech1",
        first_name="Tess",
        last_name="Tech",
        code="T01",
        sales_organization=sales_org,
        is_technician=True,
    )
    user.skills.add(skill)
    return user


@pytest.fixture
def technician2(sales_org):
    return User.objects.create_user(
        username="tech2", code="T02", sales_organization=sales_org, is_technician=True
    )


@pytest.fixture
def other_technician(other_sales_org):
    return User.objects.create_user(
        username="other.tech", code="OT1", sales_organization=other_sales_org, is_technician=True
    )


@pytest.fixture
def company(sales_org):
    return Company.objects.create(code="ACME", name="Acme", sales_organization=sales_org)


@pytest.fixture
def other_company(other_sales_org):
    return Company.objects.create(code="OTHER", name="Other", sales_organization=other_sales_org)


@pytest.fixture
def address(sales_org):
    return Address.objects.create(
        street="Main", street_number="1", city="Gent", zip="9000", sales_organization=sales_org
    )


@pytest.fixture
def project(company, address):
    return make_project(
        company=company, name="Boiler Gent", reference_back_office="PRJ-1", db_address=address
    )


@pytest.fixture
def other_project(other_company):
    return make_project(
        company=other_company, name="Other boiler", reference_back_office="PRJ-OTHER"
    )


@pytest.fixture
def twin_project(project, other_company):
    """The other organization's project, with the same reference back office as `project`."""
    return make_project(
        company=other_company,
        name="Their boiler",
        reference_back_office=project.reference_back_office,
    )


@pytest.fixture
def statuses(db):
    return {s.code: s for s in JobStatus.objects.all()}


@pytest.fixture
def job_type(db):
    return JobType.objects.get(code="Unknown")


@pytest.fixture
def priority(db):
    return JobPriority.objects.get(code="Normal")


def _client_for(user):
    client = APIClient()
    raw, _ = issue_api_token(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.raw_token = raw
    return client


@pytest.fixture
def api(planner):
    """An API client authenticated as the planner of sales organization BE01."""
    return _client_for(planner)


@pytest.fixture
def other_api(other_planner):
    return _client_for(other_planner)


@pytest.fixture
def admin_api(superuser):
    return _client_for(superuser)
