"""Reads of the job vocabulary."""

from jobs.models import JobStatus


def status_by_number(number: int) -> JobStatus:
    return JobStatus.objects.get(number=number)
