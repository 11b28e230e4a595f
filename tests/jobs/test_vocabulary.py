import pytest
from django.db import IntegrityError, transaction

from jobs.models import JobPriority, JobStatus, JobType

pytestmark = pytest.mark.django_db

EXPECTED = [
    (0, "ToBePlanned", "PENDING"),
    (1, "Waiting", "PENDING"),
    (2, "Pooling", "PENDING"),
    (3, "Suggested", "PENDING"),
    (4, "Activated", "PENDING"),
    (5, "Open", "PENDING"),
    (6, "InProgress", "IN_PROGRESS"),
    (7, "Completed", "COMPLETED"),
    (8, "Canceled", "CANCELLED"),
    (9, "Draft", "DRAFT"),
]


def test_statuses_are_exactly_the_ten_of_the_design():
    got = list(
        JobStatus.objects.order_by("number").values_list("number", "code", "life_cycle_state")
    )
    assert got == EXPECTED
    assert list(JobStatus.objects.filter(is_default=True).values_list("code", flat=True)) == [
        "ToBePlanned"
    ]


def test_default_job_type_unknown_moves_through_the_life_cycle():
    unknown = JobType.objects.get(is_default=True)
    assert unknown.code == "Unknown"
    assert unknown.default_start_status.code == "InProgress"
    assert unknown.default_complete_status.code == "Completed"


def test_priorities_with_normal_as_default():
    assert list(JobPriority.objects.order_by("sequence").values_list("code", flat=True)) == [
        "Low",
        "Normal",
        "High",
        "Urgent",
    ]
    assert JobPriority.objects.get(is_default=True).code == "Normal"


def test_codes_match_case_insensitively_and_are_returned_as_stored():
    assert JobStatus.objects.by_code("tobeplanned").get().code == "ToBePlanned"


def test_status_codes_are_unique_ignoring_case():
    with pytest.raises(IntegrityError), transaction.atomic():
        JobStatus.objects.create(code="SUGGESTED", name="x", number=42, life_cycle_state="PENDING")


def test_global_job_type_codes_are_unique_ignoring_case():
    with pytest.raises(IntegrityError), transaction.atomic():
        JobType.objects.create(code="unknown", name="dup")
