"""Job vocabulary (types, statuses, priorities, life cycle); fulfillment jobs (seeds 000-002)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from jobsite.models import (
    CaseInsensitiveCodeQuerySet,
    Company,
    SalesOrganization,
    code_unique_per_organization,
)


class LifeCycleState(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    PENDING = "PENDING", "Pending"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"


class StatusNumber(models.IntegerChoices):
    """The numbers of the statuses the data migration installs; rules refer to these."""

    TO_BE_PLANNED = 0, "ToBePlanned"
    WAITING = 1, "Waiting"
    POOLING = 2, "Pooling"
    SUGGESTED = 3, "Suggested"
    ACTIVATED = 4, "Activated"
    OPEN = 5, "Open"
    IN_PROGRESS = 6, "InProgress"
    COMPLETED = 7, "Completed"
    CANCELED = 8, "Canceled"
    DRAFT = 9, "Draft"


class JobTypeNumber(models.IntegerChoices):
    """Seed 000 types `jobTypeId` as TJobType, an enum: a client that writes enums as numbers
    sends a member's number for the job type whose code is that member's name. JobType has no
    number of its own; these are TJobType's members in order. The seed names one, `Unknown`."""

    UNKNOWN = 0, "Unknown"


class JobStatus(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=100)
    number = models.SmallIntegerField(unique=True)
    life_cycle_state = models.CharField(max_length=20, choices=LifeCycleState.choices)
    is_default = models.BooleanField(default=False)
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        verbose_name_plural = "job statuses"
        constraints = [
            models.UniqueConstraint(Lower("code"), name="jobstatus_code_ci_unique"),
        ]

    def __str__(self):
        return self.name


class JobPriority(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=100)
    is_default = models.BooleanField(default=False)
    sequence = models.SmallIntegerField(default=0, help_text="Higher is more urgent.")
    sales_organization = models.ForeignKey(
        SalesOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name_plural = "job priorities"
        constraints = [
            code_unique_per_organization("jobpriority"),
            models.UniqueConstraint(
                Lower("code"),
                condition=models.Q(sales_organization__isnull=True),
                name="jobpriority_code_global_unique",
            ),
        ]

    def __str__(self):
        return self.name


class JobType(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(max_length=50)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True, default="")
    is_default = models.BooleanField(default=False)
    sales_organization = models.ForeignKey(
        SalesOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fulfillment_scope = models.CharField(max_length=50, blank=True, default="")
    default_start_status = models.ForeignKey(
        JobStatus,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"life_cycle_state": LifeCycleState.IN_PROGRESS},
    )
    default_complete_status = models.ForeignKey(
        JobStatus,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"life_cycle_state": LifeCycleState.COMPLETED},
    )
    modified_dateutc = models.DateTimeField(auto_now=True)

    objects = CaseInsensitiveCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            code_unique_per_organization("jobtype"),
            models.UniqueConstraint(
                Lower("code"),
                condition=models.Q(sales_organization__isnull=True),
                name="jobtype_code_global_unique",
            ),
        ]

    def __str__(self):
        return self.name


class RatingState(models.TextChoices):
    PENDING = "PENDING", "Pending"
    COMPLETED = "COMPLETED", "Completed"


class Job(models.Model):
    """A fulfillment job (seeds 000–002): integer id, a UUID identifier and a readable number."""

    id = models.AutoField(primary_key=True)
    job_identifier = models.UUIDField(unique=True, default=uuid.uuid4)
    number = models.CharField(max_length=20, unique=True, help_text="e.g. J-000042")
    description = models.TextField(blank=True, default="")
    job_type = models.ForeignKey(JobType, on_delete=models.PROTECT, related_name="+")
    job_status = models.ForeignKey(JobStatus, on_delete=models.PROTECT, related_name="+")
    sales_organization = models.ForeignKey(
        SalesOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="fulfillment_jobs"
    )
    requesting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    start_date = models.DateTimeField(null=True, blank=True)
    end_date = models.DateTimeField(null=True, blank=True)
    percent_complete = models.IntegerField(default=0)
    total_records = models.IntegerField(default=0)
    successful_records = models.IntegerField(default=0)
    error_records = models.IntegerField(default=0)
    notes = models.TextField(blank=True, default="")
    rating_state = models.CharField(
        max_length=20, choices=RatingState.choices, default=RatingState.PENDING
    )
    expiration_date = models.DateTimeField(null=True, blank=True)
    scheduled_date = models.DateTimeField(null=True, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    performed_on = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "fulfillment job"
        indexes = [models.Index(fields=["sales_organization", "job_status"])]

    def __str__(self):
        return self.number


class JobDetail(models.Model):
    """One API write on a fulfillment job: what it touched, when, how long, under which TxID."""

    id = models.AutoField(primary_key=True)
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="details")
    object_name = models.CharField(max_length=100, blank=True, default="")
    object_id = models.BigIntegerField(null=True, blank=True)
    modified_datetime = models.DateTimeField()
    execution_time = models.IntegerField(default=0, help_text="Milliseconds")
    tx_id = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.object_name} {self.object_id}"
