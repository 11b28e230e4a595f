"""Fulfillment jobs and the directory rows seed 000's sample refers to, for any test folder."""

from jobs import services
from jobs.models import Job, JobStatus
from jobsite.models import Company, SalesOrganization, User


def make_job(*, status_code: str = "ToBePlanned", by: User | None = None, **values) -> Job:
    values.setdefault("description", "Install the meter")
    return services.save_fulfillment_job(
        job=None,
        values={"job_status": JobStatus.objects.get(code=status_code), **values},
        by=by,
        operation="test",
    )


def company_with_id2(id2: int, *, sales_org: SalesOrganization) -> Company:
    """The company numbered `id2`, in `sales_org` (other fixtures may have taken the number)."""
    found = Company.objects.filter(id2=id2).first()
    if found is None:
        return Company.objects.create(
            id2=id2, code=f"C{id2}", name=f"Client {id2}", sales_organization=sales_org
        )
    assert found.sales_organization_id == sales_org.pk
    return found


def user_with_id2(id2: int, *, sales_org: SalesOrganization) -> User:
    found = User.objects.filter(id2=id2).first()
    if found is None:
        return User.objects.create_user(
            username=f"user{id2}", id2=id2, sales_organization=sales_org
        )
    assert found.sales_organization_id == sales_org.pk
    return found
