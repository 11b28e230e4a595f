"""Reads of API jobs, within the tenancy every API read obeys."""

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from apijobs.models import ApiJob, ApiJobError
from jobsite.models import User
from jobsite.tenancy import restrict_to_tenant


def visible_api_jobs(*, user: User) -> QuerySet[ApiJob]:
    """The user's sales organization's jobs (superusers: all); the payload is never loaded."""
    return restrict_to_tenant(ApiJob.objects.defer("payload"), user=user).order_by(
        "-created_at", "id"
    )


def get_api_job(*, user: User, api_job_id) -> ApiJob | None:
    return visible_api_jobs(user=user).filter(pk=api_job_id).first()


def api_job_errors(*, api_job: ApiJob) -> QuerySet[ApiJobError]:
    return api_job.errors.order_by("index", "line", "id")


# "Recent" on the planner's home and the API job list's filter: the last 24 hours.
RECENT = timedelta(days=1)


def created_recently(queryset: QuerySet[ApiJob], *, now=None) -> QuerySet[ApiJob]:
    return queryset.filter(created_at__gte=(now or timezone.now()) - RECENT)
