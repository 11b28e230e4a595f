import pytest
from django.db import IntegrityError, transaction

from jobsite.models import Company, Skill, User

pytestmark = pytest.mark.django_db


def test_id2_is_an_auto_number_that_can_be_given_explicitly(sales_org):
    first = Company.objects.create(code="A", name="A", sales_organization=sales_org)
    second = Company.objects.create(code="B", name="B", sales_organization=sales_org)
    assert second.id2 == first.id2 + 1
    ahead = second.id2 + 1000
    explicit = Company.objects.create(code="C", name="C", sales_organization=sales_org, id2=ahead)
    assert explicit.id2 == ahead
    after = Company.objects.create(code="D", name="D", sales_organization=sales_org)
    assert after.id2 == ahead + 1, "an explicit id2 moves the sequence past it"


def test_id2_is_unique(sales_org):
    Company.objects.create(code="A", name="A", sales_organization=sales_org, id2=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(code="B", name="B", sales_organization=sales_org, id2=5)


def test_company_code_unique_per_sales_organization_ignoring_case(sales_org, other_sales_org):
    Company.objects.create(code="ACME", name="A", sales_organization=sales_org)
    Company.objects.create(code="acme", name="A elsewhere", sales_organization=other_sales_org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Company.objects.create(code="Acme", name="dup", sales_organization=sales_org)


def test_skill_code_unique_per_sales_organization(sales_org):
    Skill.objects.create(code="ELEC", name="Electrical", sales_organization=sales_org)
    with pytest.raises(IntegrityError), transaction.atomic():
        Skill.objects.create(code="elec", name="dup", sales_organization=sales_org)


def test_users_get_an_id2(sales_org):
    user = User.objects.create_user(username="u1", sales_organization=sales_org)
    assert user.id2 is not None
