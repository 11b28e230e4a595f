"""An ApiJob tracks one bulk request (seed 003): its counts, status and per-record errors."""

import uuid

from django.conf import settings
from django.db import models

from jobsite.models import Company, SalesOrganization


class ApiJobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class ApiJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=50, help_text="e.g. workorder_bulk_upsert")
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sales_organization = models.ForeignKey(
        SalesOrganization, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=ApiJobStatus.choices, default=ApiJobStatus.PENDING
    )
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    total_records = models.IntegerField(default=0)
    processed_records = models.IntegerField(default=0, help_text="Progress while it runs.")
    effected_records = models.IntegerField(default=0)
    error_records = models.IntegerField(default=0)
    source_name = models.CharField(
        max_length=255, blank=True, default="", help_text="The uploaded file, for imports."
    )
    payload = models.JSONField(null=True, blank=True, editable=False)
    options = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API job"
        indexes = [models.Index(fields=["sales_organization", "-created_at"])]

    def __str__(self):
        return f"{self.type} {self.id}"


class ApiJobError(models.Model):
    """One record that failed: where it was (index or line), which field, and why."""

    api_job = models.ForeignKey(ApiJob, on_delete=models.CASCADE, related_name="errors")
    index = models.IntegerField(null=True, blank=True, help_text="Position in the request body.")
    line = models.IntegerField(null=True, blank=True, help_text="Line in the imported file.")
    record_id = models.CharField(max_length=100, blank=True, default="")
    field = models.CharField(max_length=255, blank=True, default="")
    message = models.TextField()

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.record_id or self.index or self.line}: {self.field} {self.message}"


class ApiJobChunk(models.Model):
    """One slice of a bulk job's records, run as its own background task by whichever worker
    claims it: its records (so a worker reads only its slice), and whether it was written. A
    chunk is written once: its run locks this row and checks `done` in the transaction that
    writes the records, counts them on the job and sets `done`."""

    api_job = models.ForeignKey(ApiJob, on_delete=models.CASCADE, related_name="chunks")
    number = models.IntegerField(help_text="0, 1, …: the order of the chunks in the request.")
    first = models.IntegerField(help_text="Position in the request of the chunk's first record.")
    size = models.IntegerField()
    records = models.JSONField(null=True, editable=False)
    done = models.BooleanField(default=False)

    class Meta:
        ordering = ["api_job", "number"]
        constraints = [
            models.UniqueConstraint(fields=["api_job", "number"], name="one_chunk_per_number")
        ]

    def __str__(self):
        return f"{self.api_job_id} chunk {self.number}"
